"""The central services the push sinks talk to, started by the tests on loopback: a real
Prometheus (remote write receiver, optional rules and Alertmanager), a real Alertmanager, and the
Mackerel/webhook fixture. Each can be stopped and started again on the same port and data
directory, as an outage does."""
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from lab_process import Child, free_port, wait_for_tcp, wait_until

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def http_json(url, method="GET", body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            text = r.read().decode()
            try:
                return r.status, json.loads(text) if text else None
            except ValueError:
                return r.status, text
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Service:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.child = None

    def argv(self):
        raise NotImplementedError

    def start(self):
        self.child = Child(self.argv(), os.path.join(self.dir, f"{type(self).__name__.lower()}.log"))
        try:
            self.ready()
        except BaseException:
            self.stop()  # never leave a server behind a failed start
            raise
        return self

    def ready(self):
        wait_for_tcp("127.0.0.1", self.port, 30, self.child.process)

    def stop(self):
        if self.child:
            self.child.stop()
            self.child = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


class Prometheus(Service):
    """Debian's prometheus with --web.enable-remote-write-receiver."""

    def __init__(self, directory, rule_files=(), alertmanager_port=None, evaluation_interval="1s"):
        super().__init__(directory)
        alerting = ""
        if alertmanager_port:
            alerting = f"alerting: {{alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{alertmanager_port}']}}]}}]}}\n"
        rules = "rule_files: [" + ", ".join(f"'{r}'" for r in rule_files) + "]\n"
        with open(os.path.join(directory, "prometheus.yml"), "w") as f:
            f.write(f"global: {{evaluation_interval: {evaluation_interval}}}\n{rules}{alerting}")

    def argv(self):
        return ["prometheus", "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
                "--storage.tsdb.path=" + os.path.join(self.dir, "data"), "--web.enable-remote-write-receiver",
                f"--web.listen-address=127.0.0.1:{self.port}"]

    def ready(self):
        super().ready()
        wait_until(self._up, "Prometheus ready", 30, self.child.process)

    def _up(self):
        try:
            return http_json(self.url + "/-/ready", timeout=1)[0] == 200
        except OSError:
            return False

    def query(self, expr, at=None):
        q = "query=" + urllib.parse.quote(expr) + (f"&time={at}" if at else "")
        status, body = http_json(f"{self.url}/api/v1/query?{q}")
        return body["data"]["result"] if status == 200 else []

    def write_url(self):
        return self.url + "/api/v1/write"


class Alertmanager(Service):
    """Debian's prometheus-alertmanager, clustering off."""

    def __init__(self, directory):
        super().__init__(directory)
        with open(os.path.join(directory, "alertmanager.yml"), "w") as f:
            f.write("route: {receiver: 'null', group_wait: 1s, group_interval: 1s}\nreceivers: [{name: 'null'}]\n")

    def argv(self):
        return ["prometheus-alertmanager", "--config.file=" + os.path.join(self.dir, "alertmanager.yml"),
                "--storage.path=" + os.path.join(self.dir, "data"), f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address="]

    def alerts(self, **labels):
        """Active alerts whose labels include `labels`."""
        status, body = http_json(self.url + "/api/v2/alerts")
        if status != 200:
            return []
        return [a for a in body if all(a["labels"].get(k) == v for k, v in labels.items())]


class CentralFixture(Service):
    """tests/fixtures/central_fixture.py: Mackerel's API and a results webhook."""

    def __init__(self, directory, api_key="test-key"):
        super().__init__(directory)
        self.api_key = api_key

    def argv(self):
        return ["python3", os.path.join(FIXTURES, "central_fixture.py"), str(self.port), self.dir, self.api_key]

    def answer(self, status, retry_after=None):
        http_json(self.url + "/_mode", "POST", {"status": status, "retry_after": retry_after})

    def received(self, path_prefix=""):
        try:
            with open(os.path.join(self.dir, "received.jsonl")) as f:
                entries = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
        return [e for e in entries if e["path"].startswith(path_prefix)]

    def webhook_seqs(self):
        """(vantage, seq) of every result the webhook accepted, duplicates included."""
        return [(r["vantage"], r["seq"]) for e in self.received("/results") if e["status"] == 200 for r in e["body"]]
