#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 5m), on
# top of its committed seeds (testdata/fuzz/FuzzX/).
#
#   scripts/fuzz.sh                      # all targets, 5 minutes each, one after another
#   FUZZTIME=1h scripts/fuzz.sh httpapi  # targets whose "dir FuzzName" matches the regexp
#   FUZZJOBS=2 FUZZPARALLEL=1 ...        # two targets at once, one fuzzing worker each
#
# A target that fails leaves its crasher in <dir>/testdata/fuzz/<FuzzName>/:
# fix the code and commit the file with the fix, as a seed. The script runs
# the remaining targets and exits 1 if any failed. .ci/run calls it with
# FUZZTIME=5s FUZZJOBS=2 FUZZPARALLEL=1.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-5m}"
jobs="${FUZZJOBS:-1}"
parallel="${FUZZPARALLEL:-}"
pattern="${1:-.}"
targets=$(grep -rlE '^func Fuzz' --include='*_test.go' . | sort | while read -r f; do
	dir=$(dirname "$f")
	grep -oE '^func Fuzz[A-Za-z0-9_]+' "$f" | sed "s|^func |$dir |"
done | grep -E -- "$pattern" || true)
if [ -z "$targets" ]; then
	echo "no fuzz target matches $pattern" >&2
	exit 1
fi
# Each package's first target, then each one's second, ...: targets running
# at the same time are of different packages, and later ones find their
# package's instrumented build done.
targets=$(awk '{n[$1]++; print n[$1], $0}' <<<"$targets" | sort -s -n -k1,1 | cut -d' ' -f2-)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fuzz() { # dir name: fuzz one target, then print its summary at once
	local out="$tmp/$2.log" status=ok corpus="$1/testdata/fuzz/$2" before
	before=$(ls "$corpus" 2>/dev/null || true)
	go test -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" -timeout 0 ${parallel:+-parallel "$parallel"} "$1" >"$out" 2>&1 || status=FAIL
	# Go 1.26's coordinator can fail a target with "context deadline
	# exceeded" as -fuzztime ends (golang/go#75804, fixed in Go 1.27): that
	# writes no crasher and is no finding.
	if [ "$status" = FAIL ] && [ "$(ls "$corpus" 2>/dev/null || true)" = "$before" ] &&
		grep -aq '^    context deadline exceeded$' "$out"; then
		status="ok (no crasher; Go's end-of-fuzztime race, golang/go#75804)"
	fi
	{
		echo "== $1 $2 ($fuzztime): $status"
		grep -a '^fuzz: elapsed' "$out" | tail -n 1 || true
		grep -av '^fuzz: elapsed' "$out" || true
	} >"$out.done"
	cat "$out.done"
	[ "${status%% *}" = ok ] || echo "$1 $2" >>"$tmp/failed"
}
running=0
while read -r dir name; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	fuzz "$dir" "$name" &
	running=$((running + 1))
done <<<"$targets"
wait
if [ -s "$tmp/failed" ]; then
	echo "fuzz targets failed (crashers in their testdata/fuzz/):" >&2
	cat "$tmp/failed" >&2
	exit 1
fi
