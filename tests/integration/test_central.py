"""The push sinks against real central services on loopback: remote write into a real
Prometheus, alerts into a real Alertmanager, Mackerel's API and a webhook through a fixture that
validates the documented payloads; no result lost across an outage and a restart; the spool's
bound; the quorum rules on a real Prometheus fed by three vantages."""
import collections
import json
import os
import re
import shutil
import socket
import tempfile
import time
import unittest

import lab
from agent_process import AgentProcess, wait_for
from central import Alertmanager, CentralFixture, Prometheus
from lab_process import free_port

LAB = None
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def setUpModule():
    global LAB
    LAB = lab.acquire()


def tearDownModule():
    lab.release()


def need(*programs):
    for p in programs:
        if not shutil.which(p):
            raise unittest.SkipTest(f"{p} is not installed (tools/install-deps.sh installs it)")


def base_config(name="test-1", interval="500ms", timeout="400ms", **sinks):
    return {
        "vantage": {"name": name, "region": "loopback", "labels": {"provider": "lab"}},
        "defaults": {"interval": interval, "timeout": timeout, "retry_interval": interval, "max_check_attempts": 2},
        "monitors": [
            {"name": "home", "type": "http", "url": f"http://127.0.0.1:{LAB.port('http')}/ok"},
            {"name": "db", "type": "tcp", "target": f"127.0.0.1:{LAB.closed_port}"},
        ],
        "sinks": {"jsonl": {"path": "-"}, **sinks},
        "spool": {"dir": tempfile.mkdtemp(prefix="prober-spool-")},
    }


def fast(sink):
    sink.update({"flush_interval": "200ms", "min_backoff": "100ms", "max_backoff": "1s"})
    return sink


def wait_for_a_sample_per_result(prom, results, window="10m", timeout=15):
    """Waits until Prometheus holds, monitor by monitor, one probe_success sample of vantage test-1
    per result (`results`: results counted by monitor), and returns those counts."""
    def counts():
        found = {s["metric"]["monitor"]: int(s["value"][1])
                 for s in prom.query(f'count_over_time(probe_success{{vantage="test-1"}}[{window}])')}
        return found == dict(results) and found
    return wait_for(counts, f"one probe_success sample per result {dict(results)}", timeout)


class TempDirTest(unittest.TestCase):
    def tmp(self, prefix):
        d = tempfile.mkdtemp(prefix=prefix)
        self.addCleanup(shutil.rmtree, d, True)
        return d


