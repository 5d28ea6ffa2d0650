package dev.registerservice.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Debian's nginx in the foreground, with a config of its own on a free 127.0.0.1 port, all its paths under a
 * scratch directory, serving a static root that has a file at {@code /user/register}. A missing nginx fails
 * the test that starts it.
 */
public final class Nginx implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final int port;

  private Nginx(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  public static Nginx start() throws IOException {
    Path dir = Files.createTempDirectory("nginx-");
    Files.createDirectories(dir.resolve("root/user"));
    Files.writeString(dir.resolve("root/user/register"), "registration page\n");
    Files.createDirectories(dir.resolve("logs"));
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    String conf = """
        daemon off;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log info;
        events { worker_connections 256; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          server {
            listen 127.0.0.1:%2$d;
            root %1$s/root;
          }
        }
        """.formatted(dir, port);
    Files.writeString(dir.resolve("nginx.conf"), conf);
    Process process = new ProcessBuilder("nginx", "-c", dir.resolve("nginx.conf").toString(),
        "-p", dir + "/", "-e", dir.resolve("logs/stderr.log").toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("logs/out.log").toFile())
        .start();
    Nginx nginx = new Nginx(process, dir, port);
    try {
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("nginx exited: " + Files.readString(dir.resolve("logs/out.log")));
        }
        try (Socket socket = new Socket("127.0.0.1", port)) {
          return true;
        } catch (IOException e) {
          return false;
        }
      });
    } catch (RuntimeException e) {
      nginx.close();
      throw e;
    }
    return nginx;
  }

  public int port() {
    return port;
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
