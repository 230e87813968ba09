#!/usr/bin/env bash
# Runs every fuzz target of the module, one after another, for FUZZTIME each
# (default 5m), on top of its committed seeds (testdata/fuzz/FuzzX/).
#
#   scripts/fuzz.sh                    # all targets, 5 minutes each
#   FUZZTIME=1h scripts/fuzz.sh httpapi  # targets whose "dir FuzzName" matches the regexp
#
# A target that fails leaves its crasher in <dir>/testdata/fuzz/<FuzzName>/:
# fix the code and commit the file with the fix, as a seed. The script runs
# the remaining targets and exits 1 if any failed. .ci/run calls it with
# FUZZTIME=10s.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-5m}"
pattern="${1:-.}"
targets=$(grep -rlE '^func Fuzz' --include='*_test.go' . | sort | while read -r f; do
	dir=$(dirname "$f")
	grep -oE '^func Fuzz[A-Za-z0-9_]+' "$f" | sed "s|^func |$dir |"
done | grep -E -- "$pattern" || true)
if [ -z "$targets" ]; then
	echo "no fuzz target matches $pattern" >&2
	exit 1
fi

failed=()
while read -r dir name; do
	echo "== $dir $name ($fuzztime)"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir"; then
		failed+=("$dir $name")
	fi
done <<<"$targets"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz target failed (crasher in its testdata/fuzz/): %s\n' "${failed[@]}" >&2
	exit 1
fi
