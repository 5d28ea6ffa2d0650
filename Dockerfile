# register-service container image.
#   docker build -t register-service .            (Docker Hub bases: Maven + Eclipse Temurin 17)
#   podman build --build-arg BUILD_IMAGE=... --build-arg RUNTIME_IMAGE=... .   (any glibc bases with
#   `mvn` + JDK 17 and `java` 17 on PATH; k8s/test/image.sh builds Debian ones offline)
# The image runs with a read-only root filesystem: only /tmp must be writable (Netty extracts its
# native epoll library there). In Kubernetes that is an emptyDir; with podman/docker `--tmpfs /tmp`.
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /build
# Dependency layer: rebuilt only when pom.xml changes.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline -DskipTests
COPY src ./src
# -Pcontainer: the embedded PostgreSQL's binaries (local runs only) stay out of the image.
RUN mvn -B -q package -DskipTests -Pcontainer && test -s target/register-service.jar

FROM ${RUNTIME_IMAGE}
ARG UID=10001
COPY --from=build /build/target/register-service.jar /opt/register-service/register-service.jar
COPY conf/register.yaml /etc/register-service/register.yaml
# Class-data sharing: one training run (start, one request, SIGTERM) records the classes the service
# loads into an archive for this very JVM, which halves the time from JVM start to ready. If the runtime
# JVM ever differs, the JVM ignores the archive and starts as before.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN cd /tmp && REGISTER_DB_EMBEDDED=false REGISTER_HTTP_HOST=127.0.0.1 REGISTER_HTTP_PORT=18080 REGISTER_MANAGEMENT_HOST=127.0.0.1 \
      REGISTER_MANAGEMENT_PORT=19090 REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 REGISTER_CONFIG_FILE=/etc/register-service/register.yaml \
      java -XX:ArchiveClassesAtExit=/opt/register-service/register-service.jsa -Dio.netty.native.workdir=/tmp \
      -jar /opt/register-service/register-service.jar > /tmp/training.log 2>&1 & pid=$!; \
    for _ in $(seq 100); do grep -q "Ready in" /tmp/training.log && break; sleep 0.2; done; \
    exec 3<>/dev/tcp/127.0.0.1/18080 && printf 'GET /user/register HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3 \
      && cat <&3 > /dev/null; \
    kill -TERM "$pid"; wait "$pid"; test -s /opt/register-service/register-service.jsa; rm -rf /tmp/*
# Numeric user, no passwd entry needed (runAsNonRoot can verify a numeric USER).
USER ${UID}:${UID}
WORKDIR /tmp
# No embedded PostgreSQL in a container: its data would live in the pod's ephemeral /tmp, one database
# per replica. Registration needs REGISTER_DB_URL (k8s-overlays/postgres, or a Secret); without it POST
# /user/register answers 503 and everything else works.
ENV REGISTER_CONFIG_FILE=/etc/register-service/register.yaml \
    REGISTER_DB_EMBEDDED=false \
    HOME=/tmp
EXPOSE 8080 9090
# Exec form: the JVM is PID 1 and gets SIGTERM itself (readiness 503, drain, exit 0).
# JVM output goes to stderr; the heap is 75% of the container memory limit; an OOM exits the
# process (the kubelet restarts it) instead of limping on.
ENTRYPOINT ["java", \
  "-XX:+DisplayVMOutputToStderr", \
  "-XX:MaxRAMPercentage=75", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-XX:+UseParallelGC", \
  "-Dio.netty.native.workdir=/tmp", \
  "-Djava.io.tmpdir=/tmp", \
  "-XX:SharedArchiveFile=/opt/register-service/register-service.jsa", \
  "-jar", "/opt/register-service/register-service.jar"]
