"""The endpoint with --web.config.file (the exporter-toolkit format): a real Prometheus scraping
over TLS with basic auth (and failing without), client certificates required and checked against
client_allowed_sans, certificates rotated without a restart, a file that breaks at run time
failing closed, bad files refused at start, headers, plain HTTP to the TLS port, the rate limit,
and `prober healthcheck` against it."""
import base64
import ctypes
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import lab  # noqa: F401  (puts tests/support on the path)
from agent_process import AgentProcess, http_get, wait_for
from certs import CertFactory
from lab import PROBER
from lab_process import Child, free_port, wait_for_tcp

CERTS = None


def setUpModule():
    global CERTS
    directory = tempfile.mkdtemp(prefix="prober-webcerts-")
    CERTS = CertFactory(directory)
    CERTS.issue("server", "localhost", issuer=CERTS.root)
    CERTS.issue("server2", "localhost", issuer=CERTS.root)
    CERTS.issue("scraper", "scraper", issuer=CERTS.root, extensions="client_ext", san="DNS:scraper.test")
    CERTS.issue("intruder", "intruder", issuer=CERTS.root, extensions="client_ext", san="DNS:intruder.test")
    CERTS.issue("stranger", "stranger", issuer=CERTS.other_root, extensions="client_ext", san="DNS:scraper.test")


def tearDownModule():
    shutil.rmtree(CERTS.dir, True)


LIBCRYPT = ctypes.CDLL("libcrypt.so.1")  # what the agent verifies with; Python's crypt module is gone in 3.13
LIBCRYPT.crypt_gensalt.restype = ctypes.c_char_p
LIBCRYPT.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
LIBCRYPT.crypt.restype = ctypes.c_char_p
LIBCRYPT.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]


def bcrypt(password, cost=6):
    salt = LIBCRYPT.crypt_gensalt(b"$2b$", cost, None, 0)
    return LIBCRYPT.crypt(password.encode(), salt).decode()


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def client_context(cert=None):
    context = ssl.create_default_context(cafile=CERTS.path("root.pem"))
    if cert:
        context.load_cert_chain(CERTS.path(cert + ".pem"), CERTS.path(cert + ".key"))
    return context


def monitors():
    return {"monitors": [{"name": "closed", "type": "tcp", "target": f"127.0.0.1:{free_port()}", "interval": "1s",
                          "timeout": "500ms"}]}


