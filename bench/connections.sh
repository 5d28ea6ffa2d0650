#!/usr/bin/env bash
# What one connection costs in memory: the service, side by side in one run with nginx serving the same
# chunked page and bare Vert.x (bench/BareVertxServer.java), optionally an older build of the service
# (BASE_JAR). For each server and each mode, a fresh process: warmed with 2,000 connections opened and
# closed, then FIRST, then TOTAL connections held by bench/ConnectionHolder.java:
#   idle  one full page read, then an idle keep-alive connection
#   slow  one GET, nothing read (4 KiB receive buffer): a slow reader the server is parked on, with a
#         SLOW_BODY_BYTES page (16 MiB) so that most of it is still in the server's hands
# Measured at 0, FIRST and TOTAL: the JVM's live heap after a full GC (jcmd GC.class_histogram, which
# collects first) and the RSS of the process (nginx: its one worker), from /proc/<pid>/status.
# Per connection = (at TOTAL - at 0) / TOTAL; "marginal" = (at TOTAL - at FIRST) / (TOTAL - FIRST).
# Kernel socket buffers are the same for every server and counted by none.
#
# usage: bench/connections.sh [results.md]       (default target/connections.md; about 6 minutes)
# env:   JAR=target/register-service.jar BASE_JAR= (a second service build, e.g. main before a change)
#        FIRST=5000 TOTAL=10000 MODES="idle slow" BODY_BYTES=16384 (idle) SLOW_BODY_BYTES=16777216 JAVA_OPTS=""
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-target/connections.md}
JAR=${JAR:-target/register-service.jar}
BASE_JAR=${BASE_JAR:-}
FIRST=${FIRST:-5000}
TOTAL=${TOTAL:-10000}
MODES=${MODES:-idle slow}
BODY_BYTES=${BODY_BYTES:-16384}
SLOW_BODY_BYTES=${SLOW_BODY_BYTES:-16777216}
JAVA_OPTS=${JAVA_OPTS:-}
die() { echo "connections: $*" >&2; exit 1; }
for tool in java jcmd nginx curl; do command -v "$tool" >/dev/null || die "$tool not found"; done
[ -f "$JAR" ] || die "$JAR missing: mvn -B -q package -DskipTests"
[ -z "$BASE_JAR" ] || [ -f "$BASE_JAR" ] || die "BASE_JAR $BASE_JAR missing"
[ "$TOTAL" -gt "$FIRST" ] && [ "$FIRST" -gt 0 ] || die "need 0 < FIRST < TOTAL"
NOFILE=$(ulimit -n)
[ "$NOFILE" -ge $(( TOTAL + 512 )) ] || die "ulimit -n is $NOFILE; TOTAL=$TOTAL needs at least $(( TOTAL + 512 ))"

