"""Fault schedules: drawn from a seed, then run against a live cluster on a timeline.

A schedule is a topology plus a list of faults, each (kind, target, begin, end) in seconds from
the start of the load; faults overlap at random. Kinds:

  kill9 / sigterm   the region's daemon is killed (SIGKILL / SIGTERM) and started again at end
  skew              the daemon restarts under libfaketime with its clock moved by `arg` seconds
                    (within the max offset or beyond it, either direction); restarts at end
                    with the true clock
  nats              kill -9 of a nats-server (the only one of topology single, else the
                    region's), started again at end
  partition         the region is cut off from every other region and from the nats-server of
                    topology single (`arg`: "drop", silently, or "reject"), healed at end
  cut               replication cut (POST /v1/replication/cut), uncut at end
  disk              the region's data disk (a small tmpfs) is filled, freed at end
  fence             the region is fenced (POST /v1/mode), made active again at end

At most one of kill9, sigterm, skew and disk runs on a region at a time (each restarts the
daemon or keeps it from starting); the others overlap anything.
"""
import json
import os
import random
import signal
import subprocess
import time

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
EXCLUSIVE = {"kill9", "sigterm", "skew", "disk"}  # one at a time per region
KINDS = ["kill9", "sigterm", "skew", "nats", "partition", "cut", "disk", "fence"]


class Fault:
    def __init__(self, kind, target, begin, end, arg=None):
        self.kind, self.target, self.begin, self.end, self.arg = kind, target, begin, end, arg
        self.done = False

    def to_json(self):
        return {"kind": self.kind, "target": self.target, "begin": round(self.begin, 2),
                "end": round(self.end, 2), "arg": self.arg}

    def __str__(self):
        arg = f" {self.arg}" if self.arg is not None else ""
        return f"{self.kind}{arg}@r{self.target} {self.begin:.1f}-{self.end:.1f}s"


def draw(seed, regions, load_s, kinds, max_offset_s, topology=None):
    """The schedule of `seed`: (topology, [Fault])."""
    rng = random.Random(seed)
    topo = topology or rng.choice(["single", "domains", "supercluster"])
    faults = []
    busy = {}  # (class, target) -> [(begin, end)] of faults that exclude each other
    for _ in range(rng.randint(2, 5)):
        kind = rng.choice(kinds)
        target = rng.randrange(regions)
        begin = rng.uniform(1.0, load_s - 3.0)
        end = min(begin + rng.uniform(1.0, 5.0), load_s - 0.5)
        if kind == "nats" and topo == "single":
            target = 0
        slot = ("process", target) if kind in EXCLUSIVE else (kind, target)
        if any(b < end + 1.0 and begin < e + 1.0 for b, e in busy.get(slot, [])):
            continue
        busy.setdefault(slot, []).append((begin, end))
        arg = None
        if kind == "skew":
            within = rng.random() < 0.5
            size = rng.uniform(0.2, 0.8) * max_offset_s if within else \
                rng.uniform(2.0, 5.0) * max_offset_s
            arg = round(size if rng.random() < 0.6 else -size, 3)
        elif kind == "partition":
            arg = rng.choice(["drop", "reject"])
        faults.append(Fault(kind, target, begin, end, arg))
    faults.sort(key=lambda f: f.begin)
    return topo, faults


def faketime_env(offset_s):
    env = dict(os.environ)
    if offset_s:
        env.update({"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": f"{offset_s:+.3f}",
                    "DONT_FAKE_MONOTONIC": "1"})
    return env


