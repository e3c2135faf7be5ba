#!/usr/bin/env python3
"""CPU time per check, one command: starts the loopback lab pinned to core 1, runs bench's
check_cpu pinned to core 0 for HTTP, HTTPS (full TLS 1.3 handshake, ECDSA P-256, fresh
connection each), TLS-only, TCP and DNS, and prints one line each; then HTTP and DNS at the
agent's pace (100 checks/s, one start per wake-up, then ten at a time).
Usage: bench/cpu_per_check.py [BUILD_DIR]   (default build/)"""
import os
import signal
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from lab import Lab  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from versions import library_versions  # noqa: E402


def main():
    # SIGTERM (kill, timeout) unwinds like an exception, so the lab's servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    cores = os.cpu_count() or 1
    if cores > 1:
        os.sched_setaffinity(0, {1})  # the servers (children inherit this) on core 1
    libs = library_versions(os.path.join(build, "prober"))
    lab = Lab()
    try:
        p, ca, dns = lab.nginx.ports, lab.ca_file, lab.dns.server
        runs = [
            ["http", f"http://127.0.0.1:{p['http']}/ok", "5000", "20"],
            ["https", f"https://localhost:{p['tls13_only']}/ok", "2000", "20", "--ca-file", ca],
            ["tls", f"localhost:{p['tls13_only']}", "2000", "20", "--ca-file", ca],
            ["tcp", f"127.0.0.1:{p['http']}", "5000", "20"],
            ["dns", "v4only.test", "20000", "20", "--dns-server", dns],
            # The agent's pace: 100 checks/s, each start on its own wake-up of the loop, then ten
            # started together.
            ["http", f"http://127.0.0.1:{p['http']}/ok", "1000", "20", "--rate", "100"],
            ["http", f"http://127.0.0.1:{p['http']}/ok", "1000", "20", "--rate", "100", "--burst", "10"],
            ["dns", "v4only.test", "1000", "20", "--dns-server", dns, "--rate", "100"],
            ["dns", "v4only.test", "1000", "20", "--dns-server", dns, "--rate", "100", "--burst", "10"],
        ]
        for argv in runs:
            pin = ["taskset", "-c", "0"] if cores > 1 else []
            out = subprocess.run(pin + [os.path.join(build, "check_cpu"), *argv], capture_output=True, text=True)
            print(f"{out.stdout.strip() or out.stderr.strip()}  [{libs}]", flush=True)
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
