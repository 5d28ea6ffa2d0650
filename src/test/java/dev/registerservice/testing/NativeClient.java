package dev.registerservice.testing;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A blocking TCP client to 127.0.0.1 made of plain libc calls: it leaves the way a C client does. Its
 * {@link #close()} is one {@code close()} (with unread data the kernel answers RST; the JDK's {@code Socket}
 * would send a FIN first), {@link #reset()} is {@code SO_LINGER {1,0}} and close, {@link #finAndClose()} is
 * {@code shutdown(SHUT_WR)} and close.
 */
public final class NativeClient implements AutoCloseable {
  private final int fd;
  private boolean closed;

  public NativeClient(int port) throws IOException {
    try {
      fd = Libc.C.socket(Libc.AF_INET, Libc.SOCK_STREAM, 0);
    } catch (LastErrorException e) {
      throw new IOException("socket: errno " + e.getErrorCode(), e);
    }
    try {
      byte[] address = Libc.loopback(port);
      Libc.C.connect(fd, address, address.length);
    } catch (LastErrorException e) {
      Libc.C.close(fd);
      throw new IOException("connect to " + port + ": errno " + e.getErrorCode(), e);
    }
  }

  public void send(String ascii) throws IOException {
    byte[] bytes = ascii.getBytes(StandardCharsets.ISO_8859_1);
    Memory memory = new Memory(bytes.length);
    memory.write(0, bytes, 0, bytes.length);
    long sent = 0;
    try {
      while (sent < bytes.length) {
        sent += Libc.C.send(fd, memory.share(sent), bytes.length - sent, Libc.MSG_NOSIGNAL);
      }
    } catch (LastErrorException e) {
      throw new IOException("send: errno " + e.getErrorCode(), e);
    }
  }

  /** Reads exactly {@code n} bytes, or fewer if the server closes first. */
  public long read(long n) throws IOException {
    byte[] buffer = new byte[16 * 1024];
    long read = 0;
    try {
      while (read < n) {
        long got = Libc.C.recv(fd, buffer, Math.min(buffer.length, n - read), 0);
        if (got == 0) {
          break;
        }
        read += got;
      }
    } catch (LastErrorException e) {
      throw new IOException("recv: errno " + e.getErrorCode(), e);
    }
    return read;
  }

  /** Reads up to the end of the response's header section (one byte at a time: nothing after it is read). */
  public void readHeaderSection() throws IOException {
    byte[] one = new byte[1];
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    try {
      while (matched < 4) {
        if (Libc.C.recv(fd, one, 1, 0) == 0) {
          throw new IOException("closed before the header section ended");
        }
        matched = one[0] == end[matched] ? matched + 1 : (one[0] == '\r' ? 1 : 0);
      }
    } catch (LastErrorException e) {
      throw new IOException("recv: errno " + e.getErrorCode(), e);
    }
  }

  /** SO_LINGER {1, 0} and close: the kernel sends RST at once. */
  public void reset() {
    Libc.lingerZero(fd);
    close();
  }

  /** FIN (shutdown of the write side), then close. */
  public void finAndClose() {
    Libc.C.shutdown(fd, Libc.SHUT_WR);
    close();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      Libc.C.close(fd);
    }
  }
}