SCRATCH=$(mktemp -d /tmp/connections.XXXXXX)
chmod 755 "$SCRATCH"
mkdir -p "$SCRATCH"/{html,logs,classes}
PIDS=()
stop() { # stop <pid>...
  local p
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
cleanup() {
  [ "${#PIDS[@]}" = 0 ] || stop "${PIDS[@]}"
  [ -n "${KEEP_SCRATCH:-}" ] && echo "connections: raw results kept in $SCRATCH" >&2 || rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

javac -d "$SCRATCH/classes" bench/ConnectionHolder.java
PORT=18601; MGMT=18602
wait_http() { # wait_http <url>: up to 60 s
  for _ in $(seq 1 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  die "$1 did not answer within 60 s"
}
# The page, as the service serves it, for nginx and bare Vert.x.
start_service() { # start_service <jar>: sets SERVER_PID
  env REGISTER_DB_EMBEDDED=false REGISTER_BODY_BYTES=$BODY REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 REGISTER_EVENT_LOOPS=1 \
    REGISTER_HTTP_PORT=$PORT REGISTER_MANAGEMENT_PORT=$MGMT \
    REGISTER_IDLE_TIMEOUT_SECONDS=3600 REGISTER_WRITE_TIMEOUT_SECONDS=3600 \
    REGISTER_MAX_CONNECTIONS=$(( TOTAL + 100 )) \
    java $JAVA_OPTS -jar "$1" >>"$SCRATCH/logs/service.log" 2>&1 &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  wait_http "http://127.0.0.1:$PORT/user/register"
}
page() { # page <bytes>: the service's page of that size, for nginx and bare Vert.x
  BODY=$1
  start_service "$JAR"
  curl -fsS -o "$SCRATCH/html/register.html" "http://127.0.0.1:$PORT/user/register"
  stop "$SERVER_PID"; PIDS=()
}
sed -e "s#@PREFIX@#$SCRATCH#g" -e "s#@PORT@#$PORT#g" -e "s#@WORKERS@#1#g" \
    -e "s#worker_connections [0-9]*;#worker_connections $(( 2 * TOTAL + 100 ));#" \
    -e "s#keepalive_timeout [0-9a-z]*;#keepalive_timeout 3600s; send_timeout 3600s;#" \
    -e "s#^worker_processes.*#&\nworker_rlimit_nofile $NOFILE;#" bench/nginx.conf >"$SCRATCH/nginx.conf"

start() { # start <server>: sets SERVER_PID and MEASURED_PID (nginx: its worker)
  case "$1" in
    service) start_service "$JAR" ;;
    base) start_service "$BASE_JAR" ;;
    bare)
      java $JAVA_OPTS -cp "$JAR" bench/BareVertxServer.java $PORT "$SCRATCH/html/register.html" 1 4096 \
        >>"$SCRATCH/logs/bare.log" 2>&1 &
      SERVER_PID=$!; PIDS+=("$SERVER_PID"); wait_http "http://127.0.0.1:$PORT/user/register" ;;
    nginx)
      nginx -c "$SCRATCH/nginx.conf" -p "$SCRATCH/" -e "$SCRATCH/error.log" &
      SERVER_PID=$!; PIDS+=("$SERVER_PID"); wait_http "http://127.0.0.1:$PORT/user/register" ;;
  esac
  MEASURED_PID=$SERVER_PID
  if [ "$1" = nginx ]; then MEASURED_PID=$(pgrep -P "$SERVER_PID" | head -1); fi
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
live_bytes() { # the JVM's live heap after a full GC; "-" for nginx
  if [ "$1" = nginx ]; then echo -; return; fi
  jcmd "$2" GC.run >/dev/null
  jcmd "$2" GC.class_histogram | awk '$1 == "Total" {print $3}'
}
HOLDERS=()
hold() { # hold <count> <mode>: a holder with <count> connections, once all are in place
  local fifo=$SCRATCH/hold.$RANDOM out=$SCRATCH/logs/holder.$RANDOM
  mkfifo "$fifo"
  java -cp "$SCRATCH/classes" ConnectionHolder $PORT "$1" "$2" <"$fifo" >"$out" 2>&1 &
  HOLDERS+=("$!"); PIDS+=("$!")
  exec {keep}>"$fifo"; FIFOS+=("$keep")
  for _ in $(seq 1 1200); do grep -Eq '^READY [0-9]+ failed=[0-9]+$' "$out" && break; sleep 0.1; done
  grep -Eq '^READY [0-9]+ failed=[0-9]+$' "$out" || die "holder of $1 $2 connections not ready within 120 s: $(tail -3 "$out")"
  grep -q 'failed=0$' "$out" || die "holder of $1 $2 connections: $(grep READY "$out")"
  sleep 2 # the server finishes its side (the last writes of the page, the parked state)
}
release() {
  local fd
  for fd in "${FIFOS[@]}"; do exec {fd}>&-; done
  stop "${HOLDERS[@]}"; HOLDERS=(); FIFOS=()
}
FIFOS=()

