#!/usr/bin/env python3
"""serve_python.py BUILD_DIR - `weft serve` against Python's clients.

  - requests: GET, a multipart/byteranges answer parsed by the email package,
    conditional requests through a Session (one kept-alive connection);
  - the listing parsed as HTML: hostile names link to their files;
  - http.client: HEAD, path-escape attempts sent as they are (.., %2e%2e,
    %2f, NUL, symlinks out of the root), 400/403/404 and nothing leaked;
  - a large sparse file streamed whole without the server's RSS growing;
  - --workers 2: two listening sockets on one port (SO_REUSEPORT), parallel
    clients all answered;
  - TLS (--tls-cert/--tls-key): curl --cacert and Python's ssl verify it,
    a file bigger than any buffer arrives intact (the read/write path);
  - clients leaving mid-download (FIN or RST) do not kill the server;
  - SIGTERM during a download: the download completes, the server exits 0;
  - the server's fd count is back where it started after each part.
Only the PIDs started here are signalled; every wait is bounded.
"""
import email.parser
import hashlib
import html.parser
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

import requests

BUILD = sys.argv[1]
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEFT = os.path.join(BUILD, "weft")


def scale():
    """WEFT_TEST_SCALE of this build (8 under the sanitizers)."""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("WEFT_TEST_SCALE:"):
                    return max(1, int(line.split("=", 1)[1]))
    except OSError:
        pass
    return 1


class Server:
    BANNER = re.compile(rb"^Serving HTTPS? on 127\.0\.0\.1 port (\d+) \(https?://127\.0\.0\.1:\1/\) \.\.\.$")

    def __init__(self, root, *args):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [WEFT, "serve", root, "--bind", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.log)
        line = b""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = self.BANNER.match(line.rstrip(b"\n"))
            if m:
                self.port = int(m.group(1))
                return
        self.stop(check=False)
        raise AssertionError("weft serve did not start: %r" % line)

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def wait_fds(self, want):
        n = None
        for _ in range(500):
            n = self.fds()
            if n <= want:
                return
            time.sleep(0.01)
        raise AssertionError("server holds %d fds, expected %d" % (n, want))

    def rss(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def stop(self, check=True):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        if check and rc != 0:
            self.log.seek(0)
            raise AssertionError("weft serve exited %d: %s" % (rc, self.log.read()[-2000:]))

    def url(self, path, scheme="http", host="127.0.0.1"):
        return "%s://%s:%d%s" % (scheme, host, self.port, path)


def make_tree(tmp):
    root = os.path.join(tmp, "root")
    outside = os.path.join(tmp, "outside")
    os.makedirs(os.path.join(root, "dir"))
    os.makedirs(outside)
    with open(os.path.join(root, "hello.txt"), "wb") as f:
        f.write(b"Hello, world\n")
    with open(os.path.join(root, "data.bin"), "wb") as f:
        f.write(bytes(i % 251 for i in range(100000)))
    with open(os.path.join(outside, "secret"), "wb") as f:
        f.write(b"TOP SECRET\n")
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.truncate(64 << 20)
    os.symlink("../outside/secret", os.path.join(root, "rel-out"))
    os.symlink(os.path.join(outside, "secret"), os.path.join(root, "abs-out"))
    os.symlink(outside, os.path.join(root, "dir-out"))
    return root


def test_requests(srv, root):
    with open(os.path.join(root, "data.bin"), "rb") as f:
        data = f.read()
    s = requests.Session()
    r = s.get(srv.url("/data.bin"), timeout=20)
    assert r.status_code == 200 and r.content == data
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]

    r = s.get(srv.url("/data.bin"), headers={"Range": "bytes=0-99, 5000-5099, -100"}, timeout=20)
    assert r.status_code == 206, r.status_code
    ctype = r.headers["Content-Type"]
    assert ctype.startswith("multipart/byteranges; boundary="), ctype
    assert int(r.headers["Content-Length"]) == len(r.content)
    msg = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + r.content)
    assert msg.is_multipart()
    parts = msg.get_payload()
    want = [(0, 99), (5000, 5099), (99900, 99999)]
    assert len(parts) == 3, len(parts)
    for part, (a, b) in zip(parts, want):
        assert part["Content-Range"] == "bytes %d-%d/100000" % (a, b), part["Content-Range"]
        assert part["Content-Type"] == "application/octet-stream"
        assert part.get_payload(decode=True) == data[a:b + 1]

    r = s.get(srv.url("/data.bin"), headers={"If-None-Match": etag}, timeout=20)
    assert r.status_code == 304 and r.content == b"" and r.headers["ETag"] == etag
    r = s.get(srv.url("/data.bin"), headers={"If-Modified-Since": lm}, timeout=20)
    assert r.status_code == 304
    r = s.get(srv.url("/data.bin"), headers={"Range": "bytes=10-19", "If-Range": etag}, timeout=20)
    assert r.status_code == 206 and r.content == data[10:20]
    r = s.get(srv.url("/data.bin"), headers={"Range": "bytes=10-19", "If-Range": '"old"'},
              timeout=20)
    assert r.status_code == 200 and r.content == data
    r = s.get(srv.url("/data.bin"), headers={"Range": "bytes=200000-"}, timeout=20)
    assert r.status_code == 416 and r.headers["Content-Range"] == "bytes */100000"
    r = s.get(srv.url("/dir"), timeout=20)  # redirect followed
    assert r.status_code == 200 and r.url == srv.url("/dir/"), r.url
    assert [h.status_code for h in r.history] == [301]
    s.close()


