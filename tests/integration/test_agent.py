"""`prober run` against the loopback lab: /metrics checked by promtool and scraped by a real
Prometheus (also through /probe, blackbox's multi-target pattern), reload good and bad,
SIGTERM with a check in flight, the endpoint's limits, and `prober validate`."""
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import lab
from agent_process import AgentProcess, wait_for
from lab import PROBER
from lab_process import Child, free_port, wait_for_tcp

LAB = None


def setUpModule():
    global LAB
    LAB = lab.acquire()


def tearDownModule():
    lab.release()


def lab_config(interval="1s", timeout="800ms"):
    http = LAB.port("http")
    return {
        "vantage": {"name": "test-1", "region": "loopback"},
        "defaults": {"interval": interval, "timeout": timeout, "retry_interval": "500ms"},
        "monitors": [
            {"name": "home", "type": "http", "url": f"http://127.0.0.1:{http}/ok", "expect": {"body_regex": "Welcome"}},
            {"name": "shop-tls", "type": "http", "url": f"https://localhost:{LAB.port('valid')}/ok",
             "tls": {"ca_file": LAB.ca_file}},
            {"name": "chain", "type": "tls", "target": f"localhost:{LAB.port('no_intermediate')}",
             "tls": {"ca_file": LAB.ca_file}},
            {"name": "dual", "type": "http", "url": f"http://dual.test:{http}/ok", "dns_servers": [LAB.dns.server],
             "ip_version": "each"},
            {"name": "mx", "type": "dns", "query": "mx.test", "record": "MX", "server": LAB.dns.server},
            {"name": "db", "type": "tcp", "target": f"127.0.0.1:{LAB.closed_port}"},
        ],
        "modules": {"http_2xx": {"type": "http", "expect": {"status": [[200, 299]]}},
                    "tls_lab": {"type": "tls", "tls": {"ca_file": LAB.ca_file}}},
    }


def all_monitors_reported(agent, names):
    def check():
        _, text = agent.get("/metrics")
        return all(f'monitor="{n}"' in text and "probe_success{" in text for n in names) and text
    return check


