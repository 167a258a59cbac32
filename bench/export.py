#!/usr/bin/env python3
"""Seeds a portal with many large audit runs and measures `onus org export` (docs/benchmarks.md,
"Leaving: export in bounded memory"). Run by bench/export.sh.

The portal is the real server (`onus serve` on 127.0.0.1), fed through its API as CI would
push: a provider publishing ovhcloud-mks, a customer subscribed, AUDITS uploads of the same
N-object report, each with its own `now` so that each is a distinct file. After each
checkpoint the server is stopped and `onus org export` runs under GNU time: its peak RSS
against the archive's size is the measurement.
"""
import argparse
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

PASSWORD = "correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.headers = {}

    def call(self, method, path, body=None, ctype="application/json"):
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        req = urllib.request.Request(self.base + path, data=data, method=method)
        for k, v in self.headers.items():
            req.add_header(k, v)
        if data is not None:
            req.add_header("content-type", ctype)
        with self.opener.open(req, timeout=600) as r:
            text = r.read()
            return json.loads(text) if text else None

    def login(self, email):
        r = self.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
        self.headers["x-csrf-token"] = r["csrf_token"]
        return self


def serve(onus, database, log):
    port = free_port()
    env = dict(os.environ, ONUS_ADMIN_PASSWORD=PASSWORD, ONUS_ADMIN_EMAIL="root@bench.test")
    p = subprocess.Popen([onus, "serve", "--database", database, "--listen", f"127.0.0.1:{port}",
                          "--max-body-mib", "256"],
                         env=env, stdout=subprocess.DEVNULL, stderr=open(log, "a"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2).read()
            return p, base
        except OSError:
            time.sleep(0.1)
    p.kill()
    sys.exit(f"onus serve did not start (see {log})")


def stop(p):
    p.terminate()
    p.wait(timeout=60)


def measure(onus, database, out, repeat):
    """Runs the export `repeat` times; answers [(wall_s, peak_kib)], and the archive's size."""
    runs = []
    for _ in range(repeat):
        t = subprocess.run(["/usr/bin/time", "-f", "%e %M", onus, "org", "export", "shop",
                            "--database", database, "-O", out],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
        wall, kib = t.stderr.strip().splitlines()[-1].split()
        runs.append((float(wall), int(kib)))
    return runs, os.path.getsize(out)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--onus", required=True)
    a.add_argument("--database", required=True)
    a.add_argument("--report", required=True)
    a.add_argument("--model", required=True)
    a.add_argument("--checkpoints", required=True, help="comma-separated audit counts")
    a.add_argument("--out", required=True)
    a.add_argument("--runs", type=int, default=3)
    a.add_argument("--log", required=True)
    o = a.parse_args()
    checkpoints = sorted(int(c) for c in o.checkpoints.split(","))
    report = open(o.report, "rb").read()
    marker = b'"now": "2025-06-01T00:00:00+00:00"'
    if marker not in report:
        sys.exit(f"{o.report}: no {marker.decode()} to vary")

    p, base = serve(o.onus, o.database, o.log)
    admin = Client(base).login("root@bench.test")
    for slug, kind, email in [("ovhcloud", "provider", "p@bench.test"),
                              ("shop", "customer", "alice@bench.test")]:
        admin.call("POST", "/api/v1/orgs", {"slug": slug, "name": slug, "kind": kind,
                                            "admin": {"email": email, "name": slug,
                                                      "password": PASSWORD}})
    Client(base).login("p@bench.test").call("POST", "/api/v1/orgs/ovhcloud/models",
                                            open(o.model, "rb").read(), "application/yaml")
    shop = Client(base).login("alice@bench.test")
    shop.call("POST", "/api/v1/orgs/shop/subscriptions",
              {"provider": "ovhcloud", "model": "ovhcloud-mks"})
    token = shop.call("POST", "/api/v1/orgs/shop/tokens", {"name": "bench"})["token"]
    ci = Client(base)
    ci.headers["authorization"] = f"Bearer {token}"
    print(f"report: {len(report)} bytes per audit run")
    print(f"{'audits':>6} {'archive':>10} {'export wall':>12} {'peak RSS':>10}  (each run)")
    done = 0
    for target in checkpoints:
        while done < target:
            # Each run its own minute: a distinct report, a distinct stored file.
            now = f'"now": "2025-06-01T{done // 60 % 24:02d}:{done % 60:02d}:00+00:00"'.encode()
            ci.call("POST", "/api/v1/orgs/shop/audits", report.replace(marker, now, 1))
            done += 1
        stop(p)
        runs, size = measure(o.onus, o.database, o.out, o.runs)
        walls = " ".join(f"{w:.1f}s" for w, _ in runs)
        rss = " ".join(f"{k / 1024:.0f}MiB" for _, k in runs)
        print(f"{done:>6} {size / 2**20:>8.0f}MiB {walls:>12} {rss:>10}", flush=True)
        if target != checkpoints[-1]:
            p, base = serve(o.onus, o.database, o.log)
            ci.base = base


if __name__ == "__main__":
    main()
