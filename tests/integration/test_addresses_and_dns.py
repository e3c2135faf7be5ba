"""Per-address probing (ip_version each), DNS check record types, hostile DNS answers, and the
human output."""
import json
import subprocess
import unittest

import lab
from lab import PROBER, prober_check

LAB = None


def setUpModule():
    global LAB
    LAB = lab.acquire()


def tearDownModule():
    lab.release()


class PerAddress(unittest.TestCase):
    def test_ipv6_broken_while_ipv4_works(self):
        # dual.test has A 127.0.0.1 and AAAA ::1; nginx listens on 127.0.0.1 only.
        code, results, _ = prober_check(f"http://dual.test:{LAB.port('http')}/ok", "--ip", "each",
                                        "--dns-server", LAB.dns.server)
        self.assertEqual(code, 2)
        by_family = {r["ip_version"]: r for r in results}
        self.assertEqual(set(by_family), {4, 6})
        self.assertEqual(by_family[4]["class"], "ok")
        self.assertEqual(by_family[6]["class"], "tcp_refused")
        self.assertEqual(by_family[6]["address"], "::1")
        self.assertTrue(any("Happy Eyeballs" in h and "127.0.0.1" in h for h in by_family[6]["hints"]),
                        by_family[6]["hints"])

    def test_one_dead_backend_behind_round_robin(self):
        code, results, _ = prober_check(f"http://multi.test:{LAB.port('http')}/ok", "--ip", "each",
                                        "--dns-server", LAB.dns.server)
        self.assertEqual(code, 2)
        classes = sorted((r["address"], r["class"]) for r in results)
        self.assertEqual(classes, [("127.0.0.1", "ok"), ("127.0.0.2", "tcp_refused")])
        dead = [r for r in results if r["class"] != "ok"][0]
        self.assertTrue(any("round-robin" in h for h in dead["hints"]), dead["hints"])

    def test_each_probes_a_bounded_set_of_a_large_name(self):
        # many.test has 40 IPv4 addresses (127.0.0.1-40) and ::1: the same 16 every run, IPv6 included.
        expected = sorted(["127.0.0.%d" % i for i in range(1, 16)] + ["::1"])
        for _ in range(3):
            code, results, _ = prober_check(f"http://many.test:{LAB.port('http')}/ok", "--ip", "each",
                                            "--dns-server", LAB.dns.server)
            self.assertEqual(sorted(r["address"] for r in results), expected)
            for r in results:
                self.assertTrue(any("the name has 41 addresses: ip_version each probes 16 of them" in h and
                                    "25 are not checked" in h for h in r["hints"]), r["hints"])
            self.assertEqual({r["class"] for r in results if r["address"] == "127.0.0.1"}, {"ok"})

    def test_any_prefers_ipv4(self):
        code, results, _ = prober_check(f"http://dual.test:{LAB.port('http')}/ok", "--dns-server", LAB.dns.server)
        self.assertEqual((code, len(results), results[0]["address"]), (0, 1, "127.0.0.1"))

    def test_ip6_only_probes_ipv6(self):
        code, results, _ = prober_check(f"http://dual.test:{LAB.port('http')}/ok", "--ip", "6",
                                        "--dns-server", LAB.dns.server)
        self.assertEqual((code, results[0]["address"], results[0]["class"]), (2, "::1", "tcp_refused"))

    def test_redirect_hops_are_timed(self):
        code, results, _ = prober_check(f"http://127.0.0.1:{LAB.port('http')}/moved")
        r = results[0]
        self.assertEqual(code, 0)
        self.assertEqual(len(r["http"]["redirects"]), 1)
        hop = r["http"]["redirects"][0]
        self.assertEqual(hop["status"], 301)
        self.assertIsNotNone(hop["timings_ms"]["connect"])
        self.assertTrue(r["http"]["final_url"].endswith("/ok"))

    def test_tls_facts_are_captured_even_when_verification_fails(self):
        _, results, _ = prober_check(f"https://localhost:{LAB.port('unknown_root')}/ok")
        tls = results[0]["tls"]
        self.assertEqual(len(tls["chain"]), 2)
        self.assertIn("CN=localhost", tls["chain"][0]["subject"])
        self.assertEqual(len(tls["chain"][0]["sha256"]), 64)
        self.assertIsNotNone(tls["earliest_expiry"])

    def test_server_name_sets_sni_verification_and_host(self):
        # nginx's "wrong host" certificate is for wrong.example: naming it makes the check pass,
        # while the connection still goes to the URL's host.
        code, results, _ = prober_check(f"https://127.0.0.1:{LAB.port('wrong_host')}/ok", "--ca-file", LAB.ca_file,
                                        "--server-name", "wrong.example")
        self.assertEqual((code, results[0]["class"], results[0]["address"]), (0, "ok", "127.0.0.1"))
        code, results, _ = prober_check(f"127.0.0.1:{LAB.port('wrong_host')}", "--type", "tls",
                                        "--ca-file", LAB.ca_file, "--server-name", "wrong.example")
        self.assertEqual((code, results[0]["class"]), (0, "ok"))
        code, results, _ = prober_check(f"https://127.0.0.1:{LAB.port('valid')}/ok", "--ca-file", LAB.ca_file,
                                        "--server-name", "wrong.example")
        self.assertEqual(results[0]["class"], "tls_cert_hostname_mismatch")

    def test_tls_check_ok(self):
        code, results, _ = prober_check(f"localhost:{LAB.port('valid')}", "--type", "tls", "--ca-file", LAB.ca_file)
        r = results[0]
        self.assertEqual((code, r["class"], r["type"]), (0, "ok", "tls"))
        self.assertIsNotNone(r["timings_ms"]["tls"])
        self.assertIsNone(r["timings_ms"]["ttfb"])

    def test_tcp_check_ok(self):
        code, results, _ = prober_check(f"127.0.0.1:{LAB.port('http')}")
        self.assertEqual((code, results[0]["class"], results[0]["type"]), (0, "ok", "tcp"))


