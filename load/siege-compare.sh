#!/usr/bin/env bash
# siege's own figures for this service and for nginx serving the same page bytes in the same 4 KiB
# chunks (bench/nginx.conf), under the same siege command, in both connection modes. Prints a table.
#
# Fair by construction:
#   - every server is warmed up the same way: WARMUP s of the same siege command, in each mode, before any
#     measured run (a JVM measured cold is measuring its JIT compiler, not its steady state);
#   - ROUNDS rounds per mode, the order alternating (service, nginx, then nginx, service, ...), so that drift
#     of a shared machine hits both alike; the table shows the median of the rounds and their min..max,
#     and the ratio is the median of the per-round ratios;
#   - with PIN=1 and at least 2 CPUs, the servers run on CPUs 0..n-2 (n-1 event loops / nginx workers) and
#     siege on the last CPU (taskset), so that siege's threads do not take the server's CPU; the output says
#     which placement was used.
#
# Usage: load/siege-compare.sh [path/to/register-service.jar]
# Env:   CONCURRENCY (25)  SECONDS_EACH (10)  ROUNDS (3)  WARMUP (10, s per server and mode)
#        MODES ("close keepalive")  PIN (1)
# Bounded: each siege runs -t SECONDS under `timeout -k` (siege can hang on a signal: SIGKILL follows);
# everything it starts is stopped on exit. Only 127.0.0.1 is loaded; ports are picked free.
set -euo pipefail
JAR=${1:-target/register-service.jar}
CONCURRENCY=${CONCURRENCY:-25}
SECONDS_EACH=${SECONDS_EACH:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-10}
MODES=${MODES:-close keepalive}
PIN=${PIN:-1}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
die() { echo "siege-compare: $*" >&2; exit 2; }
for v in CONCURRENCY:1:500 SECONDS_EACH:1:120 ROUNDS:1:9 WARMUP:0:120 PIN:0:1; do
  IFS=: read -r name lo hi <<<"$v"
  val=${!name}
  [[ "$val" =~ ^[0-9]+$ ]] && [ "$val" -ge "$lo" ] && [ "$val" -le "$hi" ] || die "$name must be $lo..$hi, got '$val'"
done
for m in $MODES; do [ -f "$HERE/siegerc-$m" ] || die "unknown mode $m (MODES takes close and/or keepalive)"; done
[ -f "$JAR" ] || die "jar not found: $JAR (build it with: mvn -B -q package -DskipTests)"
for tool in siege nginx curl python3; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
SCRATCH=$(mktemp -d /tmp/siege-compare.XXXXXX)
chmod 755 "$SCRATCH" # nginx workers (user nobody) read the page from here
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$SCRATCH"; }
trap cleanup EXIT
export HOME=$SCRATCH

NCPU=$(nproc)
if [ "$PIN" = 1 ] && [ "$NCPU" -ge 2 ]; then
  LOOPS=$((NCPU - 1)); SIEGE_CPU=$((NCPU - 1))
  if [ "$NCPU" = 2 ]; then SERVER_CPUS=0; else SERVER_CPUS=0-$((NCPU - 2)); fi
  TS_SERVER=(taskset -c "$SERVER_CPUS"); TS_SIEGE=(taskset -c "$SIEGE_CPU")
  PLACEMENT="pinned: servers on CPU $SERVER_CPUS ($LOOPS event loop(s) / nginx worker(s)), siege on CPU $SIEGE_CPU"
else
  LOOPS=$NCPU; TS_SERVER=(); TS_SIEGE=()
  PLACEMENT="not pinned$([ "$NCPU" -lt 2 ] && echo " (1 CPU)"): siege and the servers share $NCPU CPU(s); $LOOPS event loop(s) / nginx worker(s)"
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SVC=$(free_port); MGMT=$(free_port); NGX=$(free_port)

"${TS_SERVER[@]}" env REGISTER_HTTP_HOST=127.0.0.1 REGISTER_HTTP_PORT="$SVC" REGISTER_MANAGEMENT_HOST=127.0.0.1 \
  REGISTER_MANAGEMENT_PORT="$MGMT" REGISTER_EVENT_LOOPS="$LOOPS" REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 \
  REGISTER_DB_EMBEDDED=false java -jar "$JAR" >"$SCRATCH/service.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$MGMT/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$MGMT/health/ready" >/dev/null || die "service not ready (log: $(tail -3 "$SCRATCH/service.log"))"