class RemoteWrite(TempDirTest):
    def test_every_sample_reaches_a_real_prometheus(self):
        need("prometheus")
        prom = Prometheus(self.tmp("prober-rw-")).start()
        self.addCleanup(prom.stop)
        agent = AgentProcess(base_config(remote_write=fast({"url": prom.write_url()})))
        self.addCleanup(agent.stop)
        wait_for(lambda: prom.query('probe_success{monitor="db"}'), "db's probe_success in Prometheus", 30)
        time.sleep(2)
        self.assertEqual(agent.stop(), 0)
        results = collections.Counter(r["monitor"] for r in agent.results())
        counts = wait_for_a_sample_per_result(prom, results)
        print(f"\nremote write: results {dict(results)}, samples in Prometheus {counts}")

        home = prom.query('probe_success{monitor="home"}')[0]["metric"]
        self.assertEqual({k: home[k] for k in ("vantage", "region", "provider", "type", "target")},
                         {"vantage": "test-1", "region": "loopback", "provider": "lab", "type": "http",
                          "target": f"http://127.0.0.1:{LAB.port('http')}/ok"})
        self.assertEqual(prom.query('probe_http_status_code{monitor="home"}')[0]["value"][1], "200")
        self.assertEqual(prom.query('probe_success{monitor="db"}')[0]["value"][1], "0")
        info = prom.query('probe_failure_info{monitor="db"}')[0]["metric"]
        self.assertEqual((info["class"], info["phase"]), ("tcp_refused", "connect"))
        self.assertEqual(prom.query('prober_vantage_healthy{vantage="test-1"}')[0]["value"][1], "1")
        for phase in ("resolve", "connect", "processing", "transfer"):
            self.assertTrue(prom.query(f'probe_http_duration_seconds{{monitor="home",phase="{phase}"}}'), phase)

    def test_runs_that_finish_together_share_a_record_and_every_sample_arrives(self):
        need("prometheus")
        prom = Prometheus(self.tmp("prober-rw-")).start()
        self.addCleanup(prom.stop)
        config = base_config(remote_write=fast({"url": prom.write_url()}))
        config["monitors"] = [{"name": f"m{i}", "type": "http", "url": f"http://127.0.0.1:{LAB.port('http')}/ok"}
                              for i in range(40)]
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        time.sleep(5)
        wait_for(lambda: agent.metric_now("prober_spool_bytes") == 0, "the spool drained", 30)
        records = agent.metric_now('prober_sink_sent_total{sink="remote_write"}')
        runs = len(agent.results())
        # 40 monitors spread over a 500 ms interval: ~8 runs finish in each 100 ms, in one record.
        self.assertLess(records, runs / 3, f"{records} records sent for {runs} runs")
        self.assertEqual(agent.stop(), 0)  # what the last 100 ms gathered is spooled and sent
        results = collections.Counter(r["monitor"] for r in agent.results())
        wait_for_a_sample_per_result(prom, results)
        print(f"\nremote write: {runs} runs in {records:.0f} records; after the stop every one of "
              f"{sum(results.values())} results has its sample in Prometheus")

    def test_a_series_a_run_no_longer_sends_ends_at_once_not_after_the_lookback(self):
        need("prometheus")
        prom = Prometheus(self.tmp("prober-rw-")).start()
        self.addCleanup(prom.stop)
        port = free_port()
        config = base_config(remote_write=fast({"url": prom.write_url()}))
        config["monitors"] = [{"name": "api", "type": "tcp", "target": f"127.0.0.1:{port}"}]
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        info = wait_for(lambda: prom.query('probe_failure_info{monitor="api"}'), "the failure's info series", 30)
        self.assertEqual(info[0]["metric"]["class"], "tcp_refused")
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self.addCleanup(listener.close)
        wait_for(lambda: prom.query('probe_success{monitor="api"} == 1'), "the recovery in Prometheus", 30)
        # The recovered run's record carries the info series' stale marker: gone with the
        # recovery, where without it Prometheus would show the old failure for five minutes.
        wait_for(lambda: not prom.query('probe_failure_info{monitor="api"}'), "the info series ended", 5)
        self.assertEqual(prom.query('probe_success{monitor="api"}')[0]["value"][1], "1")

    def test_a_reload_ends_a_removed_monitors_series_and_a_changed_targets_at_once(self):
        need("prometheus")
        prom = Prometheus(self.tmp("prober-rw-")).start()
        self.addCleanup(prom.stop)
        listeners = []
        for _ in range(2):
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(64)
            self.addCleanup(listener.close)
            listeners.append(f"127.0.0.1:{listener.getsockname()[1]}")
        config = base_config(remote_write=fast({"url": prom.write_url()}))
        config["monitors"] = [{"name": "api", "type": "tcp", "target": listeners[0]},
                              {"name": "gone", "type": "tcp", "target": listeners[0]}]
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        for monitor in ("api", "gone"):
            wait_for(lambda: prom.query(f'probe_success{{monitor="{monitor}"}} == 1'), f"{monitor} in Prometheus", 30)
        # The reload removes one monitor and moves the other: the last run's series of both are
        # written again from what remote write kept of them, with the stale marker.
        config["monitors"] = [{"name": "api", "type": "tcp", "target": listeners[1]}]
        agent.write_config(config)
        agent.get("/-/reload", method="POST")
        wait_for(lambda: prom.query(f'probe_success{{monitor="api",target="{listeners[1]}"}}'), "the new target", 30)
        wait_for(lambda: not prom.query('probe_success{monitor="gone"}'), "the removed monitor's series ended", 5)
        wait_for(lambda: not prom.query(f'probe_duration_seconds{{monitor="api",target="{listeners[0]}"}}'),
                 "the old target's series ended", 5)
        self.assertEqual(len(prom.query('probe_success{monitor="api"}')), 1)


