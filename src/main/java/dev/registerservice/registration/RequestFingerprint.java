package dev.registerservice.registration;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * What a registration asked for, as a SHA-256 stored beside its submission token: a repeat with the same token
 * but another username, email or country is a different request (the Idempotency-Key draft's 422). The password
 * is left out on purpose: a fast hash of it in the database would undo what Argon2id protects, so a repeat
 * differing only in its password is taken as the same request.
 */
public final class RequestFingerprint {
  private RequestFingerprint() {
  }

  public static String of(Registration registration) {
    String fields = registration.username().toLowerCase(Locale.ROOT) + "\n" + registration.email() + "\n"
        + registration.country();
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(fields.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
