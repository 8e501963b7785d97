#!/usr/bin/env python3
"""Peer test: `weft echo` over TCP, UDP and TLS, driven by Python's socket and
ssl modules and by `openssl s_client`.

Checks the echoed bytes (8 MB with SHA-256 both ways at once, IPv4 and IPv6,
half-close, empty and 60 KB datagrams), the log lines (exact peer addresses
as the clients see them), back-pressure (a client that does not read: the
server's memory stays bounded and nothing is lost), the limits (idle timeout,
--max-connections, --grace), TLS (verification by Python, TLS 1.2 and 1.3 with
s_client, a failed handshake logged, close_notify on shutdown), --help, bad
options (exit 2, one message line plus the hint), runtime errors (exit 1), and
that SIGTERM / SIGINT end it cleanly (exit 0) with no fd left behind.

Usage: weft_echo.py BUILD_DIR. Certificates are made at test time by
tests/lib/mkcerts.sh; everything talks to loopback only.
"""
import hashlib
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

BUILD = sys.argv[1]
WEFT = os.path.join(BUILD, "weft")
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = 20


class Server:
    """A `weft echo` process whose stdout is collected line by line."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([WEFT, "echo", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        first = self.wait_for(r"^Serving (TCP|TLS|UDP) on \('127\.0\.0\.1', (\d+)\)$")
        self.port = int(first.group(2))

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # EOF
            self.cond.notify_all()

    def wait_for(self, pattern, start=0):
        """The first line from index start on that matches, waiting for it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + TIMEOUT
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    line = self.lines[i]
                    if line is None:
                        raise AssertionError(f"server ended before {pattern!r}:\n" + self.dump())
                    m = rx.search(line)
                    if m:
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line {pattern!r} in:\n" + self.dump())
                self.cond.wait(left)

    def wait_count(self, pattern, n):
        """Wait until exactly n lines match (the log may trail what the
        clients already saw); fail if more do."""
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                c = sum(1 for l in self.lines if l is not None and re.search(pattern, l))
                assert c <= n, f"{c} lines {pattern!r}, want {n}:\n" + self.dump()
                if c == n:
                    return
                left = deadline - time.monotonic()
                assert left > 0 and None not in self.lines, \
                    f"{c} lines {pattern!r}, want {n}:\n" + self.dump()
                self.cond.wait(left)

    def count(self, pattern):
        with self.cond:
            return sum(1 for l in self.lines if l is not None and re.search(pattern, l))

    def dump(self):
        lines = [l for l in self.lines if l is not None]
        return "\n".join(lines[:10] + ["..."] + lines[-30:] if len(lines) > 40 else lines)

    def nfds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def wait_nfds(self, want):
        """The server's fd count comes back to want. A connection's socket is
        closed just after its "Disconnected" line, so poll for it briefly."""
        deadline = time.monotonic() + TIMEOUT
        while self.nfds() != want and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.nfds() == want, (self.nfds(), want)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self, sig=signal.SIGTERM, expect_rc=0):
        self.proc.send_signal(sig)
        rc = self.proc.wait(TIMEOUT)
        self.reader.join(TIMEOUT)
        err = self.proc.stderr.read()
        assert rc == expect_rc, f"exit status {rc}, stderr {err!r}\n{self.dump()}"
        assert err == "", err
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def peer(sock):
    """A socket's own address as weft prints the peer: ('127.0.0.1', 5000)."""
    return repr(sock.getsockname())


def esc(s):
    return re.escape(s)


def run_tool(*args):
    return subprocess.run([WEFT, *args], capture_output=True, text=True, timeout=TIMEOUT)


AGAIN = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def echo_bulk(sock, size):
    """Send size random bytes while reading the echo; compare SHA-256. One
    thread with non-blocking calls: an SSLSocket must not be read and written
    from two threads at once (OpenSSL's SSL objects are not thread-safe)."""
    data = os.urandom(size)
    got = hashlib.sha256()
    n = off = 0
    sock.setblocking(False)
    while n < size:
        r, w, _ = select.select([sock], [sock] if off < size else [], [], TIMEOUT)
        assert r or w, f"stalled after sending {off} and receiving {n} of {size} bytes"
        if w:
            try:
                off += sock.send(data[off:off + (1 << 16)])
            except AGAIN:
                pass
        while True:  # drain, including what the TLS layer holds decrypted
            try:
                chunk = sock.recv(1 << 16)
            except AGAIN:
                break
            assert chunk, f"EOF after {n} of {size} bytes"
            got.update(chunk)
            n += len(chunk)
    sock.settimeout(TIMEOUT)
    assert n == size and got.hexdigest() == hashlib.sha256(data).hexdigest(), "echo differs"


