// Checks the output of `kustomize build k8s` (a file argument, or stdin).
//   node check.mjs built.yaml                      schema + unknown-field + contract checks
//   node check.mjs built.yaml --rules-out F --test-rules-out G
//                                                  also write the PrometheusRule groups as promtool rule files
//                                                  (G without `description` annotations, for alerts.test.yaml)
//   node check.mjs built.yaml --dashboard-rules-out H   the dashboard's queries as recording rules (PromQL syntax check)
//   node check.mjs built.yaml --settings-java Setting.java  also check register.yaml's keys against the service's settings
//   node check.mjs built.yaml --used-metrics       print the metric names used by alerts and dashboard, one a line
//   node check.mjs --self-test built.yaml          prove the checks catch planted mistakes
import fs from "node:fs";
import { parseAllDocuments, stringify } from "yaml";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const input = args.find((a, i) => !a.startsWith("--") && !(i > 0 && (args[i - 1].endsWith("-out") || args[i - 1] === "--settings-java")));
const text = fs.readFileSync(input ?? 0, "utf8");

// ---------------------------------------------------------------- parsing
function parse(src) {
  const objs = [];
  for (const doc of parseAllDocuments(src, { uniqueKeys: true, strict: true })) {
    if (doc.errors.length) throw new Error(`YAML error: ${doc.errors.map((e) => e.message).join("; ")}`);
    const o = doc.toJS();
    if (o != null) objs.push(o);
  }
  return objs;
}

// ---------------------------------------------------------------- models
// apiVersion -> module exporting one class per kind
function moduleFor(apiVersion) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}
async function modelClass(o) {
  let mod;
  try {
    mod = await import(moduleFor(o.apiVersion));
  } catch (e) {
    throw new Error(`no model for apiVersion ${o.apiVersion}: ${e.message}`);
  }
  const cls = mod[o.kind];
  if (typeof cls !== "function" || cls.apiVersion !== o.apiVersion) throw new Error(`no model for ${o.apiVersion} ${o.kind}`);
  return cls;
}

// Unknown fields: the generated validators read every property their schema defines (and every key
// of a map-typed field) and ignore the rest. Run the validator on a Proxy that records which keys it
// reads; a key it never read is not in the schema. An object whose keys the validator never touched
// at all has a free-form schema (preserve-unknown-fields) and is skipped.
function unknownFields(cls, obj) {
  const reads = new Map();
  const proxies = new WeakMap();
  const wrap = (v) => {
    if (v === null || typeof v !== "object") return v;
    if (!proxies.has(v)) {
      const read = new Set();
      reads.set(v, read);
      proxies.set(v, new Proxy(v, {
        get(t, k, r) { if (typeof k === "string") read.add(k); return wrap(Reflect.get(t, k, r)); },
        has(t, k) { if (typeof k === "string") read.add(k); return Reflect.has(t, k); },
        ownKeys(t) { read.add("\0enumerated"); return Reflect.ownKeys(t); },
      }));
    }
    return proxies.get(v);
  };
  try {
    cls.prototype.validate.call(wrap(obj));
  } catch {
    /* schema errors are reported by the schema check */
  }
  const found = [];
  const walk = (v, path) => {
    if (Array.isArray(v)) return v.forEach((e, i) => walk(e, `${path}[${i}]`));
    if (v === null || typeof v !== "object") return;
    const read = reads.get(v);
    if (!read || read.size === 0) return; // free-form or never visited
    for (const k of Object.keys(v)) {
      if (!read.has(k)) found.push(`${path}.${k}`);
      else walk(v[k], `${path}.${k}`);
    }
  };
  walk(obj, "");
  return found;
}