class AlertmanagerSink(TempDirTest):
    def test_alert_fires_with_its_labels_and_resolves_on_recovery(self):
        need("prometheus-alertmanager")
        am = Alertmanager(self.tmp("prober-am-")).start()
        self.addCleanup(am.stop)
        port = free_port()
        config = base_config(alertmanager={"url": am.url, "resend_interval": "2s"})
        config["monitors"] = [{"name": "api", "type": "tcp", "target": f"127.0.0.1:{port}"}]
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        alert = wait_for(lambda: am.alerts(alertname="ProbeFailing", monitor="api"), "ProbeFailing in Alertmanager", 20)[0]
        self.assertEqual(alert["labels"], {"alertname": "ProbeFailing", "monitor": "api", "vantage": "test-1",
                                           "region": "loopback", "class": "tcp_refused", "severity": "critical"})
        self.assertIn("refused", alert["annotations"]["summary"])
        last = [r for r in agent.results() if r["monitor"] == "api"][-1]
        self.assertEqual(alert["annotations"].get("hints", ""), "\n".join(last["hints"]))
        self.assertTrue(alert["generatorURL"].endswith("/results#api"))
        self.assertEqual(alert["status"]["state"], "active")
        self.assertEqual(agent.metric_now('prober_monitor_hard_state{monitor="api"}'), 2)
        print(f"\nAlertmanager: fired {alert['labels']} startsAt {alert['startsAt']}")
        # The diagnosis follows the alert: the path to a refused port, in the alert, /results and the JSONL.
        annotated = wait_for(lambda: [a for a in am.alerts(alertname="ProbeFailing", monitor="api")
                                      if "diagnostics" in a["annotations"]], "the diagnosis in the alert", 20)[0]
        self.assertIn("path: the path reaches 127.0.0.1 in 1 hop, where TCP port", annotated["annotations"]["diagnostics"])
        stored = json.loads(agent.get("/results")[1])["api"]["last_diagnosis"]
        self.assertEqual(stored["class"], "tcp_refused")
        self.assertEqual([d["kind"] for d in stored["diagnostics"]], ["path"])
        # The next result carries it, once: in the JSONL (and any webhook) as in /results.
        carried = wait_for(lambda: [r for r in agent.results() if r["monitor"] == "api" and r["diagnostics"]],
                           "a result carrying the diagnosis")
        self.assertEqual(carried[0]["diagnostics"], stored["diagnostics"])
        self.assertEqual(agent.metric_now('prober_diagnoses_total{outcome="started"}'), 1)

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self.addCleanup(listener.close)
        wait_for(lambda: not am.alerts(alertname="ProbeFailing", monitor="api"), "the alert resolved in Alertmanager", 20)
        self.assertEqual(agent.metric_now('prober_monitor_hard_state{monitor="api"}'), 0)
        self.assertIn('to=ok', agent.log())


    def test_an_alert_that_could_not_be_sent_is_retried_before_the_next_resend(self):
        need("prometheus-alertmanager")
        am = Alertmanager(self.tmp("prober-am-down-"))  # not started yet: the first sends fail
        config = base_config(alertmanager={"url": am.url, "resend_interval": "5m"})
        config["monitors"] = [{"name": "api", "type": "tcp", "target": f"127.0.0.1:{free_port()}"}]
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        wait_for(lambda: agent.metric_now('prober_sink_errors_total{reason="network",sink="alertmanager"}'),
                 "a failed send to Alertmanager", 20)
        am.start()
        self.addCleanup(am.stop)
        started = time.monotonic()
        wait_for(lambda: am.alerts(alertname="ProbeFailing", monitor="api"), "the alert after a retry", 40)
        self.assertLess(time.monotonic() - started, 60)  # long before the 5 minute resend


