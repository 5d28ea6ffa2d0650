#!/usr/bin/env bash
# Benchmark (not a test) of GET /user/register against references measured side by side in one run:
#   A  the service, everything on            B  nginx serving the same bytes in the same 4 KiB chunks
#   C  bare Vert.x core (the stack ceiling)  D  the service with REGISTER_METRICS_ENABLED=false
#   E  the service, everything on, with bench/abort_storm.py aborting responses beside wrk
#   F  A again while the same storm aims at D: the control for E (the storm's CPU, without its aborts)
# All servers run at once; each round runs D A C E F B (odd rounds) or B F E C A D (even rounds): A sits next to
# its references, and the reversal cancels drift.
# Connection churn (a new connection per request), the same processes, after the keep-alive rounds:
#   G H I  wrk -H 'Connection: close' against the service, nginx, bare Vert.x
#   J K L  siege with connection = close (load/siegerc-close) against the same three
# rounds I G H L J K (odd) and K J L H G I (even).
# Time to full speed: cold starts of the service (JVM variants) and nginx, driven at saturation from the
# moment they are ready, req/s per second for COLD_SECONDS s against the warmed A / B figures.
# Also measures JVM start to traffic-ready. Writes a Markdown report (default BENCHMARKS.md) and prints it.
#
# Usage: bench/run.sh [OUTPUT.md]
# Env:   JAR=target/register-service.jar  ROUNDS=5  DURATION=6 (s per run)  WARMUP=8 (s per server)
#        CONNECTIONS=64  PIN=1 (wrk on the last CPU, servers on the others; 0 = no pinning)
#        STARTUP_RUNS=5  STARTUP_CDS=1 (also time a start with an AppCDS archive, as the image runs it)
#        STORM_RATE=200 (aborts/s)  STORM_PIPELINE=4  JAVA_OPTS=""
#        CLOSE_ROUNDS=3 (0 = no connection-churn cases)  CLOSE_WARMUP=4 (s per server)  SIEGE_CONCURRENCY=25
#        COLD_RUNS=3 (0 = no cold-start curves)  COLD_SECONDS=15
#        FLOOD_ROUNDS=2 (0 = no registration-flood case; its other settings: bench/flood.sh)
#        COLD_VARIANTS="jdk17-cds jdk25-aot jdk25-aot-warmup nginx" (jdk25-* only when JAVA25 exists, else
#        "jdk17-cds jdk17-cds-warmup nginx"; also jdk17-plain,
#        jdk25-plain, jdk17-cds-c1 (-XX:TieredStopAtLevel=1), jdk17-cds-notiered (-XX:-TieredCompilation),
#        jdk17-cds-early (-XX:CompileThresholdScaling=0.1), jdk17-cds-warmup and jdk25-aot-warmup (the same with
#        REGISTER_WARMUP_REQUESTS=COLD_WARMUP_REQUESTS (2000): the service warms itself up before it is ready))
#        JAVA25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
#        QUIET_BELOW=20 QUIET_WAIT=20: before each run wait up to QUIET_WAIT s for the CPUs to be at most
#        QUIET_BELOW % busy (a shared box); the CPU other work used during each run is recorded too
# Only 127.0.0.1 is loaded; every run is bounded by -d / --duration and the script by a watchdog.
set -uo pipefail

OUT=${1:-BENCHMARKS.md}
JAR=${JAR:-target/register-service.jar}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-6}
WARMUP=${WARMUP:-8}
CONNECTIONS=${CONNECTIONS:-64}
PIN=${PIN:-1}
STARTUP_RUNS=${STARTUP_RUNS:-5}
STARTUP_CDS=${STARTUP_CDS:-1}
STORM_RATE=${STORM_RATE:-200}
STORM_PIPELINE=${STORM_PIPELINE:-4}
JAVA_OPTS=${JAVA_OPTS:-}
QUIET_BELOW=${QUIET_BELOW:-20}
QUIET_WAIT=${QUIET_WAIT:-20}
CLOSE_ROUNDS=${CLOSE_ROUNDS:-3}
CLOSE_WARMUP=${CLOSE_WARMUP:-4}
SIEGE_CONCURRENCY=${SIEGE_CONCURRENCY:-25}
COLD_RUNS=${COLD_RUNS:-3}
COLD_SECONDS=${COLD_SECONDS:-15}
COLD_WARMUP_REQUESTS=${COLD_WARMUP_REQUESTS:-2000}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
if [ -z "${COLD_VARIANTS:-}" ]; then
  COLD_VARIANTS="jdk17-cds jdk17-cds-warmup nginx"
  [ -x "$JAVA25" ] && COLD_VARIANTS="jdk17-cds jdk25-aot jdk25-aot-warmup nginx"