def fill_until_blocked(c, total, h=None):
    """Send on c, never reading, until the kernel buffers and the server's
    are full (select says "not writable" for half a second) or total bytes
    went out. Returns the count; h (if given) hashes what was sent."""
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
    c.setblocking(False)
    block = os.urandom(1 << 16)
    sent = 0
    while sent < total and select.select([], [c], [], 0.5)[1]:
        try:
            n = c.send(block)
        except BlockingIOError:
            continue
        if h:
            h.update(block[:n])
        sent += n
    return sent


# ------------------------------------------------------------------ the cases

def test_help_and_usage_errors():
    r = run_tool("echo", "--help")
    assert r.returncode == 0 and r.stderr == "", r
    assert r.stdout.startswith("Usage: weft echo [OPTIONS]"), r.stdout
    for opt in ("--bind", "--port", "--udp", "--tls-cert", "--tls-key", "--max-connections",
                "--idle-timeout", "--grace", "--quiet"):
        assert opt in r.stdout, opt
    assert run_tool("help", "echo").stdout == r.stdout
    top = run_tool("--help")
    assert top.returncode == 0 and re.search(r"^  echo +", top.stdout, re.M), top.stdout

    bad = {
        ("echo", "--bogus"): "unknown option --bogus",
        ("echo", "--bogus=1"): "unknown option --bogus",
        ("echo", "-x"): "unknown option -x",
        ("echo", "--port"): "option --port needs an argument",
        ("echo", "-p"): "option -p needs an argument",
        ("echo", "--port", "65536"): "invalid port: '65536'",
        ("echo", "--port", "-1"): "invalid port: '-1'",
        ("echo", "--port", "80x"): "invalid port: '80x'",
        ("echo", "stray"): "unexpected argument 'stray'",
        ("echo", "--tls-key", "k.pem"): "--tls-key needs --tls-cert",
        ("echo", "--udp", "--tls-cert", "c.pem"): "--udp cannot be combined with TLS",
        ("echo", "--idle-timeout", "5 parsecs"): "invalid duration for --idle-timeout",
        ("echo", "--max-connections", "0"): "invalid --max-connections: '0'",
    }
    for args, msg in bad.items():
        r = run_tool(*args)
        lines = r.stderr.splitlines()
        assert r.returncode == 2, (args, r)
        assert r.stdout == "", (args, r.stdout)
        assert len(lines) == 2, (args, lines)
        assert lines[0].startswith("weft echo: ") and msg in lines[0], (args, lines)
        assert lines[1] == "Try 'weft echo --help' for more information.", (args, lines)


def test_runtime_errors(certs):
    s = Server("--bind", "127.0.0.1")
    try:
        r = run_tool("echo", "--bind", "127.0.0.1", "--port", str(s.port))
        assert r.returncode == 1, r
        assert r.stderr == f"weft echo: cannot listen on 127.0.0.1 port {s.port}: " \
                           "Address already in use\n", r.stderr
        r = run_tool("echo", "--port", "0", "--tls-cert", os.path.join(certs, "missing.pem"))
        assert r.returncode == 1 and r.stderr.startswith("weft echo: cannot use "), r
        assert len(r.stderr.splitlines()) == 1, r.stderr
        # A key that is not the certificate's.
        r = run_tool("echo", "--port", "0", "--tls-cert", os.path.join(certs, "server.pem"),
                     "--tls-key", os.path.join(certs, "other.key"))
        assert r.returncode == 1 and "cannot use" in r.stderr, r
        r = run_tool("echo", "--port", "0", "--bind", "no-such-host.invalid")
        assert r.returncode == 1 and "cannot resolve no-such-host.invalid" in r.stderr, r
        assert s.count("^Serving") == 1, s.dump()  # 127.0.0.1 only
    finally:
        s.stop()


