#!/usr/bin/env bash
# Two builds of the service side by side in one run: a change's before and after (a dependency upgrade, a
# refactoring), keep-alive and close mode, as ratios measured on the same machine in adjacent runs.
#
# Usage: bench/ab.sh BEFORE.jar AFTER.jar [OUTPUT.md]      (default output: target/ab.md)
# Env:   ROUNDS (6), DURATION (5 s), WARMUP (5 s), CONNECTIONS (64), MODES ("keepalive close"),
#        BEFORE_NAME / AFTER_NAME (labels in the table: before / after)
# How:   both services run at once with one event loop, pinned to CPU 0 (REGISTER_DB_EMBEDDED=false, the
#        default page); wrk -t1 runs pinned to CPU 1. Each mode: WARMUP s of wrk per build, then ROUNDS rounds,
#        the order reversed every round (before after, after before) to cancel the machine's drift. The
#        ratio is the median of the per-round ratios after/before. Bounded: every wrk has -d, the whole run
#        stops itself after its budget; 127.0.0.1 only. Not a test: it prints a table and writes it.
set -uo pipefail

BEFORE=${1:?usage: bench/ab.sh BEFORE.jar AFTER.jar [OUTPUT.md]}
AFTER=${2:?usage: bench/ab.sh BEFORE.jar AFTER.jar [OUTPUT.md]}
OUT=${3:-target/ab.md}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-64}
MODES=${MODES:-keepalive close}
BEFORE_NAME=${BEFORE_NAME:-before}
AFTER_NAME=${AFTER_NAME:-after}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "ab: $*" >&2; exit 2; }
[ -f "$BEFORE" ] || die "no such jar: $BEFORE"
[ -f "$AFTER" ] || die "no such jar: $AFTER"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || die "cannot install wrk"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: the servers on one, wrk on the other"

SCRATCH=$(mktemp -d /tmp/ab.XXXXXX)
BUDGET=$(( (2 * WARMUP + 2 * ROUNDS * DURATION + 30) * $(wc -w <<<"$MODES") + 120 ))
( sleep "$BUDGET" & wait $!; echo "ab: budget of ${BUDGET}s spent, stopping" >&2; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!
cleanup() {
  kill "$WATCHDOG" $(ps -o pid= --ppid "$WATCHDOG" 2>/dev/null) 2>/dev/null
  local pids
  pids=$(cat "$SCRATCH"/*.pid 2>/dev/null)
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $pids; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  return 1
}

start() { # start <jar> <name>: prints the traffic port once the service answers (runs in $(...): the pid
  # goes to a file, for the cleanup of the parent shell)
  local http mgmt
  http=$(free_port) && mgmt=$(free_port) || die "no free port"
  env REGISTER_HTTP_HOST=127.0.0.1 REGISTER_HTTP_PORT="$http" REGISTER_MANAGEMENT_HOST=127.0.0.1 \
    REGISTER_MANAGEMENT_PORT="$mgmt" REGISTER_EVENT_LOOPS=1 REGISTER_DB_EMBEDDED=false \
    REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 taskset -c 0 java -jar "$1" >"$SCRATCH/$2.log" 2>&1 &
  echo $! >"$SCRATCH/$2.pid"
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mgmt/health/ready")" = 200 ] && { echo "$http"; return 0; }
    sleep 0.1
  done
  die "$2 not ready within 30 s (log: $SCRATCH/$2.log)"
}

run_wrk() { # run_wrk <port> <mode> <seconds> <output>
  local close=()
  [ "$2" = close ] && close=(-H 'Connection: close')
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$3"s --latency "${close[@]}" -s "$BENCH_DIR/wrk-report.lua" \
    "http://127.0.0.1:$1/user/register" >"$4" 2>&1
}

B_PORT=$(start "$BEFORE" before) || exit 2
A_PORT=$(start "$AFTER" after) || exit 2
cmp <(curl -s "http://127.0.0.1:$B_PORT/user/register") <(curl -s "http://127.0.0.1:$A_PORT/user/register") \
  || die "the two builds serve different pages"
echo "== ab: $BEFORE_NAME ($BEFORE) against $AFTER_NAME ($AFTER): $ROUNDS rounds x ${DURATION}s per mode, wrk -c$CONNECTIONS"

for mode in $MODES; do
  echo "== $mode: warm-up ${WARMUP}s each"
  run_wrk "$B_PORT" "$mode" "$WARMUP" /dev/null
  run_wrk "$A_PORT" "$mode" "$WARMUP" /dev/null
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="before after"; else order="after before"; fi
    for which in $order; do
      port=$B_PORT; [ "$which" = after ] && port=$A_PORT
      run_wrk "$port" "$mode" "$DURATION" "$SCRATCH/$mode-$r-$which.txt"
    done
    echo "   round $r done ($order)"
  done
done

python3 - "$SCRATCH" "$ROUNDS" "$MODES" "$BEFORE_NAME" "$AFTER_NAME" "$BEFORE" "$AFTER" "$OUT" \
  "$DURATION" "$CONNECTIONS" "$(date -u '+%Y-%m-%d %H:%M UTC')" <<'EOF'
import re, statistics, sys
scratch, rounds, modes, bname, aname, bjar, ajar, out, duration, conns, when = sys.argv[1:]
rounds = int(rounds)

def wrk(path):
    m = re.search(r"^WRK_RESULT (.*)$", open(path).read(), re.M)
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
    return r

lines = [f"A/B of two builds, {when}: `{bname}` = `{bjar}`, `{aname}` = `{ajar}`; both with one event loop",
         f"pinned to CPU 0, `wrk -t1 -c{conns} -d{duration}s` pinned to CPU 1, {rounds} rounds per mode, order reversed",
         "every round; ratio = median of the per-round ratios.", "",
         f"| mode | {bname} req/s | {aname} req/s | ratio | {bname} p99 ms | {aname} p99 ms | per-round ratios | errors |",
         "|---|---|---|---|---|---|---|---|"]
for mode in modes.split():
    b = [wrk(f"{scratch}/{mode}-{r}-before.txt") for r in range(1, rounds + 1)]
    a = [wrk(f"{scratch}/{mode}-{r}-after.txt") for r in range(1, rounds + 1)]
    ratios = [x["rps"] / y["rps"] for x, y in zip(a, b)]
    lines.append(f"| {mode} | {statistics.median(x['rps'] for x in b):,.0f} | {statistics.median(x['rps'] for x in a):,.0f}"
                 f" | {statistics.median(ratios):.3f}x | {statistics.median(x['p99_us'] for x in b) / 1000:.2f}"
                 f" | {statistics.median(x['p99_us'] for x in a) / 1000:.2f} | {' '.join(f'{x:.2f}' for x in ratios)}"
                 f" | {sum(x['errors'] for x in b)} / {sum(x['errors'] for x in a)} |")
text = "\n".join(lines) + "\n"
print(text)
with open(out, "w") as f:
    f.write(text)
print(f"written to {out}")
EOF