class Agent(unittest.TestCase):
    def setUp(self):
        self.agent = AgentProcess(lab_config())
        self.addCleanup(self.agent.stop)

    def test_metrics_pass_promtool_and_name_every_monitor(self):
        text = wait_for(all_monitors_reported(self.agent, ["home", "shop-tls", "chain", "dual", "mx", "db"]),
                        "probe_success for every monitor")
        lint = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
        self.assertEqual(lint.returncode, 0, lint.stdout.decode() + lint.stderr.decode())
        m = self.agent.metric
        self.assertEqual(m(text, 'probe_success{monitor="home",target="http://127.0.0.1:%d/ok",type="http"}'
                           % LAB.port("http")), 1)
        self.assertIn('probe_failure_info{class="tls_chain_incomplete",monitor="chain",phase="tls"', text)
        self.assertIn('probe_success{address="::1",monitor="dual"', text)
        self.assertIn('probe_http_duration_seconds{monitor="shop-tls",phase="tls"', text)
        self.assertIn('probe_tls_version_info{monitor="shop-tls"', text)
        for family in ("prober_check_results_total", "prober_scheduler_lag_seconds_bucket", "prober_checks_in_flight",
                       "prober_checks_skipped_total", "prober_config_last_reload_successful",
                       "process_cpu_seconds_total", "process_resident_memory_bytes", "prober_check_phase_seconds_bucket"):
            self.assertIn(family, text)

    def test_results_and_jsonl(self):
        wait_for(all_monitors_reported(self.agent, ["chain"]), "results")
        status, body = self.agent.get("/results")
        self.assertEqual(status, 200)
        results = json.loads(body)
        self.assertEqual(results["chain"]["last"][0]["class"], "tls_chain_incomplete")
        self.assertEqual(results["chain"]["last_failure"][0]["class"], "tls_chain_incomplete")
        lines = self.agent.results()
        self.assertTrue(lines)
        seqs = [r["seq"] for r in lines]
        self.assertEqual(seqs, sorted(set(seqs)))
        self.assertTrue(all(r["vantage"] == "test-1" and r["region"] == "loopback" for r in lines))

    def test_probe_endpoint_like_blackbox(self):
        target = urllib.parse.quote(f"http://127.0.0.1:{LAB.port('http')}/ok", safe="")
        status, text = self.agent.get(f"/probe?target={target}&module=http_2xx")
        self.assertEqual(status, 200)
        self.assertTrue(text.rstrip().endswith("probe_success 1"), text[-200:])
        self.assertIn("probe_http_status_code 200", text)
        status, text = self.agent.get(f"/probe?target=localhost:{LAB.port('expired')}&module=tls_lab")
        self.assertIn("probe_success 0", text)
        self.assertIn('probe_failure_info{class="tls_cert_expired",phase="tls"} 1', text)
        self.assertEqual(self.agent.get("/probe?module=http_2xx")[0], 400)
        self.assertEqual(self.agent.get(f"/probe?target={target}&module=nope")[0], 400)

    def test_probes_of_many_dns_servers_keep_the_heap_bounded(self):
        # /probe makes a resolver for every DNS server it is asked about (~90 KB each). They were
        # all kept: 1 200 servers grew the heap by ~107 MB, and a caller could grow it without end.
        config = lab_config(interval="60s")
        config["modules"]["dns_lab"] = {"type": "dns", "query": "mx.test", "record": "MX"}
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        connection = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=10)
        self.addCleanup(connection.close)

        def probe(target):
            connection.request("GET", f"/probe?module=dns_lab&target={target}")
            answer = connection.getresponse()
            return answer.status, answer.read().decode()

        self.assertIn("probe_success 1", probe(LAB.dns.server)[1])
        before = agent.metric_now("prober_heap_inuse_bytes")
        # Loopback ports nobody answers on: each is a server of its own, refused at once.
        for port in range(41000, 42200):
            status, text = probe(f"127.0.0.1:{port}")
            self.assertEqual(status, 200, text)
            self.assertIn("probe_success 0", text)
        time.sleep(1.5)  # those let go of are destroyed by a timer, once a second
        grown = agent.metric_now("prober_heap_inuse_bytes") - before
        self.assertLess(grown, 40e6, f"the heap grew by {grown / 1e6:.1f} MB for 1 200 DNS servers")
        self.assertIn("probe_success 1", probe(LAB.dns.server)[1])  # a resolver let go of is made again

    def test_probes_of_many_host_names_keep_the_heap_bounded(self):
        # Every plain-HTTP check pins curl to the address it resolved (CURLOPT_RESOLVE); in the
        # multi's shared name cache such a pin is kept for good, so each host name ever probed left
        # ~195 bytes behind (3.9 MB for 20 000 names, measured).
        config = lab_config(interval="60s")
        config["modules"]["http_sites"] = {"type": "http", "dns_servers": [LAB.dns.server]}
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        connection = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=10)
        self.addCleanup(connection.close)

        def probe_names(first, count):
            for i in range(first, first + count):
                connection.request("GET", f"/probe?module=http_sites&target=http://n{i}.sites.test:"
                                   f"{LAB.port('http')}/ok")
                answer = connection.getresponse()
                text = answer.read().decode()
                self.assertIn("probe_success 1", text)

        # /probe keeps the last 256 checks it made (dropped all at once when full): measured after
        # whole rounds of 256 new names each, the kept checks weigh the same both times.
        probe_names(0, 512)
        before = agent.metric_now("prober_heap_inuse_bytes")
        names = 10 * 256
        probe_names(512, names)
        grown = agent.metric_now("prober_heap_inuse_bytes") - before
        self.assertLess(grown / names, 50, f"the heap grew by {grown / 1e3:.0f} KB for {names} host names")

    def test_probes_of_one_target_each_see_it_as_it_is_now(self):
        # /probe keeps the check it made for a module and target; every run must still be new:
        # the target going away and coming back, and a reload that changes the module.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        listener.listen(16)
        self.addCleanup(listener.close)
        target = f"127.0.0.1:{port}"
        config = lab_config(interval="60s")
        config["modules"]["tcp_lab"] = {"type": "tcp"}
        config["modules"]["http_lab"] = {"type": "http", "expect": {"status": [[200, 299]]}}
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        for _ in range(3):
            self.assertIn("probe_success 1", agent.get(f"/probe?module=tcp_lab&target={target}")[1])
        listener.close()
        for _ in range(3):
            text = agent.get(f"/probe?module=tcp_lab&target={target}")[1]
            self.assertIn("probe_success 0", text)
            self.assertIn('probe_failure_info{class="tcp_refused",phase="connect"} 1', text)
        again = socket.socket()
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen(16)
        self.addCleanup(again.close)
        self.assertIn("probe_success 1", agent.get(f"/probe?module=tcp_lab&target={target}")[1])

        ok = urllib.parse.quote(f"http://127.0.0.1:{LAB.port('http')}/ok", safe="")
        self.assertIn("probe_success 1", agent.get(f"/probe?module=http_lab&target={ok}")[1])
        config["modules"]["http_lab"]["expect"]["status"] = [[500, 599]]
        agent.write_config(config)
        self.assertEqual(agent.get("/-/reload", "POST")[0], 200)
        text = agent.get(f"/probe?module=http_lab&target={ok}")[1]
        self.assertIn("probe_success 0", text)
        self.assertIn("probe_http_status_code 200", text)

    def test_reload_good_then_bad(self):
        wait_for(all_monitors_reported(self.agent, ["home"]), "first results")
        config = lab_config()
        config["monitors"] = [m for m in config["monitors"] if m["name"] != "db"]
        config["monitors"].append({"name": "added", "type": "tcp", "target": f"127.0.0.1:{LAB.port('http')}"})
        self.agent.write_config(config)
        self.assertEqual(self.agent.get("/-/reload", "POST")[0], 200)
        text = wait_for(all_monitors_reported(self.agent, ["added"]), "the added monitor")
        self.assertEqual(self.agent.metric(text, "prober_config_last_reload_successful"), 1)
        wait_for(lambda: 'monitor="db"' not in self.agent.get("/metrics")[1], "the removed monitor's series to go")

        config["monitors"][0]["interval"] = "ten seconds"
        self.agent.write_config(config)
        status, _ = self.agent.get("/-/reload", "POST")
        self.assertEqual(status, 500)
        text = self.agent.get("/metrics")[1]
        self.assertEqual(self.agent.metric(text, "prober_config_last_reload_successful"), 0)
        self.assertIn("/monitors/0/interval", self.agent.log())
        # The old configuration keeps running: new results keep coming.
        count = len(self.agent.results())
        wait_for(lambda: len(self.agent.results()) > count + 3, "results after the rejected reload")

    def test_sighup_reloads(self):
        config = lab_config()
        config["monitors"].append({"name": "via-hup", "type": "tcp", "target": f"127.0.0.1:{LAB.port('http')}"})
        self.agent.write_config(config)
        self.agent.process.send_signal(1)
        wait_for(all_monitors_reported(self.agent, ["via-hup"]), "the monitor added by SIGHUP")

    def test_endpoint_limits(self):
        self.assertEqual(self.agent.get("/healthz")[0], 200)
        self.assertEqual(self.agent.get("/-/reload", "GET")[0], 405)
        self.assertEqual(self.agent.get("/nope")[0], 404)
        # Over 8 KiB of request: refused.
        with socket.create_connection(("127.0.0.1", self.agent.port)) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
            self.assertIn(b"413", s.recv(100))
        # Keep-alive: two requests on one connection, answered in turn.
        with socket.create_connection(("127.0.0.1", self.agent.port)) as s:
            s.settimeout(5)
            for _ in range(2):
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = b""
                while not answer.endswith(b"ok\n"):
                    answer += s.recv(1000)
                self.assertIn(b"Connection: keep-alive", answer)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while True:
                chunk = s.recv(1000)
                if not chunk:
                    break
                answer += chunk
            self.assertIn(b"Connection: close", answer)
        # A client that never finishes its request holds nothing up.
        slow = socket.create_connection(("127.0.0.1", self.agent.port))
        slow.sendall(b"GET /metrics HTTP/1.1\r\nHost:")
        start = time.monotonic()
        self.assertEqual(self.agent.get("/healthz")[0], 200)
        self.assertLess(time.monotonic() - start, 1.0)
        slow.close()


