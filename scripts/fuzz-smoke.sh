#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD/fuzz for SECONDS each, starting from its
# seed corpus (fuzz/corpus/<target>/) and dictionary (fuzz/<target>.dict or
# fuzz/http.dict). New inputs go to a scratch folder, not the repo. A crash
# fails the run and leaves the reproducer in BUILD/fuzz-artifacts/.
set -eu
build=${1:-build-fuzz}
secs=${2:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/fuzz-artifacts"
status=0
shopt -s nullglob
for t in "$build"/fuzz/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    scratch=$(mktemp -d)
    seeds="$here/fuzz/corpus/$name"
    dict=""
    [ -f "$here/fuzz/$name.dict" ] && dict="-dict=$here/fuzz/$name.dict"
    echo "fuzz: $name for ${secs}s"
    if ! ASAN_OPTIONS=detect_leaks=1 "$t" -max_total_time="$secs" -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="$build/fuzz-artifacts/$name-" \
            $dict "$scratch" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} \
            >"$build/fuzz-artifacts/$name.log" 2>&1; then
        echo "fuzz: $name FAILED; see $build/fuzz-artifacts/$name.log"
        tail -40 "$build/fuzz-artifacts/$name.log"
        status=1
    else
        grep -E '^(Done|#[0-9]+.*DONE)' "$build/fuzz-artifacts/$name.log" | tail -1 || true
    fi
    rm -rf "$scratch"
done
exit $status
