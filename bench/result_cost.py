#!/usr/bin/env python3
"""The agent's own cost per result: the result path (everything under Agent::on_results: metrics
registry, result JSON line, alert state, the kept result for /results, the sinks: JSONL, and the
spool with --remote-write), told apart from the check by where the CPU goes rather than by
subtracting two noisy totals (bench/scale.py's agent-versus-alone difference, which on a VM is
smaller than its run-to-run spread).

1. Time: the agent runs N HTTP monitors (interval I) against the lab's nginx, pinned to CPU 1;
   over --measure intervals after one of warm-up, its CPU µs per check (user and system), and
   perf's CPU-clock samples with call stacks: the result path's share of the samples, times the
   CPU per check. A sample whose stack perf cannot follow back to the loop counts outside the
   result path, so this is a lower bound (samples_followed_to_loop says how many were followed);
   the spool's writer thread (with --remote-write) is counted apart: its work is results' too.
2. Work: the same configuration under valgrind's callgrind, counters zeroed after warm-up and
   dumped --measure intervals later: instructions per check for the whole agent (user space) and
   for the result path, with its largest parts. Their ratio times the user µs per check is a
   second estimate (it assumes the result path's instructions take the agent's average time; a
   tight loop such as deflate takes less).
3. The same check alone (bench's check_cpu, no scheduler, no result path) at the native run's
   pace, for reference: what paced wake-ups cost on this machine.

Usage: bench/result_cost.py [--monitors N] [--native-monitors N] [--interval S] [--measure K]
                            [--remote-write] [--keep]
The default (200 monitors at 10 s under callgrind, ~50x slower) keeps callgrind at its pace;
--native-monitors 1000 takes the time figure at 100 checks/s. Needs valgrind; perf is optional."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import (ROOT, agent_config, check_alone, cpu_seconds, scrape, start_pinned, start_receiver,  # noqa: E402
                   totals, with_remote_write)

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from lab import Lab  # noqa: E402
from lab_process import free_port  # noqa: E402

def config_for(lab, n, interval_s, port, directory, remote_write_port):
    config = agent_config(lab, "http", n, interval_s, port)
    if remote_write_port:
        config = with_remote_write(config, remote_write_port, directory)
    path = os.path.join(directory, f"config-{n}.json")
    json.dump(config, open(path, "w"))
    return path


def start(argv, directory, port, name):
    # valgrind takes its time to start the agent
    return start_pinned(argv, port, os.path.join(directory, f"{name}.log"), timeout_s=600)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def native(prober, lab, n, interval_s, measure, directory, remote_write_port):
    port = free_port()
    proc = start([prober, "run", "--config", config_for(lab, n, interval_s, port, directory, remote_write_port)],
                 directory, port, "native")
    try:
        time.sleep(interval_s)
        r0, f0, _ = totals(scrape(port))
        u0, c0 = cpu_seconds(proc.pid, "user"), cpu_seconds(proc.pid)
        data = os.path.join(directory, "perf.data")
        sampled = record_samples(proc.pid, measure * interval_s, data)
        u1, c1 = cpu_seconds(proc.pid, "user"), cpu_seconds(proc.pid)
        r1, f1, _ = totals(scrape(port))
        shares = sample_shares(data) if sampled else {}
        results = max(1.0, r1 - r0)
        return {"cpu_us_per_check": 1e6 * (c1 - c0) / results, "user_us_per_check": 1e6 * (u1 - u0) / results,
                "system_us_per_check": 1e6 * ((c1 - c0) - (u1 - u0)) / results, "checks": r1 - r0,
                "failed_checks": f1 - f0, **shares}
    finally:
        stop(proc)


def record_samples(pid, seconds, data):
    """perf's CPU-clock samples of the agent, user and kernel, with call stacks, for `seconds`.
    False without perf (or permission for it): the time then passes all the same."""
    try:
        # The stacks are copied whole (up to 64 KiB): a result is handled deep in libcurl's and
        # libuv's callbacks, and a stack copied short cannot be followed back to the loop.
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "1000", "--call-graph", "dwarf,65528",
                        "-o", data, "-p", str(pid), "--", "sleep", str(seconds)],
                       check=True, capture_output=True, timeout=seconds + 120)
        return True
    except (OSError, subprocess.SubprocessError):
        time.sleep(seconds)
        return False


def sample_shares(data):
    """The share of the samples under Agent::on_results, and of those followed back to the loop.
    A sample not followed is counted outside the result path, so the share is a lower bound; the
    upper bound also counts every sample not followed that could be in it (all but the kernel's
    samples in system calls the result path does not make: it writes, and nothing else)."""
    try:
        script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"],
                                capture_output=True, text=True, check=True, timeout=900).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    samples, frames = [], []
    for line in script.splitlines() + [""]:
        if line.strip():
            frames.append(line.split(None, 1)[-1])  # "address symbol"
        elif frames:
            samples.append(frames)
            frames = []
    if not samples:
        return {}
    in_path = followed = maybe = spool = 0
    for frames in samples:
        if any("Agent::on_results" in f for f in frames):
            in_path += 1
        if any("uv_run" in f for f in frames):
            followed += 1
            continue
        if any("Spool::writer" in f for f in frames):
            spool += 1  # the spool's own thread: writing results' records, a part of their cost
            continue
        calls = [f.split("__x64_sys_", 1)[1].split()[0] for f in frames if "__x64_sys_" in f]
        if not calls or any(c.startswith(("write", "pwrite")) for c in calls):
            maybe += 1
    return {"samples": len(samples), "samples_followed_to_loop": followed / len(samples),
            "result_path_share_of_cpu_samples": in_path / len(samples),
            "spool_writer_share_of_cpu_samples": spool / len(samples),
            "result_path_share_of_cpu_samples_at_most": (in_path + maybe) / len(samples)}


def short_name(function):
    """prober::report::ResultStore::record(std::string const&, ...) -> ResultStore::record."""
    name, depth = "", 0
    for c in function.split("[abi:", 1)[0]:
        if c == "(" and depth == 0:
            break
        depth += (c == "<") - (c == ">")
        if depth == 0 and c != ">":
            name += c
    return "::".join(name.split("::")[-2:])


def callees(tree, function):
    """From callgrind_annotate --tree=calling: the inclusive instructions of `function` (its
    largest entry: inlined pieces are listed apart under header files) and of what it calls."""
    best, parts = None, {}
    for block in tree.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        head = [line for line in lines if re.match(r"\s*[\d,]+ \(.*%\)\s+\*\s", line)]
        if not head or f":{function}(" not in head[0]:
            continue
        own = int(head[0].split()[0].replace(",", ""))
        if best is not None and own <= best:
            continue
        best, parts = own, {}
        for line in lines:
            m = re.match(r"\s*([\d,]+) \(.*%\)\s+>\s+\S*?:(?!:)(.*?) \((\d+)x\)", line)
            if m:
                name = short_name(m.group(2))
                parts[name] = parts.get(name, 0) + int(m.group(1).replace(",", ""))
    return best or 0, parts


def counted(prober, lab, n, interval_s, measure, directory, remote_write_port):
    port = free_port()
    out = os.path.join(directory, "callgrind.out")
    config = config_for(lab, n, interval_s, port, directory, remote_write_port)
    proc = start(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", prober, "run", "--config", config],
                 directory, port, "callgrind")
    try:
        time.sleep(2 * interval_s)  # valgrind's start-up and the first runs' translation
        r0, f0, _ = totals(scrape(port))
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True, capture_output=True)
        time.sleep(measure * interval_s)
        subprocess.run(["callgrind_control", "--dump=window", str(proc.pid)], check=True, capture_output=True)
        r1, f1, _ = totals(scrape(port))
    finally:
        stop(proc)
    dumps = sorted(f for f in os.listdir(directory) if f.startswith("callgrind.out.") and
                   "window" in open(os.path.join(directory, f), errors="replace").read(4096))
    if not dumps:
        raise SystemExit("callgrind wrote no dump for the measured window")
    tree = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=calling", "--threshold=100",
                           os.path.join(directory, dumps[-1])], capture_output=True, text=True, check=True).stdout
    program = int(re.search(r"([\d,]+)\s+\(?.*PROGRAM TOTALS", tree).group(1).replace(",", ""))
    results = max(1.0, r1 - r0)
    on_results, parts = callees(tree, "prober::cli::Agent::on_results")
    largest = sorted(parts.items(), key=lambda kv: -kv[1])[:10]
    return {"results": r1 - r0, "failed": f1 - f0, "instructions_per_check": program / results,
            "result_path_instructions_per_result": on_results / results,
            "parts": {name: round(v / results) for name, v in largest}}


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--monitors", type=int, default=200, help="monitors under callgrind (default 200)")
    ap.add_argument("--native-monitors", type=int, default=0, help="monitors in the native run (default: the same)")
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--measure", type=int, default=3, help="intervals measured (default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the callgrind dump (its directory is printed)")
    ap.add_argument("--remote-write", action="store_true",
                    help="also a remote-write sink with a spool (to a local receiver that accepts everything)")
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    from versions import library_versions
    prober = os.environ.get("PROBER_BIN", os.path.join(ROOT, "build", "prober"))
    directory = tempfile.mkdtemp(prefix="prober-result-cost-")
    rw_port = start_receiver() if args.remote_write else 0
    lab = Lab()
    try:
        time_run = native(prober, lab, args.native_monitors or args.monitors, args.interval, args.measure, directory,
                          rw_port)
        count_run = counted(prober, lab, args.monitors, args.interval, args.measure, directory, rw_port)
        # The same check alone at the native run's pace: what a check costs with no result path.
        alone = check_alone(lab, "http", (args.native_monitors or args.monitors) / args.interval,
                            args.measure * args.interval)
    finally:
        lab.stop()
    share = count_run["result_path_instructions_per_result"] / count_run["instructions_per_check"]

    def by_samples(share_key):  # a share of perf's samples, in µs per check (nan without perf)
        return time_run.get(share_key, float("nan")) * time_run["cpu_us_per_check"]
    report = {"monitors": args.monitors, "native_monitors": args.native_monitors or args.monitors,
              "interval_s": args.interval, "measured_intervals": args.measure, "remote_write": args.remote_write,
              **time_run, "check_alone_cpu_us_per_check": alone,
              **{k: v for k, v in count_run.items() if k != "parts"},
              "result_path_share_of_user_instructions": share,
              # Two estimates of the result path's CPU per result: its share of the samples (time,
              # user and kernel; a lower bound, see sample_shares) and its share of the instructions
              # applied to user time (assumes its instructions take the agent's average time).
              "result_path_us_by_samples": by_samples("result_path_share_of_cpu_samples"),
              "spool_writer_us_by_samples": by_samples("spool_writer_share_of_cpu_samples"),
              "result_path_us_by_samples_at_most": by_samples("result_path_share_of_cpu_samples_at_most"),
              "result_path_us_by_instructions": share * time_run["user_us_per_check"],
              "result_path_parts_instructions_per_result": count_run["parts"],
              "libs": library_versions(prober)}
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in report.items()}), flush=True)
    if args.keep:
        print(f"callgrind dump and logs kept in {directory}", file=sys.stderr)
    else:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