class HostileClients(unittest.TestCase):
    """The endpoint's bounds, each shown by a client that abuses it (one agent for them all)."""

    @classmethod
    def setUpClass(cls):
        config = lab_config(interval="30s", timeout="1s")
        # Enough series for a /metrics answer far larger than the socket buffers, from checks that
        # pass: failing ones would add retries, hard-state changes and a diagnosis each, and a
        # sanitizer build on a machine running other suites beside this one falls behind on them
        # (the endpoint's bounds, not the agent's load, are what this class shows).
        config["monitors"] += [{"name": f"many-{i}", "type": "tcp", "target": f"127.0.0.1:{LAB.port('http')}"}
                               for i in range(1000)]
        config["sinks"] = {"prometheus": {"max_connections": 8, "idle_timeout": "1s", "write_timeout": "2s",
                                          "probe": {"max_concurrent": 1}}}
        config["modules"]["stall"] = {"type": "http", "interval": "10s", "timeout": "5s"}
        cls.agent = AgentProcess(config)
        try:
            wait_for(lambda: len(cls.agent.get("/metrics")[1]) > 350_000, "a large /metrics", 60)
        except BaseException:
            cls.agent.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()

    def setUp(self):
        # The endpoint is free again: what an earlier test left open was closed at idle_timeout.
        wait_for(lambda: self._healthy(), "the endpoint free", 10)

    def _healthy(self):
        try:
            return self.agent.get("/healthz")[0] == 200
        except OSError:
            return False

    def test_head_gets_the_headers_alone(self):
        with socket.create_connection(("127.0.0.1", self.agent.port)) as s:
            s.settimeout(5)
            s.sendall(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertIn(b"200 OK", head)
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        self.assertGreater(length, 300_000)
        self.assertEqual(body, b"")

    def test_a_client_that_never_reads_is_dropped_and_one_that_leaves_costs_nothing(self):
        reader = socket.socket()
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.connect(("127.0.0.1", self.agent.port))
        reader.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        # Leaves at once, reset: the agent's write fails (EPIPE/ECONNRESET, no SIGPIPE death).
        for _ in range(5):
            gone = socket.create_connection(("127.0.0.1", self.agent.port))
            gone.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            gone.close()
        # Past write_timeout the agent gives up on the reader: only this scrape's own connection
        # is left open (waited for, not slept: a loaded machine delays the agent's timers).
        def only_this_scrape_open():
            time.sleep(0.5)
            return 'prober_http_connections_open 1\n' in self.agent.get("/metrics")[1]
        wait_for(only_this_scrape_open, "the reader dropped", 30)
        self.assertEqual(self.agent.get("/healthz")[0], 200)
        reader.settimeout(5)
        received = b""
        try:
            while chunk := reader.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        reader.close()
        head, _, body = received.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        self.assertLess(len(body), length)  # cut off: what the kernel had buffered, never the whole answer
        self.assertIsNone(self.agent.process.poll())

    def test_open_connections_are_bounded_and_idle_ones_closed(self):
        idle = [socket.create_connection(("127.0.0.1", self.agent.port)) for _ in range(8)]
        try:
            extra = socket.create_connection(("127.0.0.1", self.agent.port))
            extra.settimeout(2)
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                self.assertEqual(extra.recv(100), b"")  # closed without an answer
            except ConnectionResetError:
                pass
            extra.close()
        finally:
            for s in idle:
                s.close()
        # The idle ones were closed by the agent after idle_timeout anyway; the endpoint is free.
        def healthy():
            try:
                return self.agent.get("/healthz")[0] == 200
            except OSError:  # refused while the agent has not yet seen the idle ones go
                return False
        wait_for(healthy, "the endpoint again", 5)
        self.assertGreaterEqual(self.agent.metric_now("prober_http_connections_refused_total"), 1)
        with socket.create_connection(("127.0.0.1", self.agent.port)) as s:
            s.settimeout(5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"keep-alive", s.recv(1000))
            start = time.monotonic()
            self.assertEqual(s.recv(100), b"")  # the kept-alive connection, idle: closed
            self.assertLess(time.monotonic() - start, 3)

    def test_what_a_client_sends_while_its_request_is_answered_is_answered_after(self):
        # The connection is read while a /probe runs: a request sent meanwhile on the same kept-alive
        # connection waits for the first answer and then gets its own; a client that closed its
        # side after its request still gets the answer.
        stall = urllib.parse.quote(f"http://127.0.0.1:{LAB.fixture_port}/stall", safe="")
        slow = (f"GET /probe?target={stall}&module=stall HTTP/1.1\r\nHost: x\r\n"
                "X-Prometheus-Scrape-Timeout-Seconds: 0.5\r\n\r\n").encode()

        def read_answers(s, count):
            data = b""
            while data.count(b"HTTP/1.1 ") < count or not data.endswith(b"ok\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data

        with socket.create_connection(("127.0.0.1", self.agent.port)) as s:
            s.settimeout(10)
            s.sendall(slow)
            time.sleep(0.2)  # the probe runs
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = read_answers(s, 2)
            self.assertEqual(data.count(b"HTTP/1.1 200 OK"), 2, data[-300:])
            self.assertLess(data.index(b"probe_success 0"), data.rindex(b"HTTP/1.1 200 OK"))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # and the connection is still kept
            self.assertTrue(read_answers(s, 1).endswith(b"ok\n"))
        with socket.create_connection(("127.0.0.1", self.agent.port)) as s:
            s.settimeout(10)
            s.sendall(slow)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            self.assertIn(b"probe_success 0", data)
            self.assertIn(b"Connection: close", data)

    def test_probe_runs_are_capped_and_the_scrape_timeout_header_is_strict(self):
        stall = urllib.parse.quote(f"http://127.0.0.1:{LAB.fixture_port}/stall", safe="")
        for bad in ("inf", "1e20", "-1", "nan", "0", "abc", "1.2.3", ""):
            with self.subTest(header=bad):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.agent.port}/probe?target={stall}&module=stall",
                    headers={"X-Prometheus-Scrape-Timeout-Seconds": bad})
                with self.assertRaises(urllib.error.HTTPError) as e:
                    urllib.request.urlopen(request, timeout=10)
                self.assertEqual(e.exception.code, 400)
        # 0.3 s from Prometheus: the run ends then, not at the module's 5 s.
        request = urllib.request.Request(f"http://127.0.0.1:{self.agent.port}/probe?target={stall}&module=stall",
                                         headers={"X-Prometheus-Scrape-Timeout-Seconds": "0.3"})
        start = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertIn(b"probe_success 0", r.read())
        self.assertLess(time.monotonic() - start, 2)
        # One /probe at a time: a second one meanwhile is answered 429.
        results = {}

        def first_probe():
            request = urllib.request.Request(f"http://127.0.0.1:{self.agent.port}/probe?target={stall}&module=stall",
                                             headers={"X-Prometheus-Scrape-Timeout-Seconds": "2.5"})
            with urllib.request.urlopen(request, timeout=15) as r:
                results["first"] = r.status
        first = threading.Thread(target=first_probe)
        first.start()
        time.sleep(0.5)
        self.assertEqual(self.agent.get(f"/probe?target={stall}&module=stall")[0], 429)
        first.join()
        self.assertEqual(results["first"], 200)


