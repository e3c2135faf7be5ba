"""The loopback lab every integration test shares: certificates, nginx, dnsmasq, unbound and the
misbehaving fixtures, started once per test run and torn down (processes reaped) at the end."""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

from certs import CertFactory  # noqa: E402
from lab_process import Child, free_port, wait_for_tcp  # noqa: E402
from servers import Dnsmasq, Nginx, Unbound  # noqa: E402

FIXTURES = os.path.join(HERE, "..", "fixtures")
PROBER = os.environ.get("PROBER_BIN", os.path.join(HERE, "..", "..", "build", "prober"))


class Lab:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="prober-lab-")
        self.children = []
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        aia_port = free_port()
        c = self.certs = CertFactory(os.path.join(self.dir, "pki"), aia_base=f"http://127.0.0.1:{aia_port}")
        c.issue("valid", "localhost", c.intermediate)
        c.issue("expired", "localhost", c.intermediate, not_before=now - 400 * day, not_after=now - 30 * day)
        c.issue("future", "localhost", c.intermediate, not_before=now + 30 * day, not_after=now + 400 * day)
        c.issue("wrong", "wrong.example", c.intermediate, san="DNS:wrong.example")
        c.self_signed_leaf("selfsigned")
        c.issue("stranger", "localhost", c.other_root)
        c.issue("expiring", "localhost", c.intermediate, not_after=now + 3 * day + datetime.timedelta(hours=2))
        c.issue("weak", "localhost", c.intermediate, key="rsa1024")
        c.issue("cn_only", "localhost", c.intermediate, extensions="leaf_nosan_ext")
        c.issue("rsa", "localhost", c.intermediate, key="rsa2048")
        # Served alone: a leaf straight from an untrusted root (its AIA URL gives that root), and
        # one whose AIA URL does not answer.
        c.issue("stranger_direct", "localhost", c.other_root)
        # A current leaf under an intermediate that has expired (as AddTrust's did in 2020).
        c.issue("old_intermediate", "Expired Intermediate", c.root, extensions="intermediate_ext",
                not_before=now - 400 * day, not_after=now - 10 * day)
        c.issue("under_old", "localhost", "old_intermediate")
        c.issue("dead_aia", "localhost", c.intermediate, aia="http://127.0.0.1:9/intermediate.der")
        # Every name under sites.test (which the lab's DNS answers with 127.0.0.1): monitors each
        # on a site of their own, as bench/scale.py --own-sites runs them.
        c.issue("sites", "sites.test", c.intermediate, san="DNS:*.sites.test")
        self.ca_file = c.path("root.pem")
        # Client certificates: one the mutual-TLS servers trust (sent with its intermediate), one not.
        c.issue("client", "prober-vantage", c.intermediate, extensions="client_ext", san="DNS:prober-vantage")
        self.client_cert = c.bundle("client", "client", "intermediate")
        self.client_key = c.path("client.key")
        c.issue("stranger-client", "stranger", c.other_root, extensions="client_ext", san="DNS:stranger")
        self.stranger_client_cert = c.path("stranger-client.pem")
        self.stranger_client_key = c.path("stranger-client.key")

        self.nginx = Nginx(os.path.join(self.dir, "nginx"), c, aia_port=aia_port)
        self.children.append(self.nginx)
        os.makedirs(os.path.join(self.dir, "dns"), exist_ok=True)
        self.dns = Dnsmasq(os.path.join(self.dir, "dns"))
        self.children.append(self.dns)
        self.refusing_dns = Dnsmasq(os.path.join(self.dir, "dns"), records=False)
        self.children.append(self.refusing_dns)
        os.makedirs(os.path.join(self.dir, "unbound"), exist_ok=True)
        self.unbound = Unbound(os.path.join(self.dir, "unbound"), lame_port=self.refusing_dns.port)
        self.children.append(self.unbound)

        self.fixture_port = free_port()
        self.backlog_port = free_port()
        self.tls_fixture_port = free_port()
        http = Child([sys.executable, os.path.join(FIXTURES, "misbehaving_http.py"), str(self.fixture_port),
                      str(self.backlog_port), str(self.tls_fixture_port),
                      c.bundle("valid", "valid", "intermediate"), c.path("valid.key")],
                     os.path.join(self.dir, "fixture-http.out"))
        self.children.append(http)
        wait_for_tcp("127.0.0.1", self.fixture_port, process=http.process)
        wait_for_tcp("127.0.0.1", self.tls_fixture_port, process=http.process)
        self.silent_dns = self.dns_fixture("silent")
        self.malformed_dns = self.dns_fixture("malformed")
        # Replies c-ares drops without a word (it would wait for its deadline).
        self.unusable_dns = {mode: self.dns_fixture(mode)
                             for mode in ("wrong_id", "garbage", "wrong_question", "truncated")}
        self.closed_port = free_port()
        # OpenSSL's own server requiring a client certificate: under TLS 1.3 its refusal
        # (certificate_required) comes after the client's handshake is over; under TLS 1.2 it
        # is a handshake_failure alert.
        self.mtls_ports = {}
        for version in ("1.3", "1.2"):
            port = free_port()
            server = Child(["openssl", "s_server", "-quiet", "-www", "-accept", f"127.0.0.1:{port}",
                            "-cert", c.path("valid.pem"), "-key", c.path("valid.key"),
                            "-cert_chain", c.path("intermediate.pem"), "-CAfile", self.ca_file,
                            "-Verify", "1", "-verify_return_error", "-tls" + version.replace(".", "_")],
                           os.path.join(self.dir, f"mtls-{version}.out"))
            self.children.append(server)
            wait_for_tcp("127.0.0.1", port, process=server.process)
            self.mtls_ports[version] = port

    def dns_fixture(self, mode):
        """A misbehaving_dns.py server in `mode`, stopped with the lab: its IP:PORT."""
        port = free_port()
        child = Child([sys.executable, os.path.join(FIXTURES, "misbehaving_dns.py"), str(port), mode],
                      os.path.join(self.dir, f"fixture-dns-{mode}.out"))
        self.children.append(child)
        wait_for_tcp("127.0.0.1", port, process=child.process)
        return f"127.0.0.1:{port}"

    def port(self, name):
        return self.nginx.ports[name]

    def stop(self):
        for child in reversed(self.children):
            child.stop()
        self.children = []
        if not os.environ.get("PROBER_KEEP_LAB"):
            shutil.rmtree(self.dir, ignore_errors=True)


_shared = {"lab": None, "users": 0}


def acquire():
    """The lab shared by every test module of this run, started by the first to ask."""
    if _shared["lab"] is None:
        _shared["lab"] = Lab()
    _shared["users"] += 1
    return _shared["lab"]


def release():
    _shared["users"] -= 1
    if _shared["users"] == 0 and _shared["lab"] is not None:
        _shared["lab"].stop()
        _shared["lab"] = None


def prober_check(*args, wrapper=(), timeout=60, env=None):
    """Runs `prober check --json ARGS` (with `env` added to the environment); returns (exit code,
    results, stderr)."""
    argv = list(wrapper) + [PROBER, "check", "--json"] + [str(a) for a in args]
    done = subprocess.run(argv, capture_output=True, timeout=timeout, env={**os.environ, **(env or {})})
    lines = [line for line in done.stdout.decode().splitlines() if line.strip()]
    return done.returncode, [json.loads(line) for line in lines], done.stderr.decode()
