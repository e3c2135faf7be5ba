#!/usr/bin/env python3
"""Many monitors on one core, from prober's own scheduler: N monitors at a 60 s interval against
the loopback lab's nginx; prober pinned to CPU 1, the servers to CPU 0. After one interval of
warm-up, one interval is measured: checks/s, scheduling lag p50/p99 (from
prober_scheduler_lag_seconds), CPU % of one core and CPU µs per check (user and system apart: the
system part is mostly the machine's price of system calls and wake-ups), RSS, and RSS and heap in
use (prober_heap_inuse_bytes: without the freed memory the allocator keeps) per configured
monitor, both against a run with no monitors: after loading, and at the end of the measured
interval (steady: every monitor has run, so its last result and its metrics series count too). Then the same check alone (bench's check_cpu, no
scheduler, no result path) at the same pace on the same CPU: the agent's own cost per result is
the difference (a check paced alone costs far more than back to back: every start wakes the loop
on its own).
With --remote-write the agent also sends to a local remote-write receiver through its spool.
Usage: bench/scale.py [--kind http|https [--own-sites]] [--remote-write] N [N ...]   e.g. bench/scale.py 1000 10000 50000"""
import argparse
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from lab import Lab  # noqa: E402
from lab_process import free_port, wait_until  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid, part="both"):
    """CPU seconds of a process: user + system, or one of them ("user", "system")."""
    stat = open(f"/proc/{pid}/stat").read()
    fields = stat[stat.rindex(")") + 2:].split()
    user, system = int(fields[11]), int(fields[12])
    return {"both": user + system, "user": user, "system": system}[part] / CLK_TCK


def rss_kib(pid, key="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=300) as r:
        return r.read().decode()


def heap_inuse(text):
    """prober_heap_inuse_bytes: what malloc handed out and did not get back (RSS also holds freed
    memory glibc keeps, e.g. the configuration parse's peak)."""
    return next((float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                 if line.startswith("prober_heap_inuse_bytes ")), 0.0)


def totals(text):
    """Results, the failed ones among them, and the histogram of scheduling lag."""
    results, failed, buckets = 0.0, 0.0, {}
    for line in text.splitlines():
        if line.startswith("prober_check_results_total{"):
            results += float(line.rsplit(" ", 1)[1])
            if 'class="ok"' not in line:
                failed += float(line.rsplit(" ", 1)[1])
        elif line.startswith("prober_scheduler_lag_seconds_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[le] = float(line.rsplit(" ", 1)[1])
    return results, failed, buckets


def quantile(before, after, q):
    """The upper bound of the histogram bucket holding quantile q of the observations in between."""
    bounds = sorted((float("inf") if k == "+Inf" else float(k), after[k] - before.get(k, 0)) for k in after)
    total = bounds[-1][1]
    for bound, count in bounds:
        if total and count >= q * total:
            return bound
    return float("nan")


def scraper(port, every_s, stop, durations):
    """Prometheus's part: GET /metrics every `every_s` while the interval is measured."""
    while not stop.wait(every_s):
        t = time.monotonic()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60).read()
            durations.append(time.monotonic() - t)
        except OSError:
            pass


class RemoteWriteReceiver(http.server.BaseHTTPRequestHandler):
    """A remote-write receiver that accepts everything (for --remote-write)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_):
        pass


def start_receiver():
    """A RemoteWriteReceiver on a free loopback port, served from a thread: its port."""
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RemoteWriteReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    return receiver.server_address[1]


def with_remote_write(config, remote_write_port, directory):
    """config with a remote-write sink to the receiver on remote_write_port, spooled in directory."""
    config["sinks"]["remote_write"] = {"url": f"http://127.0.0.1:{remote_write_port}/api/v1/write"}
    config["spool"] = {"dir": os.path.join(directory, "spool")}
    return config


def agent_config(lab, kind, n, interval_s, port, max_in_flight=None, own_sites=False):
    """n monitors of one kind (http or https) against the lab at interval_s, /metrics on port,
    results to JSONL on /dev/null: what the benchmarks run the agent with. With own_sites each
    HTTPS monitor checks a name of its own (s<i>.sites.test, resolved by the lab's DNS, one
    wildcard certificate), so no two last results have the same TLS facts."""
    url = f"http://127.0.0.1:{lab.port('http')}/ok" if kind == "http" else \
        f"https://localhost:{lab.port('tls13_only')}/ok"
    monitor = {"type": "http", "url": url, "expect": {"cert_expiry_days": {}}}
    if kind == "https":
        monitor["tls"] = {"ca_file": lab.ca_file}
    monitors = [dict(monitor, name=f"m{i}") for i in range(n)]
    if own_sites:
        for i, m in enumerate(monitors):
            m["url"] = f"https://s{i}.sites.test:{lab.port('sites')}/ok"
            m["dns_servers"] = [lab.dns.server]
    config = {"vantage": {"name": "bench"},
              "defaults": {"interval": f"{interval_s}s", "timeout": f"{min(10.0, interval_s / 2)}s"},
              "monitors": monitors,
              "sinks": {"prometheus": {"listen": f"127.0.0.1:{port}"}, "jsonl": {"path": "/dev/null"}}}
    if max_in_flight is not None:
        config["max_in_flight"] = max_in_flight
    return config


def pinned(argv):
    """argv to run on CPU 1, where the measured process runs (the lab is on CPU 0)."""
    return (["taskset", "-c", "1"] if (os.cpu_count() or 1) > 1 else []) + argv


def start_pinned(argv, port, log_path, timeout_s=120):
    """argv on CPU 1 (pinned), returned once the agent's /readyz on port answers."""
    proc = subprocess.Popen(pinned(argv), stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))

    def ready():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5).status == 200
        except OSError:
            return False
    wait_until(ready, "prober ready", timeout_s, proc)
    return proc