class ProbePolicy(unittest.TestCase):
    def test_the_allow_list_holds_on_every_redirect_hop_and_private_addresses_can_be_refused(self):
        base = f"http://127.0.0.1:{LAB.fixture_port}"
        config = lab_config()
        config["sinks"] = {"prometheus": {"probe": {"allowed_targets": [re_escape(base) + "/to-other-host"]}}}
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        target = urllib.parse.quote(base + "/to-other-host", safe="")
        status, text = agent.get(f"/probe?target={target}&module=http_2xx")
        self.assertEqual(status, 200)
        # The target was allowed; its redirect to localhost:.../headers was not.
        self.assertIn('probe_failure_info{class="internal_error",phase="http"} 1', text)
        self.assertTrue(text.rstrip().endswith("probe_success 0"))
        self.assertEqual(agent.get("/probe?target=" + urllib.parse.quote(base + "/headers", safe="") +
                                   "&module=http_2xx")[0], 403)

        # Run after run, then through a reload that swaps the allow-list: each answer as the first.
        headers = urllib.parse.quote(base + "/headers", safe="")
        for _ in range(10):
            self.assertEqual(agent.get(f"/probe?target={target}&module=http_2xx")[0], 200)
            self.assertEqual(agent.get(f"/probe?target={headers}&module=http_2xx")[0], 403)
        port = agent.port
        config["sinks"] = {"prometheus": {"listen": f"127.0.0.1:{port}",
                                          "probe": {"allowed_targets": [re_escape(base) + "/headers"]}}}
        agent.write_config(config)
        self.assertEqual(agent.get("/-/reload", method="POST")[0], 200)
        for _ in range(10):
            self.assertEqual(agent.get(f"/probe?target={target}&module=http_2xx")[0], 403)
            status, text = agent.get(f"/probe?target={headers}&module=http_2xx")
            self.assertEqual(status, 200)
            self.assertTrue(text.rstrip().endswith("probe_success 1"), text)

        config["sinks"] = {"prometheus": {"probe": {"allowed_targets": [".*"], "deny_private_addresses": True}}}
        agent2 = AgentProcess(config)
        self.addCleanup(agent2.stop)
        status, text = agent2.get(f"/probe?target={urllib.parse.quote(base + '/headers', safe='')}&module=http_2xx")
        self.assertEqual(status, 200)
        self.assertIn('probe_failure_info{class="internal_error",phase="connect"} 1', text)
        self.assertTrue(text.rstrip().endswith("probe_success 0"))


def re_escape(text):
    """An RE2 pattern matching `text` literally."""
    return "".join("\\" + c if c in ".^$*+?()[]{}|\\" else c for c in text)