fi
CHUNK_BYTES=4096
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "bench: $*" >&2; exit 2; }
int_in() { [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || die "$1 must be $3..$4, got '$2'"; }
int_in ROUNDS "$ROUNDS" 1 10
int_in DURATION "$DURATION" 1 120
int_in WARMUP "$WARMUP" 0 60
int_in CONNECTIONS "$CONNECTIONS" 1 1000
int_in STARTUP_RUNS "$STARTUP_RUNS" 1 20
int_in STORM_RATE "$STORM_RATE" 1 2000
int_in STORM_PIPELINE "$STORM_PIPELINE" 1 64
int_in QUIET_BELOW "$QUIET_BELOW" 0 100
int_in QUIET_WAIT "$QUIET_WAIT" 0 120
int_in CLOSE_ROUNDS "$CLOSE_ROUNDS" 0 10
int_in CLOSE_WARMUP "$CLOSE_WARMUP" 0 60
int_in SIEGE_CONCURRENCY "$SIEGE_CONCURRENCY" 1 200
int_in COLD_RUNS "$COLD_RUNS" 0 10
int_in COLD_SECONDS "$COLD_SECONDS" 2 60
int_in COLD_WARMUP_REQUESTS "$COLD_WARMUP_REQUESTS" 0 1000000
for v in $COLD_VARIANTS; do
  case "$v" in
    jdk17-cds|jdk17-plain|jdk17-cds-c1|jdk17-cds-notiered|jdk17-cds-early|jdk17-cds-warmup|nginx) ;;
    jdk25-aot|jdk25-plain|jdk25-aot-warmup) [ -x "$JAVA25" ] || die "COLD_VARIANTS has $v but JAVA25 ($JAVA25) is not executable" ;;
    *) die "unknown COLD_VARIANTS entry: $v" ;;
  esac
done
[ -f "$JAR" ] || die "jar not found: $JAR (build it with: mvn -B -q package -DskipTests)"
JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac

need() { # need <command> <debian package>
  command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; } \
    || die "cannot install $2"
}
need wrk wrk
need nginx nginx
need curl curl
need python3 python3
need taskset util-linux
[ "$CLOSE_ROUNDS" = 0 ] || need siege siege
command -v java >/dev/null || die "java not found"

SCRATCH=$(mktemp -d /tmp/bench.XXXXXX)
chmod 755 "$SCRATCH" # nginx workers (user nobody) read the page from here
mkdir -p "$SCRATCH"/{wrk,cpu,scrape,storm,logs,meta,cold,nginx/html,home}
PIDS=()
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS=()
}
# Watchdog: generous bound on the whole run (startup + warm-up + rounds), then stop.
NCOLD=$(wc -w <<<"$COLD_VARIANTS")
BUDGET=$(( STARTUP_RUNS * 2 * (8 + QUIET_WAIT) + 4 * WARMUP + ROUNDS * 6 * (DURATION + QUIET_WAIT + 5) \
  + 3 * CLOSE_WARMUP + CLOSE_ROUNDS * 6 * (DURATION + QUIET_WAIT + 30) \
  + COLD_RUNS * NCOLD * (2 * COLD_SECONDS + QUIET_WAIT + 40) + 300 + 120 ))
