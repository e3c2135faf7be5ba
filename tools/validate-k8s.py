#!/usr/bin/env python3
"""Offline check of deploy/k8s/*.yaml: every object against deploy/k8s/schema.json (JSON Schema
of the Kubernetes fields the manifests use, python3-jsonschema), then what a schema cannot see:
each StatefulSet's selector matches its pod labels and names an existing headless Service, every
mounted volume is declared, every ConfigMap/Secret it uses exists, the shard count equals the
replicas, probes point at a declared port, the pod and every container are hardened
(runAsNonRoot, seccompProfile RuntimeDefault, allowPrivilegeEscalation false,
readOnlyRootFilesystem, every capability dropped), and the ConfigMap's config.json passes
`prober validate` (with its secret files stood in for by temporary files).
Usage: python3 tools/validate-k8s.py [PROBER_BINARY]"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
K8S = os.path.join(ROOT, "deploy", "k8s")


def main():
    prober = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "prober")
    schema = json.load(open(os.path.join(K8S, "schema.json")))
    validator = jsonschema.Draft202012Validator(schema)
    problems, objects = [], []
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        for doc in yaml.safe_load_all(open(path)):
            if doc is None:
                continue
            where = f"{os.path.basename(path)}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                # oneOf hides which branch was meant: report the errors of the branch of its kind.
                kind_schema = schema["$defs"].get(doc.get("kind"))
                if kind_schema is None:
                    problems.append(f"{where}: kind {doc.get('kind')!r} is not one prober's manifests use")
                    break
                sub = jsonschema.Draft202012Validator({**kind_schema, "$defs": schema["$defs"]})
                for e in sub.iter_errors(doc):
                    problems.append(f"{where}: /{'/'.join(map(str, e.path))}: {e.message}")
                break
            objects.append((where, doc))

    by_kind = {}
    for where, doc in objects:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    for name, ss in by_kind.get("StatefulSet", {}).items():
        where = f"StatefulSet/{name}"
        spec = ss["spec"]
        pod = spec["template"]
        labels = pod["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in spec["selector"]["matchLabels"].items()):
            problems.append(f"{where}: selector does not match the pod template's labels")
        service = by_kind.get("Service", {}).get(spec["serviceName"])
        if not service:
            problems.append(f"{where}: serviceName {spec['serviceName']} is not a Service here")
        elif service["spec"].get("clusterIP") != "None":
            problems.append(f"{where}: its Service must be headless (clusterIP: None)")
        declared = {v["name"] for v in pod["spec"].get("volumes", [])} | {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        for v in pod["spec"].get("volumes", []):
            if "configMap" in v and v["configMap"]["name"] not in by_kind.get("ConfigMap", {}):
                problems.append(f"{where}: ConfigMap {v['configMap']['name']} is not defined")
            if "secret" in v and v["secret"]["secretName"] not in by_kind.get("Secret", {}):
                problems.append(f"{where}: Secret {v['secret']['secretName']} is not defined")
        pod_security = pod["spec"].get("securityContext", {})
        if pod_security.get("runAsNonRoot") is not True:
            problems.append(f"{where}: the pod must set securityContext.runAsNonRoot: true")
        if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: the pod must set securityContext.seccompProfile.type: RuntimeDefault")
        for c in pod["spec"]["containers"]:
            security = c.get("securityContext", {})
            for key, wanted in (("allowPrivilegeEscalation", False), ("readOnlyRootFilesystem", True)):
                if security.get(key) is not wanted:
                    problems.append(f"{where}: container {c['name']} must set securityContext.{key}: {str(wanted).lower()}")
            if security.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: container {c['name']} must drop every capability (capabilities.drop: [ALL])")
            if security.get("privileged"):
                problems.append(f"{where}: container {c['name']} must not be privileged")
            for m in c.get("volumeMounts", []):
                if m["name"] not in declared:
                    problems.append(f"{where}: volumeMount {m['name']} has no volume")
            ports = {p.get("name") for p in c.get("ports", [])} | {p["containerPort"] for p in c.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe"):
                if probe in c and c[probe]["httpGet"]["port"] not in ports:
                    problems.append(f"{where}: {probe} port is not a container port")
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            shard = env.get("PROBER_SHARD", "")
            m = re.search(r"/(\d+)$", shard)
            if m and int(m.group(1)) != spec.get("replicas", 1):
                problems.append(f"{where}: PROBER_SHARD counts {m.group(1)} shards but replicas is {spec.get('replicas', 1)}")

    for name, cm in by_kind.get("ConfigMap", {}).items():
        if "config.json" not in cm["data"]:
            continue
        config = json.loads(cm["data"]["config.json"])
        with tempfile.TemporaryDirectory() as tmp:
            for sink in config.get("sinks", {}).values():  # stand-ins for the Secret's files
                for key in [k for k in sink if k.endswith("_file")]:
                    stand_in = os.path.join(tmp, os.path.basename(sink[key]))
                    open(stand_in, "w").write("x")
                    sink[key] = stand_in
            path = os.path.join(tmp, "config.json")
            json.dump(config, open(path, "w"))
            out = subprocess.run([prober, "validate", "--config", path], capture_output=True, text=True)
            if out.returncode != 0:
                problems.append(f"ConfigMap/{name}: config.json: {out.stderr.strip()}")

    for p in problems:
        print(p)
    print(f"{len(objects)} objects in deploy/k8s: {'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
