#!/usr/bin/env bash
# examples/redirects: the two 301 hops of the seed's history, in order, then
# the final page; a loop stops at the limit with a clear message.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
out=$(timeout 20 "$1/examples/redirects" "$base/some/redirect/")
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "301 $base/some/redirect/" ]
[ "$(echo "$out" | sed -n 2p)" = "301 $base/some/other/redirect/" ]
[ "$(echo "$out" | sed -n 3p)" = "200 $base/hello" ]
set +e
out=$(timeout 20 "$1/examples/redirects" "$base/some/redirect/" --max 1)
rc=$?
set -e
echo "$out"
[ $rc -eq 1 ]
grep -q '^error: stopped after 1 redirects' <<<"$out"
echo ok
