#!/usr/bin/env python3
"""Generates a synthetic export with many objects per namespace, for the cross-object helpers.

usage: gen-dense.py N OUT.yaml   (N/2 Deployments and N/2 PodDisruptionBudgets, 1,000 objects
per namespace: `continuity.replicas-pdb` calls objectsIn("PodDisruptionBudget", ns) for every
Deployment, so its cost grows with the square of the namespace's size)
"""
import sys

n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    for i in range(n):
        ns = f"team-{i // 1000}"
        name = f"obj-{i // 2}"
        f.write("---\n")
        if i % 2 == 0:
            f.write(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, team: {ns}}}
    spec:
      containers:
        - name: main
          image: nginx:1.27.3
          resources:
            requests: {{cpu: 100m, memory: 64Mi}}
            limits: {{memory: 128Mi}}
""")
        else:
            f.write(f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: {ns}
spec:
  minAvailable: 1
  selector:
    matchLabels: {{app: {name}}}
""")
