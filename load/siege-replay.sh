#!/usr/bin/env bash
# Replays the original incident with real siege: `siege -b` against GET /user/register with a large
# chunked body, Ctrl-C (SIGINT) mid-run several times, then siege again. The original C server stopped
# answering after the first EPIPE; this service must keep serving, count the aborts, close every
# connection and log nothing at ERROR.
#
# Usage: load/siege-replay.sh [path/to/register-service.jar]     (default target/register-service.jar)
# Env:   BODY_BYTES   body size, 1..4 MiB            (default 4194304: on loopback the kernel's socket
#                     buffers can swallow a whole 2 MiB response, and the server then never sees the abort)
#        CONCURRENCY  siege -c                        (default 25)
#        INTERRUPTS   SIGINT runs, 1..10              (default 4)
#        FINAL_REPS   siege -r of each final run      (default 8)
# Exit:  0 when every check passes, 1 when one fails, 2 on a setup error.
# Bounded: every siege has -t/-r plus `timeout`, the whole script stops itself after DEADLINE seconds.
set -uo pipefail

JAR=${1:-target/register-service.jar}
BODY_BYTES=${BODY_BYTES:-4194304}
CONCURRENCY=${CONCURRENCY:-25}
INTERRUPTS=${INTERRUPTS:-4}
FINAL_REPS=${FINAL_REPS:-8}
DEADLINE=${DEADLINE:-110}
LOAD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "siege-replay: $*" >&2; exit 2; }
[ -f "$JAR" ] || die "jar not found: $JAR (build it with: mvn -B -q package -DskipTests)"
[ "$BODY_BYTES" -ge 1048576 ] && [ "$BODY_BYTES" -le 4194304 ] 2>/dev/null || die "BODY_BYTES must be 1048576..4194304, got $BODY_BYTES"
[ "$INTERRUPTS" -ge 1 ] && [ "$INTERRUPTS" -le 10 ] 2>/dev/null || die "INTERRUPTS must be 1..10, got $INTERRUPTS"

need() { # need <command> <debian package>
  command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; } \
    || die "cannot install $2"
}
need siege siege
need curl curl
command -v java >/dev/null || die "java not found"

SCRATCH=$(mktemp -d /tmp/siege-replay.XXXXXX)
SVC_PID=""
cleanup() {
  if [ -n "$SVC_PID" ] && kill -0 "$SVC_PID" 2>/dev/null; then
    kill -TERM "$SVC_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SVC_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SVC_PID" 2>/dev/null
    wait "$SVC_PID" 2>/dev/null
  fi
  [ -n "${KEEP_SCRATCH:-}" ] || rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Watchdog: the whole replay must finish well under two minutes.
( sleep "$DEADLINE" & wait $!; echo "siege-replay: deadline ${DEADLINE}s reached, stopping" >&2; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!
stop_watchdog() {
  local kids; kids=$(ps -o pid= --ppid "$WATCHDOG" 2>/dev/null)
  kill "$WATCHDOG" $kids 2>/dev/null
}
trap 'stop_watchdog; cleanup' EXIT

# siege writes ~/.siege on first use and prints a notice on stdout: give it a scratch HOME that already
# holds our rc file, and pass -R as well.
export HOME=$SCRATCH/home
mkdir -p "$HOME/.siege"
cp "$LOAD_DIR/siegerc-close" "$HOME/.siege/siege.conf"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # a port below the ephemeral range with nothing listening
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  return 1
}
HTTP_PORT=$(free_port) || die "no free port"
MGMT_PORT=$(free_port) || die "no free port"
[ "$HTTP_PORT" != "$MGMT_PORT" ] || MGMT_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT/user/register"
METRICS="http://127.0.0.1:$MGMT_PORT/metrics"
LOG=$SCRATCH/service.log

echo "== starting $JAR (body $BODY_BYTES bytes, http :$HTTP_PORT, management :$MGMT_PORT)"
# GET /user/register needs no database: REGISTER_DB_EMBEDDED=false skips the embedded PostgreSQL.
REGISTER_HTTP_PORT=$HTTP_PORT REGISTER_MANAGEMENT_PORT=$MGMT_PORT REGISTER_BODY_BYTES=$BODY_BYTES \
REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 REGISTER_DB_EMBEDDED=false \
  java -jar "$JAR" >"$LOG" 2>&1 &
SVC_PID=$!
ready=""
for _ in $(seq 1 300); do # up to 30 s
  kill -0 "$SVC_PID" 2>/dev/null || break
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MGMT_PORT/health/ready")" = 200 ]; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "--- service log"; tail -n 40 "$LOG"
  die "service did not become ready on :$MGMT_PORT/health/ready"