( sleep "$BUDGET" & wait $!; echo "bench: watchdog (${BUDGET}s) fired, stopping" >&2; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!
cleanup() {
  kill "$WATCHDOG" $(ps -o pid= --ppid "$WATCHDOG" 2>/dev/null) 2>/dev/null
  stop_all
  [ -n "${KEEP_SCRATCH:-}" ] && echo "bench: raw results kept in $SCRATCH" >&2 || rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NCPU=$(nproc)
if [ "$PIN" = 1 ] && [ "$NCPU" -ge 2 ]; then
  CLIENT_CPUS=$((NCPU - 1)); LOOPS=$((NCPU - 1))
  if [ "$NCPU" = 2 ]; then SERVER_CPUS=0; else SERVER_CPUS=0-$((NCPU - 2)); fi
  TS_CLIENT=(taskset -c "$CLIENT_CPUS"); TS_SERVER=(taskset -c "$SERVER_CPUS")
  PLACEMENT="pinned with taskset: servers on CPU $SERVER_CPUS, wrk and the abort generator on CPU $CLIENT_CPUS; \
$LOOPS event loop(s) for the service and bare Vert.x, $LOOPS nginx worker(s)"
  [ "$LOOPS" = 1 ] && PLACEMENT="$PLACEMENT (a JVM that sees one CPU picks SerialGC by ergonomics; all JVM targets get the same)"
else
  LOOPS=$NCPU; TS_CLIENT=(); TS_SERVER=()
  PLACEMENT="not pinned: servers and wrk share all $NCPU CPUs; $LOOPS event loops / nginx workers"
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
USED_PORTS=" "
alloc_port() { # alloc_port <variable>: a port below the ephemeral range, unused and not yet handed out
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    case "$USED_PORTS" in *" $p "*) continue ;; esac
    port_in_use "$p" && continue
    USED_PORTS="$USED_PORTS$p "
    printf -v "$1" '%s' "$p"
    return 0
  done
  die "no free port"
}
for v in A_HTTP A_MGMT D_HTTP D_MGMT NGINX_PORT BARE_PORT SU_HTTP SU_MGMT; do alloc_port "$v"; done

meta() { printf '%s\n' "$2" >"$SCRATCH/meta/$1"; }
cmd() { local c="$*"; printf '%s\n' "${c//$PWD\//}" >>"$SCRATCH/meta/commands"; } # paths relative to the repo root
note() { printf '%s\n' "$*" >>"$SCRATCH/meta/notes"; }
code_of() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1"; }
wait_200() { # wait_200 <url> <pid> <what>
  for _ in $(seq 1 300); do
    kill -0 "$2" 2>/dev/null || die "$3 exited during start (see $SCRATCH/logs)"
    [ "$(code_of "$1")" = 200 ] && return 0
    sleep 0.1
  done
  die "$3 not ready at $1 within 30 s"
}

# Background CPU use (other work on the machine): benchmarks on a shared box are only as good as this.
busy_pct() { python3 "$BENCH_DIR/benchtool.py" busy --seconds "${1:-2}"; }
# Before each run wait (bounded) for the machine to calm down; every run also records how much CPU
# other work took while it ran (benchtool.py measure), and the report prefers the quiet runs.
wait_quiet() {
  local waited=0 b
  while :; do
    b=$(busy_pct 1)
    [ "$b" -le "$QUIET_BELOW" ] && break
    waited=$((waited + 1))
    [ "$waited" -ge "$QUIET_WAIT" ] && { echo "   (machine still ${b}% busy after ${QUIET_WAIT}s, measuring anyway)"; break; }
  done
}
BUSY_BEFORE=$(busy_pct 2)
echo "== bench: $JAR, $ROUNDS rounds x ${DURATION}s, warm-up ${WARMUP}s, wrk -c$CONNECTIONS, PIN=$PIN"
cmd "# ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS PIN=$PIN QUIET_BELOW=$QUIET_BELOW QUIET_WAIT=$QUIET_WAIT STARTUP_RUNS=$STARTUP_RUNS STORM_RATE=$STORM_RATE STORM_PIPELINE=$STORM_PIPELINE JAR=$JAR bench/run.sh $(basename "$OUT")"
cmd "# (ports are picked free at each run; /tmp/bench.* is the run's scratch directory)"

# ---- 1. JVM start to traffic-ready, on an otherwise idle machine, default settings, not pinned.
# GET /user/register needs no database: no embedded PostgreSQL per instance (older builds ignore the name).
SERVICE_ENV=(REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 REGISTER_DB_EMBEDDED=false)
note "Every service instance runs with REGISTER_DB_EMBEDDED=false (GET /user/register needs no database) and REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0. JVM start to traffic-ready is measured unpinned, with the default event loops, before any other server starts."
echo "== JVM start to traffic-ready: $STARTUP_RUNS runs"
SU_CMD=(env "${SERVICE_ENV[@]}" REGISTER_HTTP_PORT="$SU_HTTP" REGISTER_MANAGEMENT_PORT="$SU_MGMT" java $JAVA_OPTS -jar "$JAR")
cmd "python3 bench/benchtool.py startup --runs $STARTUP_RUNS --http-port $SU_HTTP -- ${SU_CMD[*]}"
QUIET_ARGS=(--quiet-below "$QUIET_BELOW" --quiet-wait "$QUIET_WAIT")
python3 "$BENCH_DIR/benchtool.py" startup --runs "$STARTUP_RUNS" --http-port "$SU_HTTP" "${QUIET_ARGS[@]}" \
  --out "$SCRATCH/startup.json" -- "${SU_CMD[@]}" || note "JVM start measurement failed"
if [ "$STARTUP_CDS" = 1 ]; then
  # As the image runs it: an AppCDS archive dumped at exit by a training run (JDK 17), then mapped at start.
  JSA=$SCRATCH/app-cds.jsa
  python3 "$BENCH_DIR/benchtool.py" startup --runs 1 --http-port "$SU_HTTP" --out "$SCRATCH/cds-dump.json" -- \
    env "${SERVICE_ENV[@]}" REGISTER_HTTP_PORT="$SU_HTTP" REGISTER_MANAGEMENT_PORT="$SU_MGMT" \
    java -XX:ArchiveClassesAtExit="$JSA" $JAVA_OPTS -jar "$JAR" 2>/dev/null
  if [ -s "$JSA" ] && ! python3 "$BENCH_DIR/benchtool.py" startup --runs "$STARTUP_RUNS" --http-port "$SU_HTTP" "${QUIET_ARGS[@]}" \
      --out "$SCRATCH/startup-cds.json" -- env "${SERVICE_ENV[@]}" REGISTER_HTTP_PORT="$SU_HTTP" \
      REGISTER_MANAGEMENT_PORT="$SU_MGMT" java -XX:SharedArchiveFile="$JSA" $JAVA_OPTS -jar "$JAR" 2>/dev/null; then
    note "AppCDS hint run failed."
  elif [ ! -s "$JSA" ]; then
    note "AppCDS hint run did not produce an archive (the service must exit cleanly on SIGTERM for -XX:ArchiveClassesAtExit)."
  fi
fi

# ---- 2. Start every server.
# start_target <A|B|C|D>: starts one server, waits until it answers, records its PID in PID_<x>.
# Also used to restart a server that died during the run (the report notes it).
NGX=$SCRATCH/nginx
PAGE=$NGX/html/register.html
start_target() {
  local c=() ready
  case "$1" in
    A|D)
      local http mgmt metrics
      if [ "$1" = A ]; then http=$A_HTTP mgmt=$A_MGMT metrics=true; else http=$D_HTTP mgmt=$D_MGMT metrics=false; fi
      c=("${TS_SERVER[@]}" env "${SERVICE_ENV[@]}" REGISTER_HTTP_PORT="$http" REGISTER_MANAGEMENT_PORT="$mgmt"
         REGISTER_EVENT_LOOPS="$LOOPS" REGISTER_METRICS_ENABLED="$metrics" java $JAVA_OPTS -jar "$JAR")
      ready="http://127.0.0.1:$mgmt/health/ready" ;;
    C)
      c=("${TS_SERVER[@]}" java $JAVA_OPTS -cp "$JAR" "$BENCH_DIR/BareVertxServer.java" "$BARE_PORT" "$PAGE" "$LOOPS" "$CHUNK_BYTES")
      ready="http://127.0.0.1:$BARE_PORT/user/register" ;;
    B)
      sed -e "s#@PREFIX@#$NGX#g" -e "s#@PORT@#$NGINX_PORT#g" -e "s#@WORKERS@#$LOOPS#g" "$BENCH_DIR/nginx.conf" >"$NGX/nginx.conf"
      c=("${TS_SERVER[@]}" nginx -c "$NGX/nginx.conf" -p "$NGX/" -e "$NGX/error.log")
      ready="http://127.0.0.1:$NGINX_PORT/user/register" ;;
  esac
  [ -n "${STARTED[$1]:-}" ] || cmd "${c[*]}"
  STARTED[$1]=1
  "${c[@]}" >>"$SCRATCH/logs/$1.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "PID_$1" '%s' "$pid"
  wait_200 "$ready" "$pid" "server $1"
  case "$1" in A|D)
    grep -q libnetty_transport_native_epoll "/proc/$pid/maps" 2>/dev/null \
      || note "service $1 does not map libnetty_transport_native_epoll: it may be running on NIO" ;;
  esac
}
declare -A STARTED=()
echo "== starting servers"
start_target A
start_target D
curl -s --max-time 5 -o "$PAGE" "http://127.0.0.1:$A_HTTP/user/register" || die "cannot fetch the page from the service"
PAGE_BYTES=$(stat -c %s "$PAGE")
chmod 644 "$PAGE"
[ "$PAGE_BYTES" = 16384 ] || note "the service's default page is $PAGE_BYTES bytes, not 16384"
start_target C
start_target B

