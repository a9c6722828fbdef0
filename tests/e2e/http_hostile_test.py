#!/usr/bin/python3
"""globaltabled's HTTP listeners under hostile connections, with raw sockets.

Usage: http_hostile_test.py --binary build/bin/globaltabled [unittest args]

- Timeouts (header and body 1 s, idle 2 s): a slowloris header, a body shorter than its
  Content-Length and a chunked body without its last chunk are closed within the timeout; an
  idle keep-alive connection is closed after the idle timeout, not before.
- Malformed framing gets its status line (400, 431 for a header too large) before the close:
  DynamoDB's error shape on the API port, plain text on the admin port.
- Connection limits: with --max-connections 200 and 300 connections held open on the API port,
  100 are answered 503, /healthz on the admin port answers, a client connected before the flood
  is still served, and the API answers again once they close. With the descriptor limit lowered to 1024 (the default limit is derived from it) and
  1,200 connections opened, /healthz still answers and the log stays a few lines long.
"""
import argparse
import os
import re
import select
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, wait_until  # noqa: E402

BINARY = None
HEADER_TIMEOUT_S = 1
BODY_TIMEOUT_S = 1
IDLE_TIMEOUT_S = 2
SLACK_S = 1.5  # scheduling on a shared machine; far below "never"


def connect(port, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def readable(socks, timeout):
    """The sockets of `socks` with something to read (an answer or a close) within `timeout`.
    poll, not select: the flood tests hold descriptors above FD_SETSIZE."""
    p = select.poll()
    by_fd = {}
    for s in socks:
        p.register(s, select.POLLIN)
        by_fd[s.fileno()] = s
    return [by_fd[fd] for fd, _ in p.poll(max(0, timeout) * 1000)]


def read_until_closed(s, timeout):
    """Reads until the peer closes (or resets); returns (bytes, seconds, closed)."""
    start = time.monotonic()
    data = b""
    deadline = start + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, time.monotonic() - start, False
        if not readable([s], left):
            continue
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data, time.monotonic() - start, True
        if not chunk:
            return data, time.monotonic() - start, True
        data += chunk


def status_of(data):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
    return int(m.group(1)) if m else None


def list_tables_request(keep_alive=True):
    body = b"{}"
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"X-Amz-Target: DynamoDB_20120810.ListTables\r\n"
            b"Content-Type: application/x-amz-json-1.0\r\n" +
            (b"" if keep_alive else b"Connection: close\r\n") +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def call_on(s, request):
    """Sends one request on a kept-alive connection and returns the status of its answer."""
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            return None
        body += chunk
    return status_of(head)


def http_status(port, path="/healthz"):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def api_status(port):
    """Status of one ListTables on a fresh API connection, or None when there is no answer."""
    try:
        s = connect(port, timeout=2)
    except OSError:
        return None
    with s:
        try:
            s.sendall(list_tables_request(keep_alive=False))
        except OSError:
            pass
        data, _, _ = read_until_closed(s, 3)
        return status_of(data)


def framing_cases():
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
    return [
        ("negative Content-Length", head + b"Content-Length: -1\r\n\r\n{}", 400),
        ("non-numeric Content-Length", head + b"Content-Length: abc\r\n\r\n{}", 400),
        ("Content-Length 2^64", head + b"Content-Length: 18446744073709551616\r\n\r\n{}", 400),
        ("two disagreeing Content-Lengths",
         head + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        ("chunked plus Content-Length",
         head + b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400),
        ("Content-Length plus chunked",
         head + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400),
        ("invalid chunk size",
         head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
        ("garbage request line", b"\x16\x03\x01 hello there\r\n\r\n", 400),
        ("request line without a version", b"GET /healthz\r\n\r\n", 400),
        ("1 MB header", head + b"X-Big: " + b"a" * (1 << 20) + b"\r\n\r\n", 431),
        ("10,000 headers",
         head + b"".join(b"X-H%d: v\r\n" % i for i in range(10000)) + b"\r\n", 431),
        ("200 short headers (under the byte limit)",
         head + b"".join(b"h%d:v\r\n" % i for i in range(200)) + b"\r\n", 431),
    ]


class TimeoutsAndFramingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(BINARY, extra_args=[
            "--header-timeout-s", str(HEADER_TIMEOUT_S), "--body-timeout-s", str(BODY_TIMEOUT_S),
            "--idle-timeout-s", str(IDLE_TIMEOUT_S)])
        try:
            cls.daemon.start()
        except Exception:
            cls.daemon.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.cleanup()

    def assert_closed_within(self, s, limit, what):
        data, elapsed, closed = read_until_closed(s, limit + 3)
        self.assertTrue(closed, f"{what}: still open after {elapsed:.1f}s")
        self.assertLessEqual(elapsed, limit, f"{what}: closed after {elapsed:.1f}s")
        return data, elapsed

    def test_slowloris_header_is_closed_within_the_header_timeout(self):
        s = connect(self.daemon.api_port)
        with s:
            start = time.monotonic()
            s.sendall(b"POST / HTTP/1.1\r\n")
            closed = False
            # One header line every 0.3 s: each one resets nothing.
            for i in range(40):
                if readable([s], 0.3):
                    closed = s.recv(65536) == b""
                    break
                try:
                    s.sendall(b"X-Slow-%d: v\r\n" % i)
                except OSError:
                    closed = True
                    break
            elapsed = time.monotonic() - start
            if not closed:
                _, more, closed = read_until_closed(s, 1)
                elapsed += more
            self.assertTrue(closed, f"slowloris header still open after {elapsed:.1f}s")
            self.assertLessEqual(elapsed, HEADER_TIMEOUT_S + SLACK_S)

    def test_short_body_is_closed_within_the_body_timeout(self):
        s = connect(self.daemon.api_port)
        with s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables"
                      b"\r\nContent-Length: 100\r\n\r\n{\"a\":")
            self.assert_closed_within(s, BODY_TIMEOUT_S + SLACK_S, "short body")

    def test_unfinished_chunked_body_is_closed_within_the_body_timeout(self):
        s = connect(self.daemon.api_port)
        with s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables"
                      b"\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n")
            self.assert_closed_within(s, BODY_TIMEOUT_S + SLACK_S, "unfinished chunked body")

    def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout(self):
        s = connect(self.daemon.api_port)
        with s:
            s.sendall(list_tables_request())
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                chunk = s.recv(65536)
                self.assertTrue(chunk, "closed before the answer")
                data += chunk
            self.assertEqual(status_of(data), 200, data)
            _, elapsed = self.assert_closed_within(s, IDLE_TIMEOUT_S + SLACK_S, "idle connection")
            # The idle timeout, not the shorter header timeout, applied between requests.
            self.assertGreaterEqual(elapsed, IDLE_TIMEOUT_S - 0.5)

    def test_a_connection_that_never_sends_is_closed_within_the_header_timeout(self):
        s = connect(self.daemon.admin_port)
        with s:
            self.assert_closed_within(s, HEADER_TIMEOUT_S + SLACK_S, "silent connection")

    def test_malformed_framing_is_answered_before_the_close(self):
        for port, name in ((self.daemon.api_port, "api"), (self.daemon.admin_port, "admin")):
            for what, request, expected in framing_cases():
                with self.subTest(listener=name, case=what):
                    s = connect(port)
                    with s:
                        try:
                            s.sendall(request)
                        except OSError:
                            pass  # the answer may come before the whole request is taken
                        data, elapsed, closed = read_until_closed(s, 10)
                    self.assertEqual(status_of(data), expected, data[:200])
                    self.assertTrue(closed, f"{what}: not closed")
                    self.assertIn(b"Connection: close", data)
                    if name == "api":
                        self.assertIn(b'"__type":"com.amazonaws.dynamodb.v20120810#'
                                      b'SerializationException"', data)
                    else:
                        self.assertIn(b"Content-Type: text/plain", data)
        # Nothing was stored: the server still answers, and its metrics counted them.
        self.assertEqual(api_status(self.daemon.api_port), 200)
        metrics = self.daemon.get_text("/metrics")
        n = len(framing_cases())
        self.assertRegex(metrics, r'globaltable_http_malformed_requests_total\{[^}]*'
                                  r'listener="api"[^}]*status="431"\} 3')
        self.assertRegex(metrics, r'globaltable_http_malformed_requests_total\{[^}]*'
                                  rf'listener="api"[^}}]*status="400"\}} {n - 3}')


def wait_readable_count(socks, expected, timeout):
    """Waits until `expected` of `socks` have something to read (an answer or a close)."""
    ready = set()
    deadline = time.monotonic() + timeout
    while len(ready) < expected and time.monotonic() < deadline:
        ready.update(readable([s for s in socks if s not in ready], 0.05))
    return ready


class ConnectionLimitTest(unittest.TestCase):
    def setUp(self):
        self.socks = []
        self.addCleanup(self.close_socks)

    def close_socks(self):
        for s in self.socks:
            s.close()
        self.socks = []

    def limited_binary(self, nofile):
        """A wrapper that lowers soft and hard limits, then execs the daemon (same pid)."""
        tmp = tempfile.mkdtemp(prefix="gt-http-")
        binary = os.path.join(tmp, "globaltabled")
        self.addCleanup(lambda: (os.remove(binary), os.rmdir(tmp)))
        with open(binary, "w") as f:
            f.write(f"#!/bin/sh\nulimit -n {nofile} || exit 3\nexec {BINARY} \"$@\"\n")
        os.chmod(binary, stat.S_IRWXU)
        return binary

    def start(self, extra_args=(), nofile=None):
        binary = BINARY if nofile is None else self.limited_binary(nofile)
        d = Daemon(binary, extra_args=list(extra_args))
        self.addCleanup(d.cleanup)
        d.start()
        return d

    def open_connections(self, port, n):
        for _ in range(n):
            self.socks.append(connect(port))

    def test_max_connections_keeps_health_reachable_and_recovers(self):
        d = self.start(["--max-connections", "200", "--header-timeout-s", "60"])
        # A client connected before the flood keeps being served through it.
        client = connect(d.api_port)
        self.addCleanup(client.close)
        self.assertEqual(call_on(client, list_tables_request()), 200)
        self.open_connections(d.api_port, 299)
        # The 100 over the limit are answered 503 and closed; the first 200 are held.
        ready = wait_readable_count(self.socks, 100, 10)
        self.assertEqual(len(ready), 100)
        for s in ready:
            data, _, closed = read_until_closed(s, 5)
            self.assertEqual(status_of(data), 503, data)
            self.assertTrue(closed)
        self.assertEqual(len(wait_readable_count(self.socks, 101, 0.5)), 100)  # no more
        self.assertEqual(http_status(d.admin_port), 200)
        self.assertEqual(api_status(d.api_port), 503)
        for _ in range(20):
            self.assertEqual(call_on(client, list_tables_request()), 200)
        metrics = d.get_text("/metrics")
        self.assertRegex(metrics, r'globaltable_http_connections\{[^}]*listener="api"[^}]*\} 200')
        self.assertRegex(metrics, r'globaltable_http_connections_refused_total\{[^}]*'
                                  r'listener="api"[^}]*reason="limit"[^}]*\} 101')
        self.assertRegex(metrics, r'globaltable_http_max_connections\{[^}]*listener="api"'
                                  r'[^}]*\} 200')
        # One line says why, not one per refusal.
        log = d.log_text()
        self.assertEqual(log.count("api: connection refused: 200 open, the limit"), 1, log)
        self.assertLess(len(log.splitlines()), 20, log)
        self.close_socks()
        wait_until(lambda: api_status(d.api_port) == 200, 10, "the API to answer again")

    def test_limits_that_do_not_fit_the_descriptors_are_refused_at_start(self):
        with tempfile.TemporaryDirectory(prefix="gt-http-") as data:
            for nofile, args, message in (
                    (700, [], "the descriptor limit (ulimit -n) of 700 is too low: at least 768"),
                    (1024, ["--max-connections", "321"],
                     "max_connections 321 does not fit the descriptor limit (ulimit -n) of 1024:"
                     " at most 320")):
                r = subprocess.run(
                    [self.limited_binary(nofile), "--data-dir", os.path.join(data, "store"),
                     "--api-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:1"] + args,
                    capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertFalse(os.path.exists(os.path.join(data, "store")))  # nothing opened

    def test_a_flood_under_a_low_descriptor_limit_leaves_health_up_and_the_log_small(self):
        # No new flags: the same test runs against a binary from before the limits.
        d = self.start(nofile=1024)
        flood = 1200  # more than the whole process may open
        for _ in range(flood):
            try:
                self.socks.append(connect(d.api_port, timeout=2))
            except OSError:
                break  # the backlog is full: that is the server's choice to make
        self.assertEqual(http_status(d.admin_port), 200)
        self.assertEqual(http_status(d.admin_port, "/metrics"), 200)
        self.assertIn(api_status(d.api_port), (503, None))
        log_lines = len(d.log_text().splitlines())
        self.assertLess(log_lines, 50, d.log_text()[-3000:])
        self.close_socks()
        wait_until(lambda: api_status(d.api_port) == 200, 10, "the API to answer again")
        self.assertLess(len(d.log_text().splitlines()), 50)
        self.assertIn("at most 320 API connections (descriptor limit 1024)", d.log_text())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args, rest = ap.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
