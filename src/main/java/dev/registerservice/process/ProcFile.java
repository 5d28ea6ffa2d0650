package dev.registerservice.process;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * A kernel-generated file ({@code /proc}, cgroup) sampled over and over: it stays open and is re-read from
 * offset 0 into a buffer made once (such files are regenerated on every read from the start), so a sample
 * allocates nothing. Not thread-safe: its owner synchronises.
 */
final class ProcFile implements AutoCloseable {
  private final RandomAccessFile file;
  private final byte[] buffer;

  ProcFile(Path path, int capacity) throws IOException {
    this.file = new RandomAccessFile(path.toFile(), "r");
    this.buffer = new byte[capacity];
  }

  /** Reads the file anew; how many bytes {@link #bytes()} now holds, or -1 when it could not be read. */
  int read() {
    int length = 0;
    try {
      file.seek(0);
      for (int n; length < buffer.length && (n = file.read(buffer, length, buffer.length - length)) > 0; ) {
        length += n;
      }
    } catch (IOException e) {
      return -1;
    }
    return length;
  }

  /** What the last {@link #read()} read, in its first {@code length} bytes. */
  byte[] bytes() {
    return buffer;
  }

  @Override
  public void close() {
    try {
      file.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }
}