// ---------------------------------------------------------------- contract checks
function get(o, path) {
  return path.split(".").reduce((v, k) => (v == null ? undefined : v[k]), o);
}
function contract(objs) {
  const errs = [];
  const need = (cond, msg) => { if (!cond) errs.push(msg); };
  const of = (kind) => objs.filter((o) => o.kind === kind);
  const [dep] = of("Deployment");
  need(of("Deployment").length === 1, "expected exactly one Deployment");
  if (!dep) return errs;
  const pod = dep.spec.template.spec;
  const podLabels = dep.spec.template.metadata.labels ?? {};
  const c = pod.containers[0];
  const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
  need(ports.http === 8080 && ports.management === 9090, "container ports must be http:8080 and management:9090");
  need(dep.spec.replicas === 2, "Deployment replicas must be 2");
  need(pod.enableServiceLinks === false, "enableServiceLinks must be false");
  const sc = c.securityContext ?? {};
  need(sc.readOnlyRootFilesystem === true, "readOnlyRootFilesystem must be true");
  need(sc.allowPrivilegeEscalation === false, "allowPrivilegeEscalation must be false");
  need((sc.capabilities?.drop ?? []).includes("ALL"), "capabilities must drop ALL");
  const eff = (k) => sc[k] ?? pod.securityContext?.[k];
  need(eff("runAsNonRoot") === true && eff("runAsUser") === 10001, "must run as non-root user 10001");
  need((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type === "RuntimeDefault", "seccompProfile must be RuntimeDefault");
  for (const [probe, path] of [["startupProbe", null], ["livenessProbe", "/health/live"], ["readinessProbe", "/health/ready"]]) {
    const g = c[probe]?.httpGet;
    need(g && g.port === "management" && (!path || g.path === path), `${probe} must GET ${path ?? "/health/*"} on port management`);
  }
  need(c.resources?.requests && c.resources?.limits, "resources requests and limits required");
  const mounts = Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
  const vols = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
  need(vols[mounts["/tmp"]]?.emptyDir, "an emptyDir must be mounted at /tmp");
  const cfgVol = vols[mounts["/etc/register-service"]];
  const cm = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === cfgVol?.configMap?.name);
  need(cm && typeof cm.data?.["register.yaml"] === "string", "/etc/register-service must mount the ConfigMap holding register.yaml");
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
  need(env.REGISTER_CONFIG_FILE === "/etc/register-service/register.yaml", "REGISTER_CONFIG_FILE must be /etc/register-service/register.yaml");
  if (cm) {
    const cfg = parse(cm.data["register.yaml"])[0] ?? {};
    const drain = Number(env.REGISTER_SHUTDOWN_DRAIN_DELAY_SECONDS ?? get(cfg, "shutdown.drainDelaySeconds") ?? 5);
    const timeout = Number(env.REGISTER_SHUTDOWN_TIMEOUT_SECONDS ?? get(cfg, "shutdown.timeoutSeconds") ?? 20);
    need(pod.terminationGracePeriodSeconds > drain + timeout,
      `terminationGracePeriodSeconds (${pod.terminationGracePeriodSeconds}) must exceed drain delay ${drain} + shutdown timeout ${timeout}`);
    need(get(cfg, "http.port") === 8080 && get(cfg, "management.port") === 9090, "config ports must match the container ports");
    // The service ignores unknown file keys: a misspelt key would silently fall back to its default.
    const settings = opt("--settings-java");
    if (settings) {
      const known = new Set([...fs.readFileSync(settings, "utf8").matchAll(/"REGISTER_[A-Z_]+",\s*"([\w.]+)"/g)].map((m) => m[1]));
      need(known.size > 0, `no settings found in ${settings}`);
      const leaves = (o, pre = "") => Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === "object" && !Array.isArray(v) ? leaves(v, `${pre}${k}.`) : [`${pre}${k}`]);
      for (const key of leaves(cfg)) need(known.has(key), `register.yaml key ${key} is not a setting the service reads (${settings})`);
    }
  }
  const matches = (sel) => sel && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
  need(matches(dep.spec.selector.matchLabels), "Deployment selector must match its pod labels");
  for (const svc of of("Service")) {
    need(matches(svc.spec.selector), `Service ${svc.metadata.name} selector must match the pods`);
    for (const p of svc.spec.ports) need(p.targetPort in ports, `Service ${svc.metadata.name} targetPort ${p.targetPort} is no container port name`);
  }
  const traffic = of("Service").find((s) => s.spec.ports.some((p) => p.port === 80 && p.targetPort === "http"));
  const metrics = of("Service").find((s) => s.spec.ports.some((p) => p.port === 9090 && p.targetPort === "management"));
  need(traffic, "a Service must map port 80 to http");
  need(metrics && metrics !== traffic, "a separate Service must expose 9090 (management)");
  for (const [what, ann] of [["pod template", dep.spec.template.metadata.annotations], ["metrics Service", metrics?.metadata.annotations]]) {
    need(ann?.["prometheus.io/scrape"] === "true" && ann?.["prometheus.io/port"] === "9090" && ann?.["prometheus.io/path"] === "/metrics",
      `${what} needs prometheus.io/scrape, port 9090, path /metrics annotations`);
  }
  for (const pdb of of("PodDisruptionBudget")) need(matches(pdb.spec.selector.matchLabels) && pdb.spec.minAvailable === 1, "PDB must select the pods with minAvailable 1");
  need(of("PodDisruptionBudget").length === 1, "expected one PodDisruptionBudget");
  const [hpa] = of("HorizontalPodAutoscaler");
  need(hpa?.apiVersion === "autoscaling/v2" && hpa.spec.scaleTargetRef.name === dep.metadata.name
    && hpa.spec.metrics.some((m) => m.resource?.name === "cpu"), "HPA (autoscaling/v2, CPU) must target the Deployment");
  const [sm] = of("ServiceMonitor");
  need(sm?.metadata.labels?.release, "ServiceMonitor needs a release label");
  need(sm && Object.entries(sm.spec.selector.matchLabels ?? {}).every(([k, v]) => metrics?.metadata.labels?.[k] === v)
    && sm.spec.endpoints.some((e) => e.port === "management"), "ServiceMonitor must select the metrics Service's management port");
  need(sm && metrics?.metadata.labels?.[sm.spec.jobLabel] === "register-service", "ServiceMonitor jobLabel must yield job=register-service");
  const alerts = of("PrometheusRule").flatMap((r) => r.spec.groups.flatMap((g) => g.rules)).map((r) => r.alert);
  for (const a of ["RegisterServiceTargetDown", "RegisterServiceEventLoopStalled", "RegisterServiceEventLoopLagHigh",
    "RegisterServiceAbortRateHigh", "RegisterServiceConnectionsLeaking"]) need(alerts.includes(a), `alert ${a} missing`);
  const dash = of("ConfigMap").filter((o) => o.metadata.labels?.grafana_dashboard === "1");
  need(dash.length === 1, "expected one ConfigMap labelled grafana_dashboard=1");
  for (const d of dash) for (const [k, v] of Object.entries(d.data ?? {})) {
    try { JSON.parse(v); } catch (e) { errs.push(`dashboard ${k}: ${e.message}`); }
  }
  for (const o of objs) need(!o.metadata.namespace, `${o.kind}/${o.metadata.name} must not set a namespace`);
  return errs;
}

