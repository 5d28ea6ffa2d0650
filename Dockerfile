# register-service container image.
#   docker build -t register-service .            (Docker Hub bases: Maven + Temurin 17 to build, Temurin 17 JRE to run)
#   podman build --build-arg BUILD_IMAGE=... --build-arg RUNTIME_IMAGE=... .   (any glibc bases with
#   `mvn` + JDK 17 and `java` 17 or later on PATH; k8s/test/image.sh builds Debian ones offline)
#   --build-arg RUNTIME_IMAGE=eclipse-temurin:25-jre   runs on JDK 25 with an AOT cache instead of AppCDS
# The image runs with a read-only root filesystem: only /tmp must be writable (Netty extracts its
# native epoll library there). In Kubernetes that is an emptyDir; with podman/docker `--tmpfs /tmp`.
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
# The jar is built for Java 17. The runtime stays 17: in BENCHMARKS.md ("Time to full speed") JDK 25's AOT
# cache did not reach full speed sooner than JDK 17 with AppCDS on one CPU; 25 remains a build argument.
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /build
# Dependency layer: rebuilt only when pom.xml changes.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline -DskipTests
COPY src ./src
# -Pcontainer: the embedded PostgreSQL's binaries (local runs only) stay out of the image, and out of its SBOM.
RUN mvn -B -q package -DskipTests -Pcontainer && test -s target/register-service.jar && test -s target/bom.json

FROM ${RUNTIME_IMAGE}
ARG UID=10001
COPY --from=build /build/target/register-service.jar /opt/register-service/register-service.jar
# The jar's SBOM (CycloneDX 1.6 JSON, cyclonedx-maven-plugin): `trivy sbom` / `grype sbom:` scan it
# (docs/operations.md, "Updates and the SBOM"). The label names the file.
COPY --from=build /build/target/bom.json /opt/register-service/bom.json
LABEL org.opencontainers.image.title="register-service" \
      dev.registerservice.sbom="/opt/register-service/bom.json" \
      dev.registerservice.sbom.format="CycloneDX 1.6 JSON"
COPY conf/register.yaml /etc/register-service/register.yaml
# Start-up archive: one training run with this very JVM, driven by the service's own warm-up
# (REGISTER_WARMUP_REQUESTS through the real pipeline), then SIGTERM (image/training-run.sh). On JDK 17-24
# (the default runtime) that is an AppCDS archive; on JDK 25+ an AOT cache with the hot path's method
# profiles (bench/run.sh, "Time to full speed", compares both).
# The option that uses it lands in an @argfile read by the ENTRYPOINT; a JVM that does not match the
# archive ignores it and starts as before. Same JVM options as the ENTRYPOINT, so the archive fits them.
COPY image/training-run.sh /opt/register-service/training-run.sh
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN cd /tmp && REGISTER_CONFIG_FILE=/etc/register-service/register.yaml \
      /opt/register-service/training-run.sh /opt/register-service/register-service.jar /opt/register-service \
      -XX:MaxRAMPercentage=75 -XX:+UseParallelGC -Dio.netty.native.workdir=/tmp -Djava.io.tmpdir=/tmp \
    && rm -rf /tmp/* /opt/register-service/training-run.sh
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
  "@/opt/register-service/jvm.args", \
  "-jar", "/opt/register-service/register-service.jar"]
