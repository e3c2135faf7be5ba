#!/usr/bin/env python3
"""Soak: many mixed monitors for a long time against the loopback lab, with a reload every few
minutes, to show that nothing grows. Each minute: RSS, open file descriptors, scheduling lag p99
(from prober_scheduler_lag_seconds), checks that minute, and the heap in use
(prober_heap_inuse_bytes: what malloc handed out and did not get back; RSS above it is freed
memory glibc keeps after a reload's peak). Flat means the last half of the run grows less than
2 % in heap in use and not at all in file descriptors (RSS growth is printed too). Printed, never asserted; not in CI.

The mix (of N): 40 % HTTP ok, 20 % HTTPS ok (TLS 1.3), 10 % DNS, 10 % TCP, 10 % failing (refused,
503, NXDOMAIN, missing intermediate), 10 % flapping (200 and 503 in turn). Each reload changes
the interval of a tenth of the monitors and replaces one in a hundred with a new name.

Usage: bench/soak.py [--monitors 10000] [--minutes 60] [--reload-minutes 5] [--interval 60]"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab import Lab  # noqa: E402
from lab_process import free_port, wait_until  # noqa: E402
from scale import cpu_seconds, pinned, quantile, rss_kib, scrape, totals  # noqa: E402


def results_so_far(text):
    """Results produced, from the per-type histogram: per-monitor counters go with a monitor that
    a reload changes or removes, this one never does."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("prober_check_phase_seconds_count{") and 'phase="total"' in line)


def monitors(lab, n, generation, interval):
    http, fixture = lab.port("http"), lab.fixture_port
    kinds = (
        [("http", {"type": "http", "url": f"http://127.0.0.1:{http}/ok"})] * 8
        + [("https", {"type": "http", "url": f"https://localhost:{lab.port('valid')}/ok",
                      "tls": {"ca_file": lab.ca_file}})] * 4
        + [("dns", {"type": "dns", "query": "v4only.test", "server": lab.dns.server})] * 2
        + [("tcp", {"type": "tcp", "target": f"127.0.0.1:{http}"})] * 2
        + [("refused", {"type": "tcp", "target": f"127.0.0.1:{lab.closed_port}"}),
           ("status", {"type": "http", "url": f"http://127.0.0.1:{http}/unavailable"})]
        + [("flap", {"type": "http", "url": f"http://127.0.0.1:{fixture}/flap"})] * 2)
    failing_more = [("nxdomain", {"type": "http", "url": f"http://nx.test:{http}/", "dns_servers": [lab.dns.server]}),
                    ("chain", {"type": "tls", "target": f"localhost:{lab.port('no_intermediate')}",
                               "tls": {"ca_file": lab.ca_file}})]
    out = []
    for i in range(n):
        kind, m = kinds[i % len(kinds)]
        if kind in ("refused", "status") and (i // len(kinds)) % 2:
            kind, m = failing_more[0 if kind == "refused" else 1]
        name = f"{kind}-{i}"
        if i % 100 == 0 and generation:  # replaced: a new monitor under a new name
            name += f"-g{generation}"
        m = dict(m, name=name)
        if i % 10 == generation % 10:  # a tenth change their interval at each reload
            m["interval"] = f"{interval - 5}s"
        out.append(m)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--monitors", type=int, default=10000)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--reload-minutes", type=int, default=5)
    ap.add_argument("--interval", type=int, default=60)
    args = ap.parse_args()
    # SIGTERM (kill, timeout) unwinds like an exception, so the agent and the lab are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    lab = Lab()
    directory = tempfile.mkdtemp(prefix="prober-soak-")
    path = os.path.join(directory, "config.json")
    port = free_port()

    def write(generation):
        config = {"vantage": {"name": "soak"}, "max_in_flight": 100000,
                  "defaults": {"interval": f"{args.interval}s", "timeout": "5s", "retry_interval": "10s"},
                  "monitors": monitors(lab, args.monitors, generation, args.interval),
                  "sinks": {"prometheus": {"listen": f"127.0.0.1:{port}"}, "jsonl": {"path": "/dev/null"}}}
        with open(path + ".tmp", "w") as f:
            json.dump(config, f)
        os.replace(path + ".tmp", path)

    write(0)
    prober = os.environ.get("PROBER_BIN", os.path.join(ROOT, "build", "prober"))
    log = open(os.path.join(directory, "stderr.log"), "wb")
    proc = subprocess.Popen(pinned([prober, "run", "--config", path]), stdout=subprocess.DEVNULL, stderr=log)
    rows = []
    try:
        def ready():
            try:
                return "prober_monitors" in scrape(port)
            except OSError:
                return False
        wait_until(ready, "the agent", 60, proc)
        print(f"prober {prober}: {args.monitors} monitors every {args.interval}s, {args.minutes} min, "
              f"reload every {args.reload_minutes} min", flush=True)
        print(f"{'min':>4} {'rss MiB':>8} {'heap MiB':>8} {'fds':>5} {'lag p99 ms':>10} {'checks':>7} {'cpu %':>6} reload",
              flush=True)
        start = time.time()
        text = scrape(port)
        before_results, before_lag = results_so_far(text), totals(text)[2]
        before_cpu = cpu_seconds(proc.pid)
        generation = 0
        for minute in range(1, args.minutes + 1):
            time.sleep(max(0.0, start + minute * 60 - time.time()))
            reloaded = ""
            if minute % args.reload_minutes == 0 and minute < args.minutes:
                generation += 1
                write(generation)
                proc.send_signal(signal.SIGHUP)
                reloaded = f"generation {generation}"
            text = scrape(port)
            results, lag = results_so_far(text), totals(text)[2]
            used = cpu_seconds(proc.pid)
            heap = next((float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                         if line.startswith("prober_heap_inuse_bytes ")), 0.0)
            row = (minute, rss_kib(proc.pid) / 1024, len(os.listdir(f"/proc/{proc.pid}/fd")),
                   quantile(before_lag, lag, 0.99) * 1000, int(results - before_results), (used - before_cpu) / 60 * 100,
                   heap / 1048576)
            rows.append(row)
            print(f"{row[0]:>4} {row[1]:>8.1f} {row[6]:>8.1f} {row[2]:>5} {row[3]:>10.1f} {row[4]:>7} {row[5]:>6.1f} "
                  f"{reloaded}", flush=True)
            before_results, before_lag, before_cpu = results, lag, used
            if proc.poll() is not None:
                print(f"prober exited with {proc.returncode}; log in {log.name}")
                return 1
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        lab.stop()
    # Floors, not single samples: in-flight connections and a reload's transient peak come and go;
    # a leak raises the floor.
    first, second = rows[:max(1, len(rows) // 2)], rows[len(rows) // 2:] or rows
    heap_a, heap_b = min(r[6] for r in first), min(r[6] for r in second)
    fds_a, fds_b = min(r[2] for r in first), min(r[2] for r in second)
    rss_a, rss_b = first[-1][1], rows[-1][1]
    heap_growth = (heap_b - heap_a) / heap_a * 100 if heap_a else 0.0
    print(f"heap in use, floor of each half: {heap_a:.1f} -> {heap_b:.1f} MiB ({heap_growth:+.2f} %); "
          f"fds floor {fds_a} -> {fds_b}; RSS at half time {rss_a:.1f}, at the end {rss_b:.1f} MiB: "
          f"{'flat' if heap_growth < 2 and fds_b <= fds_a else 'GROWING'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
