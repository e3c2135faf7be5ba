"""Every failure class of DESIGN.md §4 (but vantage_unhealthy) produced for real through
`prober check --json` against the loopback lab, with its phase, severity and a message that
names the cause."""
import os
import shutil
import socket
import subprocess
import unittest

import lab
from lab import prober_check

LAB = None
TABLE = []     # (scenario, class, phase, status, total ms) of every scenario that ran
SKIPPED = {}   # class -> why its scenario could not run here


def setUpModule():
    global LAB
    LAB = lab.acquire()


def tearDownModule():
    lab.release()
    table = os.environ.get("PROBER_SCENARIO_TABLE")
    if table:
        with open(table, "w") as f:
            f.write("| scenario | class | phase | status | total ms |\n|---|---|---|---|---|\n")
            for row in TABLE:
                f.write("| " + " | ".join(str(x) for x in row) + " |\n")


def url(port, path="/ok", host="127.0.0.1", scheme="http"):
    return f"{scheme}://{host}:{port}{path}"


# name -> (arguments, expected class, phase, status, words the message must contain)
# Arguments are built from the running lab.
SCENARIOS = {
    "ok_http": (lambda l: [url(l.port("http")), "--expect-body", "Welcome"], "ok", None, "ok", ["HTTP 200"]),
    "ok_https_h2": (lambda l: [url(l.port("valid"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
                    "ok", None, "ok", ["HTTP 200"]),
    "ok_redirect_followed": (lambda l: [url(l.port("http"), "/moved")], "ok", None, "ok", ["HTTP 200"]),
    "dns_nxdomain": (lambda l: [url(l.port("http"), host="nx.test"), "--dns-server", l.dns.server],
                     "dns_nxdomain", "dns", "critical", ["nx.test", "does not exist"]),
    "dns_no_address": (lambda l: [url(l.port("http"), host="v4only.test"), "--ip", "6", "--dns-server", l.dns.server],
                       "dns_no_address", "dns", "critical", ["v4only.test", "AAAA"]),
    "dns_servfail": (lambda l: [url(80, host="lame.test"), "--dns-server", l.unbound.server],
                     "dns_servfail", "dns", "critical", ["SERVFAIL", "lame.test"]),
    "dns_refused": (lambda l: [url(80, host="shop.example"), "--dns-server", l.refusing_dns.server],
                    "dns_refused", "dns", "critical", ["refused"]),
    "dns_timeout": (lambda l: [url(80, host="shop.test"), "--dns-server", l.silent_dns, "--timeout", "1500ms"],
                    "dns_timeout", "dns", "critical", ["no DNS answer"]),
    "dns_bad_response": (lambda l: [url(80, host="shop.test"), "--dns-server", l.malformed_dns],
                         "dns_bad_response", "dns", "critical", ["malformed"]),
    "dns_bad_response_wrong_id": (
        lambda l: [url(80, host="shop.test"), "--dns-server", l.unusable_dns["wrong_id"], "--timeout", "1500ms"],
        "dns_bad_response", "dns", "critical", ["nothing usable", "message id"]),
    "dns_bad_response_garbage": (
        lambda l: ["shop.test", "--dns-server", l.unusable_dns["garbage"], "--timeout", "1500ms"],
        "dns_bad_response", "dns", "critical", ["nothing usable", "7 bytes"]),
    "dns_bad_response_wrong_question": (
        lambda l: ["shop.test", "--dns-server", l.unusable_dns["wrong_question"], "--timeout", "1500ms"],
        "dns_bad_response", "dns", "critical", ["another question", "asked shop.test A", "other.test"]),
    "dns_bad_response_truncated_tcp_fails": (
        lambda l: [url(80, host="shop.test"), "--dns-server", l.unusable_dns["truncated"], "--timeout", "1500ms"],
        "dns_bad_response", "dns", "critical", ["truncated", "TCP retry"]),
    "dns_unexpected_answer": (lambda l: ["v4only.test", "--record", "A", "--expect-answer", r"^10\.",
                                         "--dns-server", l.dns.server],
                              "dns_unexpected_answer", "dns", "critical", ["not as expected", "^10"]),
    "tcp_refused": (lambda l: [url(l.closed_port)], "tcp_refused", "connect", "critical", ["refused"]),
    "tcp_timeout": (lambda l: [url(l.backlog_port), "--timeout", "1500ms"],
                    "tcp_timeout", "connect", "critical", ["no answer to the TCP connection"]),
    "tcp_reset": (lambda l: [url(l.fixture_port, "/reset")], "tcp_reset", "http", "critical",
                  ["reset", "during http"]),
    # After a handshake that worked: the reset reaches the check through its TLS connection.
    "tcp_reset_over_tls": (lambda l: [url(l.tls_fixture_port, "/reset", host="localhost", scheme="https"),
                                      "--ca-file", l.ca_file],
                           "tcp_reset", "http", "critical", ["reset", "during http", "body bytes"]),
    "http_protocol_error_over_tls": (lambda l: [url(l.tls_fixture_port, "/garbage", host="localhost",
                                                    scheme="https"), "--ca-file", l.ca_file],
                                     "http_protocol_error", "http", "critical", ["malformed HTTP response"]),
    "http_body_timeout_over_tls": (lambda l: [url(l.tls_fixture_port, "/headers-then-stall", host="localhost",
                                                  scheme="https"), "--ca-file", l.ca_file, "--timeout", "1500ms"],
                                   "http_body_timeout", "http", "critical", []),
    "http_body_too_large_over_tls": (lambda l: [url(l.port("valid"), "/huge", host="localhost", scheme="https"),
                                                "--ca-file", l.ca_file, "--max-body", "5MB"],
                                     "http_body_too_large", "http", "critical", []),
    "tls_handshake_failed_version": (
        lambda l: [url(l.port("tls13_only"), host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--tls-max", "1.2"],
        "tls_handshake_failed", "tls", "critical", ["no TLS version in common"]),
    "tls_handshake_failed_plain_port": (
        lambda l: [url(l.port("http"), host="localhost", scheme="https")],
        "tls_handshake_failed", "tls", "critical", ["did not answer with TLS"]),
    "tls_timeout": (lambda l: [url(l.fixture_port, "/", scheme="https"), "--timeout", "1500ms"],
                    "tls_timeout", "tls", "critical", ["did not complete in time"]),
    "tls_cert_expired": (lambda l: [url(l.port("expired"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
                         "tls_cert_expired", "tls", "critical", ["expired on"]),
    "tls_cert_expired_intermediate": (
        lambda l: [url(l.port("expired_intermediate"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_expired", "tls", "critical", ["certificate 'Expired Intermediate' expired on"]),
    "tls_cert_not_yet_valid": (
        lambda l: [url(l.port("not_yet_valid"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_not_yet_valid", "tls", "critical", ["not valid before"]),
    "tls_cert_hostname_mismatch": (
        lambda l: [url(l.port("wrong_host"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_hostname_mismatch", "tls", "critical", ["wrong.example", "not for localhost"]),
    "tls_cert_hostname_mismatch_cn_only": (
        lambda l: [url(l.port("cn_only"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_hostname_mismatch", "tls", "critical", ["no subjectAltName", "localhost"]),
    "tls_check_cn_only": (
        lambda l: [f"localhost:{l.port('cn_only')}", "--type", "tls", "--ca-file", l.ca_file],
        "tls_cert_hostname_mismatch", "tls", "critical", ["no subjectAltName"]),
    "tls_handshake_failed_client_cert_required_tls13": (
        lambda l: [url(l.mtls_ports["1.3"], "/", host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_handshake_failed", "tls", "critical", ["requires a client certificate"]),
    "tls_handshake_failed_client_cert_required_tls12": (
        lambda l: [url(l.mtls_ports["1.2"], "/", host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_handshake_failed", "tls", "critical", ["requires a client certificate"]),
    "tls_handshake_failed_client_cert_rejected": (
        lambda l: [url(l.mtls_ports["1.3"], "/", host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--cert", l.stranger_client_cert, "--key", l.stranger_client_key],
        "tls_handshake_failed", "tls", "critical", ["rejected this vantage's client certificate"]),
    "ok_client_cert": (
        lambda l: [url(l.mtls_ports["1.3"], "/", host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--cert", l.client_cert, "--key", l.client_key],
        "ok", None, "ok", ["HTTP 200"]),
    "ok_client_cert_nginx": (
        lambda l: [url(l.port("client_cert_nginx"), host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--cert", l.client_cert, "--key", l.client_key],
        "ok", None, "ok", ["HTTP 200"]),
    "http_status_client_cert_asked_nginx": (
        lambda l: [url(l.port("client_cert_nginx"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "http_status", "http", "critical", ["status 400"]),
    "tls_cert_untrusted_self_signed": (
        lambda l: [url(l.port("self_signed"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_untrusted", "tls", "critical", ["self-signed"]),
    "tls_cert_untrusted_unknown_root": (
        lambda l: [url(l.port("unknown_root"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_untrusted", "tls", "critical", ["Unknown Test Root"]),
    "tls_chain_incomplete": (
        lambda l: [url(l.port("no_intermediate"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_chain_incomplete", "tls", "critical", ["sent 1 certificate", "Prober Test Intermediate"]),
    "tls_chain_incomplete_aia_unreachable": (
        lambda l: [url(l.port("dead_aia"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_chain_incomplete", "tls", "critical", ["sent 1 certificate"]),
    "tls_cert_untrusted_root_from_aia": (
        lambda l: [url(l.port("stranger_direct"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_untrusted", "tls", "critical", ["Unknown Test Root", "not a root this vantage trusts"]),
    "tls_cert_weak": (lambda l: [url(l.port("weak"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
                      "tls_cert_weak", "tls", "critical", ["too weak", "1024"]),
    "tls_cert_expiring_critical": (
        lambda l: [url(l.port("expiring"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_cert_expiring", "tls", "critical", ["expires in 3 days"]),
    "tls_cert_expiring_warning": (
        lambda l: [url(l.port("expiring"), host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--cert-critical-days", "2"],
        "tls_cert_expiring", "tls", "warning", ["expires in 3 days"]),
    "tls_weak_config": (
        lambda l: [url(l.port("old_cipher"), host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "tls_weak_config", "tls", "warning", ["TLS works but is weak", "no forward secrecy", "CBC cipher AES128-SHA"]),
    "tls_weak_config_one_item_ignored": (
        lambda l: [f"localhost:{l.port('old_cipher')}", "--type", "tls", "--ca-file", l.ca_file,
                   "--tls-hygiene-ignore", "no_forward_secrecy"],
        "tls_weak_config", "tls", "warning", ["CBC cipher"]),
    "ok_tls_hygiene_ignored": (
        lambda l: [url(l.port("old_cipher"), host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--tls-hygiene-ignore", "no_forward_secrecy", "--tls-hygiene-ignore", "cbc"],
        "ok", None, "ok", ["HTTP 200"]),
    "tls_check_expiring": (lambda l: [f"localhost:{l.port('expiring')}", "--type", "tls", "--ca-file", l.ca_file],
                           "tls_cert_expiring", "tls", "critical", ["expires in 3 days"]),
    "http_timeout": (lambda l: [url(l.fixture_port, "/stall"), "--timeout", "1500ms"],
                     "http_timeout", "http", "critical", ["no HTTP response"]),
    "http_body_timeout": (lambda l: [url(l.fixture_port, "/headers-then-stall"), "--timeout", "1500ms"],
                          "http_body_timeout", "http", "critical", ["body did not finish", "10 bytes"]),
    "http_protocol_error_garbage": (lambda l: [url(l.fixture_port, "/garbage")],
                                    "http_protocol_error", "http", "critical", ["malformed HTTP response"]),
    "http_protocol_error_nothing": (lambda l: [url(l.fixture_port, "/nothing")],
                                    "http_protocol_error", "http", "critical", ["malformed HTTP response"]),
    "http_protocol_error_bad_encoding": (lambda l: [url(l.fixture_port, "/bad-gzip")],
                                        "http_protocol_error", "http", "critical", ["malformed HTTP response"]),
    "http_protocol_error_10mb_header": (lambda l: [url(l.fixture_port, "/giant-header")],
                                        "http_protocol_error", "http", "critical", ["malformed HTTP response"]),
    "http_status": (lambda l: [url(l.port("http"), "/unavailable")], "http_status", "http", "critical",
                    ["status 503", "expected 200-399"]),
    "http_too_many_redirects": (lambda l: [url(l.port("http"), "/hop/")], "http_too_many_redirects", "http",
                                "critical", ["more than 10 redirects"]),
    "http_redirect_loop": (lambda l: [url(l.port("http"), "/loop/a")], "http_redirect_loop", "http", "critical",
                           ["redirect loop", "/loop/a"]),
    "http_body_too_large_1gb": (lambda l: [url(l.port("http"), "/huge")], "http_body_too_large", "http",
                                "critical", ["too large"]),
    "http_body_too_large_endless": (lambda l: [url(l.fixture_port, "/endless"), "--max-body", "1MiB"],
                                    "http_body_too_large", "http", "critical", ["too large", "1048576"]),
    "http_body_mismatch": (lambda l: [url(l.port("http")), "--expect-body", "Goodbye"], "http_body_mismatch",
                           "http", "critical", ["does not match", "Goodbye"]),
    "http_header_mismatch": (lambda l: [url(l.port("http"), "/versioned"), "--expect-header", r"X-Version: ^2\."],
                             "http_header_mismatch", "http", "critical", ["X-Version", "1.2"]),
    "http_slow_critical": (lambda l: [url(l.fixture_port, "/slow"), "--critical-ms", "100"], "http_slow", "http",
                           "critical", ["response took", "critical at 100.0 ms"]),
    "http_slow_warning": (lambda l: [url(l.fixture_port, "/slow"), "--warning-ms", "100"], "http_slow", "http",
                          "warning", ["response took", "warning at 100.0 ms"]),
    "http_blocked_bot_wall": (lambda l: [url(l.port("http"), "/challenge")], "http_blocked", "http", "critical",
                              ["bot protection", "cf-mitigated"]),
    "http_downgrade_warning": (
        lambda l: [url(l.port("valid"), "/downgrade", host="localhost", scheme="https"), "--ca-file", l.ca_file],
        "http_downgrade", "http", "warning", ["HTTPS downgraded to plain HTTP", "ends on http://localhost:"]),
    "http_downgrade_critical": (
        lambda l: [url(l.port("valid"), "/downgrade", host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--downgrade", "critical"],
        "http_downgrade", "http", "critical", ["HTTPS downgraded to plain HTTP"]),
    "ok_downgrade_ignored": (
        lambda l: [url(l.port("valid"), "/downgrade", host="localhost", scheme="https"), "--ca-file", l.ca_file,
                   "--downgrade", "ignore"],
        "ok", None, "ok", ["HTTP 200"]),
    "http_blocked_rate_limit": (lambda l: [url(l.port("http"), "/ratelimited")], "http_blocked", "http",
                                "critical", ["429", "retry-after"]),
    "internal_error_bad_ca_file": (
        lambda l: [url(l.port("valid"), host="localhost", scheme="https"), "--ca-file", "/nonexistent/ca.pem"],
        "internal_error", "tls", "critical", ["internal error"]),
}

EXIT = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


def make_test(name, spec):
    build, klass, phase, status, words = spec

    def test(self):
        code, results, stderr = prober_check(*build(LAB))
        self.assertEqual(len(results), 1, stderr)
        r = results[0]
        TABLE.append((name, r["class"], r["phase"], r["status"], r["timings_ms"]["total"]))
        self.assertEqual(r["class"], klass, r)
        self.assertEqual(r["phase"], phase, r)
        self.assertEqual(r["status"], status, r)
        self.assertEqual(code, EXIT[status])
        for word in words:
            self.assertIn(word, r["message"], r)
    return test


class FailureClasses(unittest.TestCase):
    def test_tcp_unreachable(self):
        """In a new network namespace whose loopback is down, 127.0.0.1 has no route."""
        if not shutil.which("unshare") or subprocess.run(["unshare", "-rn", "true"]).returncode != 0:
            SKIPPED["tcp_unreachable"] = "this kernel forbids unprivileged network namespaces"
            self.skipTest(SKIPPED["tcp_unreachable"])
        code, results, stderr = prober_check(url(LAB.port("http")), wrapper=["unshare", "-rn"])
        r = results[0]
        TABLE.append(("tcp_unreachable", r["class"], r["phase"], r["status"], r["timings_ms"]["total"]))
        self.assertEqual((r["class"], r["phase"], r["status"], code), ("tcp_unreachable", "connect", "critical", 2))
        self.assertIn("unreachable", r["message"])

    def test_proxy_variables_in_the_environment_are_not_used(self):
        """An agent started with http_proxy (and its kin) set still checks the site itself: a proxy
        that answers for every URL would report a site that is down as up."""
        proxy = socket.socket()
        self.addCleanup(proxy.close)
        proxy.bind(("127.0.0.1", 0))
        proxy.listen(16)
        where = "http://127.0.0.1:%d" % proxy.getsockname()[1]
        env = {name: where for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                        "ALL_PROXY")}
        env["no_proxy"] = env["NO_PROXY"] = ""
        cases = ((url(LAB.closed_port), [], "tcp_refused"), (url(LAB.port("http")), [], "ok"),
                 (url(LAB.port("valid"), host="localhost", scheme="https"), ["--ca-file", LAB.ca_file], "ok"))
        for target, extra, klass in cases:
            with self.subTest(target=target):
                code, results, stderr = prober_check(target, *extra, env=env)
                self.assertEqual(results[0]["class"], klass, results[0])
        proxy.setblocking(False)
        with self.assertRaises(BlockingIOError, msg="a check connected to the proxy"):
            proxy.accept()

    def test_a_missing_issuer_is_fetched_as_browsers_do(self):
        """The AIA URL is asked, and what it serves decides: an intermediate that completes the
        chain (tls_chain_incomplete), or a root this vantage does not trust (tls_cert_untrusted)."""
        cases = {
            "no_intermediate": ("tls_chain_incomplete", "the issuer 'Prober Test Intermediate' fetched from "
                                f"http://127.0.0.1:{LAB.port('aia')}/intermediate.der completes the chain"),
            "stranger_direct": ("tls_cert_untrusted", "even with the issuer 'Unknown Test Root' fetched from "
                                f"http://127.0.0.1:{LAB.port('aia')}/other-root.der the chain does not verify"),
            "dead_aia": ("tls_chain_incomplete", "AIA URL http://127.0.0.1:9/intermediate.der could not be fetched"),
        }
        for server, (klass, note) in cases.items():
            with self.subTest(server=server):
                code, results, stderr = prober_check(url(LAB.port(server), host="localhost", scheme="https"),
                                                     "--ca-file", LAB.ca_file)
                r = results[0]
                self.assertEqual(r["class"], klass, r)
                self.assertIn(note, r["tls"]["aia"])
                self.assertTrue(any(note in hint for hint in r["hints"]), r["hints"])
                if server == "stranger_direct":  # the fetch showed a root: no "missing intermediate" finding
                    self.assertEqual(r["findings"], [])

    def test_tls_groups_offered_and_the_group_chosen(self):
        """tls.groups (--tls-groups) narrows the key exchange groups offered; the result names the
        group the server chose, and a server with none of them fails the handshake. (P-256 is
        offered throughout: an OpenSSL 3.0 server will not use its P-256 certificate with a client
        that does not list that curve.)"""
        p256 = ("secp256r1", "prime256v1")
        for server, groups, chosen in (("valid", "P-384:P-256", ("secp384r1",) + p256),
                                       ("x25519_only", "P-256:X25519", ("x25519",)),
                                       ("valid", "P-256", p256)):
            with self.subTest(server=server, groups=groups):
                code, results, stderr = prober_check(url(LAB.port(server), "/ok", host="localhost", scheme="https"),
                                                     "--ca-file", LAB.ca_file, "--tls-groups", groups)
                self.assertEqual(results[0]["class"], "ok", results[0])
                self.assertIn(results[0]["tls"]["group"], chosen)
        code, results, stderr = prober_check(url(LAB.port("x25519_only"), "/ok", host="localhost", scheme="https"),
                                             "--ca-file", LAB.ca_file, "--tls-groups", "P-384")
        self.assertEqual(results[0]["class"], "tls_handshake_failed", results[0])
        self.assertIn("key exchange group in common", results[0]["message"])
        self.assertIsNone(results[0]["tls"]["group"])
        code, results, stderr = prober_check("https://localhost/", "--tls-groups", "NoSuchGroup")
        self.assertEqual((code, results), (3, []))
        self.assertIn('does not know the group "NoSuchGroup"', stderr)

    def test_https_through_the_shared_tls_context(self):
        """HTTPS is prober's own TLS with curl speaking HTTP through it: what the server sees and
        what the result says must be what a browser's request would give, over HTTP/2 and HTTP/1.1,
        for a body of many TLS records, and for a redirect relative to the https URL."""
        for server, version, protocol in (("valid", "2", "HTTP/2.0"), ("http1_only", "1.1", "HTTP/1.1")):
            with self.subTest(server=server):
                port = LAB.port(server)
                code, results, stderr = prober_check(url(port, "/whoami", host="localhost", scheme="https"),
                                                     "--ca-file", LAB.ca_file, "--expect-body",
                                                     f"^https {protocol} localhost:{port}\n$")
                r = results[0]
                self.assertEqual(r["class"], "ok", r)
                self.assertEqual(r["http"]["version"], version)
                self.assertEqual(r["tls"]["alpn"], "h2" if version == "2" else "http/1.1")
                self.assertTrue(r["tls"]["group"], r["tls"])  # the key exchange group the server chose
                for phase in ("connect", "tls", "ttfb", "transfer", "total"):
                    self.assertIsNotNone(r["timings_ms"][phase], phase)
                self.assertGreaterEqual(r["timings_ms"]["total"], r["timings_ms"]["tls"])
                code, results, stderr = prober_check(url(port, "/medium.bin", host="localhost", scheme="https"),
                                                     "--ca-file", LAB.ca_file)
                self.assertEqual(results[0]["class"], "ok", results[0])
                self.assertEqual(results[0]["http"]["body_bytes"], 3_000_000)
                code, results, stderr = prober_check(url(port, "/moved", host="localhost", scheme="https"),
                                                     "--ca-file", LAB.ca_file)
                r = results[0]
                self.assertEqual(r["class"], "ok", r)
                self.assertEqual(r["http"]["redirects"][0]["location"], f"https://localhost:{port}/ok")
                self.assertEqual(r["http"]["final_url"], f"https://localhost:{port}/ok")
        # A Host header of the monitor's own is what the server sees (and HTTP/2's :authority).
        code, results, stderr = prober_check(url(LAB.port("valid"), "/whoami", host="localhost", scheme="https"),
                                             "--ca-file", LAB.ca_file, "-H", "Host: shop.example",
                                             "--expect-body", "^https HTTP/2.0 shop.example\n$")
        self.assertEqual(results[0]["class"], "ok", results[0])

    def test_several_certificate_problems_at_once(self):
        """A certificate for another name, served without its intermediate: OpenSSL stops at the
        chain; the wrong name is reported as well, so fixing one does not reveal the other."""
        code, results, stderr = prober_check(url(LAB.port("wrong_no_intermediate"), host="localhost", scheme="https"),
                                             "--ca-file", LAB.ca_file)
        r = results[0]
        self.assertEqual(r["class"], "tls_chain_incomplete", r)
        self.assertEqual(r["findings"], [{"class": "tls_cert_hostname_mismatch",
                                          "message": "certificate is for wrong.example, not for localhost"}])
        done = subprocess.run([lab.PROBER, "check", "--no-colour", url(LAB.port("wrong_no_intermediate"),
                               host="localhost", scheme="https"), "--ca-file", LAB.ca_file],
                              capture_output=True, text=True)
        self.assertIn("also tls_cert_hostname_mismatch: certificate is for wrong.example, not for localhost",
                      done.stdout)
        # One problem only: no findings.
        code, results, stderr = prober_check(url(LAB.port("wrong_host"), host="localhost", scheme="https"),
                                             "--ca-file", LAB.ca_file)
        self.assertEqual(results[0]["findings"], [])

    def test_zz_every_class_was_produced(self):
        """Runs last (unittest orders tests by name): every class of the taxonomy was *produced* by
        a scenario above in this run, not merely named in the table. tcp_unreachable is excused only
        when its test was skipped, and then the skip is printed."""
        observed = {row[1] for row in TABLE}
        if not TABLE:
            self.skipTest("run with the whole suite: no scenario ran before this test")
        all_classes = {
            "ok", "dns_nxdomain", "dns_no_address", "dns_servfail", "dns_refused", "dns_timeout",
            "dns_bad_response", "dns_unexpected_answer", "tcp_refused", "tcp_timeout", "tcp_unreachable",
            "tcp_reset", "tls_handshake_failed", "tls_timeout", "tls_cert_expired", "tls_cert_not_yet_valid",
            "tls_cert_hostname_mismatch", "tls_cert_untrusted", "tls_chain_incomplete", "tls_cert_weak",
            "tls_cert_expiring", "tls_weak_config", "http_timeout", "http_body_timeout", "http_protocol_error", "http_status",
            "http_too_many_redirects", "http_redirect_loop", "http_body_too_large", "http_body_mismatch",
            "http_header_mismatch", "http_slow", "http_blocked", "http_downgrade", "internal_error"}
        missing = all_classes - observed
        if missing == {"tcp_unreachable"} and "tcp_unreachable" in SKIPPED:
            print("\nSKIPPED tcp_unreachable: " + SKIPPED["tcp_unreachable"], flush=True)
            missing = set()
        self.assertEqual(missing, set())
        self.assertEqual(len(TABLE), len(SCENARIOS) + (0 if SKIPPED else 1))


for _name, _spec in SCENARIOS.items():
    setattr(FailureClasses, "test_" + _name, make_test(_name, _spec))


if __name__ == "__main__":
    unittest.main()
