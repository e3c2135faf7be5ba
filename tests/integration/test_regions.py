"""Three regions end to end, in network namespaces this test creates (veth pairs on a bridge,
addresses from 192.0.2.0/24, no route anywhere else): three vantage namespaces each running
prober, a target namespace (nginx and dnsmasq), a reference namespace the vantages' control
checks reach, and a central namespace with a real Prometheus (remote write receiver and the
shipped rules) and a real Alertmanager. Links are cut with nftables.

The rules are the shipped deploy/prometheus/rules.yml with the windows shortened so the test
runs in minutes: [2m] -> [6s] and `for: 2m` -> `for: 3s` (expressions unchanged)."""
import json
import os
import re
import shutil
import tempfile
import time
import unittest

import lab  # noqa: F401  (puts tests/support on the path)
from lab import PROBER
from lab_process import wait_until
from netns import Network, namespaces_allowed

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
VANTAGES = ("tokyo", "paris", "ohio")
NGINX = """daemon off; master_process off; worker_processes 1; {user}
pid {dir}/nginx.pid; error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {dir}/b; proxy_temp_path {dir}/p; fastcgi_temp_path {dir}/f;
  uwsgi_temp_path {dir}/u; scgi_temp_path {dir}/s;
  server {{ listen {address}:80; location / {{ return 200 "Welcome to the shop\\n"; }} }} }}
"""


