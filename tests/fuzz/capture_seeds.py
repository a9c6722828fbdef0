#!/usr/bin/python3
"""Rebuilds the seed corpora of tests/fuzz/corpus from the end-to-end API suites' requests.

Runs tests/e2e/api_test.py, api_query_test.py and api_edge_test.py against a real globaltabled
through a recording TCP proxy, then writes what the clients sent: each connection's bytes as an
HTTP framing seed (corpus/http), each request body as a DynamoDB JSON seed (corpus/json_codec),
and each body with an expression as an expression seed (corpus/expr). File names are the SHA-1
of the contents, so rerunning adds only new inputs.

  /usr/bin/python3 tests/fuzz/capture_seeds.py --binary build/bin/globaltabled
"""
import argparse
import hashlib
import os
import socket
import sys
import threading
import unittest

MAX_SEED_BYTES = 64 << 10
HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..", "e2e")
sys.path.insert(0, E2E)

import harness  # noqa: E402


class RecordingProxy:
    """Forwards 127.0.0.1:port to the daemon's API port and keeps what clients sent."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.target_port = None
        self.connections = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            record = bytearray()
            with self.lock:
                self.connections.append(record)
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, server, record), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    @staticmethod
    def _pump(src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record is not None:
                    record.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def split_requests(stream):
    """Yields (head, body) of each request in one connection's bytes (Content-Length framing)."""
    pos = 0
    while pos < len(stream):
        end = stream.find(b"\r\n\r\n", pos)
        if end < 0:
            return
        head = bytes(stream[pos:end])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip() or 0)
        body = bytes(stream[end + 4:end + 4 + length])
        yield head, body
        pos = end + 4 + length


def save(directory, data):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = parser.parse_args()

    proxy = RecordingProxy()
    start = harness.Daemon.start

    def start_behind_proxy(self):
        start(self)
        proxy.target_port = self.api_port
    harness.Daemon.start = start_behind_proxy
    harness.Daemon.endpoint = property(lambda self: f"http://127.0.0.1:{proxy.port}")

    import api_suite
    api_suite._BINARY = os.path.abspath(args.binary)
    for name in ("api_test", "api_query_test", "api_edge_test"):
        module = __import__(name)
        module_suite = unittest.TestLoader().loadTestsFromModule(module)
        unittest.TextTestRunner(verbosity=0).run(module_suite)

    added = {"http": 0, "json_codec": 0, "expr": 0}
    with proxy.lock:
        streams = [bytes(c) for c in proxy.connections if c]
    for stream in streams:
        if len(stream) > MAX_SEED_BYTES:
            continue  # the size tests: large bodies only slow the fuzzer down
        added["http"] += save(os.path.join(args.out, "http"), stream)
        for _, body in split_requests(stream):
            if not body:
                continue
            added["json_codec"] += save(os.path.join(args.out, "json_codec"), body)
            if b"Expression" in body:
                added["expr"] += save(os.path.join(args.out, "expr"), body)
    print("seeds added:", ", ".join(f"{k} {v}" for k, v in added.items()))


if __name__ == "__main__":
    main()
