package dev.registerservice.testing;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;

/** Collects every log event of the in-process service (all loggers, via the root logger) while attached. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {
  private final List<LogEvent> events = new ArrayList<>();

  private LogCapture() {
    super("test-capture", null, null, true, Property.EMPTY_ARRAY);
  }

  public static LogCapture attach() {
    LogCapture capture = new LogCapture();
    capture.start();
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Configuration config = context.getConfiguration();
    config.getRootLogger().addAppender(capture, Level.ALL, null);
    context.updateLoggers();
    return capture;
  }

  @Override
  public synchronized void append(LogEvent event) {
    events.add(event.toImmutable());
  }

  public synchronized List<LogEvent> events() {
    return new ArrayList<>(events);
  }

  public List<LogEvent> atLeast(Level level) {
    return events().stream().filter(e -> e.getLevel().isMoreSpecificThan(level)).toList();
  }

  @Override
  public void close() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    context.getConfiguration().getRootLogger().removeAppender(getName());
    context.updateLoggers();
    stop();
  }
}