class SecretsStayWithTheirOrigin(unittest.TestCase):
    """Reproduced: Authorization from a file and X-Api-Key from the environment followed a 302 to
    another host. Now a hop to another origin gets neither (nor any Authorization or Cookie);
    the same origin still does; a rotated secret file is used after a reload."""

    def test_a_redirect_to_another_origin_carries_no_secret_and_a_reload_rotates_them(self):
        d = tempfile.mkdtemp(prefix="prober-secrets-")
        self.addCleanup(shutil.rmtree, d, True)
        secret_file = os.path.join(d, "authorization")
        with open(secret_file, "w") as f:
            f.write("Bearer secret-file-value\n")
        base = f"http://127.0.0.1:{LAB.fixture_port}"
        headers = {"Authorization": {"file": secret_file}, "X-Api-Key": {"env": "PROBER_TEST_API_KEY"},
                   "Cookie": "session=cookie-value", "X-Plain": "visible"}

        def monitor(name, path, body):
            return {"name": name, "type": "http", "url": base + path, "headers": headers,
                    "expect": {"body_regex": body}}
        config = lab_config(interval="1s", timeout="800ms")
        config["monitors"] = [
            monitor("same-file", "/to-same-origin", "secret-file-value"),
            monitor("same-env", "/to-same-origin", "secret-env-value"),
            monitor("other-plain", "/to-other-host", "X-Plain: visible"),
            monitor("other-file", "/to-other-host", "secret-file-value"),
            monitor("other-env", "/to-other-host", "secret-env-value"),
            monitor("other-cookie", "/to-other-host", "cookie-value"),
            monitor("rotated", "/to-same-origin", "rotated-value"),
        ]
        env = dict(os.environ, PROBER_TEST_API_KEY="secret-env-value")
        agent = AgentProcess(config, env=env)
        self.addCleanup(agent.stop)

        def last_classes():
            classes = {}
            for r in agent.results():
                classes[r["monitor"]] = r["class"]
            return classes
        classes = wait_for(lambda: (c := last_classes()) and len(c) == 7 and c, "a run of every monitor")
        self.assertEqual(classes["same-file"], "ok")
        self.assertEqual(classes["same-env"], "ok")
        self.assertEqual(classes["other-plain"], "ok")  # the hop happened; plain headers went along
        self.assertEqual(classes["other-file"], "http_body_mismatch")
        self.assertEqual(classes["other-env"], "http_body_mismatch")
        self.assertEqual(classes["other-cookie"], "http_body_mismatch")
        self.assertEqual(classes["rotated"], "http_body_mismatch")
        # The secret header never reaches a log line or /results either (the patterns above do:
        # they are the monitors' expectations, not the header).
        self.assertNotIn("Bearer secret-file-value", agent.log())
        self.assertNotIn("Bearer secret-file-value", agent.get("/results")[1])
        # Rotation: the file changes, SIGHUP, and the next runs send the new value.
        with open(secret_file, "w") as f:
            f.write("Bearer rotated-value\n")
        agent.process.send_signal(signal.SIGHUP)
        wait_for(lambda: last_classes().get("rotated") == "ok", "the rotated secret in use")


class HostileBytes(unittest.TestCase):
    def test_bytes_that_are_not_utf8_reach_no_output_as_such_and_stop_nothing(self):
        """A target answering with bytes that are not UTF-8 (headers, body, redirect Location):
        JSONL, /results and /metrics stay valid, and the agent keeps running every monitor."""
        base = f"http://127.0.0.1:{LAB.fixture_port}"
        config = lab_config()
        config["monitors"] = [
            {"name": "bad-header", "type": "http", "url": base + "/bad-utf8",
             "expect": {"headers": {"X-Bad": "^zzz"}}},
            {"name": "bad-location", "type": "http", "url": base + "/bad-utf8-redirect",
             "expect": {"body_regex": "zzz"}},
            {"name": "home", "type": "http", "url": f"http://127.0.0.1:{LAB.port('http')}/ok"},
        ]
        agent = AgentProcess(config)
        self.addCleanup(agent.stop)
        wait_for(lambda: sum(1 for r in agent.results() if r["monitor"] == "home") >= 3, "three runs of home")
        lines = agent.results()  # json.loads of every line: valid JSON
        classes = {r["monitor"]: r["class"] for r in lines}
        self.assertEqual(classes["bad-header"], "http_header_mismatch")
        self.assertEqual(classes["bad-location"], "http_body_mismatch")
        self.assertGreaterEqual(sum(1 for r in lines if r["monitor"] == "bad-header"), 2)
        status, body = agent.get("/results")
        self.assertEqual(status, 200)
        json.loads(body)
        status, text = agent.get("/metrics")
        lint = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
        self.assertEqual(lint.returncode, 0, lint.stderr.decode())
        self.assertEqual(agent.metric(text, "prober_result_errors_total"), 0)
        self.assertNotIn("\\x1b", agent.log())


class LifecycleOff(unittest.TestCase):
    def test_reload_is_refused_without_the_flag(self):
        agent = AgentProcess(lab_config(), lifecycle=False)
        self.addCleanup(agent.stop)
        self.assertEqual(agent.get("/-/reload", "POST")[0], 403)


class Shutdown(unittest.TestCase):
    def test_sigterm_waits_for_the_check_in_flight_and_loses_nothing(self):
        config = lab_config(interval="10s", timeout="3s")
        config["monitors"] = [{"name": "stalled", "type": "http", "url": f"http://127.0.0.1:{LAB.fixture_port}/stall",
                               "interval": "1s", "timeout": "900ms"}]
        agent = AgentProcess(config)
        wait_for(lambda: agent.get("/metrics")[1].count("prober_checks_in_flight 1"), "a check in flight", 5)
        started = time.monotonic()
        code = agent.stop()
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - started, 3)
        results = agent.results()
        self.assertTrue(results)
        self.assertEqual(results[-1]["class"], "http_timeout")
        self.assertIn("drained", agent.log())