class ThreeRegions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = namespaces_allowed()
        if why:
            raise unittest.SkipTest(f"three-region test skipped: {why}")
        for program in ("nginx", "dnsmasq", "prometheus", "prometheus-alertmanager"):
            if not shutil.which(program) and not os.path.exists(f"/usr/sbin/{program}"):
                raise unittest.SkipTest(f"{program} is not installed (tools/install-deps.sh installs it)")
        cls.dir = tempfile.mkdtemp(prefix="prober-regions-")
        cls.net = Network()
        try:
            cls._start()
        except BaseException:
            cls.net.close()
            raise

    @classmethod
    def _start(cls):
        net, d = cls.net, cls.dir
        target = net.add_host("target", 10)
        reference = net.add_host("ref", 30)
        central = net.add_host("central", 20)
        for i, v in enumerate(VANTAGES):
            net.add_host(v, 1 + i)
        user = "user root root;" if os.geteuid() == 0 else ""
        for host, address in (("target", target), ("ref", reference)):
            conf_dir = os.path.join(d, f"nginx-{host}")
            os.makedirs(conf_dir)
            with open(os.path.join(conf_dir, "nginx.conf"), "w") as f:
                f.write(NGINX.format(dir=conf_dir, user=user, address=address))
            net.start(host, ["nginx", "-p", conf_dir, "-c", os.path.join(conf_dir, "nginx.conf"), "-e",
                             os.path.join(conf_dir, "error.log")], os.path.join(conf_dir, "out.log"))
        net.start("target", ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--port=53",
                             f"--listen-address={target}", "--bind-interfaces", "--pid-file=", "--user=root",
                             "--group=root", f"--host-record=shop.test,{target}"], os.path.join(d, "dnsmasq.log"))
        # Central: Prometheus with the shipped rules (windows shortened), and Alertmanager.
        with open(os.path.join(ROOT, "deploy", "prometheus", "rules.yml")) as f:
            rules = re.sub(r"for: \d+m", "for: 3s", re.sub(r"\[2m\]", "[6s]", f.read()))
        with open(os.path.join(d, "rules.yml"), "w") as f:
            f.write(rules)
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write(f"global: {{evaluation_interval: 1s}}\nrule_files: ['{d}/rules.yml']\n"
                    f"alerting: {{alertmanagers: [{{static_configs: [{{targets: ['{central}:9093']}}]}}]}}\n")
        with open(os.path.join(d, "alertmanager.yml"), "w") as f:
            f.write("route: {receiver: 'null', group_wait: 1s, group_interval: 1s}\nreceivers: [{name: 'null'}]\n")
        net.start("central", ["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/tsdb",
                              "--web.enable-remote-write-receiver", f"--web.listen-address={central}:9090"],
                  os.path.join(d, "prometheus.log"))
        net.start("central", ["prometheus-alertmanager", f"--config.file={d}/alertmanager.yml",
                              f"--storage.path={d}/am", f"--web.listen-address={central}:9093",
                              "--cluster.listen-address="], os.path.join(d, "alertmanager.log"))
        wait_until(lambda: net.get("central", f"http://{central}:9090/-/ready")[0] == 200, "Prometheus ready", 60)
        wait_until(lambda: net.get("central", f"http://{central}:9093/-/ready")[0] == 200, "Alertmanager ready", 60)
        wait_until(lambda: net.get("tokyo", f"http://{target}/")[0] == 200, "nginx reachable from a vantage", 20)
        cls.agents = {}
        for i, v in enumerate(VANTAGES):
            config = {
                "vantage": {"name": v, "region": f"region-{v}", "index": i, "count": len(VANTAGES),
                            "control": ["ctl-reference"]},
                "defaults": {"interval": "1s", "timeout": "800ms", "retry_interval": "1s", "max_check_attempts": 2},
                "monitors": [
                    {"name": "shop", "type": "http", "url": f"http://{target}/", "expect": {"body_regex": "Welcome"}},
                    {"name": "shop-dns", "type": "dns", "query": "shop.test", "record": "A", "server": f"{target}:53",
                     "expect": {"answers_regex": [re.escape(target)]}},
                    {"name": "ctl-reference", "type": "tcp", "target": f"{reference}:80"},
                ],
                "sinks": {"prometheus": {"listen": f"{net.address(v)}:9465"},
                          "jsonl": {"path": os.path.join(d, f"{v}.jsonl")},
                          "remote_write": {"url": f"http://{central}:9090/api/v1/write", "flush_interval": "250ms",
                                           "metrics_interval": "1s", "max_backoff": "1s"}},
                "spool": {"dir": os.path.join(d, f"spool-{v}")},
            }
            path = os.path.join(d, f"{v}.json")
            with open(path, "w") as f:
                json.dump(config, f)
            cls.agents[v] = net.start(v, [PROBER, "run", "--config", path], os.path.join(d, f"{v}.log"))
        cls.central = central
        cls.t0 = time.monotonic()

    @classmethod
    def tearDownClass(cls):
        cls.net.close()
        shutil.rmtree(cls.dir, True)

    # --- helpers ---------------------------------------------------------------------------------
    def query(self, expr):
        import urllib.parse
        status, body = self.net.get("central", f"http://{self.central}:9090/api/v1/query?query=" + urllib.parse.quote(expr))
        return json.loads(body)["data"]["result"] if status == 200 else []

    def quorum_alert(self, monitor="shop"):
        """Active ProbeFailingQuorum alerts in Alertmanager for `monitor` (None: any)."""
        status, body = self.net.get("central", f"http://{self.central}:9093/api/v2/alerts")
        alerts = json.loads(body) if status == 200 else []
        return [a for a in alerts if a["labels"].get("alertname") == "ProbeFailingQuorum"
                and monitor in (None, a["labels"].get("monitor"))]

    def latest(self, vantage, monitor="shop", after=0.0):
        """The class of `vantage`'s latest result for `monitor` written after `after` (monotonic)."""
        try:
            with open(os.path.join(self.dir, f"{vantage}.jsonl")) as f:
                lines = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return None
        mine = [r for r in lines if r["monitor"] == monitor]
        return mine[-1] if mine else None

    def wait_class(self, vantage, classes, what, timeout=30, key="class"):
        try:
            wait_until(lambda: self.latest(vantage).get(key) in classes, what, timeout)
        except RuntimeError as e:
            raise AssertionError(f"{e}; {vantage}'s latest result: {json.dumps(self.latest(vantage))[:600]}")

    def reported(self):
        def one(r):
            return f"{r['status']} {r['class']}" + (f" ({r['underlying_class']})" if r.get("underlying_class") else "")
        return {v: f"{one(self.latest(v))}; dns: {one(self.latest(v, 'shop-dns'))}" for v in VANTAGES}

    def settle(self, seconds):
        time.sleep(seconds)

    def stamp(self):
        return f"t+{time.monotonic() - self.t0:5.1f}s"

    # --- the scenarios, in order (one test: they build on each other's state) --------------------
    def test_scenarios(self):
        rows = []
        no_alert_wait = 6 + 3 + 6  # window + for + margin

        def row(scenario, alert):
            rows.append((self.stamp(), scenario, self.reported(), alert))

        # 1. all healthy
        wait_until(lambda: all(self.latest(v) and self.latest(v)["class"] == "ok" for v in VANTAGES), "every vantage ok", 60)
        wait_until(lambda: self.query('prober:monitor_vantages_healthy:count{monitor="shop"} == 3'), "3 healthy vantages in Prometheus", 60)
        self.settle(no_alert_wait)
        self.assertEqual(self.quorum_alert(), [])
        row("all healthy", "no alert")

        # 2. tokyo -> target cut
        self.net.cut("tokyo", "target")
        self.wait_class("tokyo", ("tcp_timeout",), "tokyo's tcp_timeout")
        wait_until(lambda: self.query('prober:monitor_vantages_failing:count{monitor="shop"} == 1'), "1 failing", 30)
        self.settle(no_alert_wait)
        self.assertEqual(self.quorum_alert(), [])
        row("tokyo->target cut", "no alert")

        # 3. paris -> target cut too: the quorum alert fires, and resolves when both are restored
        self.net.cut("paris", "target")
        cut_at = time.monotonic()
        fired = wait_until(self.quorum_alert, "ProbeFailingQuorum in Alertmanager", 60)[0]
        fire_delay = time.monotonic() - cut_at
        self.assertEqual(fired["labels"]["severity"], "page")
        self.assertEqual(fired["annotations"]["summary"], "shop fails from 2 healthy vantages")
        wait_until(lambda: self.quorum_alert("shop-dns"), "the DNS monitor's quorum alert too", 30)
        row("tokyo+paris->target cut", f"FIRED after {fire_delay:.1f}s (startsAt {fired['startsAt']}); shop-dns too")
        self.net.restore("tokyo", "target")
        self.net.restore("paris", "target")
        restored_at = time.monotonic()
        try:
            wait_until(lambda: not self.quorum_alert(None), "the quorum alerts resolved in Alertmanager", 60)
        except RuntimeError as e:
            raise AssertionError(f"{e}: vantages {self.reported()}; Prometheus ALERTS "
                                 f"{self.query('ALERTS')}; failing {self.query('prober:monitor_vantages_failing:count')}; "
                                 f"Alertmanager {self.quorum_alert(None)}")
        resolve_delay = time.monotonic() - restored_at
        wait_until(lambda: all(self.latest(v)["class"] == "ok" for v in VANTAGES), "every vantage ok again", 30)
        row("links restored", f"resolved after {resolve_delay:.1f}s")

        # 4. ohio's control checks fail: its results are unknown/vantage_unhealthy and it is left
        #    out: with ohio and tokyo both cut from the target, only tokyo counts -> no alert.
        self.net.cut("ohio", "ref")
        self.wait_class("ohio", ("vantage_unhealthy",), "ohio unhealthy")
        self.assertEqual(self.latest("ohio")["status"], "unknown")
        wait_until(lambda: self.query('prober_vantage_healthy{vantage="ohio"} == 0'), "ohio unhealthy in Prometheus", 30)
        self.net.cut("ohio", "target")
        self.net.cut("tokyo", "target")
        self.wait_class("ohio", ("tcp_timeout",), "ohio's underlying tcp_timeout", key="underlying_class")
        self.wait_class("tokyo", ("tcp_timeout",), "tokyo's tcp_timeout")
        wait_until(lambda: self.query('prober:monitor_vantages_healthy:count{monitor="shop"} == 2'), "ohio left out", 30)
        self.settle(no_alert_wait)
        self.assertEqual(self.quorum_alert(None), [])
        self.assertEqual(self.query('prober:monitor_vantages_failing:count{monitor="shop"}')[0]["value"][1], "1")
        row("ohio control cut (unhealthy) + ohio,tokyo->target cut", "no alert (ohio left out)")

        print(f"\n{'time':9} | {'scenario':55} | " + " | ".join(f"{v:56}" for v in VANTAGES) + " | quorum alert")
        for stamp, scenario, reported, alert in rows:
            print(f"{stamp:9} | {scenario:55} | " + " | ".join(f"{reported[v]:56}" for v in VANTAGES) + f" | {alert}")
        print(f"end-to-end: {time.monotonic() - self.t0:.0f}s after the agents started")
        for v, child in self.agents.items():
            self.assertIsNone(child.process.poll(), f"{v}'s prober exited")
