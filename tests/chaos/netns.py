"""Network namespaces for fault schedules: every region (its daemon, and its nats-server outside
topology single) in a namespace of its own, linked to the driver's namespace by a veth pair;
partitions are policy rules in the driver's namespace, so the host's network is never touched.

The driver runs in a private network namespace (scripts/chaos starts it under `unshare -n`):
there it creates one named namespace per region (`gtc<pid>r<i>`, plus `gtc<pid>n` for the
nats-server of topology single), each with address 10.77.<i>.2 behind the driver's 10.77.<i>.1
and a default route through it; the driver forwards between them. A partition adds, in the
driver's namespace, `ip rule ... blackhole` (packets silently dropped: connections hang until
their own timeouts, as across a real WAN) or `unreachable` (the sender is told at once) for
both directions between two subnets; healing deletes the rules. The driver's own traffic (the
workload's clients, status and digests) comes from 10.77.<i>.1 and is never cut.

  net = Net(regions=3, single_nats=True)   # creates everything
  net.region_host(0), net.region_wrap(0)   # for tests/replication/cluster.py
  net.isolate(0, "drop"); net.heal(0)
  net.close()                              # deletes the namespaces (and so every veth)
"""
import os
import re
import subprocess

NATS_INDEX = 100  # subnet of the nats-server of topology single


def _ip(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r


MARK = "GT_CHAOS_PRIVATE_NETNS"


def private():
    """Whether this process runs in the network namespace enter_private() made for it."""
    return os.environ.get(MARK) == str(os.getpid())


def enter_private(argv):
    """Runs argv again, as this process, in a new network namespace with its loopback up; does
    not return. Only when root and `unshare` works; otherwise returns."""
    if private() or os.geteuid() != 0:
        return
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        return
    os.environ[MARK] = str(os.getpid())  # exec keeps the pid
    os.execvp("unshare", ["unshare", "-n", "--"] + argv)


def available():
    """None when namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    if not private():
        return "the driver is in the host's network namespace (scripts/chaos runs it in its own)"
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    if r.returncode != 0:
        return f"ip netns: {r.stderr.strip()}"
    return None


def remove_stale():
    """Deletes namespaces left by a driver that died (its pid is gone)."""
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        m = re.match(r"(gtc(\d+)[rn]\d*)", line)
        if m and not os.path.exists(f"/proc/{m.group(2)}"):
            subprocess.run(["ip", "netns", "del", m.group(1)], capture_output=True)


class Net:
    def __init__(self, regions, single_nats):
        if not private():
            raise RuntimeError("refusing to change the host's network namespace")
        self.prefix = f"gtc{os.getpid()}"
        self.count = regions
        self.names = []
        self.rules = {}  # region index -> list of rule argument lists now installed
        self.links = []
        _ip("ip", "link", "set", "lo", "up")
        with open("/proc/sys/net/ipv4/ip_forward", "w") as f:  # this namespace's, not the host's
            f.write("1\n")
        subnets = list(range(1, regions + 1)) + ([NATS_INDEX] if single_nats else [])
        try:
            for i in subnets:
                self._make(i)
        except Exception:
            self.close()
            raise

    def _ns(self, i):
        return f"{self.prefix}n" if i == NATS_INDEX else f"{self.prefix}r{i}"

    def _make(self, i):
        ns = self._ns(i)
        _ip("ip", "netns", "add", ns)
        self.names.append(ns)
        self.links.append(f"gth{i}")
        host_if, ns_if = f"gth{i}", f"gtn{i}"
        _ip("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if, "netns", ns)
        _ip("ip", "addr", "add", f"10.77.{i}.1/24", "dev", host_if)
        _ip("ip", "link", "set", host_if, "up")
        _ip("ip", "addr", "add", f"10.77.{i}.2/24", "dev", ns_if, ns=ns)
        _ip("ip", "link", "set", ns_if, "up", ns=ns)
        _ip("ip", "link", "set", "lo", "up", ns=ns)
        _ip("ip", "route", "add", "default", "via", f"10.77.{i}.1", ns=ns)

    # ---- For tests/replication/cluster.py (0-based region indexes).
    def region_host(self, index):
        return f"10.77.{index + 1}.2"

    def region_wrap(self, index):
        return ["ip", "netns", "exec", self._ns(index + 1)]

    def nats_host(self):
        return f"10.77.{NATS_INDEX}.2"

    def nats_wrap(self):
        return ["ip", "netns", "exec", self._ns(NATS_INDEX)]

    # ---- Partitions.
    def isolate(self, index, mode):
        """Cuts region `index` (0-based) off from every other region and from the nats-server
        of topology single. mode: "drop" (silently) or "reject" (host unreachable)."""
        action = {"drop": "blackhole", "reject": "unreachable"}[mode]
        mine = f"10.77.{index + 1}.0/24"
        others = [f"10.77.{i}.0/24" for i in list(range(1, self.count + 1)) + [NATS_INDEX]
                  if i != index + 1]
        rules = []
        for other in others:
            for src, dst in ((mine, other), (other, mine)):
                args = ["from", src, "to", dst, "priority", str(1000 + index), action]
                _ip("ip", "rule", "add", *args)
                rules.append(args)
        self.rules.setdefault(index, []).extend(rules)

    def heal(self, index):
        for args in self.rules.pop(index, []):
            _ip("ip", "rule", "del", *args, check=False)

    def heal_all(self):
        for index in list(self.rules):
            self.heal(index)

    def close(self):
        self.heal_all()
        for link in self.links:  # at once: a namespace's own teardown runs later, in the kernel
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        self.links = []
        for ns in self.names:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.names = []