class MackerelAndWebhook(TempDirTest):
    def test_payloads_match_the_documented_formats(self):
        fixture = CentralFixture(self.tmp("prober-central-"), api_key="mkr-key").start()
        self.addCleanup(fixture.stop)
        key_file = os.path.join(fixture.dir, "key")
        with open(key_file, "w") as f:
            f.write("mkr-key\n")
        config = base_config(
            mackerel={"url": fixture.url, "insecure_credentials": True, "api_key_file": key_file, "service": "shop", "notification_interval": 10,
                      "reports": fast({}), "metrics": fast({})},
            webhook=fast({"url": fixture.url + "/results"}))
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        wait_for(lambda: len(fixture.received("/api/v0/monitoring")) >= 3 and len(fixture.received("/results")) >= 3,
                 "reports and webhook batches", 20)
        agent.stop()
        received = fixture.received()
        problems = [(e["path"], e["problems"]) for e in received if e["problems"]]
        self.assertEqual(problems, [])
        host = [e for e in received if e["path"] == "/api/v0/hosts"][0]["body"]
        self.assertEqual(host["customIdentifier"], "prober-test-1")
        self.assertEqual(sorted(c["name"] for c in host["checks"]), ["db", "home"])
        reports = [r for e in fixture.received("/api/v0/monitoring") for r in e["body"]["reports"]]
        statuses = {(r["name"], r["status"]) for r in reports}
        self.assertEqual(statuses, {("home", "OK"), ("db", "CRITICAL")})
        runs = collections.Counter(r["monitor"] for r in agent.results())
        self.assertEqual(collections.Counter(r["name"] for r in reports), runs)  # one report per monitor per run
        metrics = {m["name"] for e in fixture.received("/api/v0/services/shop/tsdb") for m in e["body"]}
        self.assertLessEqual({"prober.home.total_ms", "prober.home.ttfb_ms", "prober.home.success", "prober.db.success"}, metrics)
        hooks = fixture.received("/results")
        for e in hooks:
            seqs = [r["seq"] for r in e["body"]]
            self.assertEqual(e["headers"]["Idempotency-Key"], f"test-1:{seqs[0]}-{seqs[-1]}:{len(seqs)}")
        self.assertEqual(sorted(s for _, s in fixture.webhook_seqs()), sorted(r["seq"] for r in agent.results()))

    def test_429_is_retried_after_its_delay_and_a_400_is_dropped_not_retried(self):
        fixture = CentralFixture(self.tmp("prober-central-")).start()
        self.addCleanup(fixture.stop)
        config = base_config(webhook=fast({"url": fixture.url + "/results"}))
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        fixture.answer(429, retry_after=1)
        wait_for(lambda: agent.metric_now('prober_sink_errors_total{reason="http_429",sink="webhook"}'), "a 429", 10)
        fixture.answer(400)
        wait_for(lambda: agent.metric_now('prober_sink_dropped_total{reason="rejected",sink="webhook"}'), "a drop", 10)
        fixture.answer(200)
        wait_for(lambda: fixture.webhook_seqs(), "deliveries after the 400", 10)
        time.sleep(1)
        agent.stop()
        rejected = {r["seq"] for e in fixture.received("/results") if e["status"] == 400 for r in e["body"]}
        delivered = [s for _, s in fixture.webhook_seqs()]
        text = agent.log()
        self.assertTrue(rejected)
        self.assertFalse(rejected & set(delivered), "a rejected batch was sent again")
        self.assertEqual(len(delivered), len(set(delivered)))
        dropped = len(rejected)
        produced = len(agent.results())
        self.assertEqual(produced, len(delivered) + dropped, text[-2000:])
        first_429 = min(i for i, e in enumerate(fixture.received("/results")) if e["status"] == 429)
        self.assertGreater(len(fixture.received("/results")), first_429 + 1)


