#!/usr/bin/env bash
# examples/fetch_many: ten URLs that each take 300 ms, fetched at once over
# one session: results in order, well under the 3 s they would take in turn.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
urls=()
for i in $(seq 10); do urls+=("$base/delay?ms=300&i=$i"); done
out=$(timeout 20 "$1/examples/fetch_many" "${urls[@]}")
echo "$out"
for i in $(seq 10); do
    [ "$(echo "$out" | sed -n "${i}p")" = "200 4 $base/delay?ms=300&i=$i" ]
done
t=$(echo "$out" | tail -1 | awk '{print $2}')
awk -v t="$t" 'BEGIN { exit !(t < 1.5) }' || { echo "not concurrent: $t s"; exit 1; }
echo ok
