#!/bin/bash
# Image build step (Dockerfile): one training run of the service with the runtime image's own JVM, which
# leaves a start-up archive next to the jar and the JVM option that uses it in an @argfile:
#   JDK 25 and later: an AOT cache (-XX:AOTCacheOutput, JEP 483/514/515): classes loaded and linked, and
#                     method profiles of the hot path, so the JIT compiles it sooner in every new pod;
#   JDK 17 to 24:     an AppCDS archive (-XX:ArchiveClassesAtExit): the classes loaded.
# The training load is the service's own start-up warm-up (REGISTER_WARMUP_REQUESTS: every route through the
# real pipeline, before ready; bounded at 15 s); then SIGTERM, and the JVM writes the archive at exit.
# If the runtime JVM ever differs from the one that trained, it ignores the archive and starts as before.
#
# Usage: training-run.sh <jar> <archive directory> <JVM options the image runs with...>
# Writes <dir>/jvm.args (one option) and the archive; exits non-zero when no archive was written.
set -euo pipefail
JAR=$1; DIR=$2; shift 2
major=$(java -XshowSettings:properties -version 2>&1 | sed -nE 's/^ *java\.specification\.version = ([0-9]+).*/\1/p')
[ -n "$major" ] || { echo "training-run: cannot tell the Java version" >&2; exit 1; }
if [ "$major" -ge 25 ]; then
  ARCHIVE=$DIR/register-service.aot; MAKE=-XX:AOTCacheOutput=$ARCHIVE; USE=-XX:AOTCache=$ARCHIVE
else
  ARCHIVE=$DIR/register-service.jsa; MAKE=-XX:ArchiveClassesAtExit=$ARCHIVE; USE=-XX:SharedArchiveFile=$ARCHIVE
fi
LOG=$(mktemp)
# Loopback ports the kernel picks (port 0: a build step shares the build host's network, where a fixed port may
# be taken; the warm-up reads the port it got); no database (GET needs none); no drain delay on the SIGTERM.
env REGISTER_DB_EMBEDDED=false REGISTER_HTTP_HOST=127.0.0.1 REGISTER_HTTP_PORT="${TRAINING_HTTP_PORT:-0}" \
  REGISTER_MANAGEMENT_HOST=127.0.0.1 REGISTER_MANAGEMENT_PORT="${TRAINING_MANAGEMENT_PORT:-0}" \
  REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 REGISTER_WARMUP_REQUESTS="${TRAINING_REQUESTS:-20000}" \
  java "$@" "$MAKE" -jar "$JAR" >"$LOG" 2>&1 &
pid=$!
# "Ready in" is logged after the warm-up: by then the training load has run. Bounded: 120 s.
for _ in $(seq 600); do
  grep -q "Ready in" "$LOG" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
grep -q "Ready in" "$LOG" || { echo "training-run: the service did not get ready:" >&2; tail -20 "$LOG" >&2; kill -KILL "$pid" 2>/dev/null; exit 1; }
grep -h "Warm-up" "$LOG" || true
kill -TERM "$pid"
wait "$pid" || true
tail -3 "$LOG"
rm -f "$LOG"
test -s "$ARCHIVE" || { echo "training-run: no archive at $ARCHIVE" >&2; exit 1; }
printf '%s\n' "$USE" >"$DIR/jvm.args"
echo "training-run: Java $major, $(stat -c %s "$ARCHIVE") bytes in $ARCHIVE; the image starts with $USE"
