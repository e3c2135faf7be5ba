#!/usr/bin/env python3
"""Two builds of prober, A and B, measured the same way in alternating windows: CPU µs per /probe
(utime + stime of the agent over the window, divided by the probes wrk completed). On a noisy
virtual machine two benchmark runs minutes apart differ by ±25 %; windows of a few seconds taken
in turn, A B A B ..., see the same noise, so the median of the per-round ratios B/A shows a
change of a few per cent that separate runs cannot.

Needs the peer-bench lab up (../shared/peer-bench/lab_up.sh: nginx on 18080, dnsmasq on 18053)
and wrk. Both agents are pinned to CPU 1 and wrk to CPU 0, as in bench/peer_compare.sh.

  bench/probe_ab.py /tmp/base/build/prober build/prober --module http_2xx --conc 16 --rounds 8

--callgrind counts instead of timing: each agent runs under valgrind's callgrind, the counters are
zeroed after a warm-up, wrk drives it (4 connections, --seconds), and the figure is the agent's
user-space instructions per /probe. It does not see the kernel's part, but two counts of the same
binary agree within ~1 %, where CPU time on this kind of machine moves by a quarter (needs valgrind).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"http_2xx": "http://127.0.0.1:18080/", "dns_a": "127.0.0.1:18053",
           "https_2xx": "https://127.0.0.1:18443/"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start(binary, port, workdir, wrapper=()):
    config = json.loads((HERE / "peer_modules.json").read_text())
    config["sinks"]["prometheus"]["listen"] = f"127.0.0.1:{port}"
    path = Path(workdir) / f"agent-{port}.json"
    path.write_text(json.dumps(config))
    log = open(Path(workdir) / f"agent-{port}.log", "w")
    proc = subprocess.Popen(["taskset", "-c", "1", *wrapper, binary, "run", "--config", str(path), "--log-format", "json"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"{binary} did not become ready on port {port}")


def window(proc, url, conc, seconds):
    before = cpu_s(proc.pid)
    out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", f"-c{conc}", f"-d{seconds}s", url],
                         capture_output=True, text=True, check=True).stdout
    time.sleep(0.2)  # probes cut off by wrk's stop finish
    used = cpu_s(proc.pid) - before
    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        sys.exit(f"{url}: {bad.group(1)} answers were not 200")
    return 1e6 * used / max(done, 1), done


def instructions_per_probe(binary, port, url, seconds, workdir):
    out = Path(workdir) / f"callgrind-{port}.out"
    proc = start(binary, port, workdir, ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"))
    try:
        wrk = ["taskset", "-c", "0", "wrk", "-t1", "-c4"]
        subprocess.run([*wrk, "-d2s", url], capture_output=True, check=True)  # warm-up
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], capture_output=True, check=True)
        text = subprocess.run([*wrk, f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True, check=True)
        done = int(re.search(r"(\d+) requests in", text).group(1))
        if re.search(r"Non-2xx or 3xx responses", text):
            sys.exit(f"{url}: answers were not 200")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    dumps = sorted(Path(workdir).glob(f"callgrind-{port}.out.*"))  # the dump after zeroing
    total = int(re.search(r"^summary: (\d+)", dumps[-1].read_text(), re.M).group(1))
    return total / max(done, 1), done


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="prober binary A (the base)")
    ap.add_argument("b", help="prober binary B (the change)")
    ap.add_argument("--module", default="http_2xx", choices=sorted(TARGETS))
    ap.add_argument("--conc", type=int, default=16, help="wrk connections (1: one probe at a time)")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=4, help="length of one window")
    ap.add_argument("--callgrind", action="store_true", help="instructions per probe instead of CPU time")
    args = ap.parse_args()
    if args.callgrind:
        with tempfile.TemporaryDirectory() as workdir:
            got = {}
            for k, binary, port in (("A", args.a, 18117), ("B", args.b, 18118)):
                url = f"http://127.0.0.1:{port}/probe?module={args.module}&target={TARGETS[args.module]}"
                got[k], n = instructions_per_probe(binary, port, url, max(args.seconds, 6), workdir)
                print(f"{k}: {got[k]:.0f} instructions per probe ({n} probes)", flush=True)
        print(f"{args.module} under callgrind: B/A {got['B'] / got['A']:.3f}")
        return
    with tempfile.TemporaryDirectory() as workdir:
        agents = {"A": start(args.a, 18117, workdir), "B": start(args.b, 18118, workdir)}
        urls = {k: f"http://127.0.0.1:{port}/probe?module={args.module}&target={TARGETS[args.module]}"
                for k, port in (("A", 18117), ("B", 18118))}
        try:
            for k in agents:  # warm-up: first connections, contexts, page faults
                window(agents[k], urls[k], args.conc, 1)
            us = {"A": [], "B": []}
            ratios = []
            for r in range(args.rounds):
                order = ("A", "B") if r % 2 == 0 else ("B", "A")
                got = {}
                for k in order:
                    got[k], n = window(agents[k], urls[k], args.conc, args.seconds)
                    us[k].append(got[k])
                ratios.append(got["B"] / got["A"])
                print(f"round {r + 1}: A {got['A']:.1f} µs  B {got['B']:.1f} µs  B/A {ratios[-1]:.3f}", flush=True)
        finally:
            for p in agents.values():
                p.terminate()
                p.wait(timeout=10)
    version = subprocess.run([args.b, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"{args.module} wrk -c{args.conc}, {args.rounds} rounds of {args.seconds} s ({version}):")
    print(f"  A {statistics.median(us['A']):.1f} µs/probe  B {statistics.median(us['B']):.1f} µs/probe  "
          f"B/A median {statistics.median(ratios):.3f} [{min(ratios):.3f}–{max(ratios):.3f}]")


if __name__ == "__main__":
    main()