fi

scrape() { curl -s --max-time 5 "$METRICS"; }
# Sum of every sample of a metric family (all label sets); 0 when absent.
metric_sum() { # metric_sum <name>  (reads a scrape on stdin)
  awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF; f = 1 } END { printf "%.0f\n", f ? s : 0 }'
}
# Sum of http_server_client_aborts_total over one cause (reads a scrape on stdin).
cause_sum() { # cause_sum <cause>
  awk -v c="cause=\"$1\"" '/^http_server_client_aborts_total\{/ && index($0, c) { s += $NF } END { printf "%.0f\n", s }'
}
json_field() { # json_field <file> <name>  -> value from siege's JSON summary
  awk -v k="\"$2\":" '$1 == k || index($0, k) { v = $NF; gsub(/[",]/, "", v); print v; exit }' "$1"
}

aborts_before=$(scrape | metric_sum http_server_client_aborts_total)
resets_before=$(scrape | cause_sum econnreset)

echo "== $INTERRUPTS interrupted runs: siege -b -c $CONCURRENCY, SIGINT after 1-2 s"
declare -a INT_ROWS=()
HUNG=0
for i in $(seq 1 "$INTERRUPTS"); do
  out=$SCRATCH/interrupt-$i.json
  timeout -s KILL 40 siege -R "$LOAD_DIR/siegerc-close" -b -c "$CONCURRENCY" -t 30S "$URL" \
    </dev/null >"$out" 2>"$SCRATCH/interrupt-$i.err" &
  sp=$!
  sleep "1.$((RANDOM % 10))"
  kill -INT "$sp" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$sp" 2>/dev/null; then
    # siege 4.0.7 sometimes deadlocks in its own thread cancellation after SIGINT (threads parked on a
    # futex): kill it; its sockets close at exit just the same, which is the client abort we want.
    echo "   interrupt $i: siege hung after SIGINT (a siege deadlock), killed"
    # $sp is `timeout`; SIGKILL cannot be forwarded, so kill siege itself (timeout's child) first.
    kill -KILL $(ps -o pid= --ppid "$sp") "$sp" 2>/dev/null
    HUNG=$((HUNG + 1))
  fi
  wait "$sp" 2>/dev/null
  INT_ROWS+=("$(printf '%-16s %8s %8s %8s %8s' "interrupt $i" "$(json_field "$out" elapsed_time)" \
    "$(json_field "$out" transactions)" "$(json_field "$out" availability)" "$(json_field "$out" failed_transactions)")")
  sleep 0.3
done
aborts_after=$(scrape | metric_sum http_server_client_aborts_total)
resets_after=$(scrape | cause_sum econnreset)

echo "== final runs: siege -b -c $CONCURRENCY -r $FINAL_REPS (close, then keep-alive)"
declare -a FINAL_ROWS=()
final_ok=1
for mode in close keepalive; do
  out=$SCRATCH/final-$mode.json
  timeout -s KILL 40 siege -R "$LOAD_DIR/siegerc-$mode" -b -c "$CONCURRENCY" -r "$FINAL_REPS" "$URL" \
    </dev/null >"$out" 2>"$SCRATCH/final-$mode.err"
  rc=$?
  avail=$(json_field "$out" availability); failed=$(json_field "$out" failed_transactions)
  tx=$(json_field "$out" transactions)
  FINAL_ROWS+=("$(printf '%-16s %8s %8s %8s %8s' "final $mode" "$(json_field "$out" elapsed_time)" "${tx:-?}" "${avail:-?}" "${failed:-?}")")
  if [ "$rc" -ne 0 ] || [ "${avail:-}" != "100.00" ] || [ "${failed:-x}" != 0 ] \
     || [ "${tx:-0}" -ne $((CONCURRENCY * FINAL_REPS)) ]; then
    final_ok=0
    echo "   final $mode: rc=$rc"; sed -n '1,20p' "$SCRATCH/final-$mode.err"
  fi
