#!/usr/bin/env bash
# examples/digest_auth against Digest checked by the Python server (hashlib):
# the first request answers a challenge, the second goes straight in; a wrong
# password ends at the 401.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
for alg in MD5 SHA-256; do
    out=$(timeout 20 "$1/examples/digest_auth" "$base/digest?alg=$alg&user=phoe6&pass=pw" phoe6 pw)
    echo "$out"
    [ "$(echo "$out" | sed -n 1p)" = "200 OK (after 1 challenge): welcome phoe6" ]
    [ "$(echo "$out" | sed -n 2p)" = "200 OK (after 0 challenges): welcome phoe6" ]
done
out=$(timeout 20 "$1/examples/digest_auth" "$base/digest?user=phoe6&pass=pw" phoe6 nope)
head -1 <<<"$out" | grep -q '^401 Unauthorized'
echo ok
