package dev.registerservice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Map;

/** HTTP/1.1 over a plain socket, parsing the wire bytes itself: chunk framing is what we test. */
public final class RawHttp {
  private RawHttp() {
  }

  public static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 20_000);
    socket.setSoTimeout(20_000);
    return socket;
  }

  public static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing a test's socket: nothing to do about a failure.
    }
  }

  public static void send(Socket socket, String request) throws IOException {
    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  public static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  }

  /** A parsed response: status, lower-cased header names, each chunk's size as framed, and the body. */
  public record Response(int status, Map<String, String> headers, List<Integer> chunkSizes, byte[] body,
      boolean sawTerminator) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Reads one response; {@code head} for a HEAD request (no body follows whatever the headers say). */
  public static Response read(InputStream in, boolean head) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      throw new IOException("connection closed before a status line");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    List<Integer> chunks = new ArrayList<>();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean terminator = false;
    if (head) {
      return new Response(status, headers, chunks, body.toByteArray(), false);
    }
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      while (true) {
        String sizeLine = line(in);
        int size = Integer.parseInt(sizeLine.trim(), 16);
        if (size == 0) {
          String end = line(in);
          if (!end.isEmpty()) {
            throw new IOException("trailer or junk after last chunk: " + end);
          }
          terminator = true;
          break;
        }
        chunks.add(size);
        body.write(in.readNBytes(size));
        String crlf = line(in);
        if (!crlf.isEmpty()) {
          throw new IOException("chunk not followed by CRLF");
        }
      }
    } else if (headers.containsKey("content-length")) {
      body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
    } else {
      body.write(in.readAllBytes());
    }
    return new Response(status, headers, chunks, body.toByteArray(), terminator);
  }

  /** One CRLF-terminated line without the CRLF; null at end of stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}
