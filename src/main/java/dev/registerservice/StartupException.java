package dev.registerservice;

/** The service cannot start; the message is one line saying why. */
public final class StartupException extends RuntimeException {
  public StartupException(String message) {
    super(message, null, false, false);
  }
}
