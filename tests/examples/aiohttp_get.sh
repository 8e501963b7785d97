#!/usr/bin/env bash
# examples/aiohttp_get: status, headers, then the chunked body as it comes,
# in reads of at most the chunk size.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
out=$(timeout 20 "$1/examples/aiohttp_get" "$base/chunked" 7)
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "200: OK" ]
grep -q '^Transfer-Encoding: chunked$' <<<"$out"
[ "$(echo "$out" | sed -n '/^Trailer/,$p' | tail -n +2 | tr -d '\n')" = "hello chunked world" ]
echo ok
