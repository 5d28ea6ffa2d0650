package dev.registerservice.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's state and system call of a thread, read from copies of real {@code /proc} files and live. */
class ThreadStateTest {

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void theStateIsTheLetterAfterTheLastParenthesisOfTheName() {
    byte[] vmThread = bytes("1162 (VM Thread) S 1 1135 1135 0 -1 4194624 122 0 0 0 3 0 0 0 20 0 19 0");
    assertThat(ThreadState.parseState(vmThread, vmThread.length)).isEqualTo('S');
    byte[] odd = bytes("42 (a) b) (c) R 1 42");
    assertThat(ThreadState.parseState(odd, odd.length)).isEqualTo('R');
    byte[] broken = bytes("42 (no end");
    assertThat(ThreadState.parseState(broken, broken.length)).isEqualTo((char) 0);
  }

  @Test
  void theSyscallIsTheFirstNumberOrNoneWhileRunning() {
    byte[] futex = bytes("202 0x7f3a2c0 0x80 0x0 0x0 0x0 0x0 0x7ffc 0x7f3a\n");
    assertThat(ThreadState.parseSyscall(futex, futex.length)).isEqualTo(202);
    byte[] running = bytes("running\n");
    assertThat(ThreadState.parseSyscall(running, running.length)).isEqualTo(ThreadState.NO_SYSCALL);
    byte[] none = bytes("-1 0x7ffc 0x7f3a\n");
    assertThat(ThreadState.parseSyscall(none, none.length)).isEqualTo(ThreadState.NO_SYSCALL);
  }

  @Test
  void readsCopiesAndTheLiveThread(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("stat"), "7 (vert.x-eventloo) S 1 7 7 0 -1 0\n");
    Files.writeString(dir.resolve("syscall"), "441 0x5 0x7f 0x400 0x0 0x8 0x0 0x7ffc 0x7f3a\n");
    ThreadState copy = ThreadState.open(dir).orElseThrow();
    assertThat(copy.state()).isEqualTo('S');
    assertThat(copy.syscall()).isEqualTo(441);
    copy.close();
    assertThat(ThreadState.open(dir.resolve("absent"))).isEmpty();

    // This thread, reading its own files, is running: no system call is shown for a running thread.
    ThreadState self = ThreadState.open(ThreadSchedstat.currentThreadId().orElseThrow()).orElseThrow();
    assertThat(self.state()).isEqualTo('R');
    self.close();
  }
}
