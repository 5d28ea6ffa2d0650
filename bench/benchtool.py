#!/usr/bin/env python3
"""Helpers for bench/run.sh (standard library only).

  benchtool.py startup --runs N --http-port P --out FILE -- CMD...
      Launches CMD N times and measures the time from process launch until GET /user/register on
      127.0.0.1:P answers 200 (polled every 2 ms over a raw socket), then stops it with SIGTERM.
  benchtool.py measure --ours PID,... --stdout FILE --out FILE -- CMD...
      Runs CMD (wrk) and records how much CPU the rest of the machine used meanwhile: all busy time
      from /proc/stat minus CMD's own (wait4 rusage) minus the listed PIDs' (our servers).
  benchtool.py busy --seconds S
      Prints the machine's busy CPU percentage over S seconds (0-100, all CPUs).
  benchtool.py coldcurve --http-port P [--ready-url URL] --seconds 15 --out FILE --wrk "WRK..." -- CMD...
      Launches CMD (a cold server), waits until READY-URL (default GET /user/register on P) answers 200,
      then drives it at once with back-to-back 1-second wrk runs (WRK... + URL, -d1s) for --seconds
      seconds and records requests served per second, then stops it with SIGTERM.
  benchtool.py report --dir DIR --out FILE
      Reads what run.sh left in DIR (wrk/*.txt, scrape/*.prom, storm/*.json, startup.json, meta/*)
      and writes the Markdown report to FILE (and stdout).
"""
import argparse
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

CASES = [
    ("A", "service, everything on", True),
    ("B", "nginx (SSI, 4 KiB output buffers)", False),
    ("C", "bare Vert.x core (ceiling)", False),
    ("D", "service, REGISTER_METRICS_ENABLED=false", True),
    ("E", "service, everything on, abort storm beside", True),
    ("F", "service, everything on, the same storm aimed at D (control: CPUs shared, no aborts here)", True),
]
# Connection churn: a new connection per request (siege's default and the incident's mode).
CLOSE_CASES = [
    ("G", "service, wrk `Connection: close`", True),
    ("H", "nginx, wrk `Connection: close`", False),
    ("I", "bare Vert.x, wrk `Connection: close`", False),
    ("J", "service, siege `connection = close`", True),
    ("K", "nginx, siege `connection = close`", False),
    ("L", "bare Vert.x, siege `connection = close`", False),
]


# ---------------------------------------------------------------- startup

