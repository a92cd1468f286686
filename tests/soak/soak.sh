#!/usr/bin/env bash
# soak.sh: a long run of `inotifywait -m -r' under a random workload.
#
# Usage: soak.sh [MINUTES]          (default 5; not part of make check)
#
# For MINUTES, one process creates, writes, renames and deletes files and
# creates, renames, deletes and moves directories out of and back into the
# watched tree, at random, while inotifywait -m -r reports every event.
# Directory names come from a small set and renames never deepen the tree,
# so the tree stays bounded and the run measures steady state.  Afterwards:
#   - the inotify watches the tool holds equal the directories that exist;
#   - every path the tool reported exists or existed under the tree;
#   - the tool's RSS at the end is not above its RSS after the warm-up
#     (the first tenth of the run, at least 10 s) by more than 10 %.
# It prints the figures and exits non-zero when a check fails.
#
# Environment: INOTIFYWAIT (default: src/inotifywait of this tree),
# SOAK_KEEP=1 keeps the temporary directory.
set -euo pipefail

minutes=${1:-5}
case $minutes in
'' | *[!0-9.]*)
	echo "usage: soak.sh [MINUTES]" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")" && pwd)
tool=${INOTIFYWAIT:-$here/../../src/inotifywait}
secs=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
warm=$((secs / 10))
[ "$warm" -lt 10 ] && warm=10
tmp=$(mktemp -d)
w=$tmp/w
outside=$tmp/outside
tpid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$tpid" ]; then
		kill "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
	fi
	if [ "${SOAK_KEEP:-0}" = 1 ]; then
		echo "soak: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
mkdir "$w" "$outside"

log=$tmp/existed # every path that existed under $w, one a line
dnames=(d0 d1 d2 d3)
fnames=(f0 f1 f2 f3 f4)

# The initial tree: a few directories with files.
for a in d0 d1; do
	for b in d0 d1; do
		mkdir -p "$w/$a/$b"
		: >"$w/$a/$b/f0"
	done
done
find "$w" >"$log"

timeout -k 5 $((secs + 600)) "$tool" -m -r --format '%e|%w%f' "$w" \
	>"$tmp/out" 2>"$tmp/err" &
tpid=$!
for _ in $(seq 400); do
	grep -q 'Watches established.' "$tmp/err" && break
	sleep 0.05
done
grep -q 'Watches established.' "$tmp/err" || {
	echo "soak: inotifywait never got ready" >&2
	cat "$tmp/err" >&2
	exit 1
}

# The inotifywait process itself (timeout's child).
tool_pid() {
	local c
	read -r c <"/proc/$tpid/task/$tpid/children" || true
	echo "${c%% *}"
}
ipid=$(tool_pid)
[ -n "$ipid" ] || {
	echo "soak: cannot find the inotifywait process" >&2
	exit 1
}
rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$ipid/status"
}

