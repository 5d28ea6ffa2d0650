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

/**
 * The hashing threads lower their own priority (REGISTER_HASH_NICE), as Linux sees it, still hash, and report the
 * kernel ids that the stall attribution reads their schedstat by.
 */
class HashingPoolTest {

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void hashingThreadsRunAtTheConfiguredNiceValue() throws Exception {
    Vertx vertx = Vertx.vertx();
    // Other tests' services in this JVM have hashing threads of their own; the run may itself be niced.
    List<Path> before = tasksNamed("password-hash-");
    int callerNice = niceOf(Path.of("/proc/thread-self"));
    HashingPool pool = new HashingPool(new PasswordHasher(64, 1, 1), 2, 4, 7);
    try {
      String hash = pool.hash(vertx.getOrCreateContext(), "correct horse battery")
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(PasswordHasher.verify(hash, "correct horse battery")).isTrue();
      // Both threads were started at construction and set their nice value first thing.
      List<Integer> nice = new ArrayList<>();
      List<Long> started = new ArrayList<>();
      for (Path task : tasksNamed("password-hash-")) {
        if (!before.contains(task)) {
          nice.add(niceOf(task));
          started.add(Long.parseLong(task.getFileName().toString()));
        }
      }
      assertThat(nice).hasSize(2).containsOnly(Math.min(19, callerNice + 7));
      // The ids the stall attribution reads the hashing threads' schedstat by are those threads'.
      assertThat(pool.threadIds()).containsExactlyInAnyOrderElementsOf(started);
      assertThat(niceOf(Path.of("/proc/thread-self"))).as("the caller keeps its priority").isEqualTo(callerNice);
    } finally {
      pool.close();
      vertx.close();
    }
  }

  private static List<Path> tasksNamed(String prefix) throws IOException {
    List<Path> named = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          if (Files.readString(task.resolve("comm")).trim().startsWith(prefix)) {
            named.add(task);
          }
        } catch (IOException gone) {
          // a thread that ended while we listed
        }
      }
    }
    return named;
  }

  /** Field 19 of {@code stat}; the command name (field 2) may hold spaces, so count from its closing ')'. */
  private static int niceOf(Path task) throws IOException {
    String stat = Files.readString(task.resolve("stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
  }
}
