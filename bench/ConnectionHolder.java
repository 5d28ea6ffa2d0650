import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Opens {@code count} connections to 127.0.0.1:{@code port} (at most 200 connecting at once) and holds them
 * until stdin closes, for bench/connections.sh:
 * <ul>
 *   <li>{@code idle}: each sends one GET, reads the whole chunked response (to its last chunk), checks the
 *       status is 200, then stays open: an idle keep-alive connection;
 *   <li>{@code slow}: each sends one GET with a 4 KiB receive buffer and reads nothing: the server is parked on
 *       a slow reader with the rest of the page in hand.
 * </ul>
 * Prints {@code READY <count> failed=<n>} once every connection is in place. Usage:
 * {@code java bench/ConnectionHolder.java <port> <count> <idle|slow> [path]}
 */
public final class ConnectionHolder {
  private static final byte[] LAST_CHUNK = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int CONNECTING = 200;

  private static final class Connection {
    final SocketChannel channel;
    final byte[] status = new byte[12];
    int statusLength;
    int matched;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    /** Reads what arrived; whether the response is complete. */
    boolean readsToTheEnd(ByteBuffer buffer) throws Exception {
      buffer.clear();
      if (channel.read(buffer) < 0) {
        throw new IllegalStateException("closed by the server");
      }
      buffer.flip();
      while (buffer.hasRemaining()) {
        byte b = buffer.get();
        if (statusLength < status.length) {
          status[statusLength++] = b;
        }
        matched = b == LAST_CHUNK[matched] ? matched + 1 : b == LAST_CHUNK[0] ? 1 : 0;
        if (matched == LAST_CHUNK.length) {
          return true;
        }
      }
      return false;
    }

    boolean ok() {
      return new String(status, 0, statusLength, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int count = Integer.parseInt(args[1]);
    boolean slow = switch (args[2]) {
      case "idle" -> false;
      case "slow" -> true;
      default -> throw new IllegalArgumentException("mode must be idle or slow, was " + args[2]);
    };
    String path = args.length > 3 ? args[3] : "/user/register";
    byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    List<SocketChannel> held = new ArrayList<>(count);
    ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
    int opened = 0;
    int settled = 0;
    int failed = 0;
    try (Selector selector = Selector.open()) {
      while (settled < count) {
        while (opened < count && opened - settled < CONNECTING) {
          SocketChannel channel = SocketChannel.open();
          if (slow) {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
          }
          channel.configureBlocking(false);
          boolean connected = channel.connect(new InetSocketAddress("127.0.0.1", port));
          channel.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, new Connection(channel));
          held.add(channel);
          opened++;
        }
        selector.select(1000);
        for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
          SelectionKey key = keys.next();
          keys.remove();
          Connection connection = (Connection) key.attachment();
          try {
            if (key.isConnectable()) {
              connection.channel.finishConnect();
              key.interestOps(SelectionKey.OP_WRITE);
            } else if (key.isWritable()) {
              connection.channel.write(ByteBuffer.wrap(request));
              if (slow) {
                key.cancel();
                settled++;
              } else {
                key.interestOps(SelectionKey.OP_READ);
              }
            } else if (key.isReadable() && connection.readsToTheEnd(buffer)) {
              key.cancel();
              settled++;
              failed += connection.ok() ? 0 : 1;
            }
          } catch (Exception e) {
            key.cancel();
            settled++;
            failed++;
          }
        }
      }
      selector.selectNow();
    }
    System.out.printf("READY %d failed=%d%n", count, failed);
    System.out.flush();
    while (System.in.read() >= 0) {
      // Held until stdin closes.
    }
    for (SocketChannel channel : held) {
      channel.close();
    }
  }
}