class WebConfig(unittest.TestCase):
    def write_web_config(self, text, name="web.yml"):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        return path

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="prober-web-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        for name in ("server", "server2"):
            for ext in (".pem", ".key"):
                shutil.copy(CERTS.path(name + ext), os.path.join(self.dir, name + ext))

    def agent(self, web_config, context=None, headers=None):
        path = self.write_web_config(web_config)
        agent = AgentProcess(monitors(), args=["--web.config.file", path], context=context, headers=headers)
        self.addCleanup(agent.stop)
        return agent

    def tls_agent(self, extra="", users=None):
        text = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n" + extra
        if users:
            text += "basic_auth_users:\n" + "".join(f"  {u}: '{bcrypt(p)}'\n" for u, p in users.items())
        return self.agent(text, context=client_context(), headers=basic(*next(iter(users.items()))) if users else None)

    def test_real_prometheus_scrapes_over_tls_with_basic_auth_and_fails_without(self):
        if not shutil.which("prometheus"):
            self.skipTest("Debian's prometheus package is not installed")
        agent = self.tls_agent(users={"prometheus": "scrape-secret"})
        port = free_port()
        target = f"['127.0.0.1:{agent.port}']"
        tls = f"tls_config: {{ca_file: '{CERTS.path('root.pem')}'}}"
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write(f"""
global: {{scrape_interval: 1s, scrape_timeout: 900ms}}
scrape_configs:
  - job_name: tls-and-auth
    scheme: https
    {tls}
    basic_auth: {{username: prometheus, password: scrape-secret}}
    static_configs: [{{targets: {target}}}]
  - job_name: no-auth
    scheme: https
    {tls}
    static_configs: [{{targets: {target}}}]
  - job_name: wrong-password
    scheme: https
    {tls}
    basic_auth: {{username: prometheus, password: guess}}
    static_configs: [{{targets: {target}}}]
  - job_name: plain-http
    basic_auth: {{username: prometheus, password: scrape-secret}}
    static_configs: [{{targets: {target}}}]
""")
        prometheus = Child(["prometheus", "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
                            "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                            f"--web.listen-address=127.0.0.1:{port}"], os.path.join(self.dir, "prometheus.log"))
        self.addCleanup(prometheus.stop)
        wait_for_tcp("127.0.0.1", port, 20, prometheus.process)

        def up():
            status, body = http_get(port, "/api/v1/query?query=" + urllib.parse.quote("up"))
            series = json.loads(body)["data"]["result"] if status == 200 else []
            return {s["metric"]["job"]: s["value"][1] for s in series}
        seen = wait_for(lambda: len(up()) == 4 and up(), "a scrape of every job", 30)
        self.assertEqual(seen, {"tls-and-auth": "1", "no-auth": "0", "wrong-password": "0", "plain-http": "0"})
        status, body = http_get(port, "/api/v1/query?query=" + urllib.parse.quote('probe_success{job="tls-and-auth"}'))
        self.assertEqual(json.loads(body)["data"]["result"][0]["metric"]["monitor"], "closed")
        self.assertGreaterEqual(agent.metric_now("prober_http_unauthorized_total"), 1)
        self.assertGreaterEqual(agent.metric_now("prober_http_tls_failures_total"), 1)

    def test_client_certificates_required_and_checked_against_allowed_sans(self):
        agent = self.agent(f"""
tls_server_config:
  cert_file: server.pem
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {CERTS.path('root.pem')}
  client_allowed_sans: [scraper.test]
""", context=client_context("scraper"))
        self.assertEqual(agent.get("/healthz"), (200, "ok\n"))
        for who in (None, "stranger", "intruder"):  # no certificate, another CA's, a SAN not allowed
            with self.subTest(client=who), self.assertRaises(OSError):
                http_get(agent.port, "/healthz", context=client_context(who), timeout=3)
        self.assertGreaterEqual(agent.metric_now("prober_http_tls_failures_total"), 3)

    def test_certificate_rotation_without_restart(self):
        agent = self.tls_agent()

        def served_certificate():
            with socket.create_connection(("127.0.0.1", agent.port), timeout=3) as raw:
                with client_context().wrap_socket(raw, server_hostname="localhost") as tls:
                    return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()

        def fingerprint(name):
            der = ssl.PEM_cert_to_DER_cert(open(CERTS.path(name + ".pem")).read())
            return hashlib.sha256(der).hexdigest()
        self.assertEqual(served_certificate(), fingerprint("server"))
        pid = agent.process.pid
        for ext in (".key", ".pem"):  # key first: between the two the pair does not match
            shutil.copy(CERTS.path("server2" + ext), os.path.join(self.dir, "server" + ext + ".new"))
            os.replace(os.path.join(self.dir, "server" + ext + ".new"), os.path.join(self.dir, "server" + ext))
        self.assertEqual(wait_for(lambda: served_certificate() == fingerprint("server2"), "the new certificate", 10), True)
        self.assertEqual(agent.process.pid, pid)
        self.assertIsNone(agent.process.poll())

    def test_a_file_broken_at_run_time_fails_closed_then_recovers(self):
        agent = self.agent(f"basic_auth_users:\n  alice: '{bcrypt('pw')}'\n", headers=basic("alice", "pw"))
        self.assertEqual(agent.get("/healthz"), (200, "ok\n"))
        self.assertEqual(http_get(agent.port, "/healthz")[0], 401)
        self.write_web_config("basic_auth_users: [not, a, mapping]\n")
        self.assertEqual(wait_for(lambda: agent.get("/healthz")[0] == 500, "500 while the file is bad", 10), True)
        self.assertIn("web config file rejected", agent.log())
        self.write_web_config(f"basic_auth_users:\n  alice: '{bcrypt('pw')}'\n")
        self.assertEqual(wait_for(lambda: agent.get("/healthz")[0] == 200, "200 once fixed", 10), True)

    def test_bad_files_are_refused_at_start_with_the_reason(self):
        cases = {
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  bogus: 1\n":
                "field bogus not found in tls_server_config",
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS14\n":
                "unknown TLS version: TLS14",
            "tls_server_config:\n  cert_file: server.pem\n": "missing one of key or key_file",
            "tls_server_config:\n  cert_file: server.pem\n  key_file: missing.key\n": "failed to read key_file",
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server2.key\n":
                "private key does not match public key",
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  cipher_suites: [TLS_MADE_UP]\n":
                "unknown cipher: TLS_MADE_UP",
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_ca_file: server.pem\n":
                "client CA's have been configured without a Client Auth Policy",
            "http_server_config:\n  headers:\n    X-Frame-Options: allow\n": "invalid value for X-Frame-Options",
            "http_server_config:\n  headers:\n    Server: prober\n": 'HTTP header "Server" can not be configured',
            "basic_auth_users:\n  alice: plain-text-password\n": 'the password of user "alice" is not a bcrypt hash',
            "tls_server_config: [\n": "",
        }
        for text, reason in cases.items():
            with self.subTest(file=text):
                path = self.write_web_config(text)
                config = os.path.join(self.dir, "config.json")
                with open(config, "w") as f:
                    json.dump(monitors(), f)
                done = subprocess.run([PROBER, "run", "--config", config, "--web.listen-address", "127.0.0.1:0",
                                       "--web.config.file", path], capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 1, done.stderr)
                log = done.stderr.replace('\\"', '"')
                self.assertIn("cannot start the HTTP endpoint", log)
                self.assertIn("web config file " + path + ": ", log)
                self.assertIn(reason, log)
                # `prober validate` finds the same fault before a deployment.
                checked = subprocess.run([PROBER, "validate", "--config", config, "--web.config.file", path],
                                         capture_output=True, text=True, timeout=30)
                self.assertEqual(checked.returncode, 1, checked.stdout + checked.stderr)
                self.assertIn(reason, checked.stderr)
        path = self.write_web_config("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n")
        checked = subprocess.run([PROBER, "validate", "--config", config, "--web.config.file", path],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(checked.returncode, 0, checked.stderr)
        self.assertIn(path + ": valid", checked.stdout)

    def test_headers_plain_http_to_the_tls_port_rate_limit_and_healthcheck(self):
        agent = self.tls_agent(extra="http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                                     "    Strict-Transport-Security: max-age=31536000\n"
                                     "rate_limit:\n  burst: 20\n  interval: 1m\n", users={"alice": "pw"})
        # The agent's own readiness polls took a few of the 20.
        request = f"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: {basic('alice', 'pw')['Authorization']}\r\n\r\n"
        with socket.create_connection(("127.0.0.1", agent.port), timeout=3) as raw:
            with client_context().wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(request.encode())
                head = tls.recv(4096).decode()
        self.assertIn("HTTP/1.1 200 OK", head)
        self.assertIn("\r\nX-Frame-Options: deny\r\n", head)
        self.assertIn("\r\nStrict-Transport-Security: max-age=31536000\r\n", head)
        with socket.create_connection(("127.0.0.1", agent.port), timeout=3) as plain:
            plain.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(plain.recv(4096), b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an "
                                               b"HTTPS server.\n")
        # prober healthcheck (the image's HEALTHCHECK) on a TLS endpoint with basic auth: 401 is up.
        done = subprocess.run([PROBER, "healthcheck", f"https://127.0.0.1:{agent.port}/healthz"], capture_output=True,
                              text=True, timeout=10)
        self.assertEqual(done.returncode, 0, done.stderr)
        statuses = [agent.get("/healthz")[0] for _ in range(20)]
        self.assertEqual(statuses[0], 200)
        self.assertEqual(statuses[-1], 429)
        self.assertEqual(set(statuses), {200, 429})


if __name__ == "__main__":
    unittest.main()
