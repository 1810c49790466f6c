"""Load on the web app: 50 concurrent users on loopback, measured with wrk.

    .venv/bin/python benchmarks/web_load.py [--workspace demo/bradford] [--seconds 15]

Serves a copy of the demo place with `totalplace serve` (a real uvicorn server in
its own process), signs in as the partner, and runs `wrk` (Debian package) with
50 connections against the overview and breakdown pages, printing p50, p95 and
p99. The baseline, in the same run, is a static file from the same server
(Starlette's StaticFiles: a stat and a file read in a worker thread per request),
so the ratio shows a page against the same HTTP stack serving a file; a cached
page now costs the app less than that file. Goal: p95 under 150 ms for the pages.
The machine's load average is printed before and after: figures are only
comparable at similar load.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
CONNECTIONS = 50
GOAL_P95_MS = 150
PAGES = ["/static/site.css", "/", "/breakdown/theme", "/breakdown/agency", "/breakdown/cofog",
         "/breakdown/month", "/breakdown/supplier"]
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_copy(source: Path, into: Path) -> Path:
    if not (source / "store" / "totalplace.duckdb").exists():
        sys.exit(f"{source} has no loaded store: run `make demo` first")
    target = into / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("state", "output"))
    return target


def start_server(workspace: Path, port: int) -> tuple[subprocess.Popen, dict[str, str]]:
    venv = PROJECT / ".venv" / "bin" / "totalplace"  # `make bench`; else the totalplace on PATH
    command = [str(venv) if venv.exists() else shutil.which("totalplace") or "totalplace", "serve", str(workspace),
               "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    passwords: dict[str, str] = {}
    for line in server.stdout:
        found = re.match(r"\s+(\S+)\s+(administrator|partner|public|analyst)\s+(\S+)$", line)
        if found:
            passwords[found.group(1)] = found.group(3)
        if line.startswith("Serving"):
            break
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/site.css", timeout=1)
            return server, passwords
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not start")


def session_cookie(base: str, password: str) -> str:
    # The first view of a page makes its figures (the top-down count takes seconds): a long timeout.
    with httpx.Client(base_url=base, timeout=120) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "partner", "password": password, "csrf": csrf})
        for page in PAGES:  # first view fills the cache; the load measures what users then get
            assert client.get(page).status_code == 200, page
        return f"totalplace_session={client.cookies['totalplace_session']}"


def wrk(url: str, cookie: str, seconds: int, script: Path) -> tuple[int, int, float, float, float]:
    result = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
                             "-s", str(script), "-H", f"Cookie: {cookie}", url],
                            capture_output=True, text=True, check=True)
    fields = next(line for line in result.stdout.splitlines() if line.startswith("RESULT")).split()[1:]
    return int(fields[0]), int(fields[1]), float(fields[2]), float(fields[3]), float(fields[4])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=PROJECT / "demo" / "bradford")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = demo_copy(args.workspace.resolve(), Path(tmp))
        port = free_port()
        server, passwords = start_server(workspace, port)
        try:
            base = f"http://127.0.0.1:{port}"
            cookie = session_cookie(base, passwords["partner"])
            script = Path(tmp) / "percentiles.lua"
            script.write_text(LUA)
            print(f"{CONNECTIONS} connections, {args.seconds} s each, signed in as partner, {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f}")
            print(f"{'page':<22}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
                  f"{'p95/static':>11}  goal p95 < {GOAL_P95_MS} ms")
            baseline = None
            for page in PAGES:
                requests, errors, p50, p95, p99 = wrk(base + page, cookie, args.seconds, script)
                baseline = baseline or p95
                verdict = "" if page.startswith("/static") else ("met" if p95 < GOAL_P95_MS else "NOT MET")
                print(f"{page:<22}{requests:>9}{errors:>7}{requests / args.seconds:>8.0f}{p50:>9.1f}{p95:>9.1f}"
                      f"{p99:>9.1f}{p95 / baseline:>11.1f}  {verdict}")
            print(f"load average after: {os.getloadavg()[0]:.1f}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
