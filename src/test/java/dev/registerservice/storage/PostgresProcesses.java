package dev.registerservice.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Signals to the PostgreSQL running on a data directory, as an operator's kill(1) would send them. */
final class PostgresProcesses {
  private PostgresProcesses() {
  }

  /** The port in the data directory's postmaster.pid (its fourth line). */
  static int port(Path dataDir) throws Exception {
    return Integer.parseInt(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(3).trim());
  }

  /** SIGSTOP (freeze) or SIGCONT (thaw) the postmaster and every process it started. */
  static void signalAll(Path dataDir, String signal) throws Exception {
    ProcessHandle postmaster = EmbeddedDatabase.postmaster(dataDir).orElseThrow();
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal, String.valueOf(postmaster.pid())));
    postmaster.descendants().forEach(p -> command.add(String.valueOf(p.pid())));
    Process kill = new ProcessBuilder(command).inheritIO().start();
    kill.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGKILL the postmaster alone, as the kernel's OOM killer would. */
  static void killPostmaster(Path dataDir) throws Exception {
    ProcessHandle postmaster = EmbeddedDatabase.postmaster(dataDir).orElseThrow();
    postmaster.destroyForcibly();
    postmaster.onExit().get(30, TimeUnit.SECONDS);
  }
}