# ---- 3. Same bytes, same framing everywhere.
EXPECT_CHUNKS=$(( (PAGE_BYTES + CHUNK_BYTES - 1) / CHUNK_BYTES ))
FULL_CHUNKS=$(( PAGE_BYTES / CHUNK_BYTES ))
FRAMING=""
check_target() { # check_target <name> <url>
  local body=$SCRATCH/$1.body raw=$SCRATCH/$1.raw
  curl -s --max-time 5 -o "$body" "$2"
  cmp -s "$body" "$PAGE" || die "$1 does not serve the service's page bytes"
  curl -s --max-time 5 --raw -o "$raw" "$2"
  local full all
  full=$(grep -a -c $'^1000\r$' "$raw")
  all=$(grep -a -c -E $'^[0-9a-fA-F]+\r$' "$raw")
  [ "$full" = "$FULL_CHUNKS" ] && [ "$all" = "$((EXPECT_CHUNKS + 1))" ] \
    || die "$1 chunk framing differs: $full chunks of 1000 (hex), $all size lines; expected $FULL_CHUNKS and $((EXPECT_CHUNKS + 1))"
  FRAMING="$FRAMING${FRAMING:+, }$1 $full x \`1000\` + last \`0\`"
}
check_target service "http://127.0.0.1:$A_HTTP/user/register"
check_target nginx "http://127.0.0.1:$NGINX_PORT/user/register"
check_target bare "http://127.0.0.1:$BARE_PORT/user/register"
echo "   framing: $FRAMING"

