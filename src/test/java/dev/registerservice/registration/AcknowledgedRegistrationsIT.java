package dev.registerservice.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.registerservice.storage.EmbeddedDatabase;
import dev.registerservice.testing.PgFaultProxy;
import dev.registerservice.testing.PgFaultProxy.Action;
import dev.registerservice.testing.PgFaultProxy.Point;
import dev.registerservice.testing.Registrations;
import dev.registerservice.testing.Scrape;
import dev.registerservice.testing.ServiceProcess;
import dev.registerservice.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nothing answered 201 is ever lost, whatever happens to one connection's exchange with PostgreSQL and whatever
 * replica a retry reaches. Two packaged services on one PostgreSQL: A reaches it through a {@link PgFaultProxy},
 * B directly. For every case of the matrix (each point of a registration's exchange x hold, FIN, reset,
 * blackhole x a retry before or after the held answer is delivered x with or without an Idempotency-Key x the
 * retry sent to A itself or to B), one registration is posted to A while the fault acts, then retried; each
 * case is checked by one invariant: every answer is 201 or 503 (with Retry-After) within its bound, the first
 * answer is the one that point and action must give (503 "not stored" before the COMMIT is sent, 503 "may be
 * stored" once it is, 201 after its answer), the retries end in a 201, the user is stored exactly once, and
 * every 201 names the stored id. Then a rolling restart of A while clients register through both: every 201
 * stored, each once. Cases run in three lanes at once (a proxy, an A and a B each), with short database limits
 * (400 ms per statement) so that the matrix takes about a minute.
 */
class AcknowledgedRegistrationsIT {
  private static final Duration HOLD = Duration.ofMillis(1200);
  /** Every answer's bound: the statement limit and the commit's as much again, plus room for a busy machine. */
  private static final Duration ANSWER_BOUND = Duration.ofSeconds(6);
  private static final int LANES = 3;
  private static final int RESOLVING_ATTEMPTS = 20;
  private static final Map<String, String> LIMITS = Map.of(
      "REGISTER_DB_QUERY_TIMEOUT_MS", "400", "REGISTER_DB_POOL_WAIT_MS", "300",
      "REGISTER_DB_CONNECT_TIMEOUT_MS", "300", "REGISTER_DB_POOL_SIZE", "4",
      "REGISTER_ARGON2_MEMORY_KIB", "64", "REGISTER_ARGON2_ITERATIONS", "1", "REGISTER_HASH_QUEUE", "1000",
      "REGISTER_EVENT_LOOPS", "1");

  private static EmbeddedDatabase database;
  private static final List<Lane> lanes = new ArrayList<>();

  /** What the first answer must be, for a fault at a point. */
  private enum First {
    /** 503 before the COMMIT was sent: rolled back, not stored. */
    NOT_STORED,
    /** 503 once the COMMIT was sent and its answer lost: stored or not, a retry tells. */
    UNCONFIRMED,
    /** 201: the COMMIT's answer came; the fault hits what follows on that connection. */
    CREATED;

    static First of(Point point) {
      return switch (point) {
        case BEGIN_ANSWER, INSERT_ANSWER -> NOT_STORED;
        case AFTER_INSERT_ANSWER, COMMIT_ANSWER -> UNCONFIRMED;
        case AFTER_COMMIT_ANSWER -> CREATED;
      };
    }
  }

  private enum Timing { BEFORE_LATE_DELIVERY, AFTER_LATE_DELIVERY }

  private enum Target { SAME_REPLICA, OTHER_REPLICA }

  private record Case(Point point, Action action, Timing timing, boolean key, Target target) {
    @Override
    public String toString() {
      return point + " " + action + " retry " + timing + (key ? " with key" : " without key") + " to " + target;
    }
  }

  private record Answer(int status, String body, String retryAfter, long millis) {
    @Override
    public String toString() {
      return status + " in " + millis + " ms: " + body.strip();
    }
  }

  /** One case's outcome, for the table the test prints. */
  private record Result(Case c, List<Answer> answers) {
  }

  /** A fault proxy, the replica behind it and the replica beside it. */
  private record Lane(PgFaultProxy proxy, ServiceProcess a, ServiceProcess b) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      a.close();
      b.close();
      proxy.close();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    database = EmbeddedDatabase.start(Files.createTempDirectory("register-acknowledged").resolve("data"));
    for (int i = 0; i < LANES; i++) {
      PgFaultProxy proxy = new PgFaultProxy(database.port());
      lanes.add(new Lane(proxy, replica(proxy.port()), replica(database.port())));
    }
    for (Lane lane : lanes) {
      awaitDatabaseReady(lane.a());
      awaitDatabaseReady(lane.b());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (Lane lane : lanes) {
      lane.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private static ServiceProcess replica(int databasePort) throws Exception {
    Map<String, String> env = new HashMap<>(LIMITS);
    env.put("REGISTER_DB_URL", TestDatabase.url(databasePort));
    return ServiceProcess.start(env);
  }

  private static void awaitDatabaseReady(ServiceProcess service) {
    await().atMost(Duration.ofSeconds(60)).until(() -> Scrape
        .of(service.managementPort()).value("registration_database_ready") == 1.0);
  }

  private static List<Case> matrix() {
    List<Case> cases = new ArrayList<>();
    for (Point point : Point.values()) {
      for (Action action : List.of(Action.hold(HOLD), Action.BLACKHOLE, Action.DROP_FIN, Action.DROP_RST)) {
        boolean late = action.kind() == Action.Kind.HOLD || action.kind() == Action.Kind.BLACKHOLE;
        for (Timing timing : late ? Timing.values() : new Timing[] {Timing.AFTER_LATE_DELIVERY}) {
          for (boolean key : new boolean[] {true, false}) {
            for (Target target : Target.values()) {
              cases.add(new Case(point, action, timing, key, target));
            }
          }
        }
      }
    }
    return cases;
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void noCaseOfTheMatrixLosesAnAcknowledgedRegistrationOrStoresOneTwice() throws Exception {
    List<Case> cases = matrix();
    BlockingQueue<Case> queue = new ArrayBlockingQueue<>(cases.size(), false, cases);
    List<Result> results = Collections.synchronizedList(new ArrayList<>());
    ExecutorService workers = Executors.newFixedThreadPool(LANES);
    List<Future<?>> running = new ArrayList<>();
    for (Lane lane : lanes) {
      running.add(workers.submit(() -> {
        for (Case c = queue.poll(); c != null; c = queue.poll()) {
          results.add(run(lane, c));
        }
        return null;
      }));
    }
    try {
      for (Future<?> lane : running) {
        lane.get(9, TimeUnit.MINUTES);
      }
    } finally {
      workers.shutdownNow();
      print(results);
    }
    assertThat(results).hasSize(cases.size());
  }

  /** One case on one lane: the fault, the first post to A, the retries, and the invariant. */
  private static Result run(Lane lane, Case c) throws Exception {
    String name = Registrations.uniqueName("ack");
    String key = c.key() ? UUID.randomUUID().toString() : null;
    JsonObject body = Registrations.valid(name);
    ServiceProcess retryTo = c.target() == Target.SAME_REPLICA ? lane.a() : lane.b();
    PgFaultProxy.Fault fault = lane.proxy().arm(c.point(), c.action());
    List<Answer> answers = new ArrayList<>();
    try {
      answers.add(post(lane.a(), body, key));
      assertThat(fault.awaitTriggered(Duration.ofSeconds(10))).as("%s: the fault acted", c).isTrue();
      if (c.timing() == Timing.BEFORE_LATE_DELIVERY) {
        answers.add(post(retryTo, body, key));
      }
    } finally {
      // The held or blackholed answers go out now; a dropped connection has nothing left to deliver.
      fault.release();
    }
    answers.add(post(retryTo, body, key));
    for (int i = 0; i < RESOLVING_ATTEMPTS && answers.get(answers.size() - 1).status() != 201; i++) {
      Thread.sleep(200);
      answers.add(post(retryTo, body, key));
    }

    for (Answer answer : answers) {
      assertThat(answer.status()).as("%s: %s", c, answers).isIn(201, 503);
      assertThat(answer.millis()).as("%s: %s", c, answers).isLessThan(ANSWER_BOUND.toMillis());
      if (answer.status() == 503) {
        assertThat(answer.retryAfter()).as("%s: %s", c, answers).isEqualTo("5");
      }
    }
    Answer first = answers.get(0);
    switch (First.of(c.point())) {
      case NOT_STORED -> assertThat(first.status() == 503 && first.body().contains("not available"))
          .as("%s: the first answer says nothing was stored: %s", c, answers).isTrue();
      case UNCONFIRMED -> assertThat(first.status() == 503 && first.body().contains("did not confirm"))
          .as("%s: the first answer says it may be stored: %s", c, answers).isTrue();
      case CREATED -> assertThat(first.status()).as("%s: %s", c, answers).isEqualTo(201);
      default -> throw new IllegalStateException();
    }
    Answer last = answers.get(answers.size() - 1);
    assertThat(last.status()).as("%s: resolved by its retries: %s", c, answers).isEqualTo(201);
    // The user is stored once, and every 201 names that row.
    List<Long> ids = storedIds(name);
    assertThat(ids).as("%s: stored exactly once: %s", c, answers).hasSize(1);
    for (Answer answer : answers) {
      if (answer.status() == 201) {
        assertThat(new JsonObject(answer.body()).getLong("id")).as("%s: %s", c, answer).isEqualTo(ids.get(0));
      }
    }
    // Once every late answer is in, nothing changes it: still there, still once.
    Thread.sleep(HOLD.toMillis() / 2);
    assertThat(storedIds(name)).as("%s: still stored once", c).isEqualTo(ids);
    return new Result(c, answers);
  }

  private static Answer post(ServiceProcess service, JsonObject body, String key) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + service.port() + "/user/register"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (key != null) {
      request.header("Idempotency-Key", "\"" + key + "\"");
    }
    long start = System.nanoTime();
    HttpResponse<String> response = Registrations.send(request.build());
    return new Answer(response.statusCode(), response.body(),
        response.headers().firstValue("retry-after").orElse(null),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private static List<Long> storedIds(String username) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection connection = TestDatabase.connect(database.port());
        PreparedStatement query = connection.prepareStatement("SELECT id FROM users WHERE lower(username) = lower(?)")) {
      query.setString(1, username);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getLong(1));
        }
      }
    }
    return ids;
  }

  /** The matrix, one line per case: the answers in order, and the longest. */
  private static void print(List<Result> results) {
    System.out.println("MATRIX point | action | retry | key | to | answers (status/ms) | longest ms");
    results.stream().sorted(Comparator.comparing(r -> r.c().toString())).forEach(r -> System.out.printf(
        "MATRIX %s | %s | %s | %s | %s | %s | %d%n", r.c().point(), r.c().action(), r.c().timing(),
        r.c().key() ? "key" : "none", r.c().target(),
        String.join(" ", r.answers().stream().map(a -> a.status() + "/" + a.millis()).toList()),
        r.answers().stream().mapToLong(Answer::millis).max().orElse(0)));
  }

  /**
   * The form, whose commit's answer is held: the person sees the form again (503, Retry-After) with the same
   * submission token and a message on the password field; sending it again, with the password typed again,
   * ends on the confirmation of the one account that was stored.
   */
  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aFormWhoseCommitWentUnansweredComesBackWithItsTokenAndItsResubmissionFindsTheAccount() throws Exception {
    Lane lane = lanes.get(1);
    String name = Registrations.uniqueName("ackform");
    String token = "unconfirmed-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("submission", token);
    fields.put("username", name);
    fields.put("email", name.toLowerCase() + "@example.com");
    fields.put("password", Registrations.PASSWORD);
    fields.put("country", "FR");
    fields.put("terms", "accepted");
    PgFaultProxy.Fault fault = lane.proxy().arm(Point.COMMIT_ANSWER, Action.hold(HOLD));
    HttpResponse<String> first;
    try {
      first = Registrations.postForm(lane.a().port(), fields);
      assertThat(fault.awaitTriggered(Duration.ofSeconds(10))).isTrue();
    } finally {
      fault.release();
    }
    assertThat(first.statusCode()).isEqualTo(503);
    assertThat(first.headers().firstValue("retry-after")).contains("5");
    assertThat(first.headers().firstValue("content-type")).hasValueSatisfying(type -> assertThat(type)
        .startsWith("text/html"));
    assertThat(first.body()).contains("We could not confirm your registration")
        .contains("value=\"" + token + "\"").contains("value=\"" + name + "\"")
        .doesNotContain(Registrations.PASSWORD);
    HttpResponse<String> again = Registrations.postForm(lane.b().port(), fields);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(303);
    assertThat(again.headers().firstValue("location")).contains("/user/registered?name=" + name);
    assertThat(storedIds(name)).hasSize(1);
  }

  /**
   * A rolling restart: A is stopped (SIGTERM: drain, then exit) and started again while four clients register
   * through A and B by turns, each registration with its key and retried on the other replica until it gets a
   * 201 (what a load balancer and a client with a retry policy do). Every 201 is stored, each user once.
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aRollingRestartOfOneReplicaLosesNothingAcknowledged() throws Exception {
    Lane lane = lanes.get(0);
    AtomicReferenceArray<Integer> ports = new AtomicReferenceArray<>(new Integer[] {lane.a().port(), lane.b().port()});
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger sent = new AtomicInteger();
    List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> loops = new ArrayList<>();
    for (int client = 0; client < 4; client++) {
      int first = client % 2;
      loops.add(clients.submit(() -> {
        for (int turn = first; running.get() && sent.get() < 2_000; turn++) {
          String name = Registrations.uniqueName("roll");
          String key = UUID.randomUUID().toString();
          sent.incrementAndGet();
          for (int attempt = 0; attempt < 50; attempt++) {
            int port = ports.get((turn + attempt) % 2);
            Answer answer = postOrRefused(port, Registrations.valid(name), key);
            if (answer.status() == 201) {
              acknowledged.add(name);
              break;
            }
            assertThat(answer.status()).as("%s on %d: %s", name, port, answer).isIn(0, 503);
            Thread.sleep(50);
          }
        }
        return null;
      }));
    }
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= 20);
      ServiceProcess old = lane.a();
      old.terminate();
      assertThat(old.waitFor(Duration.ofSeconds(60))).as("A drained and exited: %s", old.output()).isZero();
      Map<String, String> env = new HashMap<>(LIMITS);
      env.put("REGISTER_DB_URL", TestDatabase.url(lane.proxy().port()));
      ServiceProcess restarted = ServiceProcess.start(env);
      awaitDatabaseReady(restarted);
      lanes.set(0, new Lane(lane.proxy(), restarted, lane.b()));
      ports.set(0, restarted.port());
      int before = acknowledged.size();
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= before + 20);
    } finally {
      running.set(false);
      for (Future<?> loop : loops) {
        loop.get(2, TimeUnit.MINUTES);
      }
      clients.shutdown();
    }
    List<String> names = List.copyOf(acknowledged);
    assertThat(names).doesNotHaveDuplicates();
    for (String name : names) {
      assertThat(storedIds(name)).as("%s acknowledged", name).hasSize(1);
    }
    System.out.printf("ROLLING registrations acknowledged %d of %d sent, every one stored once%n", names.size(),
        sent.get());
  }

  /** As {@link #post}, with status 0 when the replica refuses the connection (it is restarting). */
  private static Answer postOrRefused(int port, JsonObject body, String key) throws InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/user/register"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", "\"" + key + "\"")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    try {
      HttpResponse<String> response = Registrations.CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body(),
          response.headers().firstValue("retry-after").orElse(null), 0);
    } catch (IOException refused) {
      return new Answer(0, refused.toString(), null, 0);
    }
  }
}
