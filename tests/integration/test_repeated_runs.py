"""Every run as true as the first: every scenario of the failure lab becomes a monitor of one
`prober run`, run again and again, with a reload in the middle that keeps some monitors, changes
some and removes some (one of them while its run is in flight). Every run's classes, per address
for ip_version "each", must equal what `prober check` says of the same scenario."""
import collections
import concurrent.futures
import json
import os
import signal
import subprocess
import time
import unittest

import lab
from agent_process import AgentProcess, wait_for
from lab import prober_check
from test_failure_classes import SCENARIOS as CLASS_SCENARIOS

LAB = None
RUNS = 5          # runs of every monitor, at least, before and after the reload together
INTERVAL = "5s"   # ~85 monitors on two cores shared with the other suites, under ASan too
TIMEOUT = "2500ms"


def setUpModule():
    global LAB
    LAB = lab.acquire()


def tearDownModule():
    lab.release()


def scenarios(l):
    """name -> `prober check` arguments: the failure-class table and the per-address cases."""
    out = {name: spec[0](l) for name, spec in CLASS_SCENARIOS.items()}
    http = l.port("http")
    out.update({
        "each_ipv6_refused": [f"http://dual.test:{http}/ok", "--ip", "each", "--dns-server", l.dns.server],
        "each_round_robin_one_dead": [f"http://multi.test:{http}/ok", "--ip", "each", "--dns-server", l.dns.server],
        "any_ipv4_only_host": [f"http://v4only.test:{http}/ok", "--dns-server", l.dns.server],
        "v6_no_aaaa": [f"http://v4only.test:{http}/ok", "--ip", "6", "--dns-server", l.dns.server],
        "dns_check_nodata": ["v4only.test", "--record", "AAAA", "--dns-server", l.dns.server],
        "dns_check_silent": ["shop.test", "--dns-server", l.silent_dns],
        "dns_check_malformed": ["shop.test", "--dns-server", l.malformed_dns],
        "tls_ok": [f"localhost:{l.port('valid')}", "--type", "tls", "--ca-file", l.ca_file],
        "tcp_ok": [f"127.0.0.1:{http}"],
    })
    for args in out.values():  # one deadline for both sides, shorter than the agent's interval
        if "--timeout" not in args:
            args += ["--timeout", TIMEOUT]
    return out


def monitor_from_args(name, args):
    """The monitor of docs/config.md that `prober check ARGS` runs."""
    target, rest = args[0], list(args[1:])
    m = {"name": name}
    if "://" in target:
        m.update(type="http", url=target)
    elif ":" in target.rsplit("]", 1)[-1]:
        m.update(type="tcp", target=target)
    else:
        m.update(type="dns", query=target)
    expect, tls = {}, {}
    while rest:
        flag, value = rest.pop(0), None
        if flag not in ("--tcp", "--insecure", "--no-follow"):
            value = rest.pop(0)
        if flag == "--type":
            m["type"] = value
            if value == "dns":
                m["query"] = m.pop("target")
        elif flag == "--timeout":
            m["timeout"] = value
        elif flag == "--ip":
            m["ip_version"] = value
        elif flag == "--dns-server":
            m.setdefault("dns_servers", []).append(value)
        elif flag == "--ca-file":
            tls["ca_file"] = value
        elif flag == "--tls-max":
            tls["max_version"] = value
        elif flag == "--cert":
            tls["cert_file"] = value
        elif flag == "--key":
            tls["key_file"] = value
        elif flag == "--downgrade":
            expect["downgrade"] = value
        elif flag == "--tls-hygiene-ignore":
            expect.setdefault("tls_hygiene_ignore", []).append(value)
        elif flag == "--expect-body":
            expect["body_regex"] = value
        elif flag == "--expect-header":
            header, pattern = value.split(":", 1)
            expect.setdefault("headers", {})[header] = pattern.strip()
        elif flag == "--max-body":
            m["max_body"] = value
        elif flag in ("--warning-ms", "--critical-ms"):
            expect.setdefault("response_time_ms", {})[flag[2:-3]] = int(value)
        elif flag in ("--cert-warning-days", "--cert-critical-days"):
            expect.setdefault("cert_expiry_days", {"warning": 21, "critical": 7})[flag[7:-5]] = int(value)
        elif flag == "--record":
            m["record"] = value
        elif flag == "--expect-answer":
            m.setdefault("expect", {}).setdefault("answers_regex", []).append(value)
        else:
            raise AssertionError(f"{name}: no monitor key for {flag}")
    if m["type"] == "dns" and "dns_servers" in m:
        m["server"] = m.pop("dns_servers")[0]
    if expect:
        m.setdefault("expect", {}).update(expect)
    if tls:
        m["tls"] = tls
    return m


