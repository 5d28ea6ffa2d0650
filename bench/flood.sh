#!/usr/bin/env bash
# Registration flood (bench/run.sh runs it last; it also runs alone): the page's latency idle and while 32
# clients post registrations as fast as they are answered, for each hashing variant side by side in one run,
# in alternating order. Writes a Markdown section to the file given (stdout without one).
#
#   mvn -B -q package -DskipTests && bench/flood.sh [/tmp/flood.md]
#   FLOOD_ROUNDS=2 FLOOD_CLIENTS=32 FLOOD_IDLE=12 FLOOD_SECONDS=12 FLOOD_PROBE_MS=5
#   FLOOD_VARIANTS="today after"   (today: the settings before issue 22: REGISTER_HASH_THREADS=cores,
#                                   REGISTER_HASH_NICE=0, REGISTER_HASH_QUEUE=16; after: the defaults; also
#                                   nice10, queue16, threads1: the defaults but for that one setting)   FLOOD_NICE=-10 (the whole case's nice value)
#
# Each variant is a fresh service with an embedded PostgreSQL in a scratch data directory, on both cores
# (the same 2 cores for loops, hashing and the database), measured once it is ready and its database is up.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/dev/stdout}
ROUNDS=${FLOOD_ROUNDS:-2}
CLIENTS=${FLOOD_CLIENTS:-32}
IDLE=${FLOOD_IDLE:-12}
SECONDS_FLOOD=${FLOOD_SECONDS:-12}
PROBE_MS=${FLOOD_PROBE_MS:-5}
VARIANTS=${FLOOD_VARIANTS:-"today after"}
# The service and the clients run at this nice value, so that other work on a shared machine takes less of
# their CPU (root may go below 0); the hashing threads' own priority is relative to it.
NICE=${FLOOD_NICE:--10}
JAR=target/register-service.jar
[ -f "$JAR" ] || { echo "flood: $JAR missing: mvn -B -q package -DskipTests" >&2; exit 2; }
SCRATCH=$(mktemp -d /tmp/register-flood.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$SCRATCH"; }
trap cleanup EXIT

variant_env() {
  case "$1" in
    today) echo "REGISTER_HASH_THREADS=$(nproc) REGISTER_HASH_NICE=0 REGISTER_HASH_QUEUE=16" ;;
    after) echo "" ;;
    nice10) echo "REGISTER_HASH_NICE=10" ;;
    queue16) echo "REGISTER_HASH_QUEUE=16" ;;
    threads1) echo "REGISTER_HASH_THREADS=1" ;;
    *) echo "flood: unknown variant $1" >&2; exit 2 ;;
  esac
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_one() { # run_one <variant> <round>
  local v=$1 r=$2 http mgmt data
  http=$(free_port); mgmt=$(free_port); data="$SCRATCH/data-$v-$r"
  # shellcheck disable=SC2046
  env REGISTER_HTTP_HOST=127.0.0.1 REGISTER_HTTP_PORT="$http" REGISTER_MANAGEMENT_HOST=127.0.0.1 \
    REGISTER_MANAGEMENT_PORT="$mgmt" REGISTER_DB_EMBEDDED=true REGISTER_DATA_DIR="$data" \
    REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 $(variant_env "$v") \
    nice -n "$NICE" java -jar "$JAR" >"$SCRATCH/service-$v-$r.log" 2>&1 &
  PID=$!
  local until=$((SECONDS + 120))
  until curl -s "http://127.0.0.1:$mgmt/metrics" 2>/dev/null | grep -q '^registration_database_ready 1'; do
    [ $SECONDS -lt $until ] || { echo "flood: $v not ready in 120 s" >&2; tail -5 "$SCRATCH/service-$v-$r.log" >&2; exit 1; }
    kill -0 "$PID" 2>/dev/null || { echo "flood: $v exited" >&2; tail -5 "$SCRATCH/service-$v-$r.log" >&2; exit 1; }
    sleep 0.5
  done
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local json
  json=$(nice -n "$NICE" java bench/RegistrationFlood.java "$http" "$CLIENTS" "$IDLE" "$SECONDS_FLOOD" "$PROBE_MS" "$v$r$RANDOM")
  echo "{\"variant\": \"$v\", \"round\": $r, \"load\": $load, \"result\": $json}" >>"$SCRATCH/results.jsonl"
  echo "flood: round $r $v (load $load): $json" >&2
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  rm -rf "$data"
}

for r in $(seq 1 "$ROUNDS"); do
  order=$VARIANTS
  [ $((r % 2)) -eq 0 ] && order=$(echo "$VARIANTS" | tr ' ' '\n' | tac | tr '\n' ' ')
  for v in $order; do run_one "$v" "$r"; done
done

python3 - "$SCRATCH/results.jsonl" "$CLIENTS" "$IDLE" "$SECONDS_FLOOD" "$PROBE_MS" >"$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
clients, idle, flood, probe = sys.argv[2:6]
print("## Registration flood: the page while registrations pour in\n")
print(f"`bench/flood.sh`: per variant a fresh service (embedded PostgreSQL) on the same 2 cores; one keep-alive client fetches")
print(f"GET /user/register every {probe} ms, {idle} s idle, then {flood} s while {clients} clients post JSON registrations as fast")
print("as they are answered (`bench/RegistrationFlood.java`). `today`: `REGISTER_HASH_THREADS` = cores, `REGISTER_HASH_NICE=0`,")
print("`REGISTER_HASH_QUEUE=16` (the settings before issue 22); `after`: the defaults; `nice10`, `queue16`, `threads1`: the defaults")
print("but for that one setting. Service and clients at nice `FLOOD_NICE` (-10) against other work on the machine. Targets: page p99 during the flood <= 2x idle p99;")
print("registrations created per second within 20 % of `today`.\n")
print("| round | variant | load avg | idle p50 / p99 ms | flood p50 / p99 ms | flood p99 / idle p99 | created/s | 503s | post p50 / p99 / max ms |")
print("|---|---|---|---|---|---|---|---|---|")
by = {}
for row in rows:
    r = row["result"]
    ratio = r["flood_p99_ms"] / r["idle_p99_ms"] if r["idle_p99_ms"] > 0 else float("nan")
    by.setdefault(row["variant"], []).append((ratio, r["created_per_s"], r["idle_p99_ms"], r["flood_p99_ms"]))
    print(f"| {row['round']} | {row['variant']} | {row['load']} | {r['idle_p50_ms']:.2f} / {r['idle_p99_ms']:.2f} | "
          f"{r['flood_p50_ms']:.2f} / {r['flood_p99_ms']:.2f} | {ratio:.2f}x | {r['created_per_s']:.1f} | {r['refused_503']} | "
          f"{r['post_p50_ms']:.0f} / {r['post_p99_ms']:.0f} / {r['post_max_ms']:.0f} |")
print()
today = statistics.median(c for _, c, _, _ in by.get("today", [(0, 0, 0, 0)]))
for v, vals in by.items():
    ratio = statistics.median(x for x, _, _, _ in vals)
    created = statistics.median(c for _, c, _, _ in vals)
    share = created / today if today else float("nan")
    met = "met" if ratio <= 2.0 and share >= 0.8 else "not met"
    print(f"- `{v}`: median flood p99 / idle p99 {ratio:.2f}x, created {created:.1f}/s ({share:.0%} of `today`): targets {met}")
PY
