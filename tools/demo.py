#!/usr/bin/env python3
"""Starts the loopback test lab and runs `prober check` on a few targets in it, printing what an
on-call engineer would see. Only loopback addresses are contacted."""
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from lab import Lab  # noqa: E402


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
            ("a certificate expiring in 3 days",
             [f"localhost:{lab.port('expiring')}", "--type", "tls", "--ca-file", lab.ca_file]),
            ("a lame DNS delegation", [f"http://lame.test:{http}/", "--dns-server", lab.unbound.server]),
            ("a DNS check", ["mx.test", "--record", "MX", "--dns-server", dns]),
        ]
        for title, args in demos:
            print(f"\n### {title}\n$ prober check {' '.join(args)}", flush=True)
            code = subprocess.run([prober, "check", *args]).returncode
            print(f"(exit status {code})", flush=True)
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
