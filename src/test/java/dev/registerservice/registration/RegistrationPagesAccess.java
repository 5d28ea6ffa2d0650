package dev.registerservice.registration;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Submission tokens as the form's script makes them: 32 hex digits. */
final class RegistrationPagesAccess {
  private static final SecureRandom RANDOM = new SecureRandom();

  private RegistrationPagesAccess() {
  }

  static String token() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