class Runner:
    """Applies faults to `cluster` (tests/replication/cluster.py) on the timeline; notes every
    daemon or nats-server that exited without being told to (a crash)."""

    def __init__(self, cluster, net, disks, log):
        self.cluster = cluster
        self.net = net
        self.disks = disks  # region index -> mount point of its data disk, or None
        self.log = log
        self.env = {i: None for i in range(len(cluster.regions))}
        self.crashes = []
        self.injected = {}
        self.slow_stops = []
        self.queued = {}  # region index -> [(path, body)] of control calls made while it was down

    # ---- Processes.
    def _stop_region(self, i, sig):
        r = self.cluster.regions[i]
        self.check_alive()
        if r.proc is None or r.proc.poll() is not None:
            return
        r.proc.send_signal(sig)
        try:
            r.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.slow_stops.append(f"{r.name} did not stop within 20 s of {sig.name}")
            r.proc.kill()
            r.proc.wait(timeout=20)
        r.log.close()
        r._client = None

    def _start_region(self, i):
        r = self.cluster.regions[i]
        if r.proc is not None and r.proc.poll() is None:
            return
        r.start(env=self.env[i])
        r.down = False
        # Control calls that came while the region was down, in their order.
        queued, self.queued[i] = self.queued.get(i, []), []
        for path, body in queued:
            self._admin(i, path, body, time.monotonic() + 40)

    def check_alive(self):
        """Every process that should run does; one that exited on its own is a crash (noted,
        and started again so the schedule can go on)."""
        for i, r in enumerate(self.cluster.regions):
            if r.proc is not None and r.proc.poll() is not None and not getattr(r, "down", False):
                self.crashes.append(f"{r.name} exited with {r.proc.returncode}: "
                                    + r.log_text()[-1500:])
                r.log.close()
                r.start(env=self.env[i])
        for n in self.cluster.nats:
            if n.proc is not None and n.proc.poll() is not None and not getattr(n, "down", False):
                self.crashes.append(f"nats-server {n.name} exited with {n.proc.returncode}")
                n.start()

    def _admin(self, i, path, body, until):
        """POSTs to the region's admin listener; while the region is down (killed, restarting)
        the call waits for its start instead (the timeline must go on to restart it)."""
        r = self.cluster.regions[i]
        if getattr(r, "down", False):
            self.queued.setdefault(i, []).append((path, body))
            return None
        last = None
        while time.monotonic() < until:
            try:
                return r.admin_post(path, body)
            except Exception as e:  # noqa: BLE001  the region restarting
                last = e
                time.sleep(0.1)  # retry pacing while a daemon restarts
        raise RuntimeError(f"{r.name} {path} {body}: {last}")

    # ---- Faults.
    def begin(self, f):
        self.injected[f.kind] = self.injected.get(f.kind, 0) + 1
        r = self.cluster.regions[f.target]
        if f.kind in ("kill9", "sigterm"):
            r.down = True
            self._stop_region(f.target, signal.SIGKILL if f.kind == "kill9" else signal.SIGTERM)
        elif f.kind == "skew":
            r.down = True
            self._stop_region(f.target, signal.SIGTERM)
            self.env[f.target] = faketime_env(f.arg)
            self._start_region(f.target)
            r.down = False
        elif f.kind == "nats":
            n = self.cluster.nats[f.target if len(self.cluster.nats) > 1 else 0]
            n.down = True
            n.kill()
        elif f.kind == "partition":
            self.net.isolate(f.target, f.arg)
        elif f.kind == "cut":
            self._admin(f.target, "/v1/replication/cut", {"cut": True}, time.monotonic() + 40)
        elif f.kind == "fence":
            self._admin(f.target, "/v1/mode", {"mode": "fenced"}, time.monotonic() + 40)
        elif f.kind == "disk":
            fill(self.disks[f.target])
        self.log(f"  + {f}")

    def end(self, f):
        if f.done:
            return
        f.done = True
        r = self.cluster.regions[f.target]
        if f.kind in ("kill9", "sigterm"):
            self._start_region(f.target)
            r.down = False
        elif f.kind == "skew":
            r.down = True
            self._stop_region(f.target, signal.SIGTERM)
            self.env[f.target] = None
            self._start_region(f.target)
            r.down = False
        elif f.kind == "nats":
            n = self.cluster.nats[f.target if len(self.cluster.nats) > 1 else 0]
            n.start()
            n.down = False
        elif f.kind == "partition":
            self.net.heal(f.target)
        elif f.kind == "cut":
            self._admin(f.target, "/v1/replication/cut", {"cut": False}, time.monotonic() + 60)
        elif f.kind == "fence":
            self._admin(f.target, "/v1/mode", {"mode": "active"}, time.monotonic() + 60)
        elif f.kind == "disk":
            free(self.disks[f.target])
        self.log(f"  - {f}")

    def run(self, faults, t0, load_s):
        """Begins and ends every fault at its time (late when a restart takes long); returns
        when every fault ended and the load time is over."""
        events = sorted([(f.begin, 0, k, f) for k, f in enumerate(faults)] +
                        [(f.end, 1, k, f) for k, f in enumerate(faults)],
                        key=lambda e: (e[0], e[1], e[2]))
        for at, what, _, f in events:
            _wait_until(t0 + at)
            self.check_alive()
            (self.begin if what == 0 else self.end)(f)
        _wait_until(t0 + load_s)
        self.check_alive()


def _wait_until(t):
    while True:
        left = t - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))  # the schedule's timeline, not a wait for a condition


def fill(mount):
    """Fills the tmpfs at `mount` to the last byte."""
    path = os.path.join(mount, "filler")
    st = os.statvfs(mount)
    free_bytes = st.f_bavail * st.f_frsize
    with open(path, "ab") as f:
        try:
            os.posix_fallocate(f.fileno(), 0, os.fstat(f.fileno()).st_size + free_bytes)
        except OSError:
            pass
        chunk = b"\0" * (1 << 20)
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass


def free(mount):
    try:
        os.unlink(os.path.join(mount, "filler"))
    except FileNotFoundError:
        pass


def mount_tmpfs(path, size_mb):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", path],
                       capture_output=True, text=True)
    return r.returncode == 0


def unmount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
