#!/usr/bin/env python3
"""A small, bounded abort generator for bench/run.sh (only ever aims at 127.0.0.1).

Each abort: connect, send the request (optionally several pipelined copies, so the server is still
writing when the client goes), read until the end of the first response's headers, then close: with
SO_LINGER {1,0} (RST at once) or a plain close (unread data makes the kernel send RST as well; the
server then sees ECONNRESET or EPIPE depending on timing). A small receive buffer, set before connect,
keeps the server from pushing every response into the kernel before the close, so the aborts land
mid-body like a siege Ctrl-C does.

Paced at --rate aborts per second for --duration seconds, one connection at a time; never more than
rate * duration connections. Prints one JSON summary line on stdout.
"""
import argparse
import json
import resource
import socket
import struct
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/user/register")
    p.add_argument("--rate", type=float, default=200.0, help="aborts per second (max 5000)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds (max 600)")
    p.add_argument("--pipeline", type=int, default=4, help="requests sent per connection (1..64)")
    p.add_argument("--rcvbuf", type=int, default=4096, help="client SO_RCVBUF bytes, 0 = system default")
    p.add_argument("--timeout", type=float, default=2.0, help="per-connection socket timeout, seconds")
    a = p.parse_args()
    if not (0 < a.rate <= 5000 and 0 < a.duration <= 600 and 1 <= a.pipeline <= 64):
        p.error("rate must be in (0, 5000], duration in (0, 600], pipeline in [1, 64]")

    host = "127.0.0.1"
    request = (f"GET {a.path} HTTP/1.1\r\nHost: {host}:{a.port}\r\nUser-Agent: abort-storm\r\n"
               "Accept: */*\r\n\r\n").encode("ascii") * a.pipeline
    linger_rst = struct.pack("ii", 1, 0)
    limit = int(a.rate * a.duration)
    stats = {"attempted": 0, "rst": 0, "close": 0, "no_headers": 0, "errors": 0}
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    deadline = start + a.duration

    for i in range(limit):
        due = start + i / a.rate
        now = time.monotonic()
        if now >= deadline:
            break
        if due > now:
            time.sleep(due - now)
        stats["attempted"] += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(a.timeout)
            if a.rcvbuf > 0:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
            s.connect((host, a.port))
            s.sendall(request)
            seen = b""
            while b"\r\n\r\n" not in seen and len(seen) < 65536:
                data = s.recv(4096)
                if not data:
                    break
                seen += data
            if b"\r\n\r\n" not in seen:
                stats["no_headers"] += 1
            if i % 2 == 0:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_rst)
                stats["rst"] += 1
            else:
                stats["close"] += 1
        except OSError:
            stats["errors"] += 1
        finally:
            s.close()

    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = time.monotonic() - start
    stats.update({
        "elapsed_s": round(elapsed, 3),
        "rate_achieved": round(stats["attempted"] / elapsed, 1) if elapsed > 0 else 0,
        "cpu_s": round((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), 3),
        "rate": a.rate, "pipeline": a.pipeline, "rcvbuf": a.rcvbuf,
    })
    print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