def answers_200(port: int, path: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
            return head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def busy_over(seconds):
    b0, t0 = cpu_totals()
    time.sleep(seconds)
    b1, t1 = cpu_totals()
    return 100.0 * (b1 - b0) / max(t1 - t0, 1)


def startup(a) -> int:
    times, background = [], []
    for run in range(a.runs):
        # A JVM start is mostly CPU-bound: wait (bounded) for other work on the machine to calm down.
        waited, b = 0, busy_over(1.0)
        while b > a.quiet_below and waited < a.quiet_wait:
            waited += 1
            b = busy_over(1.0)
        background.append(round(b))
        t0 = time.monotonic()
        proc = subprocess.Popen(a.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        ready = None
        while time.monotonic() - t0 < a.timeout:
            if proc.poll() is not None:
                break
            if answers_200(a.http_port, a.path):
                ready = time.monotonic() - t0
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if ready is None:
            print(f"startup run {run + 1}: not ready within {a.timeout}s (exit {proc.returncode})", file=sys.stderr)
            return 1
        times.append(ready)
        print(f"startup run {run + 1}: {ready * 1000:.0f} ms", file=sys.stderr)
        time.sleep(0.3)
    result = {"runs_s": [round(t, 4) for t in times], "median_s": round(statistics.median(times), 4),
              "busy_before_pct": background}
    with open(a.out, "w") as f:
        json.dump(result, f)
    return 0


def url_answers_200(url: str) -> bool:
    m = re.match(r"http://([^:/]+):(\d+)(/.*)?$", url)
    if not m:
        raise ValueError(f"not an http://host:port/path URL: {url}")
    host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
            return head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def coldcurve(a) -> int:
    """Time to full speed: a cold server driven at saturation from its first ready moment. Back-to-back
    1-second wrk runs (a new wrk per second, so each second's figure is exact; the gap between two is the
    wrk start, a few ms, reported as gap_ms)."""
    url = f"http://127.0.0.1:{a.http_port}{a.path}"
    ready_url = a.ready_url or url
    wrk = a.wrk.split()
    t0 = time.monotonic()
    proc = subprocess.Popen(a.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    ready = None
    try:
        while time.monotonic() - t0 < a.timeout:
            if proc.poll() is not None:
                break
            if url_answers_200(ready_url):
                ready = time.monotonic() - t0
                break
            time.sleep(0.002)
        if ready is None:
            print(f"coldcurve: not ready within {a.timeout}s (exit {proc.poll()})", file=sys.stderr)
            return 1
        seconds = []
        for i in range(a.seconds):
            start = time.monotonic()
            out = subprocess.run(wrk + ["-d1s", url], capture_output=True, text=True, timeout=30).stdout
            end = time.monotonic()
            m = re.search(r"^WRK_RESULT (.*)$", out, re.M)
            if not m:
                print(f"coldcurve: wrk gave no WRK_RESULT in second {i + 1}: {out[-300:]}", file=sys.stderr)
                return 1
            r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
            seconds.append({"from_ready_s": round(start - t0 - ready, 3),
                            "rps": round(r["requests"] / (r["duration_us"] / 1e6), 1),
                            "p99_us": r["p99_us"],
                            "errors": r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"],
                            # wall time of this wrk beyond its measured second: its start-up and connects
                            "gap_ms": round(max(0.0, (end - start) - r["duration_us"] / 1e6) * 1000, 1)})
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with open(a.out, "w") as f:
        json.dump({"ready_s": round(ready, 4), "seconds": seconds}, f)
    print(f"coldcurve: ready {ready * 1000:.0f} ms, req/s per second: "
          + " ".join(f"{x['rps']:.0f}" for x in seconds), file=sys.stderr)
    return 0


# ---------------------------------------------------------------- CPU accounting

TICK = os.sysconf("SC_CLK_TCK")


def cpu_totals():
    """(busy, total) ticks over all CPUs from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def proc_ticks(pid):
    """utime + stime of every thread of pid (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def measure(a) -> int:
    ours = [int(x) for x in a.ours.split(",") if x.strip()]
    server = [int(x) for x in a.server.split(",") if x.strip()]
    b0, t0 = cpu_totals()
    o0 = sum(proc_ticks(p) for p in ours)
    s0 = sum(proc_ticks(p) for p in server)
    w0 = time.monotonic()
    with open(a.stdout, "w") as out:
        proc = subprocess.Popen(a.cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(proc.pid, 0)
    o1 = sum(proc_ticks(p) for p in ours)
    s1 = sum(proc_ticks(p) for p in server)
    b1, t1 = cpu_totals()
    own = (ru.ru_utime + ru.ru_stime) * TICK
    total = max(t1 - t0, 1)
    result = {
        "wall_s": round(time.monotonic() - w0, 3),
        "busy_pct": round(100.0 * (b1 - b0) / total, 1),
        "ours_pct": round(100.0 * ((o1 - o0) + own) / total, 1),
        "foreign_pct": round(max(0.0, 100.0 * ((b1 - b0) - (o1 - o0) - own) / total), 1),
        "cpus": os.cpu_count(),
        "server_cpu_s": round((s1 - s0) / TICK, 2),
        "client_cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
    }
    with open(a.out, "w") as f:
        json.dump(result, f)
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else 0


def busy(a) -> int:
    b0, t0 = cpu_totals()
    time.sleep(a.seconds)
    b1, t1 = cpu_totals()
    print(round(100.0 * (b1 - b0) / max(t1 - t0, 1)))
    return 0


# ---------------------------------------------------------------- parsing

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prom(path):
    """{(name, frozenset(labels)): value} or None when the file is missing/empty (no metrics)."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if not m:
                continue
            try:
                value = float(m.group(4))
            except ValueError:
                continue
            labels = frozenset(LABEL.findall(m.group(3) or ""))
            out[(m.group(1), labels)] = value
    return out


def family_delta(before, after, name):
    """Per-label-set delta of one family; {} when absent."""
    d = {}
    for (n, labels), v in after.items():
        if n == name:
            d[labels] = v - before.get((n, labels), 0.0)
    return d


def le_of(labels):
    for k, v in labels:
        if k == "le":
            return math.inf if v in ("+Inf", "Inf") else float(v)
    return None


def histogram_quantile(q, buckets):
    """Prometheus-style linear interpolation over cumulative {le: count}. Returns (value, upper bound)."""
    les = sorted(buckets)
    if not les:
        return None, None
    total = buckets[les[-1]]
    if total <= 0:
        return None, None
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le in les:
        c = buckets[le]
        if c >= rank:
            if math.isinf(le):
                return prev_le, math.inf
            if c == prev_c:
                return le, le
            return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c), le
        prev_le, prev_c = le, c
    return les[-1], les[-1]


def parse_siege(text):
    """siege 4.0.7 with json_output = true: one JSON object on stdout (maybe after a notice)."""
    i = text.find("{")
    if i < 0:
        return None
    try:
        j = json.loads(text[i:text.rfind("}") + 1])
    except ValueError:
        return None
    if not j.get("elapsed_time"):
        return None
    return {"requests": int(j.get("transactions", 0)), "duration_us": int(j["elapsed_time"] * 1e6),
            "rps": float(j.get("transaction_rate", 0.0)), "p50_us": None, "p99_us": None,
            "avg_us": float(j.get("response_time", 0.0)) * 1e6, "longest_us": float(j.get("longest_transaction", 0.0)) * 1e6,
            "availability": j.get("availability"), "errors": int(j.get("failed_transactions", 0))}


def parse_wrk(path):
    with open(path) as f:
        text = f.read()
    m = re.search(r"^WRK_RESULT (.*)$", text, re.M)
    if not m:
        return parse_siege(text)
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"]
    return r


# ---------------------------------------------------------------- report

def fmt_ms(us):
    return "n/a" if us is None else f"{us / 1000:.2f} ms"


def fmt_us(us):
    return "n/a" if us is None else f"{us:.1f} µs"


def fmt_pct(p):
    return "n/a" if p is None else f"{p:.0f}%"


def fmt_s_as_ms(s):
    if s is None:
        return "n/a"
    if math.isinf(s):
        return "> largest bucket"
    return f"{s * 1000:.2f} ms"


QUIET_PCT = 5.0         # a measured run is quiet when other work used at most this share of the CPUs
START_QUIET_PCT = 20.0  # a start is quiet when the CPUs were at most this busy just before (QUIET_BELOW)


def is_quiet(run):
    f = run.get("foreign_pct")
    return f is None or f <= QUIET_PCT


def clean(runs):
    """The runs measured while the rest of the machine used at most QUIET_PCT of the CPUs, or all
    runs when none was that quiet."""
    quiet = [r for r in runs if is_quiet(r)]
    return quiet or runs


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def read_meta(mdir):
    """One plain-text file per key (run.sh writes them); commands and notes are one item per line."""
    meta = {}
    for name in os.listdir(mdir):
        with open(os.path.join(mdir, name)) as f:
            text = f.read().rstrip("\n")
        meta[name] = text.split("\n") if name in ("commands", "notes") else text
    return meta


def report(a) -> int:
    d = a.dir
    meta = read_meta(os.path.join(d, "meta"))
    rounds = int(meta["rounds"])
    close_rounds = int(meta.get("close_rounds", "0") or 0)
    close_keys = {k for k, _, _ in CLOSE_CASES}
    res = {}
    for key, title, is_service in CASES + CLOSE_CASES:
        runs, aborts, storms = [], None, []
        have_metrics = False
        for r in range(1, (close_rounds if key in close_keys else rounds) + 1):
            w = os.path.join(d, "wrk", f"{key}-{r}.txt")
            run = parse_wrk(w) if os.path.exists(w) else None
            cpu = os.path.join(d, "cpu", f"{key}-{r}.json")
            if run is not None:
                cj = json.load(open(cpu)) if os.path.exists(cpu) else {}
                run["foreign_pct"] = cj.get("foreign_pct")
                sc = cj.get("server_cpu_s")
                run["cpu_us_per_req"] = sc * 1e6 / run["requests"] if sc and run["requests"] else None
                sj = os.path.join(d, "storm", f"{key}-{r}.json")
                if run["foreign_pct"] is not None and os.path.exists(sj):
                    # The abort generator is ours, not foreign: take its own CPU time off.
                    try:
                        st_cpu = json.load(open(sj)).get("cpu_s", 0.0)
                        ncpu = json.load(open(cpu)).get("cpus") or 1
                        wall = json.load(open(cpu)).get("wall_s") or 1
                        run["foreign_pct"] = max(0.0, run["foreign_pct"] - 100.0 * st_cpu / (wall * ncpu))
                    except ValueError:
                        pass
            runs.append(run)
            if is_service and run is not None:
                b = parse_prom(os.path.join(d, "scrape", f"{key}-{r}-before.prom"))
                af = parse_prom(os.path.join(d, "scrape", f"{key}-{r}-after.prom"))
                if b is not None and af is not None and any(n == "eventloop_lag_seconds_bucket" for n, _ in af):
                    have_metrics = True
                    run["lag_buckets"] = {}
                    for labels, v in family_delta(b, af, "eventloop_lag_seconds_bucket").items():
                        le = le_of(labels)
                        run["lag_buckets"][le] = run["lag_buckets"].get(le, 0.0) + v
                    run["stalls"] = sum(family_delta(b, af, "eventloop_stalls_total").values())
                    aborts = (aborts or 0) + sum(family_delta(b, af, "http_server_client_aborts_total").values())
            s = os.path.join(d, "storm", f"{key}-{r}.json")
            if os.path.exists(s):
                try:
                    storms.append(json.load(open(s)))
                except ValueError:
                    pass
        ok = clean([x for x in runs if x])
        # Loop lag and stalls from the same runs as the throughput figures (the quiet ones when any).
        lag_buckets, stalls = {}, None
        for x in ok:
            if "lag_buckets" in x:
                for le, v in x["lag_buckets"].items():
                    lag_buckets[le] = lag_buckets.get(le, 0.0) + v
                stalls = (stalls or 0) + x["stalls"]
        p99_lag, p99_lag_bound = histogram_quantile(0.99, lag_buckets) if have_metrics else (None, None)
        res[key] = {
            "title": title, "service": is_service, "runs": runs,
            "rps": med([x["rps"] for x in ok]),
            "rps_min": min((x["rps"] for x in ok), default=None),
            "rps_max": max((x["rps"] for x in ok), default=None),
            "p50": med([x["p50_us"] for x in ok]), "p99": med([x["p99_us"] for x in ok]),
            "cpu_per_req": med([x.get("cpu_us_per_req") for x in ok]),
            "errors": sum(x["errors"] for x in runs if x), "clean": len(ok), "all": len([x for x in runs if x]),
            "foreign": med([x.get("foreign_pct") for x in runs if x]), "lag_p99": p99_lag, "lag_p99_bound": p99_lag_bound,
            "stalls": stalls, "aborts": aborts, "have_metrics": have_metrics,
            "storms": storms,
        }

    def paired_ratio(num, den, field):
        """Median over rounds of num/den measured in the same round (adjacent in time); only rounds
        where both runs were quiet when there is at least one such round."""
        pairs = [(x, y) for x, y in zip(res[num]["runs"], res[den]["runs"]) if x and y and y[field]]
        quiet = [(x, y) for x, y in pairs if is_quiet(x) and is_quiet(y)]
        if quiet:
            rs = [x[field] / y[field] for x, y in quiet]
            return statistics.median(rs), min(rs), max(rs), f"{plural(len(quiet), 'quiet round')}", False
        qx = [x[field] for x in res[num]["runs"] if x and is_quiet(x)]
        qy = [y[field] for y in res[den]["runs"] if y and is_quiet(y) and y[field]]
        if qx and qy:
            m = statistics.median(qx) / statistics.median(qy)
            return m, min(qx) / max(qy), max(qx) / min(qy), \
                f"no quiet round for both; medians of quiet runs, {len(qx)} vs {len(qy)}", False
        rs = [x[field] / y[field] for x, y in pairs]
        if not rs:
            return (None,) * 5
        return statistics.median(rs), min(rs), max(rs), f"{plural(len(pairs), 'round')}, none quiet", True

    start_quiet = float(meta.get("quiet_below", START_QUIET_PCT))
    startup_path = os.path.join(d, "startup.json")
    st = json.load(open(startup_path)) if os.path.exists(startup_path) else None

    L = []
    L.append("# register-service benchmarks")
    L.append("")
    L.append(f"Measured {meta['date']} by `bench/run.sh`. A benchmark, not a test: the targets below are "
             "goals, checked as ratios against references measured side by side in the same run.")
    L.append("")
    L.append("## Machine and setup")
    L.append("")
    for k in ("machine", "cpu", "kernel", "jdk", "nginx", "wrk", "service", "background"):
        if meta.get(k):
            L.append(f"- **{k}**: {meta[k]}")
    L.append(f"- **load**: `wrk -t1 -c{meta['connections']} -d{meta['duration']}s --latency` over keep-alive "
             f"to 127.0.0.1, {rounds} rounds ordered D A C E F B, then B F E C A D, and so on, after {meta['warmup']} s warm-up "
             f"per server; figures are medians over the quiet runs, ratios medians of per-round ratios (see Targets).")
    L.append(f"- **CPU placement**: {meta['placement']}")
    L.append(f"- **page**: {meta['page_bytes']} bytes from the service's GET /user/register, served by every "
             f"target as chunked HTTP/1.1 in {meta['chunk_bytes']}-byte chunks (checked with `curl --raw`: "
             f"{meta['framing']})")
    L.append(f"- **abort storm (E)**: {meta['storm']}")
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("| case | target | req/s (median) | req/s min..max | p50 | p99 | server CPU / req | runs used | foreign CPU | wrk errors | loop lag p99 | stalls | client aborts |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, _, _ in CASES:
        r = res[key]
        if r["rps"] is None:
            L.append(f"| {key} | {r['title']} | failed | | | | | | | | | | |")
            continue
        if r["service"] and r["have_metrics"]:
            bound = r["lag_p99_bound"]
            lag = fmt_s_as_ms(r["lag_p99"]) + (f" (bucket ≤ {fmt_s_as_ms(bound)})" if bound and not math.isinf(bound) else "")
            extra = f"{lag} | {r['stalls']:.0f} | {r['aborts']:.0f}"
        elif r["service"]:
            extra = "n/a (metrics off) | n/a | n/a"
        else:
            extra = "– | – | –"
        L.append(f"| {key} | {r['title']} | {r['rps']:,.0f} | {r['rps_min']:,.0f}..{r['rps_max']:,.0f} | "
                 f"{fmt_ms(r['p50'])} | {fmt_ms(r['p99'])} | {fmt_us(r['cpu_per_req'])} | {r['clean']}/{r['all']} | {fmt_pct(r['foreign'])} | "
                 f"{r['errors']} | {extra} |")
    L.append("")
    L.append("Per round (req/s / p99 / CPU used by other work on the machine during the run):")
    L.append("")
    L.append("| round | " + " | ".join(k for k, _, _ in CASES) + " |")
    L.append("|---|" + "---:|" * len(CASES))
    for i in range(rounds):
        cells = []
        for key, _, _ in CASES:
            x = res[key]["runs"][i]
            cells.append("failed" if not x else
                         f"{x['rps']:,.0f} / {fmt_ms(x['p99_us'])} / {fmt_pct(x.get('foreign_pct'))}")
        L.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    if res["E"]["storms"]:
        L.append("")
        L.append("Abort storm per round: " + "; ".join(
            f"{s.get('attempted')} connections at {s.get('rate_achieved')}/s, generator CPU {s.get('cpu_s')} s"
            for s in res["E"]["storms"]))

    if close_rounds:
        L.append("")
        L.append("## Connection churn: a new connection per request")
        L.append("")
        L.append(f"The same servers (same processes, after the keep-alive rounds and a {meta.get('close_warmup', '?')} s close-mode "
                 f"warm-up each), every request on a new TCP connection: {meta.get('close_load', '')}. "
                 f"{close_rounds} rounds, alternating: {meta.get('close_order', '')}. siege reports no percentiles: "
                 "its columns show the mean response time as p50 and the longest transaction as p99.")
        L.append("")
        L.append("| case | target | trans or req/s (median) | min..max | p50 (siege: mean) | p99 (siege: longest) | server CPU / req | runs used | foreign CPU | errors |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, _, _ in CLOSE_CASES:
            r = res[key]
            if r["rps"] is None:
                L.append(f"| {key} | {r['title']} | failed | | | | | | | |")
                continue
            ok = clean([x for x in r["runs"] if x])
            p50 = r["p50"] if r["p50"] is not None else med([x.get("avg_us") for x in ok])
            p99 = r["p99"] if r["p99"] is not None else med([x.get("longest_us") for x in ok])
            L.append(f"| {key} | {r['title']} | {r['rps']:,.0f} | {r['rps_min']:,.0f}..{r['rps_max']:,.0f} | "
                     f"{fmt_ms(p50)} | {fmt_ms(p99)} | {fmt_us(r['cpu_per_req'])} | {r['clean']}/{r['all']} | "
                     f"{fmt_pct(r['foreign'])} | {r['errors']} |")
        L.append("")
        L.append("Per round (req/s or trans/s / CPU used by other work during the run):")
        L.append("")
        L.append("| round | " + " | ".join(k for k, _, _ in CLOSE_CASES) + " |")
        L.append("|---|" + "---:|" * len(CLOSE_CASES))
        for i in range(close_rounds):
            cells = []
            for key, _, _ in CLOSE_CASES:
                x = res[key]["runs"][i]
                cells.append("failed" if not x else f"{x['rps']:,.0f} / {fmt_pct(x.get('foreign_pct'))}")
            L.append(f"| {i + 1} | " + " | ".join(cells) + " |")

    cold = []
    cold_dir = os.path.join(d, "cold")
    if os.path.isdir(cold_dir):
        for name in sorted(os.listdir(cold_dir)):
            if name.endswith(".json"):
                variant, run_no = name[:-5].rsplit("-", 1)
                cold.append((variant, int(run_no), json.load(open(os.path.join(cold_dir, name)))))
    if cold:
        L.append("")
        L.append("## Time to full speed: a cold process under saturation")
        L.append("")
        L.append("Each run starts the server cold (pinned like the cases above), waits until it is ready "
                 f"({meta.get('cold_ready', 'traffic port answers 200')}), then drives it at once with back-to-back "
                 f"1-second `{meta.get('cold_wrk', 'wrk')}` runs (keep-alive) for {meta.get('cold_seconds', '?')} s. "
                 "Each second's req/s is shown as a share of the *warmed* figure of the same server from the keep-alive "
                 "rounds above (A for the service variants, B for nginx). Medians over runs; variants alternate run by run.")
        L.append("")
        variants = []
        for v, _, _ in cold:
            if v not in variants:
                variants.append(v)
        descr = dict(line.split("=", 1) for line in meta.get("cold_variants", "").split("\n") if "=" in line) \
            if isinstance(meta.get("cold_variants"), str) else {}
        nsec = max(len(c["seconds"]) for _, _, c in cold)
        L.append("| variant | start to ready (median) | " + " | ".join(f"s{i + 1}" for i in range(nsec)) + " | warmed req/s |")
        L.append("|---|---:|" + "---:|" * nsec + "---:|")
        goal_rows = []
        for v in variants:
            runs_v = [c for vv, _, c in cold if vv == v]
            warm = res["B"]["rps"] if v == "nginx" else res["A"]["rps"]
            cells = []
            for i in range(nsec):
                xs = [c["seconds"][i]["rps"] for c in runs_v if i < len(c["seconds"])]
                m = med(xs)
                cells.append("n/a" if m is None else (f"{100 * m / warm:.0f}%" if warm else f"{m:,.0f}"))
            ready = med([c["ready_s"] for c in runs_v])
            L.append(f"| {v}{(' (' + descr[v] + ')') if v in descr else ''} | {ready * 1000:.0f} ms | "
                     + " | ".join(cells) + (f" | {warm:,.0f} |" if warm else " | n/a |"))
            if v != "nginx" and warm and nsec >= 2:
                s2 = med([c["seconds"][1]["rps"] for c in runs_v if len(c["seconds"]) > 1])
                spread = [c["seconds"][1]["rps"] / warm for c in runs_v if len(c["seconds"]) > 1]
                goal_rows.append((v, s2 / warm, min(spread), max(spread), len(spread), ready))
        L.append("")
        L.append("Per run (req/s in each second; `gap` is the median time each 1-second wrk run spent outside its measured second, starting and connecting: the server idles then):")
        L.append("")
        for v, n, c in sorted(cold, key=lambda t: (t[0], t[1])):
            gaps = [x["gap_ms"] for x in c["seconds"] if x.get("gap_ms") is not None]
            errs = sum(x.get("errors", 0) for x in c["seconds"])
            L.append(f"- {v} run {n}: ready {c['ready_s'] * 1000:.0f} ms; "
                     + " ".join(f"{x['rps']:,.0f}" for x in c["seconds"])
                     + f" (gap {med(gaps) or 0:.0f} ms, wrk errors {errs})")
        L.append("")
        L.append("| cold-start target | measured | goal | met |")
        L.append("|---|---:|---:|:---:|")
        for v, share, lo, hi, n, ready in goal_rows:
            L.append(f"| {v}: req/s in the 2nd second after ready / warmed | {100 * share:.0f}% ({n} runs: "
                     f"{100 * lo:.0f}..{100 * hi:.0f}%) | >= 80% | {'yes' if share >= 0.8 else '**no**'} |")
            L.append(f"| {v}: start to ready | {ready * 1000:.0f} ms | <= 500 ms | {'yes' if ready <= 0.5 else '**no**'} |")

    L.append("")
    L.append("## Targets")
    L.append("")
    L.append(f"A run is *quiet* when other work on the machine used at most {QUIET_PCT:.0f}% of the CPUs "
             "during it. Ratios are medians of per-round ratios over the rounds where both runs were quiet; "
             "failing that, the ratio of the medians of each case's quiet runs; failing that, all rounds "
             "(marked noisy). The figures in the results table use the quiet runs when a case has any "
             "(\"runs used\").")
    L.append("")
    L.append("| target | measured | goal | met |")
    L.append("|---|---:|---:|:---:|")

    def row(name, value, goal, met, detail="", noisy=False):
        mark = "n/a" if met is None else ("yes" if met else "**no**")
        if noisy and met is not None:
            mark += " (noisy)"
        L.append(f"| {name} | {value}{detail} | {goal} | {mark} |")

    def ratio_row(name, num, den, field, goal, better_low=False):
        m, lo, hi, which, noisy = paired_ratio(num, den, field)
        if m is None:
            row(name, "n/a", goal, None)
            return
        g = float(goal.split()[-1].rstrip("x"))
        row(name, f"{m:.2f}x", goal, (m <= g) if better_low else (m >= g), f" ({which}: {lo:.2f}..{hi:.2f})",
            noisy=noisy)

    ratio_row("req/s service / nginx", "A", "B", "rps", ">= 1.5x")
    ratio_row("req/s service / bare Vert.x", "A", "C", "rps", ">= 0.95x")
    ratio_row("req/s metrics on / metrics off", "A", "D", "rps", ">= 0.97x")
    if close_rounds:
        ratio_row("close mode (wrk): service / nginx", "G", "H", "rps", ">= 1.0x")
        ratio_row("close mode (wrk): service / bare Vert.x", "G", "I", "rps", ">= 0.95x")
        ratio_row("close mode (siege): service / nginx", "J", "K", "rps", ">= 1.0x")
        ratio_row("close mode (siege): service / bare Vert.x", "J", "L", "rps", ">= 0.95x")
    lag = res["A"]["lag_p99"]
    row("event-loop lag p99 at saturation (A)", fmt_s_as_ms(lag), "<= 5 ms",
        None if lag is None else lag <= 0.005, f" ({res['A']['clean']} of {res['A']['all']} runs)",
        noisy=not any(is_quiet(x) and x.get("foreign_pct") is not None for x in res["A"]["runs"] if x))
    ratio_row("p99 under abort storm / without (E / A)", "E", "A", "p99_us", "<= 1.2x", better_low=True)
    # Not a goal of its own: on a machine whose every CPU is busy, the storm's CPU (generator and server) slows
    # any server. F runs the same storm against another server on the same CPUs, so E / F is what the aborts
    # themselves cost the service's healthy clients.
    ratio_row("diagnostic: p99 under abort storm / same storm aimed elsewhere (E / F)", "E", "F", "p99_us",
              "<= 1.2x", better_low=True)
    def startup_row(label, data):
        if not data:
            row(label, "n/a", "< 500 ms", None)
            return
        bg = data.get("busy_before_pct") or []
        runs_s = data["runs_s"]
        quiet_runs = [t for t, b in zip(runs_s, bg) if b <= start_quiet]
        m = statistics.median(quiet_runs or runs_s)
        detail = (f" (runs: {', '.join(f'{t * 1000:.0f}' for t in runs_s)} ms"
                  + (f"; CPUs busy before each: {', '.join(f'{x}%' for x in bg)}" if bg else "")
                  + (f"; median of the {len(quiet_runs)} started on a quiet machine" if quiet_runs and bg else "") + ")")
        row(label, f"{m * 1000:.0f} ms", "< 500 ms", m < 0.5, detail, noisy=bool(bg) and not quiet_runs)

    cds_path = os.path.join(d, "startup-cds.json")
    startup_row("JVM start to traffic-ready, as the image runs it (AppCDS archive; median)",
                json.load(open(cds_path)) if os.path.exists(cds_path) else None)
    startup_row("JVM start to traffic-ready, plain `java -jar` (no archive; median)", st)

    L.append("")
    L.append("### Efficiency view (CPU time of the server per request)")
    L.append("")
    L.append("Other work on the machine takes CPU from whichever case runs at the time; the server's own CPU "
             "time per request (all its threads: event loops, GC, JIT, metrics; nginx master and workers) is "
             "less sensitive to that, and it does not depend on wrk keeping up. Medians over the same runs as "
             "above (the quiet ones when any). "
             "A ratio here is the req/s ratio two servers would reach if each had the same CPU to itself.")
    L.append("")
    L.append("| comparison | CPU-normalized ratio | req/s goal |")
    L.append("|---|---:|---:|")
    for name, num, den, goal in (("service / nginx", "A", "B", ">= 1.5x"), ("service / bare Vert.x", "A", "C", ">= 0.95x"),
                                 ("metrics on / metrics off", "A", "D", ">= 0.97x"),
                                 ("close mode (wrk): service / nginx", "G", "H", ">= 1.0x"),
                                 ("close mode (wrk): service / bare Vert.x", "G", "I", ">= 0.95x")):
        if num not in res or den not in res:
            continue
        x, y = res[num]["cpu_per_req"], res[den]["cpu_per_req"]
        L.append(f"| {name} | {'n/a' if not x or not y else f'{y / x:.2f}x'} | {goal} |")
    L.append("")
    L.append("## Commands")
    L.append("")
    L.append("```")
    L.extend(meta["commands"])
    L.append("```")
    if os.path.exists(cds_path):
        meta.setdefault("notes", []).append(
            "AppCDS, as the Dockerfile does it: `java -XX:ArchiveClassesAtExit=app.jsa -jar target/register-service.jar` "
            "once (stopped with SIGTERM), then `java -XX:SharedArchiveFile=app.jsa -jar target/register-service.jar`.")
    if meta.get("notes"):
        L.append("")
        L.append("## Notes")
        L.append("")
        L.extend(f"- {n}" for n in meta["notes"])
    L.append("")
    text = "\n".join(L)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd_name", required=True)
    s = sub.add_parser("startup")
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("--http-port", type=int, required=True)
    s.add_argument("--path", default="/user/register")
    s.add_argument("--timeout", type=float, default=30.0)
    s.add_argument("--quiet-below", type=float, default=100.0, help="wait for the CPUs to be at most this busy")
    s.add_argument("--quiet-wait", type=int, default=0, help="at most this many seconds per run")
    s.add_argument("--out", required=True)
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    m = sub.add_parser("measure")
    m.add_argument("--ours", default="", help="all our PIDs (servers), comma separated")
    m.add_argument("--server", default="", help="the PIDs of the server under test")
    m.add_argument("--stdout", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("cmd", nargs=argparse.REMAINDER)
    b = sub.add_parser("busy")
    b.add_argument("--seconds", type=float, default=1.0)
    c = sub.add_parser("coldcurve")
    c.add_argument("--http-port", type=int, required=True)
    c.add_argument("--path", default="/user/register")
    c.add_argument("--ready-url", default="", help="readiness URL (default: GET PATH on the traffic port)")
    c.add_argument("--seconds", type=int, default=15)
    c.add_argument("--timeout", type=float, default=30.0)
    c.add_argument("--wrk", required=True, help="the wrk command without -d and URL")
    c.add_argument("--out", required=True)
    c.add_argument("cmd", nargs=argparse.REMAINDER)
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    r.add_argument("--out", required=True)
    a = p.parse_args()
    if a.cmd_name in ("measure", "startup", "coldcurve") and a.cmd and a.cmd[0] == "--":
        a.cmd = a.cmd[1:]
    if a.cmd_name == "measure":
        return measure(a)
    if a.cmd_name == "busy":
        return busy(a)
    if a.cmd_name == "coldcurve":
        if not a.cmd or not 1 <= a.seconds <= 60:
            p.error("coldcurve needs a command after -- and 1..60 seconds")
        return coldcurve(a)
    if a.cmd_name == "startup":
        if a.cmd and a.cmd[0] == "--":
            a.cmd = a.cmd[1:]
        if not a.cmd or not 1 <= a.runs <= 20:
            p.error("startup needs a command after -- and 1..20 runs")
        return startup(a)
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
