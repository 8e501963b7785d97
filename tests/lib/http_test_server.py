#!/usr/bin/env python3
"""http_test_server.py PORTFILE - a small HTTP/1.1 server for weft's client
tests, on asyncio streams so that every byte it sends is under its control
(malformed answers included). Listens on 127.0.0.1, on a free port that it
writes to PORTFILE once it accepts. Written for these tests; stdlib only.

Routes (GET unless said):
  /hello                 200 "hello"
  /headers               the request head as the body
  /echo                  (any method) the request body; X-Body-SHA256, X-Body-Len
  /cookies/set?k=v&...   Set-Cookie: k=v; Path=/ for each pair
  /cookies/login         Set-Cookie: sid=s3cret; Path=/ then 302 to /cookies/echo
  /cookies/echo          the Cookie header as the body
  /digest?alg=A&user=U&pass=P&realm=R   RFC 7616 Digest (qop=auth), verified
                         here with hashlib; 200 "welcome U" when right
  /delay?ms=N            waits N ms, then 200
  /slowbody?ms=N         the head and half the body, N ms, the other half
  /hold?ms=N             waits N ms, then "live max" connection counts
  /stats                 "conns live max" (connections in all, now, at most)
  /reset                 zero the counters
  /chunked               a chunked body in several chunks, with a trailer
  /close-delimited       HTTP/1.0, no Content-Length, ends by closing
  /redirect?to=URL&code=N  N (302) to URL
  /some/redirect/        301 to /some/other/redirect/, which 301s to /hello
  /big?n=N               N bytes of a repeating pattern, written in pieces
  /coded?c=gzip|deflate[&chunked=1]  /big?n=100000's pattern, compressed
  /bomb                  "gzip, gzip" of 50 MB of zeros (a decompression bomb)
  /bad/status /bad/chunk /bad/truncated /bad/truncated-chunked /bad/close
  /bad/headers /bad/excess /bad/version
"""
import asyncio
import gzip
import hashlib
import os
import secrets
import sys
import urllib.parse
import zlib

state = {"conns": 0, "live": 0, "max": 0}
cache = {}
nonces = set()


def response(status, body=b"", headers=(), reason="OK", version="HTTP/1.1"):
    if isinstance(body, str):
        body = body.encode()
    head = f"{version} {status} {reason}\r\n"
    names = {h[0].lower() for h in headers}
    for k, v in headers:
        head += f"{k}: {v}\r\n"
    if "content-length" not in names and "transfer-encoding" not in names:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


