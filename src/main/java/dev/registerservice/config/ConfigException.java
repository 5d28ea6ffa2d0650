package dev.registerservice.config;

/** A setting with a bad value: the message names the variable or key and the value, on one line. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
