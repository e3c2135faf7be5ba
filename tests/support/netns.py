"""Network namespaces a test creates for itself: hosts on one bridge, with addresses from
192.0.2.0/24 (TEST-NET-1, reserved for documentation: never anybody's real address), no route
anywhere else. A link is cut with nftables where the packets arrive, so they vanish on the way
as in a real network cut (a drop in the sender's own output chain would make its send() fail
with EPERM at once instead). Everything is removed on close()."""
import os
import subprocess
import uuid

from lab_process import Child

SUBNET = "192.0.2"


def run(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def namespaces_allowed():
    """None when network namespaces work here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"prbprobe{uuid.uuid4().hex[:6]}"
    r = run("ip", "netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"the kernel refused a network namespace: {r.stderr.strip()}"
    # Entering one needs /sys and /run/netns as ip expects them (a bare chroot has neither).
    entered = run("ip", "netns", "exec", probe, "ip", "link", "set", "lo", "up", check=False)
    run("ip", "netns", "del", probe, check=False)
    if entered.returncode != 0:
        return f"cannot enter a network namespace here: {entered.stderr.strip()}"
    r = run("nft", "--version", check=False)
    if r.returncode != 0:
        return "nft (nftables) is not installed"
    return None


class Network:
    def __init__(self):
        self.tag = uuid.uuid4().hex[:5]
        self.hub = f"prb{self.tag}hub"
        self.hosts = {}  # name -> (namespace, address)
        self.children = []
        run("ip", "netns", "add", self.hub)
        self.exec_hub("ip", "link", "set", "lo", "up")
        self.exec_hub("ip", "link", "add", "br0", "type", "bridge")
        self.exec_hub("ip", "link", "set", "br0", "up")

    def exec_hub(self, *argv):
        return run("ip", "netns", "exec", self.hub, *argv)

    def add_host(self, name, octet):
        ns = f"prb{self.tag}{name}"
        address = f"{SUBNET}.{octet}"
        run("ip", "netns", "add", ns)
        peer = f"v{self.tag}{octet}"
        # Both ends are created inside the hub namespace, then one moves: nothing touches the
        # namespace the test runs in.
        self.exec_hub("ip", "link", "add", "eth0", "type", "veth", "peer", "name", peer)
        self.exec_hub("ip", "link", "set", "eth0", "netns", ns)
        self.exec_hub("ip", "link", "set", peer, "master", "br0")
        self.exec_hub("ip", "link", "set", peer, "up")
        for argv in (("ip", "link", "set", "lo", "up"), ("ip", "addr", "add", f"{address}/24", "dev", "eth0"),
                     ("ip", "link", "set", "eth0", "up")):
            run("ip", "netns", "exec", ns, *argv)
        self.hosts[name] = (ns, address)
        return address

    def address(self, name):
        return self.hosts[name][1]

    def exec(self, name, *argv, check=True):
        return run("ip", "netns", "exec", self.hosts[name][0], *argv, check=check)

    def argv(self, name, *argv):
        return ["ip", "netns", "exec", self.hosts[name][0], *argv]

    def start(self, name, argv, log, env=None):
        child = Child(self.argv(name, *argv), log, env=env)
        self.children.append(child)
        return child

    def cut(self, sender, receiver):
        """Every packet from `sender` to `receiver` vanishes (connects and queries time out)."""
        table = f"cut_{sender}"
        self.exec(receiver, "nft", "add", "table", "inet", table)
        self.exec(receiver, "nft", "add", "chain", "inet", table, "in",
                  "{ type filter hook input priority 0 ; policy accept ; }")
        self.exec(receiver, "nft", "add", "rule", "inet", table, "in", "ip", "saddr", self.address(sender), "drop")

    def restore(self, sender, receiver):
        self.exec(receiver, "nft", "delete", "table", "inet", f"cut_{sender}", check=False)

    def get(self, name, url, timeout=5):
        """GET `url` from inside host `name`; (status, body)."""
        code = ("import sys, urllib.request, urllib.error\n"
                "try:\n r = urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])); print(r.status); print(r.read().decode())\n"
                "except urllib.error.HTTPError as e:\n print(e.code); print(e.read().decode())\n"
                "except OSError as e:\n print(0); print(e)\n")
        r = self.exec(name, "python3", "-c", code, url, str(timeout), check=False)
        status, _, body = r.stdout.partition("\n")
        return int(status or 0), body

    def close(self):
        for child in reversed(self.children):
            child.stop()
        for ns, _ in self.hosts.values():
            run("ip", "netns", "del", ns, check=False)
        run("ip", "netns", "del", self.hub, check=False)
