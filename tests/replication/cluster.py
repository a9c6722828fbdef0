"""A local multi-region deployment for replication tests: nats-server(s) and globaltabled daemons.

Cluster writes one deployment file for N regions on free loopback ports, starts a real
nats-server with JetStream (its own store directory, killed by pid) and one globaltabled per
region (`--config FILE --region NAME`), and gives boto3 clients per region. Every process is
started and stopped by pid; waits are bounded polls, never fixed sleeps.

Topologies: "single" (one nats-server), "domains" (one nats-server per region, each its own
JetStream domain named after the region, leafnodes from every region to the first one) and
"supercluster" (one nats-server per region, each its own cluster named after the region, with a
route to itself as JetStream requires of a gateway cluster, joined by a full mesh of gateways:
one JetStream meta group, each region's streams placed in its own cluster).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import free_port, wait_until  # noqa: E402  (also sets AWS test credentials)

import boto3  # noqa: E402
from botocore.config import Config as BotoConfig  # noqa: E402


class NatsServer:
    def __init__(self, workdir, name, domain=None, leaf_listen=False, leaf_remote_port=None,
                 gateway=False, host="127.0.0.1", wrap=(), leaf_remote_host=None):
        self.name = name
        self.host = host
        self.wrap = list(wrap)  # command prefix, e.g. ["ip", "netns", "exec", NS]
        self.port = free_port()
        self.dir = os.path.join(workdir, f"nats-{name}")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "server.conf")
        self.leaf_port = free_port() if leaf_listen else None
        self.monitor_port = free_port()
        lines = [f"server_name: {name}", f"listen: {host}:{self.port}",
                 f"http: {host}:{self.monitor_port}",
                 "jetstream {", f"  store_dir: \"{self.dir}\""]
        if domain:
            lines.append(f"  domain: {domain}")
        lines.append("}")
        if leaf_listen:
            lines += ["leafnodes {", f"  listen: {host}:{self.leaf_port}", "}"]
        if leaf_remote_port:
            lines += ["leafnodes {", "  reconnect: 1",
                      f"  remotes: [{{urls: [\"nats-leaf://{leaf_remote_host or host}:"
                      f"{leaf_remote_port}\"]}}]",
                      "}"]
        self.lines = lines
        self.cluster_port = free_port() if gateway else None
        self.gateway_port = free_port() if gateway else None
        if not gateway:
            self.write_conf()
        self.proc = None

    def join_gateways(self, servers):
        """One cluster named after this server, with a route to itself, and gateways to all."""
        gateways = ", ".join(f"{{name: {s.name}, urls: [\"nats://{s.host}:{s.gateway_port}\"]}}"
                             for s in servers)
        self.lines += ["cluster {", f"  name: {self.name}",
                       f"  listen: {self.host}:{self.cluster_port}",
                       f"  routes: [\"nats://{self.host}:{self.cluster_port}\"]", "}",
                       "gateway {", f"  name: {self.name}",
                       f"  listen: {self.host}:{self.gateway_port}",
                       f"  gateways: [{gateways}]", "}"]
        self.write_conf()

    def write_conf(self):
        with open(self.conf, "w") as f:
            f.write("\n".join(self.lines) + "\n")

    @property
    def url(self):
        return f"nats://{self.host}:{self.port}"

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(self.wrap + ["nats-server", "-c", self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_until(self._listening, 15, f"nats-server on {self.port}")

    def _listening(self):
        import socket
        if self.proc.poll() is not None:
            raise RuntimeError(f"nats-server exited with {self.proc.returncode}")
        with socket.socket() as s:
            return s.connect_ex((self.host, self.port)) == 0

    def monitor(self, path):
        """A JSON page of the server's monitoring endpoint, e.g. /jsz."""
        with urllib.request.urlopen(f"http://{self.host}:{self.monitor_port}{path}",
                                    timeout=2) as r:
            return json.loads(r.read())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc:
            self.log.close()


