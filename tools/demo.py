#!/usr/bin/env python3
"""Starts the loopback test lab, runs `prober check` on a few targets in it, then the agent
(`prober run`) on an example configuration for the lab, printing what an on-call engineer would
see. Only loopback addresses are contacted."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from lab import Lab  # noqa: E402
from lab_process import free_port  # noqa: E402


def main():
    # SIGTERM (kill, timeout) unwinds like an exception, so the lab's servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    prober = sys.argv[1] if len(sys.argv) > 1 else "build/prober"
    print("Starting a loopback lab (nginx, dnsmasq, unbound, test certificates)...", flush=True)
    lab = Lab()
    try:
        http, dns = lab.port("http"), lab.dns.server
        demos = [
            ("a healthy HTTPS site (HTTP/2, private CA)",
             [f"https://localhost:{lab.port('valid')}/ok", "--ca-file", lab.ca_file]),
            ("'works in my browser': the server omits its intermediate certificate",
             [f"https://localhost:{lab.port('no_intermediate')}/ok", "--ca-file", lab.ca_file]),
            ("'works in my browser': IPv6 broken while IPv4 works",
             [f"http://dual.test:{http}/ok", "--ip", "each", "--dns-server", dns]),
            ("a bot wall answering a monitor", [f"http://127.0.0.1:{http}/challenge"]),
            ("where it breaks: the same kind of wall, diagnosed (a browser's headers get in)",
             [f"http://127.0.0.1:{http}/botwall", "--diagnose"]),
            ("a certificate expiring in 3 days",
             [f"localhost:{lab.port('expiring')}", "--type", "tls", "--ca-file", lab.ca_file]),
            ("a lame DNS delegation", [f"http://lame.test:{http}/", "--dns-server", lab.unbound.server]),
            ("a DNS check", ["mx.test", "--record", "MX", "--dns-server", dns]),
        ]
        for title, args in demos:
            print(f"\n### {title}\n$ prober check {' '.join(args)}", flush=True)
            code = subprocess.run([prober, "check", *args]).returncode
            print(f"(exit status {code})", flush=True)
        run_agent(prober, lab)
    finally:
        lab.stop()


def run_agent(prober, lab):
    """The agent on an example configuration for the lab (examples/config.json is the template
    for real sites): a few seconds of results, then /metrics, then SIGTERM."""
    http = lab.port("http")
    port = free_port()
    config = {
        "vantage": {"name": "demo-1", "region": "loopback"},
        "defaults": {"interval": "2s", "timeout": "1s", "retry_interval": "1s"},
        "monitors": [
            {"name": "shop-home", "type": "http", "url": f"https://localhost:{lab.port('valid')}/ok",
             "tls": {"ca_file": lab.ca_file}, "expect": {"body_regex": "Welcome"}},
            {"name": "shop-chain", "type": "tls", "target": f"localhost:{lab.port('no_intermediate')}",
             "tls": {"ca_file": lab.ca_file}},
            {"name": "shop-dual", "type": "http", "url": f"http://dual.test:{http}/ok",
             "dns_servers": [lab.dns.server], "ip_version": "each"},
            {"name": "shop-mx", "type": "dns", "query": "mx.test", "record": "MX", "server": lab.dns.server},
        ],
        "modules": {"http_2xx": {"type": "http"}},
        "sinks": {"prometheus": {"listen": f"127.0.0.1:{port}"}},
    }
    path = os.path.join(lab.dir, "demo-config.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    print(f"\n### the agent: prober run --config {path}  (5 seconds, then SIGTERM)", flush=True)
    agent = subprocess.Popen([prober, "run", "--config", path], stdout=subprocess.PIPE, text=True)
    time.sleep(5)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    agent.send_signal(signal.SIGTERM)
    out, _ = agent.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    print(f"{len(lines)} results on stdout (JSONL), e.g.:", flush=True)
    seen = set()
    for r in lines:
        key = (r["monitor"], r["address"])
        if key not in seen:
            seen.add(key)
            print(f"  {r['monitor']:<11} {str(r['address']):<10} {r['status']:<8} {r['class']:<22} {r['message']}")
    print(f"\n$ curl -s 127.0.0.1:{port}/metrics | grep ^probe_success", flush=True)
    for line in metrics.splitlines():
        if line.startswith("probe_success"):
            print("  " + line)
    print(f"(agent exit status {agent.returncode})", flush=True)


if __name__ == "__main__":
    main()