// ---------------------------------------------------------------- metric names in PromQL
const NOT_METRICS = new Set(("by without on ignoring group_left group_right and or unless offset bool inf nan " +
  "atan2 start end").split(" "));
function metricNames(expr) {
  const names = new Set();
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ") // strings
    .replace(/\{[^}]*\}/g, " ") //                                  label matchers
    .replace(/\[[^\]]*\]/g, " ") //                                 ranges, subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " "); // label lists
  for (const m of s.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (!m[2] && !NOT_METRICS.has(m[1])) names.add(m[1]);
  }
  return names;
}
function dashboardExprs(objs) {
  const exprs = [];
  for (const cm of objs.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1")) {
    for (const json of Object.values(cm.data)) {
      const d = JSON.parse(json);
      for (const p of (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])])) {
        for (const t of p.targets ?? []) if (t.expr) exprs.push({ panel: p.title, expr: t.expr });
      }
    }
  }
  return exprs;
}
function usedMetrics(objs) {
  const exprs = [];
  for (const r of objs.filter((o) => o.kind === "PrometheusRule")) for (const g of r.spec.groups) for (const rule of g.rules) exprs.push(rule.expr);
  exprs.push(...dashboardExprs(objs).map((e) => e.expr));
  for (const cm of objs.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1")) {
    for (const json of Object.values(cm.data)) {
      for (const v of JSON.parse(json).templating?.list ?? []) {
        const q = typeof v.query === "string" ? v.query : v.query?.query;
        if (v.type !== "query" || !q) continue;
        const lv = q.match(/^label_values\((.*),\s*\w+\)$/); // Grafana's label_values(SELECTOR, label)
        exprs.push(lv ? lv[1] : q.replace(/^query_result\((.*)\)$/, "$1"));
      }
    }
  }
  const all = new Set();
  for (const e of exprs) for (const n of metricNames(e)) all.add(n);
  all.delete("up");
  return [...all].sort();
}

// ---------------------------------------------------------------- main
async function check(objs, { quiet = false } = {}) {
  const errs = [];
  for (const o of objs) {
    const id = `${o.kind}/${o.metadata?.name}`;
    let cls;
    try { cls = await modelClass(o); } catch (e) { errs.push(`${id}: ${e.message}`); continue; }
    const before = errs.length;
    try { new cls(o).validate(); } catch (e) { errs.push(`${id}: schema: ${e.message}`); }
    for (const f of unknownFields(cls, o)) errs.push(`${id}: unknown field ${f}`);
    if (!quiet) console.log(`  ${errs.length === before ? "ok  " : "FAIL"} schema+fields ${o.apiVersion} ${id}`);
  }
  let cerrs;
  try { cerrs = contract(objs); } catch (e) { cerrs = [`could not run (fix the errors above first): ${e.message}`]; }
  if (!quiet) console.log(`  ${cerrs.length ? "FAIL" : "ok  "} contract checks (ports, probes, security, config mount, grace period, selectors, scrape, alerts, dashboard)`);
  errs.push(...cerrs.map((e) => `contract: ${e}`));
  return errs;
}

