"""aiohttp_bench.py URL N C - the aiohttp anchor of bench_client: N GETs by C
tasks over one ClientSession (TCPConnector limit C, keep-alive). Prints
"REQS SECONDS ERRORS"."""
import asyncio
import sys
import time

import aiohttp


async def main(url, n, c):
    errors = 0
    left = n

    async def worker(s):
        nonlocal errors, left
        while left > 0:
            left -= 1
            try:
                async with s.get(url) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
            except Exception:
                errors += 1

    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=conn) as s:
        t0 = time.monotonic()
        await asyncio.gather(*(worker(s) for _ in range(c)))
        dt = time.monotonic() - t0
    print(n, f"{dt:.6f}", errors)


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