def test_tcp(quiet=False):
    s = Server(*(["--quiet"] if quiet else []))
    try:
        s.wait_for(rf"^Serving TCP on \('::1', {s.port}, 0, 0\)$")
        fds = s.nfds()
        mark = len(s.lines)
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as c:
            who = peer(c)
            s.wait_for(rf"^Connected: {esc(who)}$", mark)
            c.sendall(b"Hello, Server!")
            assert c.recv(100) == b"Hello, Server!"
            if not quiet:
                s.wait_for(rf"^Received: 'Hello, Server!' from {esc(who)}$", mark)
            c.sendall(b"it's \"q\"\n\x01\xc3\xa9")
            got = b""
            while len(got) < 12:
                got += c.recv(100)
            assert got == b"it's \"q\"\n\x01\xc3\xa9"
            if not quiet:
                s.wait_for(r"^Received: 'it\\'s \"q\"\\n\\x01é' from " + esc(who), mark)
            echo_bulk(c, 8 << 20)
        s.wait_for(rf"^Disconnected: {esc(who)}$", mark)
        if quiet:
            assert s.count("^Received") == 0, s.dump()
        else:
            assert s.count(r"^Received: 'Hello, Server!'") == 1
            s.wait_for(r"^Received: .+\.\.\. \(\d+ bytes\) from " + esc(who), mark)

        # IPv6, and half-close: the echo still arrives after our FIN, then EOF.
        with socket.create_connection(("::1", s.port), timeout=TIMEOUT) as c:
            who = peer(c)
            c.sendall(b"x" * 100000)
            c.shutdown(socket.SHUT_WR)
            got = b""
            while True:
                chunk = c.recv(1 << 16)
                if not chunk:
                    break
                got += chunk
            assert got == b"x" * 100000, len(got)
        s.wait_for(rf"^Disconnected: {esc(who)}$", mark)

        # A client that resets mid-stream: logged as an error, no crash.
        c = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
        who = peer(c)
        s.wait_for(rf"^Connected: {esc(who)}$", mark)
        c.sendall(b"y" * 1000)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        c.close()  # RST
        s.wait_for(rf"^Disconnected: {esc(who)}", mark)
        # Every connection's fd was released.
        s.wait_nfds(fds)
    finally:
        s.stop()
    s.wait_for("^Shutting down$")


def test_slow_reader_is_bounded():
    """A client that sends without reading its echoes: the server stops
    reading it (water marks), its memory stays bounded, nothing is lost."""
    s = Server("--quiet")
    try:
        rss0 = s.rss_kib()
        c = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
        total = 48 << 20
        h = hashlib.sha256()
        sent = fill_until_blocked(c, total, h)
        assert sent < total, "the server never pushed back"
        grew = s.rss_kib() - rss0
        assert grew < 8 * 1024, f"server RSS grew by {grew} KiB with {sent} bytes pushed"
        c.setblocking(True)
        c.settimeout(TIMEOUT)
        c.shutdown(socket.SHUT_WR)
        got = hashlib.sha256()
        n = 0
        while True:
            chunk = c.recv(1 << 16)
            if not chunk:
                break
            got.update(chunk)
            n += len(chunk)
        assert n == sent and got.hexdigest() == h.hexdigest(), (n, sent)
        c.close()
    finally:
        s.stop()


def test_limits():
    # Idle timeout: a silent client is closed (and told by EOF).
    s = Server("--idle-timeout", "300ms", "--max-connections", "1")
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as c:
            who = peer(c)
            c.sendall(b"ping")
            assert c.recv(10) == b"ping"
            # Limit 1: the second connection is refused while the first lives.
            with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as d:
                s.wait_for(rf"^Refused: {esc(peer(d))} \(already 1 connections")
                try:
                    assert d.recv(10) == b""
                except ConnectionResetError:
                    pass
            assert c.recv(10) == b""  # the idle timeout closed it
        s.wait_for(rf"^Idle timeout: {esc(who)} \(nothing for 300ms\)$")
        s.wait_for(rf"^Disconnected: {esc(who)}$")
        # Once it is gone there is room again.
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as c:
            c.sendall(b"again")
            assert c.recv(10) == b"again"
    finally:
        s.stop()


