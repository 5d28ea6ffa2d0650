package dev.registerservice.registration;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Hashes made with the reused Argon2 memory verify exactly as hashes made with memory of their own. */
class PasswordHasherTest {
  private static final int MEMORY_KIB = 19_456;

  @Test
  void hashesInARowOnOneThreadEachVerifyWithFreshMemory() {
    PasswordHasher hasher = new PasswordHasher(MEMORY_KIB, 2, 1);
    for (int i = 0; i < 4; i++) {
      String password = "correct horse battery " + i;
      String hash = hasher.hash(password);
      assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
      // verify() derives with memory allocated for that one call: the reused blocks left nothing behind.
      assertThat(PasswordHasher.verify(hash, password)).as(hash).isTrue();
      assertThat(PasswordHasher.verify(hash, password + "x")).isFalse();
    }
  }

  @Test
  void aThreadsSecondHashAllocatesNoArgon2MemoryOfItsOwn() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    PasswordHasher hasher = new PasswordHasher(MEMORY_KIB, 2, 1);
    long before = threads.getThreadAllocatedBytes(thread);
    hasher.hash("first");
    long first = threads.getThreadAllocatedBytes(thread) - before;
    before = threads.getThreadAllocatedBytes(thread);
    hasher.hash("second");
    long second = threads.getThreadAllocatedBytes(thread) - before;
    assertThat(first).as("the first hash allocates its memory").isGreaterThan(MEMORY_KIB * 1024L);
    assertThat(second).as("the second reuses it (bytes allocated)").isLessThan(MEMORY_KIB * 1024L / 16);
  }
}
