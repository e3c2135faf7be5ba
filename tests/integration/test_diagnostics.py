"""`prober check --diagnose`: the follow-ups an engineer runs after a failure, each against a lab
that really has the problem. On loopback: a bot wall (nginx answering 403 to anything but a
browser's User-Agent), a middlebox that resets large ClientHellos (fixture in front of nginx),
a port nothing listens on. In network namespaces this test creates: a zone with a lame
nameserver (dnsmasq authoritative for the zone, a second dnsmasq that is not, a dnsmasq
forwarder as the resolver) and a path that stops (two routers, the second discarding the
destination's traffic)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import lab
from lab import PROBER, prober_check
from lab_process import Child, free_port, wait_for_tcp
from netns import Network, namespaces_allowed

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
LAB = None


def setUpModule():
    global LAB
    LAB = lab.acquire()


def tearDownModule():
    lab.release()


def diagnostics_of(result, kind):
    found = [d for d in result["diagnostics"] if d["kind"] == kind]
    return found[0] if found else None


class OnLoopback(unittest.TestCase):
    def test_bot_wall_is_told_from_a_broken_origin(self):
        code, results, err = prober_check(f"http://127.0.0.1:{LAB.port('http')}/botwall", "--diagnose")
        self.assertEqual(code, 2, err)
        r = results[0]
        self.assertEqual(r["class"], "http_status")
        http = diagnostics_of(r, "http")
        self.assertIsNotNone(http, r["diagnostics"])
        self.assertIn("bot wall", http["summary"])
        self.assertIn("ok (HTTP 200)", http["summary"])
        self.assertIn("HTTP 403", http["summary"])

    def test_broken_origin_answers_a_browser_alike(self):
        code, results, err = prober_check(f"http://127.0.0.1:{LAB.port('http')}/unavailable", "--diagnose")
        http = diagnostics_of(results[0], "http")
        self.assertIn("same answer, HTTP 503 (http_status)", http["summary"])
        self.assertIn("the origin itself fails", http["summary"])

    def test_closed_port_path_reaches_the_host(self):
        code, results, err = prober_check(f"http://127.0.0.1:{LAB.closed_port}/", "--diagnose")
        r = results[0]
        self.assertEqual(r["class"], "tcp_refused")
        path = diagnostics_of(r, "path")
        self.assertIn("the path reaches 127.0.0.1 in 1 hop", path["summary"])
        self.assertIn("refuses connections", path["summary"])

    def test_large_client_hello_broken_by_a_middlebox(self):
        gate_port = free_port()
        directory = tempfile.mkdtemp(prefix="prober-gate-")
        # Resets any ClientHello over 280 bytes: OpenSSL's default one (about 320 bytes with
        # this SNI on OpenSSL 3.0, about 1.5 KB with 3.5's post-quantum key share) fails; TLS 1.2
        # only and TLS 1.3 with X25519 alone (about 220-240 bytes) pass.
        gate = Child([sys.executable, os.path.join(FIXTURES, "hello_gate.py"), str(gate_port),
                      str(LAB.port("tls12_and_13")), "280"], os.path.join(directory, "gate.out"))
        try:
            wait_for_tcp("127.0.0.1", gate_port, process=gate.process)
            code, results, err = prober_check(f"https://localhost:{gate_port}/ok", "--ca-file", LAB.ca_file,
                                              "--diagnose")
            r = results[0]
            self.assertEqual(r["phase"], "tls", r)
            tls = diagnostics_of(r, "tls")
            self.assertIsNotNone(tls, r["diagnostics"])
            self.assertRegex(tls["summary"], r"ClientHellos of \d+ bytes or more fail|only the post-quantum")
            self.assertIn("larger ClientHello", tls["summary"])
            passed = [line for line in tls["details"] if ": ok, " in line]
            self.assertTrue(any(line.startswith("TLS 1.2 only: ok, TLSv1.2") for line in passed), tls["details"])
            self.assertTrue(any(line.startswith("TLS 1.3 only with X25519: ok, TLSv1.3") for line in passed),
                            tls["details"])
        finally:
            gate.stop()
            shutil.rmtree(directory, ignore_errors=True)

    def test_every_shape_failing_is_said_so(self):
        code, results, err = prober_check(f"https://127.0.0.1:{LAB.port('http')}/ok", "--diagnose")
        tls = diagnostics_of(results[0], "tls")
        self.assertIn("every ClientHello shape fails (wrong version number)", tls["summary"])

    def test_human_output_shows_each_follow_up(self):
        done = subprocess.run([PROBER, "check", "--diagnose", "--no-colour",
                               f"http://127.0.0.1:{LAB.port('http')}/botwall"], capture_output=True, timeout=60)
        text = done.stdout.decode()
        self.assertIn("diagnose http: a browser's headers get ok (HTTP 200)", text)
        self.assertIn("    as the monitor: HTTP 403 (http_status)", text)
        self.assertIn("diagnose path: the path reaches 127.0.0.1 in 1 hop", text)


ZONE_SERIAL = "2026113001"


class InNamespaces(unittest.TestCase):
    """A vantage, a resolver, two nameservers and two routers on one bridge (192.0.2.0/24), and
    a destination network (198.51.100.0/24, TEST-NET-2) routed through the routers."""

    @classmethod
    def setUpClass(cls):
        why = namespaces_allowed()
        if why:
            raise unittest.SkipTest(f"namespace diagnostics skipped: {why}")
        if not shutil.which("dnsmasq") and not os.path.exists("/usr/sbin/dnsmasq"):
            raise unittest.SkipTest("dnsmasq is not installed (tools/install-deps.sh installs it)")
        cls.dir = tempfile.mkdtemp(prefix="prober-diagnose-")
        cls.net = Network()
        try:
            cls._start()
        except BaseException:
            cls.net.close()
            raise

    @classmethod
    def _start(cls):
        net, d = cls.net, cls.dir
        vantage = net.add_host("vantage", 1)
        r1 = net.add_host("r1", 2)
        r2 = net.add_host("r2", 3)
        ns1 = net.add_host("ns1", 11)
        ns2 = net.add_host("ns2", 12)
        resolver = net.add_host("resolver", 53)
        dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        common = ["--keep-in-foreground", "--no-hosts", "--port=53", "--bind-interfaces", "--pid-file=",
                  "--user=root", "--group=root"]
        # ns1: authoritative for shop.test, naming ns2 as its secondary.
        net.start("ns1", [dnsmasq, *common, "--no-resolv", f"--listen-address={ns1}",
                          f"--auth-server=ns1.shop.test,{ns1}", "--auth-zone=shop.test",
                          "--auth-sec-servers=ns2.shop.test", f"--auth-soa={ZONE_SERIAL},hostmaster.shop.test",
                          f"--host-record=www.shop.test,198.51.100.80", f"--host-record=ns1.shop.test,{ns1}",
                          f"--host-record=ns2.shop.test,{ns2}"], os.path.join(d, "ns1.log"))
        # ns2: delegated to but serves nothing: lame (a zone moved away, a secondary never set up).
        net.start("ns2", [dnsmasq, *common, "--no-resolv", f"--listen-address={ns2}"], os.path.join(d, "ns2.log"))
        # The vantage's resolver forwards the zone to ns1.
        net.start("resolver", [dnsmasq, *common, "--no-resolv", f"--listen-address={resolver}",
                               f"--server=/shop.test/{ns1}"], os.path.join(d, "resolver.log"))
        # Routing: vantage -> r1 -> r2 -> (discarded). No ICMP redirects, so r1 stays hop 1.
        for host in ("r1", "r2"):
            net.exec(host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
            net.exec(host, "sysctl", "-q", "-w", "net.ipv4.conf.all.send_redirects=0")
            net.exec(host, "sysctl", "-q", "-w", "net.ipv4.conf.eth0.send_redirects=0")
        net.exec("vantage", "sysctl", "-q", "-w", "net.ipv4.conf.all.accept_redirects=0")
        net.exec("vantage", "ip", "route", "add", "198.51.100.0/24", "via", r1)
        net.exec("r1", "ip", "route", "add", "198.51.100.0/24", "via", r2)
        net.exec("r2", "ip", "route", "add", "blackhole", "198.51.100.0/24")
        cls.resolver = resolver
        for name in ("ns1", "ns2", "resolver"):
            lab_wait_udp53(net, name)

    @classmethod
    def tearDownClass(cls):
        cls.net.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check(self, *args):
        return prober_check(*args, wrapper=self.net.argv("vantage"), timeout=60)

    def test_lame_nameserver(self):
        code, results, err = self.check("http://www.shop.test/", "--dns-server", self.resolver, "--timeout", "3s",
                                         "--diagnose")
        r = results[0]
        dns = diagnostics_of(r, "dns")
        self.assertIsNotNone(dns, r["diagnostics"])
        self.assertIn("1 of 2 authoritative servers of shop.test is lame or unreachable", dns["summary"])
        self.assertIn("ns2.shop.test (192.0.2.12) answers REFUSED", dns["summary"])
        ns1 = [line for line in dns["details"] if line.startswith("ns1.shop.test (192.0.2.11)")]
        self.assertEqual(len(ns1), 1, dns["details"])
        self.assertIn("UDP NOERROR aa 198.51.100.80", ns1[0])
        self.assertIn(f"serial {ZONE_SERIAL}", ns1[0])

    def test_path_that_stops(self):
        code, results, err = self.check("http://198.51.100.80/", "--timeout", "2s", "--diagnose")
        r = results[0]
        self.assertEqual(r["class"], "tcp_timeout", r)
        path = diagnostics_of(r, "path")
        self.assertIsNotNone(path, r["diagnostics"])
        self.assertIn("the path stops after hop 1 (192.0.2.2)", path["summary"])
        self.assertTrue(path["details"][0].strip().startswith("1  192.0.2.2"), path["details"])
        self.assertEqual(path["details"][1].strip(), "2-20  * (no answer)")


def lab_wait_udp53(net, name):
    """dnsmasq answers once its socket is bound: wait until it does (TCP 53 opens with UDP)."""
    code = ("import socket, sys, time\nend = time.time() + 10\n"
            "while time.time() < end:\n"
            " s = socket.socket()\n"
            " try:\n  s.connect((sys.argv[1], 53)); sys.exit(0)\n"
            " except OSError:\n  time.sleep(0.05)\n"
            " finally:\n  s.close()\nsys.exit(1)\n")
    net.exec(name, "python3", "-c", code, net.address(name))


if __name__ == "__main__":
    unittest.main()