url_of() { case "$1" in A|E|F) echo "http://127.0.0.1:$A_HTTP/user/register" ;; B) echo "http://127.0.0.1:$NGINX_PORT/user/register" ;;
  C) echo "http://127.0.0.1:$BARE_PORT/user/register" ;; D) echo "http://127.0.0.1:$D_HTTP/user/register" ;; esac; }
mgmt_of() { case "$1" in A|E|F) echo "$A_MGMT" ;; D) echo "$D_MGMT" ;; *) echo "" ;; esac; }
scrape() { # scrape <case> <file>; an empty file when the service exports nothing
  local m; m=$(mgmt_of "$1")
  [ -n "$m" ] || return 0
  curl -s --max-time 5 -f "http://127.0.0.1:$m/metrics" >"$2" || : >"$2"
}
WRK=("${TS_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/wrk-report.lua")
STORM=("${TS_CLIENT[@]}" python3 "$BENCH_DIR/abort_storm.py" --rate "$STORM_RATE"
       --duration "$DURATION" --pipeline "$STORM_PIPELINE")
cmd "${WRK[*]} <url of the case>"
cmd "${STORM[*]} --port <A's port (case E) or D's port (case F)>   # started just before wrk"

# Our processes, for the CPU accounting: the servers and nginx's workers.
refresh_pids() {
  local w
  PID_B_ALL=$PID_B
  for w in $(ps -o pid= --ppid "$PID_B"); do PID_B_ALL="$PID_B_ALL,$w"; done
  OURS="$PID_A,$PID_D,$PID_C,$PID_B_ALL"
}
refresh_pids
server_pids() { case "$1" in A|E|F) echo "$PID_A" ;; B) echo "$PID_B_ALL" ;; C) echo "$PID_C" ;; D) echo "$PID_D" ;; esac; }
# A server that died (on a shared box something else may kill it) is noted and started again.
ensure_alive() { # ensure_alive <case> <round>
  local t=$1 pid rc
  [ "$t" = E ] || [ "$t" = F ] && t=A
  pid=$(eval echo "\$PID_$t")
  kill -0 "$pid" 2>/dev/null && return 0
  wait "$pid" 2>/dev/null; rc=$?
  note "server $t (pid $pid) had exited (status $rc$([ "$rc" -gt 128 ] && echo ", signal $((rc - 128))")) before round $2 case $1; restarted and warmed up ${WARMUP}s"
  echo "   server $t had exited (status $rc): restarting"
  start_target "$t"
  refresh_pids
  [ "$WARMUP" -gt 0 ] && "${TS_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$(url_of "$t")" >/dev/null 2>&1
  return 0
}

# ---- 4. Warm-up (JIT), then alternating rounds.
if [ "$WARMUP" -gt 0 ]; then
  for c in A B C D; do
    echo "== warm-up $c (${WARMUP}s)"
    "${TS_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$(url_of "$c")" >/dev/null 2>&1
  done
fi
# This machine's speed drifts by 20% over tens of seconds (a shared host); a ratio is only as good as the
# two runs are close in time.
for r in $(seq 1 "$ROUNDS"); do
  order="D A C E F B"
  [ $((r % 2)) = 0 ] && order="B F E C A D"
  for c in $order; do
    ensure_alive "$c" "$r"
    wait_quiet
    scrape "$c" "$SCRATCH/scrape/$c-$r-before.prom"
    spid=""
    if [ "$c" = E ] || [ "$c" = F ]; then
      storm_port=$A_HTTP
      [ "$c" = F ] && storm_port=$D_HTTP
      "${STORM[@]}" --port "$storm_port" >"$SCRATCH/storm/$c-$r.json" 2>"$SCRATCH/logs/storm-$c-$r.err" &
      spid=$!
    fi
    python3 "$BENCH_DIR/benchtool.py" measure --ours "$OURS" --server "$(server_pids "$c")" --stdout "$SCRATCH/wrk/$c-$r.txt" \
      --out "$SCRATCH/cpu/$c-$r.json" -- "${WRK[@]}" "$(url_of "$c")"
    [ -n "$spid" ] && wait "$spid"
    scrape "$c" "$SCRATCH/scrape/$c-$r-after.prom"
    line=$(grep '^WRK_RESULT' "$SCRATCH/wrk/$c-$r.txt")
    rps=$(awk '{for(i=2;i<=NF;i++){split($i,kv,"=");v[kv[1]]=kv[2]} printf "%.0f req/s p50 %.2f ms p99 %.2f ms", v["requests"]/(v["duration_us"]/1e6), v["p50_us"]/1000, v["p99_us"]/1000}' <<<"$line")
    echo "   round $r case $c: ${rps:-wrk failed}, other work $(sed -E 's/.*"foreign_pct": ([0-9.]+).*/\1/' "$SCRATCH/cpu/$c-$r.json")% CPU"
  done