def signature(results):
    """What one run said: (address, class) per probed address, in a stable order."""
    return tuple(sorted((r.get("address") or "", r["class"]) for r in results))


def runs_of(results):
    """monitor -> [(started_at, signature)] in run order; one run's per-address results share started_at."""
    grouped = collections.defaultdict(list)
    for r in results:
        grouped[(r["monitor"], r["started_at"])].append(r)
    out = collections.defaultdict(list)
    for (monitor, started), rs in sorted(grouped.items(), key=lambda kv: kv[0][1]):
        out[monitor].append((started, signature(rs)))
    return out


class RepeatedRuns(unittest.TestCase):
    def test_every_run_equals_prober_check_through_a_reload(self):
        args = scenarios(LAB)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            checked = dict(zip(args, pool.map(lambda a: prober_check(*a)[1], args.values())))
        expected = {name: signature(results) for name, results in checked.items()}
        for name, sig in expected.items():
            self.assertTrue(sig, f"prober check gave no result for {name}")

        monitors = {name: monitor_from_args(name, a) for name, a in args.items()}
        # The stall runs on its slots (no retries) and is in flight for 4.9 s of every 5 s, so the
        # reload below removes it mid-run; its class does not depend on the deadline.
        monitors["http_timeout"].update(timeout="4900ms", max_check_attempts=1)
        # The removals: one cut off while its run is certainly in flight (a stall whose run lasts
        # the whole timeout), and two that come and go quickly.
        removed = {"http_timeout", "tcp_refused", "dns_nxdomain"}
        # The changes: each monitor now runs another scenario's definition under its own name.
        changed = {"ok_http": "http_status", "each_ipv6_refused": "each_round_robin_one_dead",
                   "dns_check_nodata": "dns_check_silent"}
        config = {"defaults": {"interval": INTERVAL, "retry_interval": INTERVAL},
                  "monitors": list(monitors.values())}
        agent = AgentProcess(config)
        try:
            def runs_so_far():
                return runs_of(agent.results())

            wait_for(lambda: all(len(runs_so_far()[n]) >= 2 for n in monitors), "two runs of every monitor", 60)
            # Reload while the stall is in flight.
            wait_for(lambda: self._in_flight(agent, "http_timeout"), "the stall in flight", 10)
            new_monitors = [m for n, m in monitors.items() if n not in removed and n not in changed]
            for name, now_like in changed.items():
                new_monitors.append(dict(monitor_from_args(name, args[now_like])))
            config["monitors"] = new_monitors
            agent.write_config(config)
            agent.process.send_signal(signal.SIGHUP)
            wait_for(lambda: agent.log().count("configuration loaded") >= 2, "the reload", 10)
            # When the agent applied the new configuration (by its own log, not when the signal
            # was sent: a run may still start in between): runs after it follow the new one.
            loaded = [line for line in agent.log().splitlines() if "configuration loaded" in line][1]
            reloaded_at = self._epoch(loaded.split("ts=", 1)[1].split(" ", 1)[0])
            kept = [n for n in monitors if n not in removed]
            wait_for(lambda: all(len(runs_so_far()[n]) >= RUNS + 1 for n in kept)
                     and all(len([r for r in runs_so_far()[n] if self._after(r[0], reloaded_at)]) >= 3
                             for n in kept), f"{RUNS + 1} runs of every kept monitor, 3 after the reload", 90)
            stopped = agent.stop()
        finally:
            if agent.process.poll() is None:
                agent.stop()
        self.assertEqual(stopped, 0, agent.log()[-2000:])
        self.assertNotIn("AddressSanitizer", agent.log())

        runs = runs_of(agent.results())
        failures = []
        for name in monitors:
            for started, sig in runs[name]:
                after = self._after(started, reloaded_at)
                if name in removed:
                    if after:
                        failures.append(f"{name}: removed, but a run started {started}")
                    continue
                want = expected[changed[name]] if (after and name in changed) else expected[name]
                # A run that started within the second of the reload may be of either definition.
                if name in changed and abs(self._epoch(started) - reloaded_at) < 1.0:
                    if sig in (expected[name], expected[changed[name]]):
                        continue
                if sig != want:
                    failures.append(f"{name} run at {started}: {sig}, prober check says {want}")
        self.assertEqual(failures, [], "\n".join(failures))
        # Nothing vanished: the per-address results of "each" are there in every run.
        for started, sig in runs["each_round_robin_one_dead"]:
            self.assertEqual(len(sig), 2, sig)
        self.assertGreaterEqual(len(runs["http_timeout"]), 2)

    def test_a_paused_agent_reports_no_timeout_for_answers_that_came_meanwhile(self):
        """The agent's VM or container paused (SIGSTOP here) past its checks' deadline while the
        target answered in 300 ms: when it resumes, that answer waits in its socket, and the check
        still has its redirect's second request to make (another 300 ms). Reporting it as timed
        out would be a false alert of the agent's own making. (A pause in a check's first request
        makes the case; one in its second does not: that answer is read before any timer.)"""
        url = f"http://127.0.0.1:{LAB.fixture_port}/slow-redirect"
        monitors = [{"name": f"slow{i}", "type": "http", "url": url} for i in range(20)]
        results, held = self._paused_until_held_up(
            {"defaults": {"interval": "2s", "timeout": "1s"}, "monitors": monitors}, pause_s=2.5, settle_s=2)
        wrong = [(r["monitor"], r["class"], r["message"]) for r in results if r["class"] != "ok"]
        self.assertEqual(wrong, [])
        self.assertTrue(held, "no check was in its first request through a pause: the test saw nothing")
        self.assertGreater(held[0]["timings_ms"]["total"], 1000, held[0])

    def test_a_pause_within_the_timeout_makes_no_target_slow(self):
        """Paused for less than its checks' timeout, the agent reads the answers that came meanwhile
        as it resumes: no deadline comes late, but the checks' times include the pause. A
        response-time threshold held against those times would report the target slow (a false
        alert); the agent's own watch of its hold-ups takes the pause off."""
        url = f"http://127.0.0.1:{LAB.fixture_port}/slow-redirect"
        monitors = [{"name": f"slow{i}", "type": "http", "url": url,
                     "expect": {"response_time_ms": {"warning": 1500}}} for i in range(20)]
        results, held = self._paused_until_held_up(
            {"defaults": {"interval": "6s", "timeout": "5s"}, "monitors": monitors}, pause_s=2.5, settle_s=1)
        wrong = [(r["monitor"], r["class"], r["message"]) for r in results if r["class"] != "ok"]
        self.assertEqual(wrong, [])
        self.assertTrue(held, "no check was in flight through a pause: the test saw nothing")
        self.assertGreater(held[0]["timings_ms"]["total"], 1500, held[0])
        self.assertNotIn("deadline", " ".join(held[0]["hints"]))  # no deadline came late: the watch saw it

    def test_a_pause_during_the_address_lookup_makes_no_target_slow(self):
        """The same pause while the checks wait for their DNS answer (a resolver that takes 1 s):
        the lookup's time is the target's and counts against the threshold, the pause is not."""
        dns = LAB.dns_fixture("slow")
        url = f"http://slow.test:{LAB.port('http')}/ok"
        monitors = [{"name": f"lookup{i}", "type": "http", "url": url, "dns_servers": [dns],
                     "expect": {"response_time_ms": {"warning": 2000}}} for i in range(20)]
        results, held = self._paused_until_held_up(
            {"defaults": {"interval": "6s", "timeout": "5s"}, "monitors": monitors}, pause_s=2.5, settle_s=1)
        wrong = [(r["monitor"], r["class"], r["message"]) for r in results if r["class"] != "ok"]
        self.assertEqual(wrong, [])
        self.assertTrue(held, "no check was in flight through a pause: the test saw nothing")
        self.assertGreater(held[0]["timings_ms"]["dns"], 2000, held[0])  # the pause fell in the lookup

    def _paused_until_held_up(self, config, pause_s, settle_s):
        """The agent run with `config`, paused `pause_s` while a check is in flight until a result
        says the agent was held up (ten pauses at most): every result, and those that say so."""
        agent = AgentProcess(config)

        def held_up():
            return [r for r in agent.results() if any("held up" in h for h in r["hints"])]
        try:
            wait_for(lambda: len(agent.results()) >= len(config["monitors"]), "a run of every monitor", 30)
            for _ in range(10):
                wait_for(lambda: agent.metric_now("prober_checks_in_flight") > 0, "a check in flight", 10)
                self._pause(agent, pause_s)
                time.sleep(settle_s)
                if held_up():
                    break
            time.sleep(settle_s)  # the runs of the slots that passed in the pauses report too
        finally:
            self._stop_resumed(agent)
        return agent.results(), held_up()

    def test_a_paused_agent_answers_probe_with_what_the_target_did(self):
        """The same pause under /probe (blackbox's pattern): a probe whose first answer came while
        the agent was paused, and whose deadline passed meanwhile, is still judged on the target."""
        config = {"monitors": [], "modules": {"slow": {"type": "http", "timeout": "1s"}}}
        agent = AgentProcess(config)
        target = f"http://127.0.0.1:{LAB.fixture_port}/slow-redirect"
        try:
            for _ in range(2):
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    answer = pool.submit(agent.get, f"/probe?module=slow&target={target}")
                    time.sleep(0.1)  # the probe's first request sent, its answer 300 ms away
                    self._pause(agent, 2)
                    status, text = answer.result(timeout=20)
                self.assertEqual(status, 200)
                self.assertIn("probe_success 1", text)
                self.assertNotIn("probe_failure_info", text)
        finally:
            self._stop_resumed(agent)

    def test_a_paused_prober_check_judges_the_target(self):
        """`prober check` paused (a stopped job, a laptop asleep) within its timeout while it waits
        for a resolver that answers in 1 s: the pause is not held against --warning-ms, and the
        result says the time includes it. The pause starts later at each try until it falls
        inside the check (a sanitizer build starts slowly)."""
        dns = LAB.dns_fixture("slow")
        url = f"http://slow.test:{LAB.port('http')}/ok"
        argv = [lab.PROBER, "check", "--json", "--timeout", "5s", "--warning-ms", "1500", "--dns-server", dns, url]
        inside = None  # the result of the first try whose pause fell inside the check
        for offset in (0.3, 0.6, 0.9, 1.2):
            check = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                time.sleep(offset)
                check.send_signal(signal.SIGSTOP)
                time.sleep(2)
                check.send_signal(signal.SIGCONT)
                out, err = check.communicate(timeout=20)
            finally:
                if check.poll() is None:
                    check.kill()
                    check.wait()
            result = json.loads(out.decode().splitlines()[0])
            self.assertEqual((check.returncode, result["class"]), (0, "ok"), (result, err.decode()))
            if result["timings_ms"]["total"] > 2000:  # the pause fell inside the check
                inside = result
                break
        self.assertIsNotNone(inside, "no pause fell inside a check: the test saw nothing")
        self.assertTrue(any("held up" in h for h in inside["hints"]), inside)

    @staticmethod
    def _pause(agent, seconds):
        """The agent stopped for `seconds`, as a paused VM or container, then resumed."""
        agent.process.send_signal(signal.SIGSTOP)
        time.sleep(seconds)
        agent.process.send_signal(signal.SIGCONT)

    def _stop_resumed(self, agent):
        """Stops the agent (resumed first, should a pause have been cut short): a clean exit."""
        if agent.process.poll() is None:
            agent.process.send_signal(signal.SIGCONT)
        self.assertEqual(agent.stop(), 0, agent.log()[-2000:])

    @staticmethod
    def _epoch(started_at):
        # "2026-11-30T10:00:00.123Z"
        return time.mktime(time.strptime(started_at[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + \
            float("0." + started_at[20:23] if len(started_at) > 20 else 0)

    def _after(self, started_at, when):
        return self._epoch(started_at) > when

    @staticmethod
    def _in_flight(agent, monitor):
        """The monitor's latest run started and has not reported yet (from /results' timing)."""
        runs = runs_of(agent.results())[monitor]
        if not runs:
            return False
        last = RepeatedRuns._epoch(runs[-1][0])
        # Reported 2.9 s after it started; the next run started 3 s after it and is still going.
        since = time.time() - last
        return 3.2 < since < 5.6


if __name__ == "__main__":
    unittest.main()
