#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 5s).
# The seed corpora live in each package's testdata/fuzz/ directory.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	grep -lE '^func Fuzz[A-Za-z0-9_]*\(' "$dir"/*_test.go >/dev/null 2>&1 || continue
	for target in $(grep -hoE '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //' | sort -u); do
		echo "fuzz $pkg $target ($fuzztime)"
		ok=0
		for attempt in 1 2; do
			if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
				ok=1
				break
			fi
			# The fuzzing engine sometimes reports its own deadline as a
			# failure ("context deadline exceeded") when -fuzztime ends
			# while a worker is busy; no input failed then, so try again.
			# A real finding says "Failing input written".
			if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
				break
			fi
			echo "fuzz $pkg $target: engine deadline flake, retrying"
		done
		if [ $ok = 0 ]; then
			cat "$log"
			status=1
		fi
	done
done
exit $status