class Prometheus(unittest.TestCase):
    """A real Prometheus scrapes /metrics and, blackbox-style, /probe with relabelling."""

    def test_real_prometheus_scrapes_every_monitor(self):
        if not shutil.which("prometheus"):
            self.skipTest("Debian's prometheus package is not installed")
        agent = AgentProcess(lab_config())
        self.addCleanup(agent.stop)
        directory = tempfile.mkdtemp(prefix="prober-prometheus-")
        self.addCleanup(shutil.rmtree, directory, True)
        port = free_port()
        http_target = f"http://127.0.0.1:{LAB.port('http')}/ok"
        with open(os.path.join(directory, "prometheus.yml"), "w") as f:
            f.write(f"""
global: {{scrape_interval: 1s, scrape_timeout: 900ms}}
scrape_configs:
  - job_name: prober
    static_configs: [{{targets: ['127.0.0.1:{agent.port}']}}]
  - job_name: blackbox-style
    metrics_path: /probe
    params: {{module: [http_2xx]}}
    static_configs: [{{targets: ['{http_target}']}}]
    relabel_configs:
      - {{source_labels: [__address__], target_label: __param_target}}
      - {{source_labels: [__param_target], target_label: instance}}
      - {{target_label: __address__, replacement: '127.0.0.1:{agent.port}'}}
""")
        prometheus = Child(["prometheus", "--config.file=" + os.path.join(directory, "prometheus.yml"),
                            "--storage.tsdb.path=" + os.path.join(directory, "data"),
                            f"--web.listen-address=127.0.0.1:{port}"], os.path.join(directory, "prometheus.log"))
        self.addCleanup(prometheus.stop)
        wait_for_tcp("127.0.0.1", port, 20, prometheus.process)

        def query(expr):
            from agent_process import http_get
            status, body = http_get(port, "/api/v1/query?query=" + urllib.parse.quote(expr))
            return json.loads(body)["data"]["result"] if status == 200 else []

        def monitors_seen():
            series = query('probe_success{job="prober"}')
            return {s["metric"].get("monitor") for s in series} >= {"home", "shop-tls", "chain", "dual", "mx", "db"}
        wait_for(monitors_seen, "probe_success for every monitor in Prometheus", 30)
        probe = wait_for(lambda: query('probe_success{job="blackbox-style"}'), "the /probe job's probe_success", 30)
        self.assertEqual(probe[0]["metric"]["instance"], http_target)
        self.assertEqual(probe[0]["value"][1], "1")


