#!/usr/bin/env bash
# examples/get_stream: a 1 MB body read in chunks of at most 4096 bytes as it
# arrives, all of it counted.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
out=$(timeout 20 "$1/examples/get_stream" "$base/big?n=1048576")
head -5 <<<"$out"
[ "$(echo "$out" | sed -n 1p)" = "200: OK" ]
grep -q '^Content-Length: 1048576$' <<<"$out"
[ "$(echo "$out" | tail -1)" = "total 1048576" ]
[ -z "$(echo "$out" | grep '^chunk ' | awk '$2 > 4096')" ]
[ "$(echo "$out" | grep -c '^chunk ')" -ge 256 ]
echo ok