def run(lab, kind, n, interval_s, scrape_every_s=0, max_in_flight=100000, warmup_s=None, remote_write_port=0,
        own_sites=False):
    port = free_port()
    directory = tempfile.mkdtemp(prefix="prober-scale-")
    path = os.path.join(directory, "config.json")
    config = agent_config(lab, kind, n, interval_s, port, max_in_flight, own_sites)
    if remote_write_port:
        config = with_remote_write(config, remote_write_port, directory)
    json.dump(config, open(path, "w"))
    prober = os.environ.get("PROBER_BIN", os.path.join(ROOT, "build", "prober"))
    proc = start_pinned([prober, "run", "--config", path], port, os.path.join(directory, "stderr.log"))
    try:
        rss_loaded = rss_kib(proc.pid)
        heap_loaded = heap_inuse(scrape(port))
        if n == 0:
            time.sleep(2)
            return {"rss_kib": rss_kib(proc.pid), "heap_bytes": heap_loaded}
        time.sleep(warmup_s or interval_s)  # warm-up: every monitor has found its slot
        # The clocks are read as each scrape arrives, before Python parses it: at 200 000 monitors
        # the text is ~300 MB, and parsing it (seconds, while the agent goes on checking) once
        # inside the window and once outside made checks/s read ~12 % low and CPU per check high.
        text = scrape(port)
        c0, u0, t0 = cpu_seconds(proc.pid), cpu_seconds(proc.pid, "user"), time.monotonic()
        r0, f0, b0 = totals(text)
        stop, scrapes = threading.Event(), []
        if scrape_every_s:
            threading.Thread(target=scraper, args=(port, scrape_every_s, stop, scrapes), daemon=True).start()
        time.sleep(interval_s)
        stop.set()
        text = scrape(port)
        c1, u1, t1 = cpu_seconds(proc.pid), cpu_seconds(proc.pid, "user"), time.monotonic()
        r1, f1, b1 = totals(text)
        heap_steady = heap_inuse(text)
        return {"kind": kind, "monitors": n, "checks_per_s": (r1 - r0) / (t1 - t0),
                "expected_per_s": n / interval_s,
                # A failed check is cheaper than a passing one: a figure with failures is not a capacity.
                "failed_results": f1 - f0, "cpu_pct_one_core": 100 * (c1 - c0) / (t1 - t0),
                "cpu_us_per_check": 1e6 * (c1 - c0) / max(1, r1 - r0),
                # The kernel's part is mostly system calls and socket wake-ups, whose price depends
                # on the machine (a VM's interrupt handling can triple it): user time is prober's own.
                "user_us_per_check": 1e6 * (u1 - u0) / max(1, r1 - r0),
                "system_us_per_check": 1e6 * ((c1 - c0) - (u1 - u0)) / max(1, r1 - r0),
                "lag_p50_ms_le": 1e3 * quantile(b0, b1, 0.5), "lag_p99_ms_le": 1e3 * quantile(b0, b1, 0.99),
                "scrapes": len(scrapes), "scrape_ms_max": 1e3 * max(scrapes, default=0),
                "rss_after_load_kib": rss_loaded, "heap_after_load_bytes": heap_loaded, "heap_steady_bytes": heap_steady,
                "rss_kib": rss_kib(proc.pid), "rss_peak_kib": rss_kib(proc.pid, "VmHWM")}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def check_alone(lab, kind, per_s, seconds):
    """CPU µs per check of the same check in check_cpu at the same pace (started per_s a second,
    one interval's worth), pinned where the agent was."""
    binary = os.path.join(os.path.dirname(os.environ.get("PROBER_BIN", os.path.join(ROOT, "build", "prober"))),
                          "check_cpu")
    if not os.path.exists(binary):
        return None
    if kind == "http":
        argv = ["http", f"http://127.0.0.1:{lab.port('http')}/ok"]
    else:
        argv = ["https", f"https://localhost:{lab.port('tls13_only')}/ok", "--ca-file", lab.ca_file]
    count = max(1, int(per_s * seconds))
    try:
        out = subprocess.run(pinned([binary, argv[0], argv[1], str(count), "1000", *argv[2:], "--rate", str(per_s)]),
                             capture_output=True, text=True, timeout=seconds * 3 + 60).stdout
    except subprocess.TimeoutExpired:
        # It could not keep the pace (the lab's server, on the other CPU, may be what is saturated):
        # no figure, and the agent's own figures are still printed.
        print(f"check alone: {count} checks at {per_s:g}/s did not finish in {seconds * 3 + 60} s", file=sys.stderr)
        return None
    field = next((f for f in out.split() if f.startswith("cpu_us_per_check=")), None)
    return float(field.split("=", 1)[1]) if field else None


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from versions import library_versions
    libs = library_versions(os.environ.get("PROBER_BIN", os.path.join(ROOT, "build", "prober")))
    # SIGTERM (kill, timeout) unwinds like an exception, so the lab's servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("counts", nargs="+", type=int)
    ap.add_argument("--kind", choices=["http", "https"], default="http")
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--scrape-every", type=float, default=0,
                    help="also GET /metrics every S seconds while measuring (as Prometheus would)")
    ap.add_argument("--max-in-flight", type=int, default=100000,
                    help="the agent's max_in_flight (default: no practical limit)")
    ap.add_argument("--warmup", type=float, default=0,
                    help="seconds of warm-up before measuring (default: one interval); longer lets a "
                         "loaded agent work off the first runs' backlog before its steady state is measured")
    ap.add_argument("--remote-write", action="store_true",
                    help="also a remote-write sink with a spool (to a local receiver that accepts everything), "
                         "in the run with no monitors too: the per-monitor figures then include what it keeps")
    ap.add_argument("--own-sites", action="store_true",
                    help="with --kind https: every monitor on a site of its own (its own name, so its own TLS "
                         "facts), not all on one")
    args = ap.parse_args()
    if args.own_sites and args.kind != "https":
        ap.error("--own-sites is for --kind https")
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})  # the lab's servers and this driver on CPU 0
    rw_port = start_receiver() if args.remote_write else 0
    lab = Lab()
    try:
        baseline = run(lab, args.kind, 0, args.interval, remote_write_port=rw_port)
        base = baseline["rss_kib"]
        print(json.dumps({"baseline_rss_kib_no_monitors": base, "baseline_heap_bytes": baseline["heap_bytes"]}),
              flush=True)
        for n in args.counts:
            r = run(lab, args.kind, n, args.interval, args.scrape_every, args.max_in_flight, args.warmup, rw_port,
                    args.own_sites)
            r["remote_write"] = args.remote_write
            r["own_sites"] = args.own_sites
            r["rss_per_monitor_bytes"] = 1024 * (r["rss_after_load_kib"] - base) / n
            r["heap_per_monitor_bytes"] = (r["heap_after_load_bytes"] - baseline["heap_bytes"]) / n
            # Once every monitor has run: its last result (for /results) and its metrics series too.
            r["heap_per_monitor_steady_bytes"] = (r["heap_steady_bytes"] - baseline["heap_bytes"]) / n
            r["rss_per_monitor_steady_bytes"] = 1024 * (r["rss_kib"] - base) / n
            alone = check_alone(lab, args.kind, n / args.interval, args.interval)
            if alone is not None:
                r["check_alone_us_per_check"] = alone
                r["agent_us_per_result"] = r["cpu_us_per_check"] - alone
            r["libs"] = libs
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}), flush=True)
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