async function selfTest(objs) {
  // each mutation must make check() fail with a message containing the expected text
  const clone = () => structuredClone(objs);
  const find = (os, kind) => os.find((o) => o.kind === kind);
  const cases = [
    ["unknown container field", "unknown field .spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem",
      (os) => { find(os, "Deployment").spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true; }],
    ["unknown top-level field", "unknown field .specs", (os) => { find(os, "Service").specs = {}; }],
    ["unknown ServiceMonitor field", "unknown field .spec.endpoints[0].intervall", (os) => { find(os, "ServiceMonitor").spec.endpoints[0].intervall = "5s"; }],
    ["unknown PrometheusRule field", "unknown field .spec.groups[0].rules[0].expresion", (os) => { find(os, "PrometheusRule").spec.groups[0].rules[0].expresion = "up"; }],
    ["unknown HPA field", "unknown field .spec.metrics[0].resource.target.averageUtilisation",
      (os) => { find(os, "HorizontalPodAutoscaler").spec.metrics[0].resource.target.averageUtilisation = 5; }],
    ["wrong type", "schema: data/spec/template/spec/containers/0/ports/0/containerPort must be integer",
      (os) => { find(os, "Deployment").spec.template.spec.containers[0].ports[0].containerPort = "8080"; }],
    ["missing required", "must have required property containers", (os) => { delete find(os, "Deployment").spec.template.spec.containers; }],
    ["grace period", "terminationGracePeriodSeconds (25)", (os) => { find(os, "Deployment").spec.template.spec.terminationGracePeriodSeconds = 25; }],
    ["misspelt config key", "register.yaml key http.eventLoop is not a setting",
      (os) => { const cm = os.find((o) => o.kind === "ConfigMap" && o.data?.["register.yaml"]);
        cm.data["register.yaml"] = cm.data["register.yaml"].replace("eventLoops:", "eventLoop:"); }],
    ["unknown kind", "no model for", (os) => { os.push({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } }); }],
  ];
  let failed = 0;
  for (const [name, expect, mutate] of cases) {
    if (name === "misspelt config key" && !opt("--settings-java")) continue;
    const os = clone();
    mutate(os);
    let errs;
    try { errs = await check(os, { quiet: true }); } catch (e) { errs = [String(e.message)]; }
    const hit = errs.some((e) => e.includes(expect));
    console.log(`  ${hit ? "ok  " : "FAIL"} self-test: ${name} -> ${hit ? "caught" : `not caught (got: ${errs.join(" | ") || "no errors"})`}`);
    if (!hit) failed++;
  }
  const names = metricNames('sum by (pod, le) (rate(a_b{x="y(z)", job=~"$job"}[5m])) / on(instance) group_left(loop) b:c offset 5m and absent(up) > bool 0.5e3');
  const wantNames = "a_b b:c up";
  const got = [...names].sort().join(" ");
  console.log(`  ${got === wantNames ? "ok  " : "FAIL"} self-test: metric name extraction -> ${got}`);
  if (got !== wantNames) failed++;
  return failed;
}

const objs = parse(text);
if (flag("--used-metrics")) {
  for (const n of usedMetrics(objs)) console.log(n);
  process.exit(0);
}
if (flag("--self-test")) {
  const failed = await selfTest(objs);
  process.exit(failed ? 1 : 0);
}
console.log(`checking ${objs.length} objects`);
const errs = await check(objs);
for (const e of errs) console.log(`  ERROR ${e}`);
// promtool rule files: as written, and for the unit tests without the long `description` annotations
const groups = objs.filter((o) => o.kind === "PrometheusRule").flatMap((r) => r.spec.groups);
if (opt("--rules-out")) fs.writeFileSync(opt("--rules-out"), stringify({ groups }));
// every dashboard query as a recording rule, so that `promtool check rules` parses it as PromQL
if (opt("--dashboard-rules-out")) {
  const rules = dashboardExprs(objs).map(({ panel, expr }, i) => ({
    record: `dashboard:query_${i}`,
    expr: expr.replaceAll("$__rate_interval", "5m").replaceAll("$__interval", "1m"),
    labels: { panel },
  }));
  fs.writeFileSync(opt("--dashboard-rules-out"), stringify({ groups: [{ name: "dashboard-queries", rules }] }));
}
if (opt("--test-rules-out")) {
  const short = structuredClone(groups);
  for (const g of short) for (const r of g.rules) delete r.annotations?.description;
  fs.writeFileSync(opt("--test-rules-out"), stringify({ groups: short }));
}
if (errs.length) {
  console.log(`FAILED: ${errs.length} problem(s)`);
  process.exit(1);
}
console.log(`all ${objs.length} objects valid: schema, no unknown fields, contract`);