class Links(html.parser.HTMLParser):
    """The hrefs and texts of a page's links, and whether tags balance."""

    def __init__(self):
        super().__init__()
        self.links, self.stack, self.href, self.text = [], [], None, ""

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "br", "link"):
            self.stack.append(tag)
        if tag == "a":
            self.href, self.text = dict(attrs)["href"], ""

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()
        if tag == "a":
            self.links.append((self.href, self.text))

    def handle_data(self, data):
        if self.href is not None:
            self.text += data


def test_listing(srv, root):
    """Hostile names round-trip: the listing's links, parsed as a browser
    would, fetch the very files, and the page's tags balance."""
    names = ["<i>bold<i>.txt", "a&b\"c'.txt", "a:b.txt", "q?x#y.txt", "sp ace.txt",
             "caf\u00e9.txt", "100%.txt"]
    d = os.path.join(root, "hostile")
    os.makedirs(d)
    for i, n in enumerate(names):
        with open(os.path.join(d, n), "w") as f:
            f.write(str(i))
    r = requests.get(srv.url("/hostile/"), timeout=20)
    assert r.status_code == 200 and r.encoding.lower() == "utf-8"
    p = Links()
    p.feed(r.text)
    p.close()
    assert p.stack == [], p.stack
    got = {text: href for href, text in p.links}
    assert got["../"] == "../"
    for i, n in enumerate(names):
        assert n in got, (n, sorted(got))
        f = requests.get(srv.url("/hostile/") + got[n], timeout=20)
        assert f.status_code == 200 and f.text == str(i), (n, got[n], f.status_code)


def test_http_client(srv):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    c.request("HEAD", "/hello.txt")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b""
    assert r.getheader("Content-Length") == "13"
    assert r.getheader("Content-Type") == "text/plain; charset=utf-8"
    # The same connection answers the next request (keep-alive).
    c.request("GET", "/hello.txt")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"Hello, world\n"
    attempts = {
        "/../outside/secret": 403,
        "/dir/../../outside/secret": 403,
        "/%2e%2e/outside/secret": 403,
        "/%2E%2e/%2e%2E/%2e%2e/etc/passwd": 403,
        "/..%2foutside%2fsecret": 404,
        "/dir/..%2F..%2Foutside%2Fsecret": 404,
        "/hello.txt%00": 400,
        "/%00/../outside/secret": 400,
        "/rel-out": 403,
        "/abs-out": 403,
        "/dir-out/secret": 403,
        "/dir-out/": 403,
        "/%252e%252e/outside/secret": 404,  # decoded once: a name "%2e%2e"
    }
    for path, want in attempts.items():
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        assert r.status == want, (path, r.status, want)
        assert b"SECRET" not in body, path
        if r.getheader("Connection", "").lower() == "close":
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    c.close()


def test_abandoned_downloads(srv):
    """Clients that leave mid-body (FIN with unread data, or RST): the
    server's next sendfile meets EPIPE / ECONNRESET and must survive it."""
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    assert srv.proc.poll() is None, "weft serve died: exit %r" % srv.proc.returncode
    r = requests.get(srv.url("/hello.txt"), timeout=20)
    assert r.content == b"Hello, world\n"