def test_connection_burst():
    """Twenty connections at once against --max-connections 5: exactly five
    are served, even though they arrive in one accept batch."""
    s = Server("--quiet", "--max-connections", "5")
    socks = []
    try:
        for _ in range(20):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", s.port))
            socks.append(c)
        for c in socks:
            select.select([], [c], [], TIMEOUT)
            c.setblocking(True)
            c.settimeout(TIMEOUT)
        served = refused = 0
        for c in socks:
            try:
                c.sendall(b"?")
                got = c.recv(10)
            except (ConnectionResetError, BrokenPipeError):
                got = b""
            if got == b"?":
                served += 1
            else:
                refused += 1
        assert (served, refused) == (5, 15), (served, refused)
        s.wait_count("^Refused: ", 15)
    finally:
        for c in socks:
            c.close()
        s.stop()


def test_graceful_shutdown():
    # A live connection gets its echo, then EOF, and the server exits 0.
    s = Server()
    c = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
    who = peer(c)
    c.sendall(b"last words")
    assert c.recv(100) == b"last words"
    s.stop(signal.SIGINT)
    assert c.recv(100) == b""
    c.close()
    s.wait_for(rf"^Disconnected: {esc(who)}$")
    assert s.lines.index("Shutting down") < s.lines.index(f"Disconnected: {who}")

    # A client that never reads keeps its connection busy: --grace bounds
    # the wait, the connection is cut, the exit is still clean.
    s = Server("--quiet", "--grace", "300ms")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
    fill_until_blocked(c, 1 << 30)
    start = time.monotonic()
    s.stop()
    assert time.monotonic() - start < 5
    s.wait_for(r"^Some connections did not finish within 300ms and were cut$")
    c.close()

    # Same client, but a second signal cuts it at once.
    s = Server("--quiet", "--grace", "1h")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT)
    fill_until_blocked(c, 1 << 30)
    s.proc.send_signal(signal.SIGTERM)
    s.wait_for("^Shutting down$")
    s.stop(signal.SIGTERM)
    s.wait_for("^Second signal: closing every connection now$")
    c.close()


def test_udp():
    s = Server("--udp")
    try:
        s.wait_for(rf"^Serving UDP on \('::1', {s.port}, 0, 0\)$")
        for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(fam, socket.SOCK_DGRAM) as u:
                u.settimeout(TIMEOUT)
                # One at a time, each waiting for its echo, so none is lost.
                for msg in (b"Hello UDP", b"", bytes(range(256)) * 234):
                    u.sendto(msg, (host, s.port))
                    data, addr = u.recvfrom(1 << 16)
                    assert data == msg and addr[:2] == (host, s.port), (data[:20], addr)
                port = u.getsockname()[1]  # bound to the wildcard: name the host
                who = repr((host, port) if fam == socket.AF_INET else (host, port, 0, 0))
                s.wait_for(rf"^Received: 'Hello UDP' from {esc(who)}$")
                s.wait_for(rf"^Received: '' from {esc(who)}$")
                s.wait_for(r"^Received: '\\x00\\x01.*'\.\.\. \(59904 bytes\) from " + esc(who))
        # Many datagrams, still one at a time.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.settimeout(TIMEOUT)
            for i in range(1000):
                u.sendto(b"%d" % i, ("127.0.0.1", s.port))
                assert u.recvfrom(100)[0] == b"%d" % i
    finally:
        s.stop(signal.SIGINT)
    s.wait_for("^Shutting down$")


