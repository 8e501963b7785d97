#!/usr/bin/env python3
"""count_server.py - an HTTP/1.1 server for load-generator tests that counts
the requests it answered, so a test can check a client's count against the
server's own.

It prints "PORT n" once listening on 127.0.0.1 (port 0 picks one) and, when
it gets SIGTERM or SIGINT, "COUNT n" (requests answered, each counted once)
and exits. Pipelined requests are answered in order, in one write per read.

Behaviours, for testing the client's corners:
  --close-every K    every K-th response says Connection: close and the
                     connection is closed after it; requests pipelined behind
                     it are dropped unanswered and not counted, as RFC 9112 says
  --chunked-every K  every K-th response has a chunked body
  --stall-at K --stall-ms M   hold the K-th response (and what follows it on
                     that connection) for M ms
  --tls CERT KEY     serve HTTPS
Paths: /hang never answers (not counted), /garbage answers a malformed
response (counted), /missing answers 404 (counted), anything else 200.
"""
import argparse
import asyncio
import signal
import ssl
import sys

BODY = b"Hello, World!"
OK = (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\n" + BODY)
OK_CLOSE = (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n" + BODY)
OK_CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n")
MISSING = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
GARBAGE = b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n"


class State:
    count = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--close-every", type=int, default=0)
    ap.add_argument("--chunked-every", type=int, default=0)
    ap.add_argument("--stall-at", type=int, default=0)
    ap.add_argument("--stall-ms", type=int, default=0)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    st = State()

    class Conn(asyncio.Protocol):
        def connection_made(self, transport):
            self.t = transport
            self.buf = b""
            self.closing = False
            self.held = None  # responses held back by a stall

        def data_received(self, data):
            if self.closing:
                return
            self.buf += data
            out = []
            while not self.closing:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head, self.buf = self.buf[:end], self.buf[end + 4:]
                target = head.split(b"\r\n", 1)[0].split(b" ")
                path = target[1] if len(target) > 1 else b"/"
                if path == b"/hang":
                    continue
                st.count += 1
                n = st.count
                if path == b"/garbage":
                    out.append(GARBAGE)
                elif path == b"/missing":
                    out.append(MISSING)
                elif args.close_every and n % args.close_every == 0:
                    out.append(OK_CLOSE)
                    self.closing = True
                elif args.chunked_every and n % args.chunked_every == 0:
                    out.append(OK_CHUNKED)
                else:
                    out.append(OK)
                if args.stall_at and n == args.stall_at:
                    self.held = []
                    asyncio.get_running_loop().call_later(args.stall_ms / 1000, self.release)
            if self.held is not None:
                self.held += out
                return
            if out:
                self.t.write(b"".join(out))
            if self.closing:
                self.t.close()

        def release(self):
            held, self.held = self.held, None
            self.t.write(b"".join(held))
            if self.closing:
                self.t.close()

    async def serve():
        ctx = None
        if args.tls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv = await asyncio.get_running_loop().create_server(
            Conn, "127.0.0.1", args.port, ssl=ctx, backlog=1024)
        print("PORT %d" % srv.sockets[0].getsockname()[1], flush=True)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, done.set)
        await done.wait()
        srv.close()
        print("COUNT %d" % st.count, flush=True)

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