def test_large_file(tmp):
    root = os.path.join(tmp, "big")
    os.makedirs(root)
    size = (1 << 30) // scale()
    path = os.path.join(root, "sparse.bin")
    with open(path, "wb") as f:
        f.truncate(size)
    with open(path, "r+b") as f:  # a few marks to check the bytes arrive in place
        for off in (0, size // 2, size - 7):
            f.seek(off)
            f.write(b"weft!!!")
    srv = Server(root, "--quiet")
    try:
        fds0 = srv.fds()
        requests.get(srv.url("/sparse.bin"), headers={"Range": "bytes=0-0"}, timeout=20)
        rss0 = srv.rss()
        with requests.get(srv.url("/sparse.bin"), stream=True, timeout=60) as r:
            assert r.status_code == 200 and int(r.headers["Content-Length"]) == size
            got = 0
            marks = 0
            for chunk in r.iter_content(1 << 20):
                i = chunk.find(b"weft!!!")
                while i >= 0:
                    marks += 1
                    i = chunk.find(b"weft!!!", i + 1)
                got += len(chunk)
                if got >= size // 2:
                    peak = srv.rss()
        assert got == size, got
        assert marks == 3, marks
        grew = max(peak, srv.rss()) - rss0
        print("large file: %d MiB sent, server RSS grew %d KiB" % (size >> 20, grew >> 10))
        assert grew < 16 << 20, grew  # never the file in memory
        srv.wait_fds(fds0)
    finally:
        srv.stop()


def listening_sockets(port):
    n = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
                        n += 1
        except OSError:
            pass
    return n


def test_workers(root):
    srv = Server(root, "--workers", "2", "--quiet")
    try:
        assert listening_sockets(srv.port) == 2, listening_sockets(srv.port)
        assert len(os.listdir("/proc/%d/task" % srv.proc.pid)) >= 2
        errors = []

        def client():
            try:
                s = requests.Session()
                for _ in range(20):
                    r = s.get(srv.url("/hello.txt"), timeout=20)
                    if r.content != b"Hello, world\n":
                        errors.append(r.status_code)
                s.close()
            except Exception as e:  # noqa: BLE001 - report whatever broke
                errors.append(e)

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
    finally:
        srv.stop()


def test_tls(tmp, root):
    certs = os.path.join(tmp, "certs")
    subprocess.run(["bash", os.path.join(SRC, "tests/lib/mkcerts.sh"), certs], check=True,
                   timeout=60)
    big = os.path.join(root, "random.bin")
    with open(big, "wb") as f:
        f.write(os.urandom((8 << 20) // scale()))
    with open(big, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    srv = Server(root, "--tls-cert", os.path.join(certs, "server-chain.pem"),
                 "--tls-key", os.path.join(certs, "server.key"), "--quiet")
    try:
        fds0 = srv.fds()
        out = subprocess.run(["curl", "-sS", "--cacert", os.path.join(certs, "ca.pem"),
                              srv.url("/hello.txt", "https", "localhost")],
                             capture_output=True, timeout=20)
        assert out.returncode == 0 and out.stdout == b"Hello, world\n", out
        out = subprocess.run(["curl", "-sS", "-r", "0-4", "--cacert",
                              os.path.join(certs, "ca.pem"),
                              srv.url("/hello.txt", "https", "localhost")],
                             capture_output=True, timeout=20)
        assert out.stdout == b"Hello", out
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        c = http.client.HTTPSConnection("localhost", srv.port, context=ctx, timeout=30)
        c.request("GET", "/random.bin")
        r = c.getresponse()
        assert r.status == 200
        assert hashlib.sha256(r.read()).hexdigest() == digest
        c.close()
        # Not trusting the CA: refused.
        out = subprocess.run(["curl", "-sS", srv.url("/hello.txt", "https", "localhost")],
                             capture_output=True, timeout=20)
        assert out.returncode != 0
        srv.wait_fds(fds0)
    finally:
        srv.stop()
        os.unlink(big)


def test_graceful_stop(tmp):
    root = os.path.join(tmp, "stop")
    os.makedirs(root)
    size = (16 << 20) // scale()
    with open(os.path.join(root, "f.bin"), "wb") as f:
        f.truncate(size)
    srv = Server(root, "--quiet")
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    sock.sendall(b"GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    first = sock.recv(4096)
    assert first.startswith(b"HTTP/1.1 200"), first[:50]
    srv.proc.send_signal(signal.SIGTERM)  # mid-download
    got = len(first.split(b"\r\n\r\n", 1)[1])
    while True:
        b = sock.recv(1 << 20)
        if not b:
            break
        got += len(b)
    sock.close()
    assert got == size, (got, size)
    rc = srv.proc.wait(timeout=30)
    srv.proc.stdout.close()
    assert rc == 0, rc


def main():
    tmp = tempfile.mkdtemp(prefix="weft-serve-py-")
    try:
        root = make_tree(tmp)
        srv = Server(root)
        try:
            fds0 = srv.fds()
            test_requests(srv, root)
            test_listing(srv, root)
            test_http_client(srv)
            test_abandoned_downloads(srv)
            srv.wait_fds(fds0)
        finally:
            srv.stop()
        test_large_file(tmp)
        test_workers(root)
        test_tls(tmp, root)
        test_graceful_stop(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