done

# ---- 4b. Connection churn: a new connection per request, the same processes (already warm with keep-alive).
# wrk sends `Connection: close` (the server closes after each response, wrk reconnects); siege runs
# load/siegerc-close (its default mode, the incident's). siege needs a scratch HOME (first-run notice).
SIEGE_RC=$(cd "$BENCH_DIR/../load" && pwd)/siegerc-close
WRK_CLOSE=("${TS_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Connection: close" -s "$BENCH_DIR/wrk-report.lua")
SIEGE=("${TS_CLIENT[@]}" env HOME="$SCRATCH/home" timeout -k 5 $((DURATION + 30)) siege -R "$SIEGE_RC" -b
       -c "$SIEGE_CONCURRENCY" -t "${DURATION}S")
close_url() { case "$1" in G|J) url_of A ;; H|K) url_of B ;; I|L) url_of C ;; esac; }
close_server() { case "$1" in G|J) echo A ;; H|K) echo B ;; I|L) echo C ;; esac; }
if [ "$CLOSE_ROUNDS" -gt 0 ]; then
  cmd "${WRK_CLOSE[*]} <url of the case>   # G H I"
  cmd "${SIEGE[*]} <url of the case> </dev/null   # J K L"
  if [ "$CLOSE_WARMUP" -gt 0 ]; then
    for c in G H I; do
      echo "== close-mode warm-up $c (${CLOSE_WARMUP}s)"
      "${TS_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${CLOSE_WARMUP}s" -H "Connection: close" "$(close_url "$c")" >/dev/null 2>&1
    done
  fi
  for r in $(seq 1 "$CLOSE_ROUNDS"); do
    order="I G H L J K"
    [ $((r % 2)) = 0 ] && order="K J L H G I"
    for c in $order; do
      ensure_alive "$(close_server "$c")" "close $r"
      wait_quiet
      case "$c" in
        G|H|I) load=("${WRK_CLOSE[@]}" "$(close_url "$c")") ;;
        *) load=("${SIEGE[@]}" "$(close_url "$c")") ;;
      esac
      python3 "$BENCH_DIR/benchtool.py" measure --ours "$OURS" --server "$(server_pids "$(close_server "$c")")" \
        --stdout "$SCRATCH/wrk/$c-$r.txt" --out "$SCRATCH/cpu/$c-$r.json" -- "${load[@]}" </dev/null
      line=$(grep '^WRK_RESULT' "$SCRATCH/wrk/$c-$r.txt")
      if [ -n "$line" ]; then
        rps=$(awk '{for(i=2;i<=NF;i++){split($i,kv,"=");v[kv[1]]=kv[2]} printf "%.0f req/s p99 %.2f ms, %d errors", v["requests"]/(v["duration_us"]/1e6), v["p99_us"]/1000, v["err_connect"]+v["err_read"]+v["err_write"]+v["err_status"]+v["err_timeout"]}' <<<"$line")
      else
        rps=$(sed -nE 's/.*"transaction_rate":[[:space:]]*([0-9.]+).*/\1 trans\/s (siege)/p' "$SCRATCH/wrk/$c-$r.txt" | head -1)
      fi
      echo "   close round $r case $c: ${rps:-failed}, other work $(sed -E 's/.*"foreign_pct": ([0-9.]+).*/\1/' "$SCRATCH/cpu/$c-$r.json")% CPU"
    done
  done
fi
meta close_rounds "$CLOSE_ROUNDS"
meta close_warmup "$CLOSE_WARMUP"
meta close_load "\`wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency -H 'Connection: close'\` (G H I) and \`siege -R load/siegerc-close -b -c $SIEGE_CONCURRENCY -t ${DURATION}S\` (J K L, connection = close, parser off, $(HOME="$SCRATCH/home" siege -V 2>&1 | grep -m1 -i '^siege'))"
meta close_order "I G H L J K, then K J L H G I (the service between its two references, each order reversed the next round)"

# ---- 5. Logs: a client abort is never an ERROR.
for s in A D; do
  n=$(grep -c 'ERROR' "$SCRATCH/logs/$s.log")
  [ "$n" = 0 ] || note "service $s logged $n ERROR line(s), first: $(grep -m1 'ERROR' "$SCRATCH/logs/$s.log" | cut -c1-200)"
