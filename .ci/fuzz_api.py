#!/usr/bin/env python3
"""Runs schemathesis against a seeded `onus serve` (see .ci/fuzz-api, which installs it)."""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import portal  # noqa: E402  (bench/portal.py: the server, sessions and the seed)

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onus", required=True)
    ap.add_argument("--schemathesis", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    a = ap.parse_args()
    out = os.path.join(ROOT, "target", "fuzz-api")
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onus-fuzz-api-") as tmp:
        small = os.path.join(tmp, "shop.json")
        with open(small, "wb") as f:
            subprocess.run([a.onus, "audit", os.path.join(ROOT, "examples/shop-cluster"), "-m", "ovhcloud-mks",
                            "-o", "json", "--now", "2025-06-01T00:00:00Z", "--fail-on", "none"],
                           stdout=f, check=True)
        log_path = os.path.join(out, "serve.log")
        with open(log_path, "w") as log:
            server = portal.Server(a.onus, os.path.join(tmp, "portal.db"), log)
            try:
                t0 = server.start()
                portal.wait_ready(server, t0)
                shop, _ = portal.seed(server.base, small)
                token = shop.call("POST", "/api/v1/orgs/shop/tokens", {"name": "fuzz", "role": "admin"})["token"]
                provider = portal.Session(server.base, "admin@ovhcloud.bench")
                ptoken = provider.call("POST", "/api/v1/orgs/ovhcloud/tokens", {"name": "fuzz", "role": "admin"})["token"]
                admin = portal.Session(server.base, "admin@bench.test")
                # Three identities, so that every operation is reached by one allowed to call
                # it: the customer's admin (most of the time: most operations are a tenant's),
                # the provider's admin (publishing models, events to customers) and the
                # instance administrator (organisations; a session, since it has no
                # organisation to hold a token), last because it can change everything.
                identities = [
                    ("customer admin", "shop", a.seconds, [f"Authorization: Bearer {token}"]),
                    ("provider admin", "ovhcloud", max(a.seconds // 2, 1), [f"Authorization: Bearer {ptoken}"]),
                    ("instance admin", "shop", max(a.seconds // 2, 1),
                     [f"Cookie: {admin.cookie}", f"X-CSRF-Token: {admin.csrf}"]),
                ]
                rc = 0
                for label, org, secs, headers in identities:
                    config = os.path.join(tmp, "schemathesis.toml")
                    with open(config, "w") as f:
                        # Requests go to a seeded organisation (other path parameters are
                        # generated), so that bodies and queries reach the handlers.
                        f.write(f'[parameters]\norg = "{org}"\n')
                    report_dir = os.path.join(out, label.replace(" ", "-"))
                    # One worker: with two, hypothesis describing its strategies from two
                    # threads at once failed inside CPython 3.11's ast module ("AST
                    # constructor recursion depth mismatch"), a tool error that failed the
                    # run with no server failure.
                    cmd = [os.path.abspath(a.schemathesis), "--config-file", config, "run",
                           server.base + "/api/v1/openapi.json", "--url", server.base]
                    for h in headers:
                        cmd += ["-H", h]
                    cmd += ["--checks", CHECKS, "--max-time", str(secs), "--workers", "1",
                            "--request-timeout", "30", "--no-color", "--generation-database", "none",
                            "--report", "junit", "--report-dir", report_dir]
                    print(f"fuzz-api: schemathesis for {secs} s as the {label} against {server.base}", flush=True)
                    # In target/fuzz-api: hypothesis keeps its cache (.schemathesis/) in the
                    # working folder. Serializers for the media types schemathesis lacks
                    # (.ci/fuzz_api_hooks.py).
                    env = dict(os.environ, SCHEMATHESIS_HOOKS="fuzz_api_hooks",
                               PYTHONPATH=os.path.join(ROOT, ".ci"))
                    step = subprocess.run(cmd, cwd=out, env=env).returncode
                    if step != 0:
                        print(f"fuzz-api: failures as the {label} (exit {step})", flush=True)
                        rc = rc or step
                    if server.proc.poll() is not None:
                        break
                alive = server.proc.poll() is None
            finally:
                server.stop()
        with open(log_path) as f:
            panics = [line for line in f if "panicked" in line]
    if not alive:
        sys.exit("fuzz-api: the server died during the run (see target/fuzz-api/serve.log)")
    if panics:
        sys.exit("fuzz-api: the server panicked:\n" + "".join(panics[:5]))
    if rc != 0:
        sys.exit(f"fuzz-api: schemathesis found failures (exit {rc}); report in {out}")
    print("fuzz-api: no failure")


if __name__ == "__main__":
    main()