class DnsCheck(unittest.TestCase):
    def check(self, name, record, *extra):
        return prober_check(name, "--record", record, "--dns-server", LAB.dns.server, *extra)

    def test_record_types(self):
        expected = {
            ("v4only.test", "A"): "127.0.0.1",
            ("dual.test", "AAAA"): "::1",
            ("mx.test", "MX"): "10 mail.test.",
            ("txt.test", "TXT"): '"v=spf1 -all"',
            ("_http._tcp.srv.test", "SRV"): "1 2 80 web.test.",
            ("alias.test", "CNAME"): "v4only.test.",
            ("1.0.0.127.in-addr.arpa", "PTR"): "v4only.test.",
            ("caa.test", "CAA"): '0 issue "letsencrypt.org"',
        }
        for (name, record), answer in expected.items():
            with self.subTest(record=record):
                code, results, _ = self.check(name, record)
                r = results[0]
                self.assertEqual((code, r["class"], r["dns"]["rcode"]), (0, "ok", "NOERROR"), r)
                self.assertIn(answer, r["dns"]["answers"])
                self.assertEqual(len(r["dns"]["ttls"]), len(r["dns"]["answers"]))

    def test_over_tcp(self):
        code, results, _ = self.check("v4only.test", "A", "--tcp")
        self.assertEqual((code, results[0]["dns"]["answers"]), (0, ["127.0.0.1"]))

    def test_thousand_records(self):
        code, results, _ = self.check("big.test", "A")
        self.assertEqual(code, 0)
        self.assertEqual(len(results[0]["dns"]["answers"]), 1000)

    def test_thousand_records_for_an_http_target(self):
        code, results, _ = prober_check(f"http://big.test:{LAB.port('http')}/", "--dns-server", LAB.dns.server)
        self.assertEqual(len(results), 1)
        self.assertEqual(len(results[0]["dns"]["answers"]), 1000)

    def test_nxdomain_in_a_dns_check(self):
        code, results, _ = self.check("nx.test", "A")
        self.assertEqual((code, results[0]["class"]), (2, "dns_nxdomain"))

    def test_nodata_in_a_dns_check(self):
        code, results, _ = self.check("v4only.test", "AAAA")
        self.assertEqual((code, results[0]["class"]), (2, "dns_no_address"))

    def test_expected_nxdomain(self):
        code, results, _ = self.check("nx.test", "A", "--expect-rcode", "NXDOMAIN")
        self.assertEqual((code, results[0]["class"]), (0, "ok"))


class BadInput(unittest.TestCase):
    def run_raw(self, *args):
        done = subprocess.run([PROBER, "check", *args], capture_output=True, timeout=30)
        return done.returncode, done.stdout.decode(), done.stderr.decode()

    def test_unparsable_url(self):
        code, _, err = self.run_raw("http://exa mple.com/")
        self.assertEqual(code, 3)
        self.assertIn("invalid URL", err)

    def test_unknown_scheme(self):
        code, _, err = self.run_raw("ftp://example.com/")
        self.assertEqual(code, 3)
        self.assertIn("unsupported scheme 'ftp'", err)

    def test_port_zero(self):
        for target in ("http://127.0.0.1:0/", "127.0.0.1:0"):
            with self.subTest(target=target):
                code, _, err = self.run_raw(target)
                self.assertEqual(code, 3, err)

    def test_bad_option_values(self):
        for args in (["--timeout", "soon", "http://x/"], ["--ip", "5", "http://x/"],
                     ["--expect-status", "600", "http://x/"], ["--expect-body", "(", "http://x/"],
                     ["--record", "BOGUS", "x.test"], ["--dns-server", "not-an-ip", "http://x.test/"]):
            with self.subTest(args=args):
                code, out, err = self.run_raw(*args)
                self.assertEqual(code, 3, out + err)
                self.assertTrue(err or out)

    def test_bytes_that_are_not_utf8_from_the_server(self):
        """Reproduced crash: a header value that is not UTF-8 under an expectation aborted the JSON
        output. Every output replaces such bytes, and the human one shows no escape sequence."""
        base = f"http://127.0.0.1:{LAB.fixture_port}"
        for path in ("/bad-utf8", "/bad-utf8-redirect"):
            with self.subTest(path=path):
                code, results, err = prober_check(base + path, "--expect-header", "X-Bad: ^zzz",
                                                  "--expect-body", "zzz")
                self.assertEqual(code, 2, err)
                r = results[0]
                self.assertEqual(r["class"], "http_header_mismatch", r)
                self.assertIn("\ufffd", r["message"])
                self.assertIn("X-Bad", r["message"])
                code, out, err = self.run_raw(base + path, "--expect-header", "X-Bad: ^zzz")
                self.assertEqual(code, 2, err)
                self.assertNotIn("\x1b", out)
                self.assertIn("X-Bad", out)

    def test_human_output_has_no_colour_off_a_terminal(self):
        code, out, _ = self.run_raw(f"http://127.0.0.1:{LAB.port('http')}/unavailable")
        self.assertEqual(code, 2)
        self.assertTrue(out.startswith("CRITICAL http_status (http)"), out)
        self.assertNotIn("\033[", out)
        self.assertIn("total", out)


if __name__ == "__main__":
    unittest.main()