done

meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta quiet_below "$QUIET_BELOW"; meta rounds "$ROUNDS"; meta duration "$DURATION"; meta warmup "$WARMUP"; meta connections "$CONNECTIONS"
meta machine "$NCPU CPUs (nproc), $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
meta cpu "$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
meta kernel "$(uname -sr)"
meta jdk "$(java -version 2>&1 | sed -n 2p) $(java $JAVA_OPTS -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 ~ /^Use(G1|Parallel|Serial|Z|Shenandoah)GC$/ && $4 == "true" {printf "(default GC when unpinned: %s)", $2}')${JAVA_OPTS:+, JAVA_OPTS=$JAVA_OPTS}"
meta nginx "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
meta wrk "$(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
svc="$JAR"
if git -C "$(dirname "$JAR")/.." rev-parse --short HEAD >/dev/null 2>&1; then
  svc="$svc (commit $(git -C "$(dirname "$JAR")/.." rev-parse --short HEAD))"
fi
meta service "$svc"
meta placement "$PLACEMENT"
stop_all
meta background "CPUs busy with nothing of ours running: $BUSY_BEFORE% before the run, $(busy_pct 2)% after; each run waited up to ${QUIET_WAIT}s for the machine to drop to ${QUIET_BELOW}% busy and recorded the CPU other work used during it (\"foreign CPU\", % of all CPUs); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# ---- 6. Time to full speed: cold processes driven at saturation from the moment they are ready.
# Same placement, loops and wrk as case A (keep-alive): A's and B's medians above are the warmed figures.
# The service counts as ready when /health/ready answers 200 (what Kubernetes waits for), nginx when it serves.
if [ "$COLD_RUNS" -gt 0 ]; then
  COLD_WRK="${TS_CLIENT[*]} wrk -t1 -c$CONNECTIONS --latency -s $BENCH_DIR/wrk-report.lua"
  JSA=$SCRATCH/app-cds.jsa
  AOT=$SCRATCH/app.aot
  COLD_ENV=()
  svc_cold_cmd() { # svc_cold_cmd <java> <flags...>: the service as case A runs it, on the startup ports
    local j=$1; shift
    COLD_CMD=("${TS_SERVER[@]}" env "${SERVICE_ENV[@]}" "${COLD_ENV[@]}" REGISTER_HTTP_PORT="$SU_HTTP"
      REGISTER_MANAGEMENT_PORT="$SU_MGMT" REGISTER_EVENT_LOOPS="$LOOPS" "$j" "$@" $JAVA_OPTS -jar "$JAR")
  }
  # The archives as the image makes them (image/training-run.sh: the service's own warm-up as training load).
  train() { # train <what> <java> <dir>
    mkdir -p "$3"
    PATH="$(dirname "$(command -v "$2")"):$PATH" TRAINING_HTTP_PORT="$SU_HTTP" TRAINING_MANAGEMENT_PORT="$SU_MGMT" \
      "$BENCH_DIR/../image/training-run.sh" "$JAR" "$3" $JAVA_OPTS >>"$SCRATCH/logs/train-$1.log" 2>&1 \
      || note "cold start: the $1 training run failed (see logs/train-$1.log)"
  }
  case " $COLD_VARIANTS " in *" jdk17-cds"*)
    echo "== AppCDS training run (JDK 17, as the image with RUNTIME_IMAGE=...17...)"
    train cds java "$SCRATCH/train17"
    JSA=$(sed -n 's/^-XX:SharedArchiveFile=//p' "$SCRATCH/train17/jvm.args" 2>/dev/null) ;;
  esac
  case " $COLD_VARIANTS " in *" jdk25-aot"*)
    echo "== JDK 25 AOT cache training run (as the image)"
    train aot "$JAVA25" "$SCRATCH/train25"
    AOT=$(sed -n 's/^-XX:AOTCache=//p' "$SCRATCH/train25/jvm.args" 2>/dev/null) ;;
  esac
  cmd "image/training-run.sh target/register-service.jar <dir>   # archives for the cold variants, with java 17 and with JAVA25 on PATH"
  descr=""
  for r in $(seq 1 "$COLD_RUNS"); do
    order=$COLD_VARIANTS
    [ $((r % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$COLD_VARIANTS" | tac | tr '\n' ' ')
    for v in $order; do
      ready="http://127.0.0.1:$SU_MGMT/health/ready" port=$SU_HTTP
      case "$v" in
        jdk17-cds) svc_cold_cmd java -XX:SharedArchiveFile="$JSA"; d="JDK 17, AppCDS archive trained as the image does" ;;
        jdk17-cds-c1) svc_cold_cmd java -XX:SharedArchiveFile="$JSA" -XX:TieredStopAtLevel=1; d="JDK 17, AppCDS, C1 only" ;;
        jdk17-cds-notiered) svc_cold_cmd java -XX:SharedArchiveFile="$JSA" -XX:-TieredCompilation; d="JDK 17, AppCDS, C2 only" ;;
        jdk17-cds-early) svc_cold_cmd java -XX:SharedArchiveFile="$JSA" -XX:CompileThresholdScaling=0.1; d="JDK 17, AppCDS, compile thresholds x0.1" ;;
        jdk17-plain) svc_cold_cmd java; d="JDK 17, plain java -jar" ;;
        jdk25-aot) svc_cold_cmd "$JAVA25" -XX:AOTCache="$AOT"; d="JDK 25, AOT cache with profiles, trained as the image does" ;;
        jdk17-cds-warmup|jdk25-aot-warmup)
          COLD_ENV=(REGISTER_WARMUP_REQUESTS="$COLD_WARMUP_REQUESTS")
          if [ "$v" = jdk17-cds-warmup ]; then svc_cold_cmd java -XX:SharedArchiveFile="$JSA"; else svc_cold_cmd "$JAVA25" -XX:AOTCache="$AOT"; fi
          COLD_ENV=()
          d="${v%-warmup} with REGISTER_WARMUP_REQUESTS=$COLD_WARMUP_REQUESTS (ready after the warm-up)" ;;
        jdk25-plain) svc_cold_cmd "$JAVA25"; d="JDK 25, plain java -jar" ;;
        nginx)
          sed -e "s#@PREFIX@#$NGX#g" -e "s#@PORT@#$NGINX_PORT#g" -e "s#@WORKERS@#$LOOPS#g" "$BENCH_DIR/nginx.conf" >"$NGX/nginx.conf"
          COLD_CMD=("${TS_SERVER[@]}" nginx -c "$NGX/nginx.conf" -p "$NGX/" -e "$NGX/error.log")
          ready="http://127.0.0.1:$NGINX_PORT/user/register" port=$NGINX_PORT d="nginx, same config as B" ;;
      esac
      [ "$r" = 1 ] && { cmd "${COLD_CMD[*]}   # cold variant $v"; descr="$descr$v=$d"$'\n'; }
      wait_quiet
      echo "== cold start $v, run $r"
      python3 "$BENCH_DIR/benchtool.py" coldcurve --http-port "$port" --ready-url "$ready" --seconds "$COLD_SECONDS" \
        --wrk "$COLD_WRK" --out "$SCRATCH/cold/$v-$r.json" -- "${COLD_CMD[@]}" \
        || note "cold start $v run $r failed"
    done
  done
  cmd "python3 bench/benchtool.py coldcurve --http-port <port> --ready-url <ready url> --seconds $COLD_SECONDS --wrk \"$COLD_WRK\" -- <cold command>"
  meta cold_variants "${descr%$'\n'}"
  meta cold_seconds "$COLD_SECONDS"
  meta cold_wrk "wrk -t1 -c$CONNECTIONS -d1s"
  meta cold_ready "the service: /health/ready answers 200; nginx: GET /user/register answers 200"