mkdir -p "$SCRATCH/nginx/html"
curl -sf "http://127.0.0.1:$SVC/user/register" >"$SCRATCH/nginx/html/register.html"
chmod 644 "$SCRATCH/nginx/html/register.html"
sed -e "s#@PREFIX@#$SCRATCH/nginx#g" -e "s#@PORT@#$NGX#g" -e "s#@WORKERS@#$LOOPS#g" "$ROOT/bench/nginx.conf" >"$SCRATCH/nginx/nginx.conf"
"${TS_SERVER[@]}" nginx -c "$SCRATCH/nginx/nginx.conf" -p "$SCRATCH/nginx/" -e "$SCRATCH/nginx/error.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGX/user/register" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$NGX/user/register" | cmp -s - "$SCRATCH/nginx/html/register.html" \
  || die "nginx does not serve the service's page bytes"

run_siege() { # run_siege <mode> <port> <seconds> <out>
  "${TS_SIEGE[@]}" timeout -k 5 $(($3 + 20)) siege -R "$HERE/siegerc-$1" -b -c "$CONCURRENCY" -t "${3}S" \
    "http://127.0.0.1:$2/user/register" </dev/null >"$4" 2>/dev/null || true
}
port_of() { [ "$1" = service ] && echo "$SVC" || echo "$NGX"; }

echo "== $PLACEMENT"
if [ "$WARMUP" -gt 0 ]; then
  for mode in $MODES; do
    for s in service nginx; do
      echo "== warm-up: $s, $mode, ${WARMUP}s"
      run_siege "$mode" "$(port_of "$s")" "$WARMUP" /dev/null
    done
  done
fi
for mode in $MODES; do
  for r in $(seq 1 "$ROUNDS"); do
    order="service nginx"
    [ $((r % 2)) = 0 ] && order="nginx service"
    for s in $order; do
      run_siege "$mode" "$(port_of "$s")" "$SECONDS_EACH" "$SCRATCH/$s-$mode-$r.json"
      echo "   round $r $mode $s: $(sed -nE 's/.*"transaction_rate":[[:space:]]*([0-9.]+).*/\1/p' "$SCRATCH/$s-$mode-$r.json" | head -1) trans/s"
    done
  done
done

echo
python3 - "$SCRATCH" "$ROUNDS" "$MODES" <<'PY'
import json, os, statistics, sys
d, rounds, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def load(s, m, r):
    p = os.path.join(d, f"{s}-{m}-{r}.json")
    try:
        t = open(p).read()
        return json.loads(t[t.index("{"):t.rindex("}") + 1])
    except (OSError, ValueError):
        return None
print(f"{'server':<10} {'mode':<11} {'trans/s':>10} {'min..max':>17} {'avail %':>8} {'failed':>7} {'longest (s)':>12}")
ratios = {}
for m in modes:
    per = {}
    for s in ("service", "nginx"):
        runs = [load(s, m, r) for r in range(1, rounds + 1)]
        per[s] = runs
        ok = [x for x in runs if x]
        if not ok:
            print(f"{s:<10} {m:<11} {'failed':>10}")
            continue
        rates = [x["transaction_rate"] for x in ok]
        print(f"{s:<10} {m:<11} {statistics.median(rates):>10.0f} {min(rates):>8.0f}..{max(rates):<8.0f} "
              f"{min(x['availability'] for x in ok):>8.2f} {sum(x['failed_transactions'] for x in ok):>7} "
              f"{max(x['longest_transaction'] for x in ok):>12.2f}")
    rs = [a["transaction_rate"] / b["transaction_rate"] for a, b in zip(per["service"], per["nginx"])
          if a and b and b["transaction_rate"]]
    if rs:
        ratios[m] = (statistics.median(rs), min(rs), max(rs), len(rs))
for m, (med, lo, hi, n) in ratios.items():
    print(f"service / nginx, {m}: {med:.2f}x (median of {n} per-round ratios, {lo:.2f}..{hi:.2f})")
PY
echo "siege -R load/siegerc-<mode> -b -c $CONCURRENCY -t ${SECONDS_EACH}S URL; $ROUNDS rounds per mode in alternating order, median shown;"
echo "every server warmed up first with ${WARMUP}s of the same command per mode; $PLACEMENT; $NCPU CPUs;"
echo "$(java -version 2>&1 | head -1); $(nginx -v 2>&1); $(siege -V 2>&1 | grep -m1 -i '^siege')"
