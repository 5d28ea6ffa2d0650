package dev.registerservice.config;

/**
 * How registrations are taken: the request body limit, the Argon2id parameters (stored in every hash, so
 * changing them affects new registrations only), and the bounded pool that runs the hashing.
 *
 * @param maxBodyBytes a POST body larger than this gets 413
 * @param hashThreads threads hashing passwords (default: available processors)
 * @param hashQueue hash jobs that may wait for a thread; one more gets 503 with {@code Retry-After}
 * @param hashNice how many nice values below the process the hashing threads run, 0 to 19 (0: the same)
 */
public record RegistrationConfig(
    int maxBodyBytes,
    int argon2MemoryKib,
    int argon2Iterations,
    int argon2Parallelism,
    int hashThreads,
    int hashQueue,
    int hashNice) {
}