class Region:
    def __init__(self, cluster, name, rid, host="127.0.0.1", wrap=()):
        self.cluster = cluster
        self.name = name
        self.id = rid
        self.host = host
        self.wrap = list(wrap)  # command prefix, e.g. ["ip", "netns", "exec", NS]
        self.api_port = free_port()
        self.admin_port = free_port()
        self.data_dir = os.path.join(cluster.workdir, name)
        self.log_path = os.path.join(cluster.workdir, f"{name}.log")
        self.proc = None
        self.nats_urls = None
        self._client = None

    @property
    def endpoint(self):
        return f"http://{self.host}:{self.api_port}"

    def start(self, env=None):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.wrap + [self.cluster.binary, "--config", self.cluster.config_path,
                         "--region", self.name],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_until(self._healthy, 30, f"globaltabled {self.name} /healthz")

    def _healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"globaltabled {self.name} exited with {self.proc.returncode}:\n"
                               + self.log_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://{self.host}:{self.admin_port}/healthz",
                                        timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def admin_get(self, path):
        with urllib.request.urlopen(f"http://{self.host}:{self.admin_port}{path}", timeout=5) as r:
            return json.loads(r.read())

    def admin_post(self, path, body):
        req = urllib.request.Request(f"http://{self.host}:{self.admin_port}{path}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def replication(self):
        return self.admin_get("/v1/replication")

    def digest(self, table):
        return self.admin_get(f"/v1/tables/{table}/digest")

    def client(self):
        if self._client is None:
            self._client = boto3.client(
                "dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=2,
                                  read_timeout=10))
        return self._client

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        if self.proc:
            self.log.close()
        self._client = None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class Cluster:
    """`net`, when given, places every process in a network namespace (tests/chaos/netns.py):
    it answers region_host(i) / region_wrap(i) for the i-th region (0-based), and
    nats_host() / nats_wrap() for the one nats-server of topology single; elsewhere each region's
    nats-server shares its region's namespace. `data_dirs`, when given, names each region's data
    directory (e.g. on a small tmpfs)."""

    def __init__(self, binary, names=("us-east-1", "eu-west-1", "ap-south-1"),
                 topology="single", max_clock_offset_ms=None, outbox_max_age_s=None,
                 outbox_max_bytes=None, tombstone_grace_s=None, tombstone_purge_interval_s=None,
                 daemon_settings=None, net=None, workdir=None, data_dirs=None):
        self.binary = binary
        self.topology = topology
        self.max_clock_offset_ms = max_clock_offset_ms
        self.daemon_settings = dict(daemon_settings or {})
        self.replication = {"outbox_max_age_s": outbox_max_age_s,
                            "outbox_max_bytes": outbox_max_bytes,
                            "tombstone_grace_s": tombstone_grace_s,
                            "tombstone_purge_interval_s": tombstone_purge_interval_s}
        self.workdir = workdir or tempfile.mkdtemp(prefix="gt-repl-")
        host = (lambda i: net.region_host(i)) if net else (lambda i: "127.0.0.1")
        wrap = (lambda i: net.region_wrap(i)) if net else (lambda i: ())
        self.regions = [Region(self, n, i + 1, host=host(i), wrap=wrap(i))
                        for i, n in enumerate(names)]
        if data_dirs:
            for r, d in zip(self.regions, data_dirs):
                r.data_dir = d
        self.nats = []
        if topology == "single":
            self.nats = [NatsServer(self.workdir, "n1",
                                    host=net.nats_host() if net else "127.0.0.1",
                                    wrap=net.nats_wrap() if net else ())]
            for r in self.regions:
                r.nats_urls = [self.nats[0].url]
        elif topology == "domains":
            hub = NatsServer(self.workdir, names[0], domain=names[0], leaf_listen=True,
                             host=host(0), wrap=wrap(0))
            self.nats = [hub] + [NatsServer(self.workdir, n, domain=n,
                                            leaf_remote_port=hub.leaf_port, host=host(i),
                                            wrap=wrap(i), leaf_remote_host=hub.host)
                                 for i, n in enumerate(names) if i > 0]
            for r, n in zip(self.regions, self.nats):
                r.nats_urls = [n.url]
        elif topology == "supercluster":
            self.nats = [NatsServer(self.workdir, n, gateway=True, host=host(i), wrap=wrap(i))
                         for i, n in enumerate(names)]
            for n in self.nats:
                n.join_gateways(self.nats)
            for r, n in zip(self.regions, self.nats):
                r.nats_urls = [n.url]
        else:
            raise ValueError(topology)
        self.config_path = os.path.join(self.workdir, "deployment.yaml")
        with open(self.config_path, "w") as f:
            f.write(self.deployment_yaml())

    def deployment_yaml(self):
        lines = ["nats:", f"  topology: {self.topology}", f"  urls: [{self.nats[0].url}]"]
        if self.max_clock_offset_ms is not None:
            lines += ["clock:", f"  max_offset_ms: {self.max_clock_offset_ms}"]
        replication = {k: v for k, v in self.replication.items() if v is not None}
        if replication:
            lines.append("replication:")
            lines += [f"  {k}: {v}" for k, v in replication.items()]
        if self.daemon_settings:
            lines.append("daemon:")
            lines += [f"  {k}: {v}" for k, v in self.daemon_settings.items()]
        lines.append("regions:")
        for r in self.regions:
            lines += [f"  - name: {r.name}", f"    id: {r.id}",
                      f"    api: {r.host}:{r.api_port}", f"    admin: {r.host}:{r.admin_port}",
                      f"    data_dir: {r.data_dir}",
                      f"    nats_urls: [{', '.join(r.nats_urls)}]"]
        return "\n".join(lines) + "\n"

    def start(self):
        for n in self.nats:
            n.start()
        if self.topology == "supercluster":
            wait_until(self._jetstream_meta_leader, 30, "the supercluster's JetStream meta leader")
        for r in self.regions:
            r.start()

    def _jetstream_meta_leader(self):
        """Every server of a supercluster sees the same meta leader and every gateway."""
        leaders = set()
        for n in self.nats:
            try:
                js = n.monitor("/jsz")
                gw = n.monitor("/gatewayz")
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                return False
            leaders.add(js.get("meta_cluster", {}).get("leader"))
            if len(gw.get("outbound_gateways", {})) < len(self.nats) - 1:
                return False
        return len(leaders) == 1 and None not in leaders

    def stop(self):
        for r in self.regions:
            try:
                r.kill()
            except Exception:  # noqa: BLE001  best effort at teardown
                pass
        for n in self.nats:
            n.kill()

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self):
        return "\n".join(f"==== {r.name}\n{r.log_text()[-4000:]}" for r in self.regions)


def run_steps(cluster, steps, keep=False):
    """Starts `cluster`, runs `steps` ((name, callable taking the cluster), in order) until one
    fails, printing PASS or FAIL with its time and, on a failure, the traceback and the daemons'
    logs; then stops every process it started and removes the work directory (kept when asked or
    after a failure). Returns the exit code: 0 when every step passed."""
    import time
    import traceback
    failed = False
    try:
        cluster.start()
        for name, step in steps:
            start = time.monotonic()
            try:
                step(cluster)
                print(f"PASS {name} ({time.monotonic() - start:.1f}s)", flush=True)
            except Exception:  # noqa: BLE001
                failed = True
                print(f"FAIL {name}", flush=True)
                traceback.print_exc()
                print(cluster.logs())
                break
    finally:
        cluster.cleanup(keep=keep or failed)
        if failed:
            print(f"work directory kept: {cluster.workdir}")
    return 1 if failed else 0
