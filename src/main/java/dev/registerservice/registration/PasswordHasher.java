package dev.registerservice.registration;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id (RFC 9106) through Bouncy Castle's lightweight API, encoded in the PHC string format
 * {@code $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>} (base64 without padding), so each
 * stored hash carries the parameters it was made with. CPU- and memory-heavy: never call it on an event loop.
 *
 * <p>Each thread that hashes keeps its Argon2 memory ({@code memoryKib}, as Bouncy Castle's blocks of 1 KiB) in a
 * block pool of its own and reuses it for the next hash; the blocks are cleared after every hash. Without the
 * pool each hash allocated its memory anew: 19 MiB a hash at the defaults, hundreds of MiB a second in a
 * registration flood, and a young GC every few hundred milliseconds that copied the hashes in flight and held
 * every event loop meanwhile (30-40 pauses of about 25 ms in 12 s of {@code bench/flood.sh}).
 */
public final class PasswordHasher {
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final Pattern PHC = Pattern.compile(
      "\\$argon2id\\$v=19\\$m=(\\d{1,10}),t=(\\d{1,4}),p=(\\d{1,3})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODER = Base64.getDecoder();

  private final int memoryKib;
  private final int iterations;
  private final int parallelism;
  private final SecureRandom random = new SecureRandom();
  private final ThreadLocal<Argon2BytesGenerator.BlockPool> blocks;

  public PasswordHasher(int memoryKib, int iterations, int parallelism) {
    this.memoryKib = memoryKib;
    this.iterations = iterations;
    this.parallelism = parallelism;
    int blockCount = Argon2BytesGenerator.getBlockCount(memoryKib, parallelism);
    this.blocks = ThreadLocal.withInitial(() -> new Argon2BytesGenerator.FixedBlockPool(blockCount));
  }

  /** A new random salt and the PHC string of the password's hash under this hasher's parameters. */
  public String hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] hash = derive(password, salt, memoryKib, iterations, parallelism, HASH_BYTES, blocks.get());
    return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=" + parallelism
        + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
  }

  /**
   * True when {@code password} hashes to {@code phc} under the salt and parameters the string carries.
   * False for a string that is not an Argon2id PHC string.
   */
  public static boolean verify(String phc, String password) {
    Matcher m = PHC.matcher(phc);
    if (!m.matches()) {
      return false;
    }
    byte[] salt = B64_DECODER.decode(m.group(4));
    byte[] expected = B64_DECODER.decode(m.group(5));
    byte[] actual = derive(password, salt, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)), expected.length, null);
    return MessageDigest.isEqual(expected, actual);
  }

  /** @param blocks where the Argon2 memory comes from and goes back to; null: allocated for this hash alone */
  private static byte[] derive(String password, byte[] salt, int memoryKib, int iterations, int parallelism,
      int length, Argon2BytesGenerator.BlockPool blocks) {
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withBlockPool(blocks)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(memoryKib)
        .withIterations(iterations)
        .withParallelism(parallelism)
        .withSalt(salt)
        .build());
    byte[] secret = password.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[length];
    generator.generateBytes(secret, out);
    Arrays.fill(secret, (byte) 0);
    return out;
  }
}