fi

meta page_bytes "$PAGE_BYTES"; meta chunk_bytes "$CHUNK_BYTES"; meta framing "$FRAMING"
meta storm "bench/abort_storm.py at $STORM_RATE connections/s for each E run, $STORM_PIPELINE pipelined requests per connection, SO_RCVBUF 4096, read the first response's headers, then half close with SO_LINGER {1,0} (RST), half plain close; the client-abort counter delta shows how many landed mid-response"
[ -f "$SCRATCH/meta/notes" ] || : >"$SCRATCH/meta/notes"
[ -s "$SCRATCH/meta/notes" ] || rm -f "$SCRATCH/meta/notes"

echo
python3 "$BENCH_DIR/benchtool.py" report --dir "$SCRATCH" --out "$OUT" || { KEEP_SCRATCH=1; die "report failed"; }
# Registration flood (FLOOD_ROUNDS, 2; 0 skips): after every other server has stopped, the page's p99 idle vs
# during a registration flood, today's hashing settings vs the defaults, side by side (bench/flood.sh).
if [ "${FLOOD_ROUNDS:-2}" != 0 ]; then
  echo "== registration flood"
  if FLOOD_ROUNDS=${FLOOD_ROUNDS:-2} "$BENCH_DIR/flood.sh" "$SCRATCH/flood.md"; then
    { echo; cat "$SCRATCH/flood.md"; } >>"$OUT"
  else
    echo "bench: the registration flood case failed" >&2
  fi
fi
echo
echo "bench: wrote $OUT"
