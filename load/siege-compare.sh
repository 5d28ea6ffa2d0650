#!/usr/bin/env bash
# siege's own figures for this service and for nginx serving the same page bytes in the same 4 KiB
# chunks (bench/nginx.conf), under the same siege command, in both connection modes. Prints a table.
# Usage: load/siege-compare.sh [path/to/register-service.jar]   Env: CONCURRENCY (25), SECONDS_EACH (10)
# Bounded: each siege runs -t SECONDS_EACH under `timeout -k` (siege can hang on a signal: SIGKILL follows); everything it starts is stopped on exit.
set -euo pipefail
JAR=${1:-target/register-service.jar}
CONCURRENCY=${CONCURRENCY:-25}
SECONDS_EACH=${SECONDS_EACH:-10}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
for tool in siege nginx curl; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
SCRATCH=$(mktemp -d /tmp/siege-compare.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$SCRATCH"; }
trap cleanup EXIT
export HOME=$SCRATCH

SVC=18180 MGMT=18190 NGX=18181
REGISTER_HTTP_HOST=127.0.0.1 REGISTER_HTTP_PORT=$SVC REGISTER_MANAGEMENT_HOST=127.0.0.1 REGISTER_MANAGEMENT_PORT=$MGMT \
  REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS=0 REGISTER_DB_EMBEDDED=false java -jar "$JAR" >"$SCRATCH/service.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$MGMT/health/ready" >/dev/null && break; sleep 0.2; done
mkdir -p "$SCRATCH/nginx/html"
curl -sf "http://127.0.0.1:$SVC/user/register" >"$SCRATCH/nginx/html/register.html"
sed -e "s#@PREFIX@#$SCRATCH/nginx#g" -e "s#@PORT@#$NGX#g" -e "s#@WORKERS@#2#g" "$ROOT/bench/nginx.conf" >"$SCRATCH/nginx/nginx.conf"
nginx -c "$SCRATCH/nginx/nginx.conf" -p "$SCRATCH/nginx/" -e "$SCRATCH/nginx/error.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGX/user/register" >/dev/null && break; sleep 0.1; done

field() { sed -nE "s/.*\"$1\":[[:space:]]*([0-9.]+).*/\1/p" "$2" | head -1; }
printf '%-10s %-11s %10s %10s %9s %12s\n' server mode "trans/s" "avail %" failed "longest (s)"
for mode in close keepalive; do
  for target in "service $SVC" "nginx $NGX"; do
    set -- $target
    out="$SCRATCH/$1-$mode.json"
    timeout -k 5 $((SECONDS_EACH + 20)) siege -R "$HERE/siegerc-$mode" -b -c "$CONCURRENCY" -t "${SECONDS_EACH}S" \
      "http://127.0.0.1:$2/user/register" </dev/null >"$out" 2>/dev/null || true
    printf '%-10s %-11s %10s %10s %9s %12s\n' "$1" "$mode" "$(field transaction_rate "$out")" \
      "$(field availability "$out")" "$(field failed_transactions "$out")" "$(field longest_transaction "$out")"
  done
done
echo "siege -R load/siegerc-{close,keepalive} -b -c $CONCURRENCY -t ${SECONDS_EACH}S URL; service: 2 event loops; nginx: 2 workers; $(nproc) CPUs"