class BadStart(unittest.TestCase):
    def test_a_bad_configuration_at_start_exits_1_with_every_error(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "bad.json")
        with open(path, "w") as f:
            json.dump({"monitors": [{"name": "a", "type": "tcp", "target": "x:1", "interval": "5s", "timeout": "10s"},
                                    {"name": "b", "type": "tcp", "target": "y"}]}, f)
        done = subprocess.run([PROBER, "run", "--config", path], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("/monitors/0/timeout: timeout (10000ms) must be shorter than interval (5000ms)", done.stderr)
        self.assertIn("/monitors/1/target: expected host:port", done.stderr)

    def test_missing_file(self):
        done = subprocess.run([PROBER, "run", "--config", "/nonexistent/prober.json"], capture_output=True, text=True,
                              timeout=30)
        self.assertEqual(done.returncode, 1)
        self.assertIn("cannot read /nonexistent/prober.json", done.stderr)


class Validate(unittest.TestCase):
    def test_validate_prints_every_error(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "bad.json")
        with open(path, "w") as f:
            json.dump({"monitors": [{"name": "a", "type": "http", "url": "ftp://x/", "timeout": "soon"},
                                    {"name": "a", "type": "dns", "query": "x.test", "server": "not-an-ip"}]}, f)
        done = subprocess.run([PROBER, "validate", "--config", path], capture_output=True, text=True)
        self.assertEqual(done.returncode, 1)
        self.assertIn("/monitors/0/url: expected an http:// or https:// URL", done.stderr)
        self.assertIn("/monitors/0/timeout:", done.stderr)
        self.assertIn("/monitors/1/name: duplicate name", done.stderr)
        # A CA file or client certificate the vantage cannot load fails every check of its monitors:
        # validate says which, once per setting, with the reason.
        with open(os.path.join(directory, "not-pem.pem"), "w") as f:
            f.write("not a certificate\n")
        missing = {"ca_file": os.path.join(directory, "absent.pem")}
        with open(path, "w") as f:
            json.dump({"monitors": [{"name": "a", "type": "http", "url": "https://127.0.0.1:1/", "tls": missing},
                                    {"name": "b", "type": "tls", "target": "127.0.0.1:1", "tls": missing},
                                    {"name": "c", "type": "tls", "target": "127.0.0.1:1",
                                     "tls": {"cert_file": os.path.join(directory, "not-pem.pem")}},
                                    {"name": "d", "type": "tls", "target": "127.0.0.1:1",
                                     "tls": {"ca_file": LAB.ca_file}}]}, f)
        done = subprocess.run([PROBER, "validate", "--config", path], capture_output=True, text=True)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn('monitor "a" and monitor "b": tls: error setting certificate verify locations: CAfile: '
                      + missing["ca_file"] + ": No such file or directory", done.stderr)
        self.assertIn('monitor "c": tls: could not load PEM client certificate', done.stderr)
        self.assertNotIn('"d"', done.stderr)
        self.assertIn("2 errors", done.stderr)
        good = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "config.json")
        done = subprocess.run([PROBER, "validate", "--config", good], capture_output=True, text=True,
                              env=dict(os.environ, SHOP_API_TOKEN="Bearer example"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("valid, 5 monitors", done.stdout)
        # Without the secret the example does not validate, and the error names the variable only.
        env = {k: v for k, v in os.environ.items() if k != "SHOP_API_TOKEN"}
        done = subprocess.run([PROBER, "validate", "--config", good], capture_output=True, text=True, env=env)
        self.assertIn("environment variable SHOP_API_TOKEN is not set", done.stderr)
        # Key exchange groups this OpenSSL does not know: refused at load, for a module too.
        with open(path, "w") as f:
            json.dump({"monitors": [{"name": "a", "type": "http", "url": "https://127.0.0.1:1/",
                                     "tls": {"groups": ["X25519", "NoSuchGroup"]}}],
                       "modules": {"pq": {"type": "http", "tls": {"groups": ["P-256", "AlsoNoGroup"]}}}}, f)
        done = subprocess.run([PROBER, "validate", "--config", path], capture_output=True, text=True)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn('/monitors/0: tls.groups: OpenSSL ', done.stderr)
        self.assertIn('does not know the group "NoSuchGroup"', done.stderr)
        self.assertIn('/modules/pq/tls/groups: OpenSSL ', done.stderr)
        self.assertIn('does not know the group "AlsoNoGroup"', done.stderr)


if __name__ == "__main__":
    unittest.main()


class Sharding(unittest.TestCase):
    def test_two_shards_split_the_monitors_and_both_run_the_control_checks(self):
        names = [f"m{i:02d}" for i in range(40)]
        config = {
            "vantage": {"name": "shard-test", "control": ["ctl"]},
            "defaults": {"interval": "1s", "timeout": "500ms"},
            "monitors": [{"name": n, "type": "tcp", "target": f"127.0.0.1:{LAB.closed_port}"} for n in names + ["ctl"]],
        }
        seen = []
        for shard in ("0/2", "prober-tokyo-1/2"):
            agent = AgentProcess(json.loads(json.dumps(config)), args=["--shard", shard])
            self.addCleanup(agent.stop)
            text = wait_for(lambda: agent.get("/metrics")[1] if "prober_monitors " in agent.get("/metrics")[1] else None,
                            "prober_monitors", 10)
            index = shard.split("/")[0].rsplit("-", 1)[-1]
            self.assertIn(f'prober_shard_info{{shard="{index}",shards="2"}} 1', text)
            wait_for(lambda: agent.results(), "results", 10)
            time.sleep(1.5)
            agent.stop()
            seen.append({r["monitor"] for r in agent.results()})
        self.assertIn("ctl", seen[0] & seen[1])
        self.assertEqual((seen[0] | seen[1]) - {"ctl"}, set(names))
        self.assertEqual(seen[0] & seen[1], {"ctl"})
        self.assertTrue(10 <= len(seen[0]) <= 30, seen)

    def test_a_bad_shard_is_refused(self):
        out = subprocess.run([PROBER, "run", "--config", "/nonexistent", "--shard", "2/2"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn('expected i/n with 0 <= i < n (or POD-NAME-i/n), got "2/2"', out.stderr)


class OpenFileLimit(unittest.TestCase):
    def test_no_more_checks_at_once_than_the_open_file_limit_allows(self):
        # 100 HTTPS checks that each hold their descriptors for 3.5 s (the server stalls after the
        # handshake): ~85 at once, ~4 descriptors each, against a limit of 160. Past the limit a
        # check fails at socket() and is reported as its target's failure (tried: 43 of the first
        # 100 results were dns_refused); lowered to what fits, every result is the true one.
        config = {
            "vantage": {"name": "test-1"},
            "max_in_flight": 1000,
            "defaults": {"interval": "4s", "timeout": "3500ms", "retry_interval": "4s"},
            "diagnostics": {"enabled": False},
            "monitors": [{"name": f"stall-{i}", "type": "http", "url": f"https://localhost:{LAB.tls_fixture_port}/stall",
                          "tls": {"ca_file": LAB.ca_file}} for i in range(100)],
            "sinks": {"prometheus": {"max_connections": 8, "probe": {"max_concurrent": 1}}},
        }
        agent = AgentProcess(config, prefix=["prlimit", "--nofile=160:160"])
        self.addCleanup(agent.stop)
        # (160 - 64 kept for the process - 8 connections - 1 /probe run x 6) / 6 descriptors per check
        self.assertEqual(agent.metric_now("prober_checks_max_in_flight"), 13)
        self.assertIn("max_in_flight lowered", agent.log())
        wait_for(lambda: len(agent.results()) >= 40, "40 results", timeout=60)
        classes = {}
        for r in agent.results():
            classes[r["class"]] = classes.get(r["class"], 0) + 1
        self.assertEqual(set(classes), {"http_timeout"}, classes)
        self.assertLessEqual(agent.metric_now("prober_checks_in_flight"), 13)
        # A reload applies a new max_in_flight (under the limit: as written).
        config["max_in_flight"] = 5
        agent.write_config(config)
        wait_for(lambda: agent.metric_now("prober_checks_max_in_flight") == 5, "max_in_flight 5 after the reload")


class DnsRecovery(unittest.TestCase):
    """A DNS server silent for a while, then answering again: checks must recover at once.
    (Regression: every query went out with message id 0, so after an outage each answer was
    matched to the query given up before it, and DNS checks timed out for ever.)"""

    def test_checks_recover_after_the_server_was_silent(self):
        import socket
        import threading
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        state = {"answer": True, "stop": False}

        def serve():
            sock.settimeout(0.2)
            while not state["stop"]:
                try:
                    query, peer = sock.recvfrom(512)
                except OSError:
                    continue
                if state["answer"]:
                    # the question echoed, QR+RA set, one A record 127.0.0.1 pointing at it
                    reply = query[:2] + b"\x81\x80" + query[4:6] + b"\x00\x01\x00\x00\x00\x00" + query[12:]
                    reply += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x01"
                    sock.sendto(reply, peer)
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        self.addCleanup(lambda: (state.update(stop=True), thread.join(), sock.close()))
        agent = AgentProcess({
            "defaults": {"interval": "300ms", "timeout": "250ms", "retry_interval": "300ms"},
            "monitors": [{"name": "dns", "type": "dns", "query": "shop.test", "server": f"127.0.0.1:{port}"}]})
        self.addCleanup(agent.stop)
        wait_for(lambda: any(r["class"] == "ok" for r in agent.results()), "a first answer", 10)
        state["answer"] = False
        wait_for(lambda: sum(r["class"] == "dns_timeout" for r in agent.results()) >= 8, "timeouts while silent", 15)
        state["answer"] = True
        silent_until = len(agent.results())
        wait_for(lambda: [r for r in agent.results()[silent_until + 2:] if r["class"] == "ok"], "answers again", 10)
        after = [r["class"] for r in agent.results()[silent_until + 2:]]
        self.assertTrue(after and all(c == "ok" for c in after), after)


class CentralConfig(unittest.TestCase):
    """--config URL against a real nginx serving the file (ETag / If-None-Match / 304 are
    nginx's own), the cache when the URL is down at start, a bad remote config rejected."""

    NGINX = """daemon off; master_process off; worker_processes 1; {user}
pid {dir}/nginx.pid; error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{ log_format s '$status $http_if_none_match'; access_log {dir}/access.log s;
  client_body_temp_path {dir}/b; proxy_temp_path {dir}/p; fastcgi_temp_path {dir}/f;
  uwsgi_temp_path {dir}/u; scgi_temp_path {dir}/s;
  server {{ listen 127.0.0.1:{port}; root {dir}/www; }} }}
"""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="prober-central-config-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        os.makedirs(os.path.join(self.dir, "www"))
        self.port = free_port()
        user = "user root root;" if os.geteuid() == 0 else ""
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(self.NGINX.format(dir=self.dir, user=user, port=self.port))
        self.url = f"http://127.0.0.1:{self.port}/prober.json"
        self.cache = os.path.join(self.dir, "cache.json")
        self.nginx = None

    def start_nginx(self):
        self.nginx = Child(["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"), "-e",
                            os.path.join(self.dir, "error.log")], os.path.join(self.dir, "nginx.out"))
        self.addCleanup(self.nginx.stop)
        wait_for_tcp("127.0.0.1", self.port, 10, self.nginx.process)

    def publish(self, monitors, text=None):
        body = text if text is not None else json.dumps({
            "defaults": {"interval": "500ms", "timeout": "400ms"},
            "monitors": [{"name": m, "type": "tcp", "target": f"127.0.0.1:{LAB.closed_port}"} for m in monitors]})
        tmp = os.path.join(self.dir, "www", "prober.json.tmp")
        with open(tmp, "w") as f:
            f.write(body)
        os.replace(tmp, os.path.join(self.dir, "www", "prober.json"))
        time.sleep(1.1)  # nginx's ETag is mtime-size: let the second tick over

    def agent(self):
        a = AgentProcess({}, config_arg=self.url,
                         args=["--config.cache", self.cache, "--config.poll-interval", "300ms"])
        self.addCleanup(a.stop)
        return a

    def monitors(self, agent):
        return {r["monitor"] for r in agent.results()}

    def test_polls_with_etag_reloads_on_change_rejects_a_bad_one_and_starts_from_the_cache(self):
        self.publish(["first"])
        self.start_nginx()
        agent = self.agent()
        wait_for(lambda: "first" in self.monitors(agent), "the remote monitor's results", 10)
        time.sleep(1)
        with open(os.path.join(self.dir, "access.log")) as f:
            statuses = [line.split()[0] for line in f]
        self.assertGreaterEqual(statuses.count("304"), 2, statuses)  # polls cost a 304

        self.publish(["first", "second"])
        wait_for(lambda: "second" in self.monitors(agent), "the new monitor after the URL changed", 10)
        self.publish([], text='{"monitors": [{"name": "broken"}]}')
        wait_for(lambda: agent.metric_now("prober_config_last_reload_successful") == 0, "the bad config rejected", 10)
        self.assertIn("configuration rejected", agent.log())
        self.assertEqual(agent.get("/readyz")[0], 200)
        self.assertEqual(agent.stop(), 0)

        self.nginx.stop()  # the URL is down; the cache holds the last good configuration
        with open(self.cache) as f:
            self.assertIn("second", json.load(f)["text"])
        restarted = self.agent()
        before = len(restarted.results())
        wait_for(lambda: {"first", "second"} <= {r["monitor"] for r in restarted.results()[before:]}, "cached monitors", 10)
        self.assertIn("using the last good configuration", restarted.log())

    def test_unreachable_url_without_a_cache_is_a_clear_error(self):
        out = subprocess.run([PROBER, "run", "--config", self.url, "--config.cache", self.cache],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"{self.url}: ", out.stderr)
        self.assertIn(f"no cached configuration of this URL at {self.cache}", out.stderr)

    def test_validate_an_https_url_with_its_ca(self):
        www = os.path.join(LAB.nginx.dir, "www")
        with open(os.path.join(www, "remote-config.json"), "w") as f:
            json.dump({"monitors": [{"name": "x", "type": "tcp", "target": "127.0.0.1:1"}]}, f)
        url = f"https://localhost:{LAB.port('valid')}/remote-config.json"
        out = subprocess.run([PROBER, "validate", "--config", url, "--config.ca-file", LAB.ca_file],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("valid, 1 monitors", out.stdout)
        out = subprocess.run([PROBER, "validate", "--config", url], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("certificate", out.stderr)


class VantageFromEnvironment(unittest.TestCase):
    def test_flags_and_environment_name_the_vantage_for_one_shared_configuration(self):
        agent = AgentProcess({"vantage": {"name": "from-file", "region": "file-region"},
                              "defaults": {"interval": "500ms", "timeout": "400ms"},
                              "monitors": [{"name": "db", "type": "tcp", "target": f"127.0.0.1:{LAB.closed_port}"}]},
                             args=["--vantage.region", "ap-northeast-1"],
                             env=dict(os.environ, PROBER_VANTAGE_NAME="prober-tokyo-1", PROBER_VANTAGE_INDEX="1",
                                      PROBER_VANTAGE_COUNT="3"))
        self.addCleanup(agent.stop)
        result = wait_for(lambda: agent.results(), "a result", 10)[-1]
        self.assertEqual((result["vantage"], result["region"]), ("prober-tokyo-1", "ap-northeast-1"))
        agent.stop()
        agent.env = dict(os.environ, PROBER_VANTAGE_INDEX="3", PROBER_VANTAGE_COUNT="3")
        agent.argv = agent.argv[:-2]
        with self.assertRaises(RuntimeError):
            agent.start()
        self.assertIn("must both be set, with 0 <= index < count", agent.log())
