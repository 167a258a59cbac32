#!/usr/bin/env python3
"""The portal's speed benchmark (issue 12, "Speed"): run by bench/portal.sh, which builds onus,
makes the 100,000-object audit report and finds a load generator first.

usage: portal.py --onus BIN --database SPEC --report BIG.json --small SMALL.json
                 --load wrk|oha --load-bin PATH [--seconds 10] [--connections 64] [--runs 3]

Against one database (a SQLite file or a postgres:// URL, empty at start) it:
  1. starts `onus serve` on 127.0.0.1 and a free port and seeds it through the API as a user
     would: a provider publishing models/ovhcloud-mks.yaml, a customer subscribed to it with
     an API token, the example cluster's audit and attestations;
  2. times the ingestion of the big report (POST /api/v1/orgs/{org}/audits, the way
     `onus audit --push` sends it), `--runs` times;
  3. loads GET /api/v1/orgs/{org}/obligations (bearer token) and the dashboard page (session
     cookie) with `--connections` clients for `--seconds` each, after a short warm-up: every
     request authenticated and checked against the tenant, as in production;
  4. stops the server and times `--runs` start-ups on the now existing database (from the
     process's start to its first authenticated answer).
It prints one line per figure and a JSON summary on the last line; it stops every process it
started, also on failure.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, onus, database, log):
        self.onus, self.database, self.log = onus, database, log
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        env = dict(os.environ, ONUS_ADMIN_PASSWORD=PASSWORD, ONUS_LOG="warn")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.onus, "serve", "--database", self.database, "--listen", f"127.0.0.1:{self.port}",
             "--admin-email", "admin@bench.test", "--max-body-mib", "256"],
            env=env, stdout=self.log, stderr=self.log)
        return t0

    def cpu_seconds(self):
        """The server process's CPU time so far (user + system), from /proc."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def request(method, url, body=None, headers=None, timeout=120):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wait_ready(server, t0, token=None, limit=30.0):
    """Seconds from t0 until the server answers (GET /api/v1/me with `token`, else the
    sign-in page) with 200."""
    path, headers = ("/api/v1/me", {"Authorization": f"Bearer {token}"}) if token else ("/login", {})
    while time.monotonic() - t0 < limit:
        if server.proc.poll() is not None:
            sys.exit(f"onus serve exited with {server.proc.returncode} (log: {server.log.name})")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.05):
                pass
            status, _, _ = request("GET", server.base + path, headers=headers, timeout=5)
            if status == 200:
                return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.001)
    sys.exit(f"onus serve did not answer within {limit} s (log: {server.log.name})")


class Session:
    """A signed-in user: the session cookie and the CSRF token changes need."""

    def __init__(self, base, email):
        self.base = base
        status, headers, body = request(
            "POST", base + "/api/v1/auth/login",
            json.dumps({"email": email, "password": PASSWORD}).encode(),
            {"Content-Type": "application/json"})
        if status != 200:
            sys.exit(f"sign-in of {email}: {status} {body[:300]!r}")
        cookie = headers.get("Set-Cookie", "").split(";")[0]
        self.cookie = cookie
        self.csrf = json.loads(body)["csrf_token"]

    def call(self, method, path, body=None, ctype="application/json", ok=(200, 201)):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        status, _, out = request(method, self.base + path, data,
                                 {"Cookie": self.cookie, "X-CSRF-Token": self.csrf, "Content-Type": ctype})
        if status not in ok:
            sys.exit(f"{method} {path}: {status} {out[:500]!r}")
        return json.loads(out) if out else None


def seed(base, small_report):
    admin = Session(base, "admin@bench.test")
    for slug, name, kind, email in [("ovhcloud", "OVHcloud", "provider", "admin@ovhcloud.bench"),
                                    ("shop", "Shop SAS", "customer", "admin@shop.bench")]:
        admin.call("POST", "/api/v1/orgs", {"slug": slug, "name": name, "kind": kind,
                                             "admin": {"email": email, "name": f"{name} admin", "password": PASSWORD}})
    provider = Session(base, "admin@ovhcloud.bench")
    with open(os.path.join(ROOT, "models/ovhcloud-mks.yaml"), "rb") as f:
        provider.call("POST", "/api/v1/orgs/ovhcloud/models", f.read(), "application/yaml")
    shop = Session(base, "admin@shop.bench")
    shop.call("POST", "/api/v1/orgs/shop/subscriptions", {"provider": "ovhcloud", "model": "ovhcloud-mks"})
    token = shop.call("POST", "/api/v1/orgs/shop/tokens", {"name": "bench", "role": "member"})["token"]
    with open(small_report, "rb") as f:
        shop.call("POST", "/api/v1/orgs/shop/audits", f.read())
    with open(os.path.join(ROOT, "examples/shop-attestations.yaml"), "rb") as f:
        shop.call("POST", "/api/v1/orgs/shop/attestations?model=ovhcloud-mks", f.read(), "application/yaml")
    return shop, token


