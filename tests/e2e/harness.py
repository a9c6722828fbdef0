"""Starts and stops a real globaltabled for end-to-end tests.

A Daemon runs build/bin/globaltabled on free loopback ports in a fresh temporary data directory,
waits for GET /healthz by bounded polling, and is stopped by its pid (SIGTERM, then SIGKILL if
it does not exit in time). Clients get AWS credentials from the environment set here.
"""
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

os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDTESTTESTTESTTEST")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "secret")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    """Polls `predicate` every 20 ms until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Daemon:
    def __init__(self, binary, region="us-east-1", extra_args=()):
        self.binary = binary
        self.region = region
        self.extra_args = list(extra_args)
        self.data_dir = tempfile.mkdtemp(prefix="gt-e2e-")
        # The store's directory; a test may point it elsewhere (a small filesystem) before start.
        self.store_dir = os.path.join(self.data_dir, "store")
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "daemon.log")

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def admin(self):
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self):
        self.api_port = free_port()
        self.admin_port = free_port()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--region", self.region, "--data-dir", self.store_dir, "--api-listen",
             f"127.0.0.1:{self.api_port}", "--admin-listen",
             f"127.0.0.1:{self.admin_port}"] + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, 20, "globaltabled /healthz")

    def _healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"globaltabled exited with {self.proc.returncode}:\n{self.log_text()}")
        try:
            with urllib.request.urlopen(self.admin + "/healthz", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def get_json(self, path):
        with urllib.request.urlopen(self.admin + path, timeout=5) as r:
            return json.loads(r.read())

    def get_text(self, path):
        with urllib.request.urlopen(self.admin + path, timeout=5) as r:
            return r.read().decode()

    def post_json(self, path, body):
        req = urllib.request.Request(self.admin + path, data=json.dumps(body).encode(),
                                     method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the daemon by pid; returns its exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode

    def log_text(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.data_dir, ignore_errors=True)
