#!/usr/bin/env python3
"""get_server.py - an HTTP/1.1 server for `weft get` tests (and curl, to
compare). Prints "PORT n" once listening on 127.0.0.1; stops on SIGTERM.

  /hello                 200 "hello, weft\\n"
  /echo                  200, a JSON object: method, path, headers, body
  /redirect/N            302 to /redirect/N-1 ... /redirect/0 -> /hello
  /r303                  303 to /echo (a POST becomes a GET)
  /loop                  302 to itself
  /coded/NAME            the text below with Content-Encoding NAME (gzip,
                         deflate, br, zstd) when Accept-Encoding allows it,
                         else identity; /coded/NAME?force sends it regardless
  /bomb                  a gzip bomb (64 MiB of zeros), always gzip
  /setcookie             Set-Cookie: a=1 and b=2 (path /)
  /cookies               200, the Cookie header received
  /basic                 needs Basic user:secret, else 401
  /digest                needs Digest (MD5, qop=auth) user:secret, else 401
  /status/N              status N with a short body
  /big                   4 MiB of bytes 0..255 (Content-Length)
  /binary                a 1 KiB body with NUL bytes
  /truncated             Content-Length 100, 10 bytes, then the connection closes
  /badstatus             a malformed status line
  /slow                  waits 3 s before answering
"""
import base64
import gzip
import hashlib
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import zlib

TEXT = ("".join("line %04d: the quick brown fox jumps over the lazy weft\n" % i
                for i in range(400))).encode()


def encode(name, data):
    if name == "gzip":
        return gzip.compress(data)
    if name == "deflate":
        return zlib.compress(data)
    if name == "br":
        import brotli
        return brotli.compress(data)
    if name == "zstd":
        import zstandard
        return zstandard.ZstdCompressor().compress(data)
    raise ValueError(name)


BOMB = None
NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093"


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self.do_GET()

    def do_PUT(self):
        self.do_GET()

    def do_DELETE(self):
        self.do_GET()

    def do_GET(self):
        global BOMB
        path, _, query = self.path.partition("?")
        if path == "/hello":
            return self.send(200, b"hello, weft\n", [("Content-Type", "text/plain")])
        if path == "/echo":
            out = {"method": self.command, "path": self.path,
                   "headers": [[k, v] for k, v in self.headers.items()],
                   "body": self.body().decode("latin-1")}
            return self.send(200, json.dumps(out).encode(), [("Content-Type", "application/json")])
        if path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            to = "/hello" if n <= 0 else "/redirect/%d" % (n - 1)
            return self.send(302, b"", [("Location", to)])
        if path == "/r303":
            self.body()
            return self.send(303, b"", [("Location", "/echo")])
        if path == "/loop":
            return self.send(302, b"", [("Location", "/loop")])
        if path.startswith("/coded/"):
            name = path.split("/")[2]
            ae = self.headers.get("Accept-Encoding") or ""
            if query == "force" or name in [x.split(";")[0].strip() for x in ae.split(",")]:
                return self.send(200, encode(name, TEXT), [("Content-Encoding", name),
                                                           ("Vary", "Accept-Encoding")])
            return self.send(200, TEXT)
        if path == "/bomb":
            if BOMB is None:
                BOMB = gzip.compress(bytes(64 << 20), 9)
            return self.send(200, BOMB, [("Content-Encoding", "gzip")])
        if path == "/setcookie":
            self.send_response(200)
            self.send_header("Set-Cookie", "a=1; Path=/")
            self.send_header("Set-Cookie", "b=2; Path=/; Max-Age=3600")
            self.send_header("Content-Length", "3")
            self.end_headers()
            return self.wfile.write(b"ok\n")
        if path == "/cookies":
            return self.send(200, (self.headers.get("Cookie") or "").encode())
        if path == "/basic":
            want = "Basic " + base64.b64encode(b"user:secret").decode()
            if self.headers.get("Authorization") == want:
                return self.send(200, b"basic ok\n")
            return self.send(401, b"no\n", [("WWW-Authenticate", 'Basic realm="weft"')])
        if path == "/digest":
            return self.digest()
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            return self.send(code, b"status %d\n" % code)
        if path == "/big":
            return self.send(200, bytes(range(256)) * (16 << 10))
        if path == "/binary":
            return self.send(200, b"\0\1\2binary\0" * 100)
        if path == "/truncated":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            self.wfile.flush()
            self.close_connection = True
            return
        if path == "/badstatus":
            self.wfile.write(b"HTTP/1.1 2x0 What\r\nContent-Length: 0\r\n\r\n")
            self.close_connection = True
            return
        if path == "/slow":
            time.sleep(3)
            return self.send(200, b"slow\n")
        return self.send(404, b"not found\n")

    def digest(self):
        auth = self.headers.get("Authorization") or ""
        realm = "weft@test"
        if auth.startswith("Digest "):
            f = {}
            for part in auth[7:].split(","):
                k, _, v = part.strip().partition("=")
                f[k] = v.strip('"')
            ha1 = hashlib.md5(("user:%s:secret" % realm).encode()).hexdigest()
            ha2 = hashlib.md5(("%s:%s" % (self.command, f.get("uri", ""))).encode()).hexdigest()
            want = hashlib.md5(("%s:%s:%s:%s:%s:%s" % (ha1, NONCE, f.get("nc"), f.get("cnonce"),
                                                        "auth", ha2)).encode()).hexdigest()
            if f.get("username") == "user" and f.get("response") == want:
                return self.send(200, b"digest ok\n")
        return self.send(401, b"no\n", [("WWW-Authenticate",
                                         'Digest realm="%s", qop="auth", nonce="%s", '
                                         'algorithm=MD5' % (realm, NONCE))])


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    tls = None
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        tls = (sys.argv[2], sys.argv[3])
    srv = Server(("127.0.0.1", 0), H)
    if tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("PORT %d" % srv.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