# count_watches: inotify watches held by the tool (from the kernel's view).
count_watches() {
	local f n total=0
	for f in /proc/"$ipid"/fdinfo/*; do
		n=$(grep -c '^inotify wd:' "$f" 2>/dev/null) || true
		total=$((total + ${n:-0}))
	done
	echo "$total"
}

# rand_dir [MAXDEPTH]: a random directory path relative to $w ("" = $w).
rand_dir() {
	local depth=$((RANDOM % (${1:-3} + 1))) p='' i
	for ((i = 0; i < depth; i++)); do
		p=$p${p:+/}${dnames[RANDOM % ${#dnames[@]}]}
	done
	echo "$p"
}
depth_of() {
	local s=${1//[!\/]/}
	if [ -z "$1" ]; then echo 0; else echo $((${#s} + 1)); fi
}
full() {
	echo "$w${1:+/}$1"
}

ops=0
start=$SECONDS
rss_warm=
while [ $((SECONDS - start)) -lt "$secs" ]; do
	if [ -z "$rss_warm" ] && [ $((SECONDS - start)) -ge "$warm" ]; then
		rss_warm=$(rss)
	fi
	ops=$((ops + 1))
	d=$(rand_dir)
	D=$(full "$d")
	[ -d "$D" ] || {
		# Create what is missing of it, one level.
		p=${d%/*}
		[ "$p" = "$d" ] && p=
		if [ -d "$(full "$p")" ]; then
			mkdir "$D" 2>/dev/null && echo "$D" >>"$log"
		fi
		continue
	}
	f=$D/${fnames[RANDOM % ${#fnames[@]}]}
	case $((RANDOM % 20)) in
	0 | 1 | 2 | 3 | 4)
		: >"$f"
		echo "$f" >>"$log"
		;;
	5 | 6 | 7)
		[ -f "$f" ] && echo x >>"$f"
		;;
	8 | 9 | 10)
		rm -f "$f"
		;;
	11 | 12)
		[ "$(depth_of "$d")" -lt 3 ] || continue
		n=$D/${dnames[RANDOM % ${#dnames[@]}]}
		mkdir "$n" 2>/dev/null && echo "$n" >>"$log"
		;;
	13 | 14)
		# Rename a file, maybe into another directory.
		[ -f "$f" ] || continue
		t=$(rand_dir)
		[ -d "$(full "$t")" ] || continue
		t=$(full "$t")/${fnames[RANDOM % ${#fnames[@]}]}
		[ -d "$t" ] || [ "$t" = "$f" ] && continue
		mv -f "$f" "$t" && echo "$t" >>"$log"
		;;
	15 | 16)
		# Rename a directory, never deeper than it is.
		[ -n "$d" ] || continue
		t=$(rand_dir "$(depth_of "$d")")
		[ -n "$t" ] || continue
		case "$t/" in "$d"/*) continue ;; esac
		p=${t%/*}
		[ "$p" = "$t" ] && p=
		[ -d "$(full "$p")" ] || continue
		[ -e "$(full "$t")" ] && continue
		mv "$D" "$(full "$t")" && find "$(full "$t")" >>"$log"
		;;
	17)
		# Move a directory out of the tree, and one back in.
		if [ -n "$d" ] && [ ! -e "$outside/m$ops" ]; then
			mv "$D" "$outside/m$ops"
		fi
		for m in "$outside"/m*; do
			[ -d "$m" ] || break
			t=$(rand_dir 2)
			[ -n "$t" ] || break
			[ -e "$(full "$t")" ] && break
			p=${t%/*}
			[ "$p" = "$t" ] && p=
			[ -d "$(full "$p")" ] || break
			mv "$m" "$(full "$t")" && find "$(full "$t")" >>"$log"
			break
		done
		;;
	18)
		[ "$(depth_of "$d")" -ge 2 ] && rm -rf "$D"
		;;
	19)
		rm -rf "$outside"/m*
		;;
	esac
done
[ -n "$rss_warm" ] || rss_warm=$(rss)

# Let the tool drain its queue: wait (up to 5 minutes) for a sentinel's event.
: >"$w/sentinel"
for _ in $(seq 6000); do
	grep -qxF "CREATE|$w/sentinel" "$tmp/out" && break
	sleep 0.05
done
if ! grep -qxF "CREATE|$w/sentinel" "$tmp/out"; then
	echo "soak: the tool never reported the final sentinel" >&2
	echo "soak: $ops operations, $(wc -l <"$tmp/out") events, $(grep -c 'Q_OVERFLOW' "$tmp/out") Q_OVERFLOW" >&2
	tail "$tmp/err" >&2
	exit 1
fi
echo "$w/sentinel" >>"$log"
rss_end=$(rss)
watches=$(count_watches)
dirs=$(find "$w" -type d | wc -l)
kill "$tpid"
wait "$tpid" 2>/dev/null || true
tpid=

events=$(wc -l <"$tmp/out")
# Event paths: strip a directory's trailing slash; count those that never
# existed under the tree.
never=$(awk -F'|' -v w="$w" '
	NR == FNR { seen[$0] = 1; next }
	{
		if ($1 == "Q_OVERFLOW") next
		p = substr($0, index($0, "|") + 1)
		sub(/\/$/, "", p)
		if (!(p in seen)) { n++; if (n <= 10) print "soak: never existed: " $0 > "/dev/stderr" }
	}
	END { print n + 0 }' "$log" "$tmp/out")
overflows=$(grep -c 'Q_OVERFLOW' "$tmp/out") || true

echo "soak: $minutes min, $ops operations, $events events ($overflows Q_OVERFLOW)"
echo "soak: directories at end $dirs, inotify watches held $watches"
echo "soak: RSS after warm-up ${rss_warm} kB, at end ${rss_end} kB"
echo "soak: event paths that never existed: $never"
if [ -s "$tmp/err" ]; then
	echo "soak: stderr of the tool:"
	sed 's/^/  /' "$tmp/err" | head -20
fi

fail=0
if [ "$watches" -ne "$dirs" ]; then
	echo "soak: FAIL: $watches watches for $dirs directories" >&2
	fail=1
fi
if [ "$never" -ne 0 ]; then
	echo "soak: FAIL: $never event paths never existed" >&2
	fail=1
fi
if [ "$rss_end" -gt $((rss_warm + rss_warm / 10)) ]; then
	echo "soak: FAIL: RSS grew from $rss_warm kB to $rss_end kB" >&2
	fail=1
fi
[ "$fail" -eq 0 ] && echo "soak: PASS"
exit "$fail"
