"""Child processes for tests: free ports, start-and-wait-ready, kill-and-reap on exit."""
import os
import signal
import socket
import subprocess
import time


_handed_out = set()


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A port that is free on loopback right now (TCP and UDP both, for DNS servers) and not
    handed out before by this process: the kernel readily gives a just-released port again, and
    two servers of one lab on one port make the wrong one answer."""
    while True:
        with socket.socket(family, kind) as s:
            s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
            port = s.getsockname()[1]
        if port in _handed_out:
            continue
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        try:
            with socket.socket(family, other) as s:
                s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", port))
            _handed_out.add(port)
            return port
        except OSError:
            continue


def wait_until(ready, what, timeout=10.0, process=None):
    """Polls ready() until it returns something true, and returns that; fails early when the
    process it waits for has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {what}")
        value = ready()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"no {what} after {timeout}s")


def wait_for_tcp(host, port, timeout=10.0, process=None):
    def listening():
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            return False
    wait_until(listening, f"listener on {host}:{port}", timeout, process)


def wait_for_log(path, text, timeout=10.0, process=None):
    def logged():
        try:
            with open(path, errors="replace") as f:
                return text in f.read()
        except FileNotFoundError:
            return False
    wait_until(logged, f"'{text}' in {path}", timeout, process)


class Child:
    """A server the test started; stop() kills its whole process group and reaps it."""

    def __init__(self, argv, log_path, env=None):
        self.argv = argv
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