done

# One more request by curl: the whole body arrives.
curl_bytes=$(curl -s --max-time 10 -o /dev/null -w '%{size_download}' "$URL")

open_now=""
for _ in $(seq 1 50); do # up to 5 s
  open_now=$(scrape | metric_sum http_server_connections_open)
  [ "$open_now" = 0 ] && break
  sleep 0.1
done
final_scrape=$SCRATCH/final.prom
scrape >"$final_scrape"
errors=$(grep -c 'ERROR' "$LOG")
alive=1; kill -0 "$SVC_PID" 2>/dev/null || alive=0

fail=0
check() { # check <ok 0|1> <label> <detail>
  if [ "$1" = 1 ]; then printf '  PASS  %-48s %s\n' "$2" "$3"; else printf '  FAIL  %-48s %s\n' "$2" "$3"; fail=1; fi
}

echo
echo "== siege runs"
printf '  %-16s %8s %8s %8s %8s\n' run elapsed tx avail% failed
for r in "${INT_ROWS[@]}" "${FINAL_ROWS[@]}"; do echo "  $r"; done
[ "$HUNG" = 0 ] || echo "  ($HUNG interrupted siege(s) hung after SIGINT and were killed; their row shows what siege printed, if anything)"
echo
echo "== abort counters after the run"
grep -E '^http_server_client_aborts_total' "$final_scrape" | sed 's/^/  /'
echo
echo "== service log: $(wc -l <"$LOG") lines, $(grep -c 'WARN' "$LOG") WARN, $errors ERROR; lines about aborts:"
grep -i -m 5 'abort' "$LOG" | cut -c1-220 | sed 's/^/  /'
echo
echo "== checks"
check "$final_ok" "final runs: availability 100%, 0 failed" "(close + keep-alive, $((CONCURRENCY * FINAL_REPS)) tx each)"
check "$([ "$curl_bytes" = "$BODY_BYTES" ] && echo 1 || echo 0)" "a fresh request gets the whole body" "$curl_bytes / $BODY_BYTES bytes"
check "$([ "$aborts_after" -gt "$aborts_before" ] && echo 1 || echo 0)" "http_server_client_aborts_total rose" "$aborts_before -> $aborts_after"
# siege's Ctrl-C closes its sockets with the page unread: the kernel sends RST, a write fails with
# ECONNRESET. A connection caught between two responses (no unread data) closes with FIN instead, so the
# resets must be most of the aborts, not all of them.
aborts_run=$((aborts_after - aborts_before)); resets_run=$((resets_after - resets_before))
check "$([ "$resets_run" -gt 0 ] && [ $((2 * resets_run)) -ge "$aborts_run" ] && echo 1 || echo 0)" \
  "Ctrl-C counted as econnreset" "$resets_run of $aborts_run aborts of the interrupted runs"
check "$([ "$open_now" = 0 ] && echo 1 || echo 0)" "http_server_connections_open back to 0" "now $open_now"
check "$([ "$errors" = 0 ] && echo 1 || echo 0)" "no ERROR in the service log" "$errors line(s)"
check "$alive" "service still running" "pid $SVC_PID"
if [ "$errors" != 0 ]; then echo "--- ERROR lines"; grep -m 10 'ERROR' "$LOG"; fi
echo
if [ "$fail" = 0 ]; then echo "siege-replay: PASS"; else echo "siege-replay: FAIL (scratch kept in $SCRATCH)"; KEEP_SCRATCH=1; fi
exit "$fail"
