package dev.registerservice.registration;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hashing threads lower their own priority (REGISTER_HASH_NICE), as Linux sees it, and still hash. */
class HashingPoolTest {

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void hashingThreadsRunAtTheConfiguredNiceValue() throws Exception {
    Vertx vertx = Vertx.vertx();
    HashingPool pool = new HashingPool(new PasswordHasher(64, 1, 1), 2, 4, 7);
    try {
      String hash = pool.hash(vertx.getOrCreateContext(), "correct horse battery")
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(PasswordHasher.verify(hash, "correct horse battery")).isTrue();
      // Both threads were started at construction and set their nice value first thing.
      assertThat(niceOfThreadsNamed("password-hash-")).hasSize(2).containsOnly(7);
      assertThat(niceOf(Path.of("/proc/thread-self"))).as("the caller keeps its priority").isZero();
    } finally {
      pool.close();
      vertx.close();
    }
  }

  private static List<Integer> niceOfThreadsNamed(String prefix) throws IOException {
    List<Integer> nice = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        if (Files.readString(task.resolve("comm")).trim().startsWith(prefix)) {
          nice.add(niceOf(task));
        }
      }
    }
    return nice;
  }

  /** Field 19 of {@code stat}; the command name (field 2) may hold spaces, so count from its closing ')'. */
  private static int niceOf(Path task) throws IOException {
    String stat = Files.readString(task.resolve("stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }
}