def pattern(n):
    unit = b"0123456789abcdefghijklmnopqrstuvwxyz\n"
    return (unit * (n // len(unit) + 1))[:n]


def digest_check(method, query, headers):
    alg = query.get("alg", ["MD5"])[0]
    user = query.get("user", ["user"])[0]
    pw = query.get("pass", ["pass"])[0]
    realm = query.get("realm", ["weft-test"])[0]
    h = hashlib.sha256 if alg.upper().startswith("SHA-256") else hashlib.md5

    def H(s):
        return h(s.encode()).hexdigest()

    auth = headers.get("authorization", "")
    if auth.startswith("Digest "):
        params = {}
        rest = auth[7:]
        # a small parser for k=v, k="v" lists
        i = 0
        while i < len(rest):
            while i < len(rest) and rest[i] in " ,":
                i += 1
            j = rest.find("=", i)
            if j < 0:
                break
            k = rest[i:j].strip()
            i = j + 1
            if i < len(rest) and rest[i] == '"':
                j = i + 1
                v = ""
                while j < len(rest) and rest[j] != '"':
                    if rest[j] == "\\":
                        j += 1
                    v += rest[j]
                    j += 1
                i = j + 1
            else:
                j = rest.find(",", i)
                j = len(rest) if j < 0 else j
                v = rest[i:j].strip()
                i = j
            params[k] = v
        nonce = params.get("nonce", "")
        if nonce in nonces and params.get("username") == user and params.get("realm") == realm:
            ha1 = H(f"{user}:{realm}:{pw}")
            ha2 = H(f"{method}:{params.get('uri', '')}")
            want = H(f"{ha1}:{nonce}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}")
            if params.get("qop") == "auth" and params.get("response") == want:
                return response(200, f"welcome {user}")
    nonce = secrets.token_hex(16)
    nonces.add(nonce)
    chal = (f'Digest realm="{realm}", qop="auth", algorithm={alg}, nonce="{nonce}", '
            f'opaque="{secrets.token_hex(8)}"')
    return response(401, "who are you?", [("WWW-Authenticate", chal)],
                    reason="Unauthorized")


async def route(method, path, query, headers, head, body, writer):
    """Write the answer; return whether the connection stays open."""
    w = writer.write
    if path == "/hello":
        w(response(200, "hello"))
    elif path == "/headers":
        w(response(200, head))
    elif path == "/echo":
        w(response(200, body, [("X-Body-Len", str(len(body))),
                               ("X-Body-SHA256", hashlib.sha256(body).hexdigest())]))
    elif path == "/cookies/set":
        w(response(200, "set", [("Set-Cookie", f"{k}={v[0]}; Path=/") for k, v in query.items()]))
    elif path == "/cookies/login":
        w(response(302, "", [("Set-Cookie", "sid=s3cret; Path=/; HttpOnly"),
                             ("Location", "/cookies/echo")], reason="Found"))
    elif path == "/cookies/echo":
        w(response(200, headers.get("cookie", "")))
    elif path == "/digest":
        w(digest_check(method, query, headers))
    elif path == "/delay":
        await asyncio.sleep(int(query.get("ms", ["100"])[0]) / 1000)
        w(response(200, "late"))
    elif path == "/slowbody":
        w(response(200, b"", [("Content-Length", "10")]) + b"hello")
        await writer.drain()
        await asyncio.sleep(int(query.get("ms", ["100"])[0]) / 1000)
        w(b"world")
    elif path == "/hold":
        await asyncio.sleep(int(query.get("ms", ["100"])[0]) / 1000)
        w(response(200, f"{state['live']} {state['max']}"))
    elif path == "/stats":
        w(response(200, f"{state['conns']} {state['live']} {state['max']}"))
    elif path == "/reset":
        state.update(conns=1, live=1, max=1)
        w(response(200, "reset"))
    elif path == "/chunked":
        w(response(200, b"", [("Transfer-Encoding", "chunked"), ("Trailer", "X-Done")]))
        for part in (b"hello", b" ", b"chunked", b" world"):
            w(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        w(b"0\r\nX-Done: yes\r\n\r\n")
    elif path == "/close-delimited":
        w(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the very end")
        return False
    elif path == "/redirect":
        code = int(query.get("code", ["302"])[0])
        w(response(code, "", [("Location", query.get("to", ["/hello"])[0])], reason="Moved"))
    elif path == "/some/redirect/":
        w(response(301, "", [("Location", "/some/other/redirect/")], reason="Moved Permanently"))
    elif path == "/some/other/redirect/":
        w(response(301, "", [("Location", "/hello")], reason="Moved Permanently"))
    elif path == "/form":
        w(response(200, b"got " + body, [("X-Content-Type", headers.get("content-type", ""))]))
    elif path == "/big":
        n = int(query.get("n", ["1000000"])[0])
        data = pattern(n)
        w(response(200, b"", [("Content-Length", str(n))]))
        for i in range(0, n, 65536):
            w(data[i:i + 65536])
            await writer.drain()
    elif path == "/coded":
        c = query.get("c", ["gzip"])[0]
        raw = pattern(100000)
        data = gzip.compress(raw) if c == "gzip" else zlib.compress(raw)
        if query.get("chunked"):
            w(response(200, b"", [("Content-Encoding", c), ("Transfer-Encoding", "chunked")]))
            for i in range(0, len(data), 1000):
                part = data[i:i + 1000]
                w(b"%x\r\n%s\r\n" % (len(part), part))
            w(b"0\r\n\r\n")
        else:
            w(response(200, data, [("Content-Encoding", c)]))
    elif path == "/bomb":
        if "bomb" not in cache:
            cache["bomb"] = gzip.compress(gzip.compress(bytes(50_000_000)))
        w(response(200, cache["bomb"], [("Content-Encoding", "gzip, gzip")]))
    elif path == "/bad/status":
        w(b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")
        return False
    elif path == "/bad/version":
        w(b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        return False
    elif path == "/bad/chunk":
        w(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
        return False
    elif path == "/bad/truncated":
        w(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
        return False
    elif path == "/bad/truncated-chunked":
        w(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort")
        return False
    elif path == "/bad/close":
        return False
    elif path == "/bad/headers":
        w(b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 200000 + b"\r\nContent-Length: 0\r\n\r\n")
        return False
    elif path == "/bad/excess":
        w(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more")
    else:
        w(response(404, "no such page", reason="Not Found"))
    return headers.get("connection", "").lower() != "close"


async def read_body(reader, headers):
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            line = await reader.readline()
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                return body
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    return b""


async def handle(reader, writer):
    state["conns"] += 1
    state["live"] += 1
    state["max"] = max(state["max"], state["live"])
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                break
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await read_body(reader, headers)
            path, _, qs = target.partition("?")
            query = urllib.parse.parse_qs(qs)
            keep = await route(method, path, query, headers, head, body, writer)
            await writer.drain()
            if not keep:
                break
    except ConnectionError:
        pass
    finally:
        state["live"] -= 1
        writer.close()


async def main(portfile):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