class NoLoss(TempDirTest):
    def test_sixty_second_outage_with_a_restart_in_the_middle_loses_and_duplicates_nothing(self):
        need("prometheus")
        prom = Prometheus(self.tmp("prober-noloss-prom-")).start()
        self.addCleanup(prom.stop)
        fixture = CentralFixture(self.tmp("prober-noloss-hook-")).start()
        self.addCleanup(fixture.stop)
        config = base_config(remote_write=fast({"url": prom.write_url()}), webhook=fast({"url": fixture.url + "/results"}))
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        wait_for(lambda: fixture.webhook_seqs(), "first deliveries", 10)

        outage_started = time.monotonic()
        prom.stop()
        fixture.stop()
        time.sleep(30)
        self.assertEqual(agent.stop(), 0)
        first_run = [r["seq"] for r in agent.results()]
        agent.start()
        time.sleep(max(0.0, 60 - (time.monotonic() - outage_started)))
        outage = time.monotonic() - outage_started
        prom.start()
        fixture.start()
        wait_for(lambda: agent.metric_now("prober_spool_bytes") == 0, "the spool drained", 60)
        self.assertEqual(agent.stop(), 0)

        produced = [r["seq"] for r in agent.results()]
        delivered = [s for _, s in fixture.webhook_seqs()]
        counts = collections.Counter(delivered)
        duplicated = sum(n - 1 for n in counts.values())
        missing = set(produced) - set(counts)
        self.assertEqual(len(produced), len(set(produced)), "seq repeated across the restart")
        self.assertGreater(min(produced[len(first_run):]), max(first_run), "seq went back after the restart")
        per_monitor = collections.Counter(r["monitor"] for r in agent.results())
        samples = wait_for_a_sample_per_result(prom, per_monitor, window="15m", timeout=20)
        print(f"\nno loss: outage {outage:.0f}s with a restart; results produced {len(produced)}, "
              f"delivered to the webhook {len(set(delivered))}, duplicated {duplicated}, missing {len(missing)}, "
              f"dropped 0; remote write samples {samples} for results {dict(per_monitor)}")
        self.assertEqual(missing, set())
        self.assertEqual(duplicated, 0)


BATCH_MAX = 500  # the webhook's default batch_max: one batch in flight at a time


class SpoolBound(TempDirTest):
    def test_a_full_spool_drops_the_oldest_and_counts_exactly(self):
        port = free_port()
        config = base_config(interval="100ms", timeout="80ms", webhook=fast({"url": f"http://127.0.0.1:{port}/results"}))
        config["spool"]["max_bytes"] = "64KiB"
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        wait_for(lambda: agent.metric_now('prober_spool_dropped_total{queue="webhook"}'), "drops at the bound", 30)
        fixture = CentralFixture(self.tmp("prober-bound-"))
        fixture.port = port
        fixture.start()
        self.addCleanup(fixture.stop)
        wait_for(lambda: agent.metric_now("prober_spool_bytes") == 0 and fixture.webhook_seqs(), "the spool drained", 30)
        dropped = agent.metric_now('prober_spool_dropped_total{queue="webhook"}')
        self.assertEqual(agent.stop(), 0)
        produced = [r["seq"] for r in agent.results()]
        delivered = [s for _, s in fixture.webhook_seqs()]
        self.assertEqual(len(delivered), len(set(delivered)))
        lost = sorted(set(produced) - set(delivered))
        print(f"\nspool bound 64KiB: produced {len(produced)}, delivered {len(delivered)}, dropped {int(dropped)}")
        self.assertEqual(len(lost), dropped)
        # The oldest go first: up to the newest record dropped, every record was dropped except the
        # one batch being sent (leased) when the bound was hit, and what came after was delivered.
        newest_lost = max(lost)
        kept_older = [s for s in delivered if s < newest_lost]
        self.assertLessEqual(len(kept_older), BATCH_MAX, f"kept older than the newest dropped: {kept_older}")
        self.assertEqual(lost, sorted(s for s in produced if s <= newest_lost and s not in kept_older))
        self.assertGreater(sum(1 for s in delivered if s > newest_lost), 0)


