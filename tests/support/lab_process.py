"""Child processes for tests: free ports, start-and-wait-ready, kill-and-reap on exit."""
import fcntl
import os
import random
import signal
import socket
import subprocess
import tempfile
import time


_reservations = {}  # port -> open lock file, held for this process's life: every port handed out
_lock_directory = None


def _outside_ephemeral_range():
    """Ports the kernel never hands to outgoing connections or to bind(port 0): a port picked
    there cannot be taken between the pick and the server's bind by a connection some check
    (of this suite or of another suite running at the same time) opens."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return None
    if low - 10000 >= 4000:
        return range(10000, low)
    if 65535 - high >= 4000:
        return range(high + 1, 65536)
    return None


def _reserve(port):
    """A lock every test process honours (held until this process exits, released by the kernel
    even if it dies): suites running side by side never pick the same port."""
    global _lock_directory
    if _lock_directory is None:
        _lock_directory = os.path.join(tempfile.gettempdir(), "prober-test-ports")
        os.makedirs(_lock_directory, exist_ok=True)
        try:
            os.chmod(_lock_directory, 0o1777)
        except OSError:
            pass
    try:
        f = open(os.path.join(_lock_directory, str(port)), "a")
    except OSError:  # another user's lock file: that user's tests may hold the port
        return False
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    _reservations[port] = f
    return True


def _bindable(family, port):
    """Free on loopback for TCP and UDP both (DNS servers take both)."""
    address = "127.0.0.1" if family == socket.AF_INET else "::1"
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(family, kind) as s:
                s.bind((address, port))
        return True
    except OSError:
        return False


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A port free on loopback now, reserved against every other test process and never handed
    out twice by this one (two servers of one lab on one port make the wrong one answer)."""
    ports = _outside_ephemeral_range()
    while True:
        if ports is not None:
            port = random.choice(ports)
        else:
            with socket.socket(family, kind) as s:
                s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
                port = s.getsockname()[1]
        if port in _reservations or not _reserve(port):
            continue
        if _bindable(family, port):
            return port
        _reservations.pop(port).close()


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
