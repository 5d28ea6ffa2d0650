package dev.registerservice;

import dev.registerservice.config.ConfigException;
import dev.registerservice.config.Setting;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs register-service as a process: chooses the log layout, starts the service, and turns SIGTERM (what
 * Kubernetes sends) and SIGINT into the graceful shutdown, whose outcome becomes the exit code.
 *
 * <p>Exit codes: 0 clean shutdown; 1 shutdown had to cut responses off; 2 bad configuration or start-up
 * failure; 130 a second signal cut the drain short.
 */
public final class Main {
  static final int EXIT_CONFIG = 2;
  static final int EXIT_FORCED = 130;

  private Main() {
  }

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    if (!chooseLogLayout(env.get(Setting.LOG_FORMAT_ENV))) {
      System.exit(EXIT_CONFIG);
    }
    Logger log = LogManager.getLogger(Main.class);
    RegisterService service;
    try {
      service = RegisterService.start(env);
    } catch (ConfigException | StartupException e) {
      log.error("Cannot start: {}", e.getMessage());
      exit(EXIT_CONFIG);
      return;
    } catch (RuntimeException e) {
      log.error("Cannot start: {}", e.toString(), e);
      exit(EXIT_CONFIG);
      return;
    }
    AtomicBoolean stopping = new AtomicBoolean();
    SignalHandler onSignal = signal -> {
      if (!stopping.compareAndSet(false, true)) {
        log.warn("Second SIG{}: exiting now without finishing the drain", signal.getName());
        exit(EXIT_FORCED);
        return;
      }
      log.info("SIG{} received", signal.getName());
      service.drainAndStop().onComplete(result -> {
        int code = result.succeeded() ? result.result() : 1;
        log.info("Stopped; exit code {}", code);
        // Not on the event loop that completes this Future: System.exit waits for shutdown hooks.
        new Thread(() -> exit(code), "exit").start();
      });
    };
    Signal.handle(new Signal("TERM"), onSignal);
    Signal.handle(new Signal("INT"), onSignal);
    log.info("Ready in {} ms from JVM start", ManagementFactory.getRuntimeMXBean().getUptime());
  }

  /**
   * Picks the Log4j2 configuration before the first logger exists, and routes Vert.x's own logging to it
   * (Netty finds SLF4J, bridged to Log4j2, by itself).
   */
  private static boolean chooseLogLayout(String format) {
    String file;
    if (format == null || format.equals("text")) {
      file = "log4j2.xml";
    } else if (format.equals("json")) {
      file = "log4j2-json.xml";
    } else {
      System.err.println("invalid configuration: " + Setting.LOG_FORMAT_ENV + " = '" + format
          + "': expected text or json");
      return false;
    }
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", file);
    }
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.Log4j2LogDelegateFactory");
    return true;
  }

  private static void exit(int code) {
    LogManager.shutdown();
    System.exit(code);
  }
}