class SpoolStart(TempDirTest):
    def test_a_damaged_spool_is_moved_aside_and_the_agent_starts(self):
        d = self.tmp("prober-damagedspool-")
        with open(os.path.join(d, "spool.db"), "wb") as f:
            f.write(os.urandom(8192))
        config = base_config(webhook={"url": "http://127.0.0.1:1/"})
        config["spool"]["dir"] = d
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        self.assertEqual(agent.metric_now("prober_spool_damaged_total"), 1)
        moved = [n for n in os.listdir(d) if n.startswith("spool.db.corrupt-")]
        self.assertEqual(len(moved), 1, os.listdir(d))
        self.assertEqual(os.path.getsize(os.path.join(d, moved[0])), 8192)
        log = agent.log()
        self.assertIn("spool file was damaged", log)
        self.assertIn(moved[0], log)
        # A restart finds a healthy spool: no crash loop, nothing more moved.
        self.assertEqual(agent.stop(), 0)
        agent.start()
        self.assertEqual(agent.metric_now("prober_spool_damaged_total"), 0)
        self.assertEqual(len([n for n in os.listdir(d) if n.startswith("spool.db.corrupt-")]), 1)

    def test_an_unusable_spool_stops_the_start_with_a_clear_error(self):
        import subprocess
        from lab import PROBER
        d = self.tmp("prober-badspool-")
        blocker = os.path.join(d, "not-a-dir")
        open(blocker, "w").close()
        for spool_dir, expected in ((os.path.join(blocker, "spool"), "cannot create"),):
            config = base_config(webhook={"url": "http://127.0.0.1:1/"})
            config["spool"]["dir"] = spool_dir
            config["sinks"]["prometheus"] = {"listen": "127.0.0.1:0"}
            path = os.path.join(d, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            out = subprocess.run([PROBER, "run", "--config", path], capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 1, out.stderr)
            self.assertIn("cannot open the spool", out.stderr)
            self.assertIn(expected, out.stderr)


class Examples(unittest.TestCase):
    def test_the_central_example_parses_and_names_only_its_missing_secrets(self):
        import subprocess
        from lab import PROBER
        example = os.path.join(ROOT, "examples", "central.json")
        env = {k: v for k, v in os.environ.items() if k != "WEBHOOK_TOKEN"}
        out = subprocess.run([PROBER, "validate", "--config", example], capture_output=True, text=True, env=env)
        self.assertEqual(out.returncode, 1)
        self.assertEqual(out.stderr.splitlines(), [
            f"{example}: /sinks/remote_write/bearer_token_file: cannot read secret file /run/secrets/remote_write_token",
            f"{example}: /sinks/mackerel/api_key_file: cannot read secret file /run/secrets/mackerel_api_key",
            f"{example}: /sinks/webhook/bearer_token_env: environment variable WEBHOOK_TOKEN is not set",
            f"{example}: 3 errors"])


class QuorumRules(TempDirTest):
    """The shipped rules on a real Prometheus fed by three vantages. The test copy only shortens
    the windows (2m -> 6s) and `for:` (-> 3s) so it runs in seconds; the expressions are the
    shipped ones."""

    def test_rules_pass_promtool(self):
        need("promtool")
        import subprocess
        rules = os.path.join(ROOT, "deploy", "prometheus")
        for argv in (["promtool", "check", "rules", "rules.yml"], ["promtool", "test", "rules", "rules_test.yml"]):
            out = subprocess.run(argv, cwd=rules, capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        if shutil.which("amtool"):
            out = subprocess.run(["amtool", "check-config", os.path.join(ROOT, "deploy", "alertmanager", "alertmanager.yml")],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_one_vantage_down_is_no_quorum_two_are_and_an_unhealthy_one_is_left_out(self):
        need("prometheus", "prometheus-alertmanager")
        directory = self.tmp("prober-quorum-")
        with open(os.path.join(ROOT, "deploy", "prometheus", "rules.yml")) as f:
            rules = f.read()
        rules = re.sub(r"\[2m\]", "[6s]", rules)
        rules = re.sub(r"for: \d+m", "for: 3s", rules)
        rules_path = os.path.join(directory, "rules.yml")
        with open(rules_path, "w") as f:
            f.write(rules)
        am = Alertmanager(os.path.join(directory, "am")).start()
        self.addCleanup(am.stop)
        prom = Prometheus(os.path.join(directory, "prom"), rule_files=[rules_path], alertmanager_port=am.port).start()
        self.addCleanup(prom.stop)
        good = f"http://127.0.0.1:{LAB.port('http')}/ok"
        bad = f"http://127.0.0.1:{LAB.closed_port}/ok"

        def config(name, url, control=None):
            c = base_config(name=name, remote_write={"url": prom.write_url(), "flush_interval": "200ms",
                                                      "metrics_interval": "1s"})
            c["monitors"] = [{"name": "shop", "type": "http", "url": url}]
            if control:
                c["monitors"].append({"name": "ctl", "type": "tcp", "target": control})
                c["vantage"]["control"] = ["ctl"]
            return c
        agents = {v: AgentProcess(config(v, bad if v == "c" else good)) for v in ("a", "b", "c")}
        for a in agents.values():
            self.addCleanup(a.stop)

        def quorum_alert():
            return am.alerts(alertname="ProbeFailingQuorum", monitor="shop")
        wait_for(lambda: prom.query('prober:monitor_vantages_failing:count{monitor="shop"} == 1'), "c counted failing", 30)
        time.sleep(8)  # longer than window + for: no alert may appear with one vantage down
        self.assertEqual(quorum_alert(), [])
        self.assertEqual(prom.query('ALERTS{alertname="ProbeFailingQuorum"}'), [])
        t0 = time.monotonic()
        agents["b"].write_config(config("b", bad))
        fired = wait_for(quorum_alert, "ProbeFailingQuorum in Alertmanager with two vantages down", 40)[0]
        fire_delay = time.monotonic() - t0
        self.assertEqual(fired["labels"]["severity"], "page")
        self.assertEqual(fired["annotations"]["summary"], "shop fails from 2 healthy vantages")
        # b's own control check fails: b is unhealthy, left out, and the quorum is gone again.
        t1 = time.monotonic()
        agents["b"].write_config(config("b", bad, control=f"127.0.0.1:{LAB.closed_port}"))
        wait_for(lambda: prom.query('prober_vantage_healthy{vantage="b"} == 0'), "b unhealthy in Prometheus", 30)
        wait_for(lambda: prom.query('prober:monitor_vantages_healthy:count{monitor="shop"} == 2'), "b left out", 30)
        wait_for(lambda: not prom.query('ALERTS{alertname="ProbeFailingQuorum",alertstate="firing"}'), "the quorum alert resolved", 40)
        resolve_delay = time.monotonic() - t1
        unknown = [r for r in agents["b"].results() if r["monitor"] == "shop" and r["class"] == "vantage_unhealthy"]
        self.assertTrue(unknown)
        self.assertEqual(unknown[-1]["status"], "unknown")
        self.assertEqual(unknown[-1]["underlying_class"], "tcp_refused")
        print(f"\nquorum: 1 of 3 down -> no alert; 2 of 3 -> fired after {fire_delay:.1f}s; "
              f"b unhealthy -> left out, resolved in Prometheus after {resolve_delay:.1f}s")
