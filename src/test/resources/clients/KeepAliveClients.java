import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * Opens COUNT keep-alive connections to 127.0.0.1:PORT from its own process (the server's process has only
 * 20,000 file descriptors), sends one GET /user/register on each, reads each chunked response to its last
 * chunk, prints "READY <served>" and keeps every connection open until stdin closes. Bounded: gives up after
 * 120 s. Run as: java KeepAliveClients.java PORT COUNT
 */
public class KeepAliveClients {
  private static final byte[] REQUEST =
      "GET /user/register HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LAST_CHUNK = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** Per connection: how far we are in matching the last-chunk marker, and whether the status was 200. */
  static final class State {
    int matched;
    boolean ok;
    boolean statusSeen;
    final StringBuilder status = new StringBuilder();
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int count = Integer.parseInt(args[1]);
    long deadline = System.nanoTime() + 120_000_000_000L;
    Selector selector = Selector.open();
    int opened = 0;
    int served = 0;
    int failed = 0;
    ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    while (served + failed < count && System.nanoTime() < deadline) {
      // Open in batches so the accept backlog never overflows.
      for (int i = 0; i < 200 && opened < count && opened - served - failed < 1000; i++, opened++) {
        SocketChannel channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.connect(new InetSocketAddress("127.0.0.1", port));
        channel.register(selector, SelectionKey.OP_CONNECT, new State());
      }
      selector.select(100);
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        SocketChannel channel = (SocketChannel) key.channel();
        State state = (State) key.attachment();
        try {
          if (key.isConnectable()) {
            channel.finishConnect();
            channel.write(ByteBuffer.wrap(REQUEST));
            key.interestOps(SelectionKey.OP_READ);
          } else if (key.isReadable()) {
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
              failed++;
              key.cancel();
              channel.close();
              continue;
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
              byte b = buffer.get();
              if (!state.statusSeen) {
                if (b == '\n') {
                  state.statusSeen = true;
                  state.ok = state.status.toString().startsWith("HTTP/1.1 200");
                } else {
                  state.status.append((char) b);
                }
              }
              state.matched = b == LAST_CHUNK[state.matched] ? state.matched + 1 : (b == '\r' ? 1 : 0);
              if (state.matched == LAST_CHUNK.length) {
                if (state.ok) {
                  served++;
                } else {
                  failed++;
                }
                key.interestOps(0);
              }
            }
          }
        } catch (java.io.IOException e) {
          failed++;
          key.cancel();
          channel.close();
        }
      }
    }
    System.out.println("READY " + served + " failed " + failed);
    System.out.flush();
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in));
    while (stdin.readLine() != null) {
      // wait until the test closes our stdin
    }
  }
}
