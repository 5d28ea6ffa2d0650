package dev.registerservice.config;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;

/**
 * One setting's value, from the environment, else the YAML file, else its default, parsed and range-checked:
 * a bad one is a {@link ConfigException} naming where it came from (the variable, or the key and the file) and
 * what was expected. {@link ConfigLoader} builds the groups from these.
 */
final class SettingValues {
  private final Map<String, String> env;
  private final JsonObject file;
  private final String fileName;

  SettingValues(Map<String, String> env, JsonObject file, String fileName) {
    this.env = env;
    this.file = file;
    this.fileName = fileName;
  }

  /** A raw value and a description of where it came from, for error messages. */
  record Raw(String value, String origin) {
  }

  Raw raw(Setting setting) {
    String fromEnv = env.get(setting.env());
    if (fromEnv != null) {
      return new Raw(fromEnv.trim(), setting.env());
    }
    Object fromFile = lookup(setting.key());
    if (fromFile != null) {
      return new Raw(String.valueOf(fromFile).trim(), setting.key() + " in " + fileName);
    }
    return new Raw(setting.defaultValue(), setting.key() + " (default)");
  }

  private Object lookup(String dottedKey) {
    String[] parts = dottedKey.split("\\.");
    JsonObject node = file;
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = node.getValue(parts[i]);
      if (!(child instanceof JsonObject)) {
        return null;
      }
      node = (JsonObject) child;
    }
    return node.getValue(parts[parts.length - 1]);
  }

  static ConfigException invalid(Raw raw, String expectation) {
    return new ConfigException("invalid configuration: " + raw.origin() + " = '" + raw.value() + "': " + expectation);
  }

  int intIn(Setting setting, int min, int max) {
    Raw raw = raw(setting);
    long value;
    try {
      value = Long.parseLong(raw.value());
    } catch (NumberFormatException e) {
      throw invalid(raw, "expected a whole number from " + min + " to " + max);
    }
    if (value < min || value > max) {
      throw invalid(raw, "expected a whole number from " + min + " to " + max);
    }
    return (int) value;
  }

  int port(Setting setting) {
    return intIn(setting, 0, 65_535);
  }

  String host(Setting setting) {
    Raw raw = raw(setting);
    if (raw.value().isEmpty() || raw.value().chars().anyMatch(Character::isWhitespace)) {
      throw invalid(raw, "expected a host name or IP address");
    }
    return raw.value();
  }

  boolean bool(Setting setting) {
    Raw raw = raw(setting);
    switch (raw.value().toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw invalid(raw, "expected true or false");
    }
  }

  Transport transport() {
    Raw raw = raw(Setting.TRANSPORT);
    try {
      return Transport.valueOf(raw.value().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw invalid(raw, "expected epoll or nio");
    }
  }
}
