"""`prober run` as a child of the test: a config file written from the lab, a free port, ready
when /readyz says so, stopped with SIGTERM and reaped."""
import json
import os
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request

from lab import PROBER  # noqa: E402
from lab_process import free_port, wait_until


def http_get(port, path, method="GET", timeout=5, context=None, headers=None):
    """`context`: an ssl.SSLContext to ask over https; `headers`: more request headers."""
    scheme = "https" if context else "http"
    request = urllib.request.Request(f"{scheme}://127.0.0.1:{port}{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class AgentProcess:
    def __init__(self, config, lifecycle=True, args=(), env=None, config_arg=None, context=None, headers=None,
                 prefix=()):
        """`config` is written to a file given as --config, unless `config_arg` (a URL) is given.
        `context` and `headers` are how this test's own requests reach an endpoint with
        --web.config.file (TLS, basic auth). `prefix` runs the agent through a command (prlimit)."""
        self.context, self.headers = context, headers
        self.dir = tempfile.mkdtemp(prefix="prober-agent-")
        self.port = free_port()
        config.setdefault("sinks", {}).setdefault("prometheus", {})["listen"] = f"127.0.0.1:{self.port}"
        self.config_path = os.path.join(self.dir, "config.json")
        self.write_config(config)
        self.argv = list(prefix) + [PROBER, "run", "--config", config_arg or self.config_path]
        if config_arg:
            self.argv += ["--web.listen-address", f"127.0.0.1:{self.port}"]
        if lifecycle:
            self.argv.append("--web.enable-lifecycle")
        self.argv += list(args)
        self.env = env
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.start()

    def start(self):
        """Starts (or starts again, after stop()) the agent; output is appended to the same files."""
        self.stdout = open(os.path.join(self.dir, "stdout.jsonl"), "ab")
        self.stderr = open(self.stderr_path, "ab")
        self.process = subprocess.Popen(self.argv, stdout=self.stdout, stderr=self.stderr, env=self.env)
        try:
            wait_until(lambda: self._ready(), f"prober on port {self.port} ready", 30, self.process)
        except BaseException:
            # The caller never gets this object to stop: reap the agent here, never leave it running.
            self.process.kill()
            self.process.wait()
            self.stdout.close()
            self.stderr.close()
            raise

    def _ready(self):
        try:
            return http_get(self.port, "/readyz", timeout=1, context=self.context, headers=self.headers)[0] == 200
        except OSError:
            return False

    def write_config(self, config):
        # Write then rename, as editors and config management do: the watcher sees one change.
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(config, f)
        os.replace(tmp, self.config_path)

    def get(self, path, method="GET"):
        return http_get(self.port, path, method, context=self.context, headers=self.headers)

    def metric_now(self, name_and_labels):
        return self.metric(self.get("/metrics")[1], name_and_labels)

    def metric(self, text, name_and_labels):
        for line in text.splitlines():
            if line.startswith(name_and_labels + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def results(self):
        """Every complete JSON line so far (a line still being written is left for next time)."""
        # One read, then whole lines only: iterating the file while the agent appends to it can
        # return the rest of a line whose start an earlier iteration saw cut off.
        with open(self.stdout.name) as f:
            text = f.read()
        complete = text[:text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stdout.close()
        self.stderr.close()
        if self.process.returncode == 0:
            # Every handle closed before the loop: a clean exit leaves nothing open behind it.
            assert "handles still open" not in self.log(), self.log()[-2000:]
        return self.process.returncode


def wait_for(predicate, what, timeout=15.0):
    """wait_until with the tests' longer default."""
    return wait_until(predicate, what, timeout)
