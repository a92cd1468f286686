#!/usr/bin/env bash
# newdir-race.sh: run the new-directory race TRIALS times under
# `inotifywait -m -r` and report how many files were missed (must be 0).
# Usage: newdir-race.sh [TRIALS]     (default 1000; make check uses fewer)
set -euo pipefail

trials=${1:-${IT_RACE_TRIALS:-1000}}
here=$(cd "$(dirname "$0")" && pwd)
tool=${INOTIFYWAIT:-$here/../../src/inotifywait}
burst=${IT_BURST:-$here/burst}
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/w"
timeout 300 "$tool" -m -r -e create --format '%w%f' "$tmp/w" \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 200); do
	grep -q 'Watches established.' "$tmp/err" && break
	sleep 0.05
done
grep -q 'Watches established.' "$tmp/err" || {
	echo "newdir-race: inotifywait never got ready" >&2
	cat "$tmp/err" >&2
	exit 1
}

"$burst" "$tmp/w" "$trials"
# Wait until the last trial's file is reported (or give up after 60 s).
last="$tmp/w/t$((trials - 1))/b/c/f"
for _ in $(seq 600); do
	grep -qxF "$last" "$tmp/out" && break
	sleep 0.1
done
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=

missed=0
for ((i = 0; i < trials; i++)); do
	for p in "t$i" "t$i/b" "t$i/b/c" "t$i/b/c/f"; do
		grep -qxF "$tmp/w/$p" "$tmp/out" || missed=$((missed + 1))
	done
done
echo "newdir-race: $trials trials, $((trials * 4)) paths, $missed missed"
if grep -q 'overflow' "$tmp/err"; then
	echo "newdir-race: the kernel queue overflowed; raise max_queued_events" >&2
	exit 1
fi
[ "$missed" -eq 0 ]