def ingest(base, token, report):
    with open(report, "rb") as f:
        body = f.read()
    t0 = time.monotonic()
    status, _, out = request("POST", base + "/api/v1/orgs/shop/audits", body,
                             {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, timeout=600)
    took = time.monotonic() - t0
    if status != 201:
        sys.exit(f"ingesting {report}: {status} {out[:500]!r}")
    return took, len(body), json.loads(out)["counts"]


def load(tool, binary, url, header, seconds, connections):
    """Requests/s, p50 and p99 latency (ms) and non-2xx answers of a load run."""
    if tool == "wrk":
        cmd = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", header, url]
    else:
        cmd = [binary, "--no-tui", "-z", f"{seconds}s", "-c", str(connections), "-H", header, url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if tool == "wrk":
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

        def pct(p):
            m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
            v = float(m.group(1))
            return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
        m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        bad = int(m.group(1)) if m else 0
        return rps, pct(50), pct(99), bad, out
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        return float(re.search(rf"{p}\.00% in ([\d.]+) secs", out).group(1)) * 1000
    codes = dict((int(c), int(n)) for c, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    bad = sum(n for c, n in codes.items() if not 200 <= c < 300)
    return rps, pct(50), pct(99), bad, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onus", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--small", required=True)
    ap.add_argument("--load", choices=["wrk", "oha"], required=True)
    ap.add_argument("--load-bin", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--label", default="")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    label = a.label or ("PostgreSQL" if a.database.startswith("postgres") else "SQLite")
    summary = {"backend": label}
    with open(a.log, "w") as log:
        server = Server(a.onus, a.database, log)
        try:
            t0 = server.start()
            wait_ready(server, t0)
            shop, token = seed(server.base, a.small)
            takes = []
            for i in range(a.runs):
                took, size, counts = ingest(server.base, token, a.report)
                takes.append(took)
                print(f"[{label}] ingest {size / 1e6:.1f} MB report, run {i + 1}: {took:.2f} s  (counts {counts})", flush=True)
            summary["ingest_s"] = takes
            for name, path, header in [
                ("obligations", "/api/v1/orgs/shop/obligations", f"Authorization: Bearer {token}"),
                ("dashboard", "/dashboard", f"Cookie: {shop.cookie}"),
            ]:
                url = server.base + path
                status, _, body = request("GET", url, headers=dict([header.split(": ", 1)]))
                if status != 200:
                    sys.exit(f"GET {path}: {status} {body[:300]!r}")
                load(a.load, a.load_bin, url, header, 2, a.connections)  # warm-up
                cpu0 = server.cpu_seconds()
                rps, p50, p99, bad, out = load(a.load, a.load_bin, url, header, a.seconds, a.connections)
                # The server's own CPU per request: what the machine's cores cap throughput at,
                # whatever else (the load generator) runs beside it.
                cpu_us = (server.cpu_seconds() - cpu0) / max(rps * a.seconds, 1) * 1e6
                if bad:
                    sys.exit(f"{name}: {bad} answers were not 2xx:\n{out}")
                print(f"[{label}] GET {path}: {rps:,.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                      f"server CPU {cpu_us:.0f} µs/request ({a.connections} clients, {a.seconds} s, {a.load})",
                      flush=True)
                summary[name] = {"rps": rps, "p50_ms": p50, "p99_ms": p99, "server_cpu_us": cpu_us}
            server.stop()
            starts = []
            for i in range(a.runs + 2):
                t0 = server.start()
                starts.append(wait_ready(server, t0, token) * 1000)
                server.stop()
            starts.sort()
            print(f"[{label}] start-up on the existing database, to the first authenticated answer: "
                  f"median {starts[len(starts) // 2]:.0f} ms (all: {', '.join(f'{s:.0f}' for s in starts)} ms)", flush=True)
            summary["startup_ms"] = starts
        finally:
            server.stop()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
