"""A local multi-region globaltable deployment on loopback, for tests and the demo.

LocalCluster starts a real nats-server with JetStream (topology "single") and one real
globaltabled per region, from one deployment file, each on free ports and in a fresh directory.
Processes are tracked by pid and stopped by pid (SIGTERM, then SIGKILL); `close()` also runs at
interpreter exit. All waits are bounded polls.

    with LocalCluster(build_dir, ["us-east-1", "eu-west-1", "ap-southeast-1"]) as c:
        c.start()
        db = c.client("us-east-1")            # boto3 DynamoDB client
        c.wait_until(lambda: ..., 30, "...")
        c.ctl("status")                        # globaltablectl --config <deployment> status
        c.kill_daemon("eu-west-1")             # SIGKILL
        c.start_daemon("eu-west-1")
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDLOCALCLUSTER0000")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

NATS_SERVER = shutil.which("nats-server") or "/usr/bin/nats-server"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.05):
    """Polls `predicate` until it returns a true value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - a poll may fail while a process starts
            last_error = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}"
                       + (f" (last error: {last_error})" if last_error else ""))


def http_json(url, method="GET", body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def stop_pid(proc, sig=signal.SIGTERM, timeout=10):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Region:
    def __init__(self, name, region_id, root):
        self.name = name
        self.id = region_id
        self.api_port = free_port()
        self.admin_port = free_port()
        self.data_dir = os.path.join(root, name)
        self.log_path = os.path.join(root, f"{name}.log")
        self.proc = None
        self.env = {}

    @property
    def api(self):
        return f"127.0.0.1:{self.api_port}"

    @property
    def admin(self):
        return f"127.0.0.1:{self.admin_port}"

    @property
    def endpoint(self):
        return f"http://{self.api}"


class LocalCluster:
    def __init__(self, build_dir, regions=("us-east-1", "eu-west-1", "ap-southeast-1"),
                 workdir=None, keep=False, daemon_settings=None):
        self.build_dir = os.path.abspath(build_dir)
        self.root = workdir or tempfile.mkdtemp(prefix="gt-cluster-")
        os.makedirs(self.root, exist_ok=True)
        self.keep = keep
        self.nats_port = free_port()
        self.nats_monitor_port = free_port()
        self.nats_proc = None
        self.regions = {n: Region(n, i + 1, self.root) for i, n in enumerate(regions)}
        self.deployment = os.path.join(self.root, "deployment.yaml")
        self.daemon_settings = daemon_settings or {}
        self._write_deployment()
        atexit.register(self.close)

    # ---- lifecycle
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        self.start_nats()
        for name in self.regions:
            self.start_daemon(name, wait=False)
        for name in self.regions:
            self.wait_healthy(name)

    def close(self):
        for r in self.regions.values():
            stop_pid(r.proc)
        stop_pid(self.nats_proc)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def _write_deployment(self):
        lines = ["nats:", "  topology: single", f"  urls: [nats://127.0.0.1:{self.nats_port}]"]
        if self.daemon_settings:
            lines.append("daemon:")
            lines += [f"  {k}: {v}" for k, v in self.daemon_settings.items()]
        lines.append("regions:")
        for r in self.regions.values():
            lines += [f"  - name: {r.name}", f"    id: {r.id}", f"    api: {r.api}",
                      f"    admin: {r.admin}", f"    data_dir: {r.data_dir}"]
        with open(self.deployment, "w") as f:
            f.write("\n".join(lines) + "\n")

    # ---- nats-server
    def start_nats(self):
        store = os.path.join(self.root, "nats")
        os.makedirs(store, exist_ok=True)
        with open(os.path.join(self.root, "nats.log"), "ab") as log:
            self.nats_proc = subprocess.Popen(
                [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.nats_port), "-m",
                 str(self.nats_monitor_port), "-sd", store],
                stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self._nats_ready(), 20, "nats-server /healthz")

    def _nats_ready(self):
        if self.nats_proc.poll() is not None:
            raise RuntimeError(f"nats-server exited with {self.nats_proc.returncode}")
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.nats_monitor_port}/healthz?js-enabled-only=true",
                    timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def kill_nats(self):
        stop_pid(self.nats_proc, signal.SIGKILL)

    # ---- daemons
    def start_daemon(self, name, wait=True, env=None):
        r = self.regions[name]
        if env is not None:
            r.env = env
        with open(r.log_path, "ab") as log:
            r.proc = subprocess.Popen(
                [os.path.join(self.build_dir, "bin", "globaltabled"), "--config",
                 self.deployment, "--region", name],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **r.env})
        if wait:
            self.wait_healthy(name)

    def wait_healthy(self, name, timeout=30):
        r = self.regions[name]

        def healthy():
            if r.proc.poll() is not None:
                raise RuntimeError(f"globaltabled {name} exited with {r.proc.returncode}:\n"
                                   + self.log_tail(name))
            try:
                return http_json(f"http://{r.admin}/healthz", timeout=1) is not None
            except (urllib.error.URLError, OSError):
                return False
        wait_until(healthy, timeout, f"globaltabled {name} /healthz")

    def kill_daemon(self, name):
        stop_pid(self.regions[name].proc, signal.SIGKILL)

    def stop_daemon(self, name):
        stop_pid(self.regions[name].proc, signal.SIGTERM)

    def wait_until(self, predicate, timeout, what, interval=0.05):
        """wait_until, and on a timeout the error also carries every region's replication
        status and log tail, so a failure in CI explains itself."""
        try:
            return wait_until(predicate, timeout, what, interval)
        except TimeoutError as e:
            report = [str(e)]
            for name, r in self.regions.items():
                try:
                    status = json.dumps(http_json(f"http://{r.admin}/v1/replication", timeout=2))
                except Exception as err:  # noqa: BLE001 - the region may be down
                    status = f"(no status: {err})"
                report += [f"--- {name} /v1/replication: {status}",
                           f"--- {name} log tail:", self.log_tail(name, 20)]
            raise TimeoutError("\n".join(report)) from None

    def log_tail(self, name, lines=40):
        try:
            with open(self.regions[name].log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    # ---- clients
    def client(self, name):
        import boto3
        from botocore.config import Config
        return boto3.client("dynamodb", endpoint_url=self.regions[name].endpoint,
                            config=Config(retries={"max_attempts": 1}, connect_timeout=2,
                                          read_timeout=10))

    def admin_json(self, name, path, method="GET", body=None):
        return http_json(f"http://{self.regions[name].admin}{path}", method, body)

    def status(self, name):
        return self.admin_json(name, "/v1/status")

    def digest(self, name, table):
        return self.admin_json(name, f"/v1/tables/{table}/digest")

    def digests_equal(self, table):
        ds = [self.digest(n, table)["digest"] for n in self.regions]
        return len(set(ds)) == 1

    def ctl(self, *args, check=True, timeout=300):
        """Runs globaltablectl with the deployment file; returns the CompletedProcess."""
        p = subprocess.run([os.path.join(self.build_dir, "bin", "globaltablectl"), "--config",
                            self.deployment, *args], capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"globaltablectl {' '.join(args)} exited {p.returncode}:\n"
                               f"{p.stdout}\n{p.stderr}")
        return p