SERVERS="service"; [ -n "$BASE_JAR" ] && SERVERS="$SERVERS base"; SERVERS="$SERVERS bare nginx"
ROWS=$SCRATCH/rows
for mode in $MODES; do
  if [ "$mode" = slow ]; then page "$SLOW_BODY_BYTES"; else page "$BODY_BYTES"; fi
  for server in $SERVERS; do
    echo "connections: $server, $mode" >&2
    start "$server"
    hold 2000 idle; release; sleep 1
    h0=$(live_bytes "$server" "$MEASURED_PID"); r0=$(rss_kib "$MEASURED_PID")
    hold "$FIRST" "$mode"
    h1=$(live_bytes "$server" "$MEASURED_PID"); r1=$(rss_kib "$MEASURED_PID")
    hold $(( TOTAL - FIRST )) "$mode"
    h2=$(live_bytes "$server" "$MEASURED_PID"); r2=$(rss_kib "$MEASURED_PID")
    open=$(ls "/proc/$MEASURED_PID/fd" | wc -l)
    [ "$open" -ge "$TOTAL" ] || die "$server holds $open file descriptors with $TOTAL connections open: it closed some"
    release
    stop "$SERVER_PID"; PIDS=()
    echo "$mode $server $h0 $h1 $h2 $r0 $r1 $r2 $open $BODY" >>"$ROWS"
  done
done

python3 - "$ROWS" "$FIRST" "$TOTAL" "$OUT" "$JAR" "${BASE_JAR:--}" "$JAVA_OPTS" <<'PY'
import datetime, os, platform, subprocess, sys
rows_file, first, total, out, jar, base, opts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
rows = [line.split() for line in open(rows_file)]
names = {"service": f"service ({jar})", "base": f"service, base ({base})", "bare": "bare Vert.x (bench/BareVertxServer.java)", "nginx": "nginx (one worker)"}
def per(a, b, n):
    return None if a == "-" else (int(b) - int(a)) / n
lines = []
head = "| mode | server | live heap B/conn | marginal | RSS B/conn | marginal | RSS vs nginx | heap vs bare Vert.x |"
for mode in dict.fromkeys(r[0] for r in rows):
    got = {r[1]: r for r in rows if r[0] == mode}
    def rss(r): return (int(r[7]) - int(r[5])) * 1024 / total
    ngx = rss(got["nginx"]) if "nginx" in got else None
    bare = per(got["bare"][2], got["bare"][4], total) if "bare" in got else None
    page = int(next(iter(got.values()))[9])
    lines.append(f"\n### {mode}: {total} connections, a {page:,}-byte page ({'read whole, then idle keep-alive' if mode == 'idle' else 'one GET, nothing read: parked slow readers'})\n")
    lines.append(head)
    lines.append("|" + "---|" * 8)
    for server, r in got.items():
        heap = per(r[2], r[4], total); heap_m = per(r[3], r[4], total - first)
        rss_all = rss(r); rss_m = (int(r[7]) - int(r[6])) * 1024 / (total - first)
        f = lambda v: "-" if v is None else f"{v:,.0f}"
        ratio = lambda a, b: "-" if a is None or not b else f"{a / b:.1f}x"
        lines.append(f"| {mode} | {names[server]} | {f(heap)} | {f(heap_m)} | {f(rss_all)} | {f(rss_m)} | {ratio(rss_all, ngx)} | {ratio(heap, bare)} |")
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
ngxv = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
text = f"""# What one connection costs: bench/connections.sh

{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, {platform.release()}, {java}, {ngxv}{', JAVA_OPTS=' + opts if opts else ''}.
Each server alone, a fresh process per mode, one event loop / one worker, warmed with 2,000 connections;
per connection = growth from 0 to {total} connections / {total}; marginal = growth from {first} to {total}.
Live heap: after a full GC (jcmd); RSS: the process (nginx: its worker). Raw rows (mode server heap0 heap{first} heap{total} rss0 rss{first} rss{total} KiB fds page-bytes): see the end.
""" + "\n".join(lines) + "\n\n```\n" + "".join(open(rows_file)) + "```\n"
open(out, "w").write(text)
print(text)
PY
