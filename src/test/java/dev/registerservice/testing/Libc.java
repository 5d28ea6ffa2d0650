package dev.registerservice.testing;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The libc socket calls the abort tests make themselves, through JNA, so that both ends of a test connection
 * behave as a C program does (siege, curl, the original server): a {@code close()} is a plain close, never
 * the JDK's {@code shutdown(SHUT_WR)} first, and an error is the errno itself. Each call reports its errno as
 * a {@link LastErrorException}. Linux x86-64 values.
 */
interface Libc extends Library {
  Libc C = Native.load("c", Libc.class);

  int AF_INET = 2;
  int SOCK_STREAM = 1;
  int SOL_SOCKET = 1;
  int SO_REUSEADDR = 2;
  int SO_LINGER = 13;
  int SHUT_WR = 1;
  int SHUT_RDWR = 2;
  int MSG_NOSIGNAL = 0x4000;
  short POLLIN = 0x1;
  short POLLRDHUP = 0x2000;
  int EINTR = 4;
  int EPIPE = 32;
  int ECONNRESET = 104;

  int socket(int domain, int type, int protocol) throws LastErrorException;

  int setsockopt(int fd, int level, int name, Pointer value, int length) throws LastErrorException;

  int bind(int fd, byte[] address, int length) throws LastErrorException;

  int listen(int fd, int backlog) throws LastErrorException;

  int connect(int fd, byte[] address, int length) throws LastErrorException;

  int getsockname(int fd, byte[] address, IntByReference length) throws LastErrorException;

  int accept(int fd, byte[] address, IntByReference length) throws LastErrorException;

  long recv(int fd, byte[] buffer, long length, int flags) throws LastErrorException;

  long send(int fd, Pointer buffer, long length, int flags) throws LastErrorException;

  int poll(Memory fds, long count, int timeoutMillis) throws LastErrorException;

  int shutdown(int fd, int how) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  int PRIO_PROCESS = 0;

  /** With {@code PRIO_PROCESS} and a thread id, Linux sets that one thread's nice value. */
  int setpriority(int which, int who, int prio) throws LastErrorException;

  /** A {@code struct sockaddr_in} for 127.0.0.1:{@code port}. */
  static byte[] loopback(int port) {
    byte[] address = new byte[16];
    address[0] = (byte) AF_INET;
    address[2] = (byte) (port >> 8);
    address[3] = (byte) port;
    address[4] = 127;
    address[7] = 1;
    return address;
  }

  /** The port of a {@code struct sockaddr_in}. */
  static int portOf(byte[] address) {
    return ((address[2] & 0xff) << 8) | (address[3] & 0xff);
  }

  static void setInt(int fd, int level, int name, int value) {
    Memory memory = new Memory(4);
    memory.setInt(0, value);
    C.setsockopt(fd, level, name, memory, 4);
  }

  /** {@code SO_LINGER {1, 0}}: the next close sends RST. */
  static void lingerZero(int fd) {
    Memory linger = new Memory(8);
    linger.setInt(0, 1);
    linger.setInt(4, 0);
    C.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8);
  }
}
