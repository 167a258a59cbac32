#!/usr/bin/env python3
"""Generates a synthetic cluster export of N objects (multi-document YAML) for benchmarks.

usage: gen.py N OUT.yaml [--list]   (a mix of Deployments, Services, ConfigMaps, PVCs, Pods,
Ingresses across N/50 namespaces, some failing checks, some passing). With --list, the same
objects as one `kind: List` document, the way `kubectl get -A -o yaml` prints them.
"""
import io
import sys

n, out = int(sys.argv[1]), sys.argv[2]
as_list = "--list" in sys.argv[3:]


class ListWriter:
    """Writes each object (given as one YAML document) as an item of a kubectl List."""

    def __init__(self, f):
        self.f, self.buf = f, io.StringIO()
        f.write("apiVersion: v1\nitems:\n")

    def write(self, text):
        if text == "---\n":
            self.flush()
        else:
            self.buf.write(text)

    def flush(self):
        lines = self.buf.getvalue().splitlines()
        for i, line in enumerate(lines):
            self.f.write(("- " if i == 0 else "  ") + line + "\n")
        self.buf = io.StringIO()

    def close(self):
        self.flush()
        self.f.write('kind: List\nmetadata:\n  resourceVersion: ""\n')

kinds = ["Deployment", "Service", "ConfigMap", "PersistentVolumeClaim", "Pod", "NetworkPolicy", "Ingress", "StatefulSet"]
with open(out, "w") as raw:
    f = ListWriter(raw) if as_list else raw
    for i in range(n):
        k = kinds[i % len(kinds)]
        ns = f"team-{i // 50}"
        name = f"obj-{i}"
        f.write("---\n")
        if k in ("Deployment", "StatefulSet"):
            img = "nginx:latest" if i % 3 == 0 else "nginx:1.27.3"
            res = "" if i % 5 == 0 else "\n          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n            limits: {memory: 128Mi}"
            f.write(f"""apiVersion: apps/v1
kind: {k}
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, team: {ns}}}
spec:
  replicas: {1 + i % 3}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: main
          image: {img}{res}
          ports: [{{containerPort: 8080}}]
          readinessProbe: {{httpGet: {{path: /, port: 8080}}}}
""")
        elif k == "Pod":
            f.write(f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
spec:
  containers:
    - name: main
      image: busybox:1.36
      command: [sleep, "3600"]
""")
        elif k == "Service":
            f.write(f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 8080}}]
""")
        elif k == "ConfigMap":
            f.write(f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
data:
  config.yaml: |
    log_level: info
    feature_x: true
""")
        elif k == "PersistentVolumeClaim":
            f.write(f"""apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}
  namespace: {ns}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: 1Gi}}}}
""")
        elif k == "NetworkPolicy":
            f.write(f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: {ns}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
""")
        else:
            f.write(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {ns}
spec:
  tls: [{{hosts: [{name}.example.com], secretName: {name}-tls}}]
  rules: [{{host: {name}.example.com}}]
""")
    if as_list:
        f.close()