def s_client(port, *args, data=b"hello s_client\n"):
    """Send data through openssl s_client, wait for its echo, then end the
    session (stdin EOF with -no_ign_eof: close_notify) and return the exit
    status."""
    p = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-quiet",
                          "-no_ign_eof", "-verify_return_error", *args],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(data)
        p.stdin.flush()
        got = b""
        deadline = time.monotonic() + TIMEOUT
        while len(got) < len(data):
            r, _, _ = select.select([p.stdout], [], [], max(0, deadline - time.monotonic()))
            assert r, f"no echo from s_client, got {got!r}"
            chunk = os.read(p.stdout.fileno(), 4096)
            assert chunk, f"s_client ended: {got!r} {p.stderr.read()!r}"
            got += chunk
        assert got == data, got
        p.stdin.close()
        return p.wait(TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()


def test_tls(certs):
    ca = os.path.join(certs, "ca.pem")
    s = Server("--tls-cert", os.path.join(certs, "server-chain.pem"),
               "--tls-key", os.path.join(certs, "server.key"))
    try:
        s.wait_for(rf"^Serving TLS on \('::1', {s.port}, 0, 0\)$")
        fds = s.nfds()
        mark = len(s.lines)
        ctx = ssl.create_default_context(cafile=ca)
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT),
                             server_hostname="localhost") as c:
            who = peer(c)
            s.wait_for(rf"^Connected: {esc(who)} over TLSv1\.3 \(TLS_", mark)
            c.sendall(b"Hello, TLS!")
            assert c.recv(100) == b"Hello, TLS!"
            s.wait_for(rf"^Received: 'Hello, TLS!' from {esc(who)}$", mark)
            echo_bulk(c, 4 << 20)
            c.unwrap()  # our close_notify, and the server's in answer
        s.wait_for(rf"^Disconnected: {esc(who)}$", mark)

        # openssl s_client, TLS 1.3 and 1.2, verifying against the test CA. With
        # -quiet it sends its stdin, then waits for the answer until EOF.
        for ver in ("-tls1_3", "-tls1_2"):
            assert s_client(s.port, ver, "-CAfile", ca, "-servername", "localhost") == 0
        s.wait_for(r"^Connected: .* over TLSv1\.2 \(", mark)

        # A client that does not trust the certificate: the server logs it.
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as raw:
            who = peer(raw)
            try:
                ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
                raise AssertionError("handshake should have failed")
            except ssl.SSLCertVerificationError:
                pass
        s.wait_for(rf"^TLS handshake failed: {esc(who)} \(.*unknown ca", mark)
        # Plain text to a TLS port: a handshake error, logged, no crash.
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as raw:
            who = peer(raw)
            raw.sendall(b"GET / HTTP/1.0\r\n\r\n")
            try:
                raw.recv(100)
            except ConnectionResetError:
                pass
        s.wait_for(rf"^TLS handshake failed: {esc(who)} \(", mark)
        s.wait_nfds(fds)

        # Shutdown with a live TLS connection: its echo, then close_notify.
        c = ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT),
                            server_hostname="localhost")
        who = peer(c)
        c.sendall(b"bye")
        assert c.recv(10) == b"bye"
        s.stop()
        assert c.recv(10) == b""   # close_notify (ssl raises on a bare EOF)
        c.close()
        s.wait_for(rf"^Disconnected: {esc(who)}$")
    finally:
        s.kill()


def test_tls_handshake_timeout(certs):
    s = Server("--tls-cert", os.path.join(certs, "server-chain.pem"),
               "--tls-key", os.path.join(certs, "server.key"), "--handshake-timeout", "200ms")
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=TIMEOUT) as raw:
            who = peer(raw)
            assert raw.recv(10) == b""  # the server gave up on us
        s.wait_for(rf"^TLS handshake failed: {esc(who)} \(the TLS handshake timed out\)$")
    finally:
        s.stop()


def main():
    with tempfile.TemporaryDirectory(prefix="weft-echo-") as certs:
        subprocess.run(["bash", os.path.join(SRC, "tests/lib/mkcerts.sh"), certs], check=True)
        cases = [
            ("help and usage errors", test_help_and_usage_errors),
            ("runtime errors", lambda: test_runtime_errors(certs)),
            ("tcp", test_tcp),
            ("tcp --quiet", lambda: test_tcp(quiet=True)),
            ("slow reader", test_slow_reader_is_bounded),
            ("limits", test_limits),
            ("connection burst", test_connection_burst),
            ("graceful shutdown", test_graceful_shutdown),
            ("udp", test_udp),
            ("tls", lambda: test_tls(certs)),
            ("tls handshake timeout", lambda: test_tls_handshake_timeout(certs)),
        ]
        for name, case in cases:
            t0 = time.monotonic()
            case()
            print(f"ok {name} ({time.monotonic() - t0:.2f} s)", flush=True)
    print("weft echo: all cases passed")


if __name__ == "__main__":
    main()
