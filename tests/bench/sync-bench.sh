#!/usr/bin/env bash
# sync-bench.sh - change-to-target latency of inotify-rsync.sh under a
# steady stream of changes, side by side with lsyncd when it is installed.
#
# Usage: tests/bench/sync-bench.sh [-r RATE] [-d SECONDS] [-D DELAY]
#                                  [-k local|daemon] [-u] [-t SRCDIR]
#
#   -r RATE     new files per second (default 200)
#   -d SECONDS  how long the stream lasts (default 60)
#   -D DELAY    the daemons' delay in seconds (default 1)
#   -k KIND     target: a local directory or an rsync daemon on 127.0.0.1
#               (default local)
#   -u          with a file in SOURCE that the daemons cannot read (they
#               run as nobody; needs root)
#   -t SRCDIR   the tree's src/ with inotifywait (default: this tree's)
#   -s SCRIPT   the inotify-rsync.sh to measure (default: this tree's)
#
# Each file's latency is the time from just before it is written in SOURCE
# to the moment it appears in the target (rsync's rename into place, seen
# by inotifywait on the target directory).  Prints p50, p95, p99 and max
# per daemon, the rsync runs and the daemon's CPU time (its own and its
# children's, the watcher included).
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
RATE=200
DURATION=60
DELAY=1
KIND=local
UNREADABLE=0
TOOLS=$HERE/../../src
SCRIPT=$HERE/../../scripts/inotify-rsync.sh
while getopts r:d:D:k:ut:s:h opt; do
	case $opt in
	r) RATE=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	D) DELAY=$OPTARG ;;
	k) KIND=$OPTARG ;;
	u) UNREADABLE=1 ;;
	t) TOOLS=$OPTARG ;;
	s) SCRIPT=$OPTARG ;;
	*)
		sed -n '2,22s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	esac
done
IW=$TOOLS/inotifywait
[[ -x $IW ]] || {
	echo "sync-bench: $IW not built" >&2
	exit 1
}
case $KIND in local | daemon) ;; *)
	echo "sync-bench: -k local or -k daemon" >&2
	exit 1
	;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sync-bench.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

AS=()
if ((UNREADABLE)); then
	((EUID == 0)) || {
		echo "sync-bench: -u needs root (the daemons run as nobody)" >&2
		exit 1
	}
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi

# cpu_of PID: REPLY = user+system CPU time of PID and its reaped children,
# in milliseconds.
cpu_of() {
	local line
	local -a f
	read -r line <"/proc/$1/stat"
	read -r -a f <<<"${line##*) }"
	REPLY=$(((f[11] + f[12] + f[13] + f[14]) * 1000 / $(getconf CLK_TCK)))
}

# tree_cpu PID: REPLY = cpu_of PID plus that of its living descendants.
tree_cpu() {
	local total=0 p kids c
	cpu_of "$1"
	total=$REPLY
	for p in /proc/"$1"/task/*/children; do
		read -r -a kids <"$p" 2>/dev/null || continue
		for c in "${kids[@]}"; do
			tree_cpu "$c"
			total=$((total + REPLY))
		done
	done
	REPLY=$total
}

# start_daemon_target: an rsync daemon serving $WORK/module as "mod".
start_daemon_target() {
	local port i
	mkdir -p "$WORK/module"
	chown 65534:65534 "$WORK/module" 2>/dev/null || true
	printf 'use chroot = no\npid file =\n[mod]\n    path = %s\n    read only = no\n    uid = %s\n    gid = %s\n' \
		"$WORK/module" "$(id -u)" "$(id -g)" >"$WORK/rsyncd.conf"
	for ((i = 0; i < 10; i++)); do
		port=$((20000 + RANDOM % 40000))
		rsync --daemon --no-detach --address=127.0.0.1 --port="$port" \
			--config="$WORK/rsyncd.conf" </dev/null >/dev/null 2>&1 &
		PIDS+=($!)
		sleep 0.3
		if rsync --list-only "rsync://127.0.0.1:$port/" >/dev/null 2>&1; then
			DAEMON_PORT=$port
			return 0
		fi
	done
	echo "sync-bench: no rsync daemon" >&2
	exit 1
}

# run_one NAME: one measurement; sets ROW.
run_one() {
	local name=$1 d=$WORK/$1 dst pid wpid i n t0 next now dt sfd
	local -a created=() lat=()
	mkdir -p "$d/src" "$d/dst"
	echo data >"$d/src/seed"
	if ((UNREADABLE)); then
		chown -R 65534:65534 "$d"
		echo secret >"$d/src/unreadable"
		chmod 000 "$d/src/unreadable"
	fi
	if [[ $KIND == local ]]; then
		dst=$d/dst
	else
		mkdir -p "$WORK/module/$name"
		chown 65534:65534 "$WORK/module/$name" 2>/dev/null || true
		dst="rsync://127.0.0.1:$DAEMON_PORT/mod/$name"
	fi
	local watch=$d/dst
	[[ $KIND == local ]] || watch=$WORK/module/$name
	case $name in
	ours)
		"${AS[@]}" "$SCRIPT" --inotifywait "$IW" --state-dir "$d/state" --log "$d/log" \
			--delay "$DELAY" "$d/src" "$dst" </dev/null &
		pid=$!
		until grep -q 'initial sync done' "$d/log" 2>/dev/null; do sleep 0.1; done
		;;
	lsyncd)
		cat >"$d/lsyncd.conf" <<EOF
settings { nodaemon = true, logfile = "$d/log", statusFile = "$d/status", insist = true }
sync { default.rsync, source = "$d/src", target = "$dst", delay = $DELAY }
EOF
		"${AS[@]}" lsyncd "$d/lsyncd.conf" </dev/null >/dev/null 2>&1 &
		pid=$!
		until grep -q 'Startup of .* finished' "$d/log" 2>/dev/null; do sleep 0.1; done
		;;
	esac
	PIDS+=("$pid")
	"$IW" -m -q -e moved_to,close_write --timefmt '%s%N' --format '%T %f' "$watch" \
		>"$d/arrivals" 2>/dev/null &
	wpid=$!
	PIDS+=("$wpid")
	sleep 0.5
	tree_cpu "$pid"
	local cpu0=$REPLY
	exec {sfd}<> <(:)
	n=$((RATE * DURATION))
	t0=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		next=$((t0 + i * 1000000 / RATE))
		now=${EPOCHREALTIME/./}
		if ((next > now)); then
			dt=$((next - now))
			read -r -t "$((dt / 1000000)).$(printf '%06d' $((dt % 1000000)))" -u "$sfd" _ || true
		fi
		created[i]=${EPOCHREALTIME/./}
		echo "$i" >"$d/src/f$i"
	done
	# wait for the last file, at most 60 s
	for ((i = 0; i < 600; i++)); do
		grep -q " f$((n - 1))\$" "$d/arrivals" && break
		sleep 0.1
	done
	tree_cpu "$pid"
	local cpu=$((REPLY - cpu0))
	local -A first=()
	local ts f
	while read -r ts f; do
		[[ $f == f[0-9]* && -z ${first[$f]+x} ]] || continue
		first[$f]=$ts
	done <"$d/arrivals"
	local missing=0
	for ((i = 0; i < n; i++)); do
		if [[ -n ${first[f$i]+x} ]]; then
			lat+=($(((${first[f$i]} / 1000 - created[i]) / 1000)))
		else
			missing=$((missing + 1))
		fi
	done
	local runs='?'
	if [[ $name == ours ]]; then
		runs=$(grep -c 'rsync #' "$d/log" || true)
	elif [[ -f $d/log ]]; then
		runs=$(grep -c 'Calling rsync' "$d/log" || true)
	fi
	kill -TERM "$pid" "$wpid" 2>/dev/null || true
	wait "$pid" "$wpid" 2>/dev/null || true
	mapfile -t lat < <(printf '%s\n' "${lat[@]}" | sort -n)
	local m=${#lat[@]}
	if ((m == 0)); then
		ROW=$(printf '%-8s  no file arrived (%d missing)' "$name" "$missing")
		return 0
	fi
	ROW=$(printf '%-8s %8d %8d %8d %8d %8s %8d %8d' "$name" \
		"${lat[m * 50 / 100]}" "${lat[m * 95 / 100]}" "${lat[m * 99 / 100]}" \
		"${lat[m - 1]}" "$runs" "$cpu" "$missing")
}

[[ $KIND == local ]] || start_daemon_target
echo "sync-bench: $RATE files/s for ${DURATION}s, delay ${DELAY}s, $KIND target$( ((UNREADABLE)) && echo ', an unreadable file in SOURCE')"
echo "$(date -Is) $(uname -r) $(rsync --version | head -n 1)"
printf '%-8s %8s %8s %8s %8s %8s %8s %8s\n' daemon 'p50 ms' 'p95 ms' 'p99 ms' 'max ms' runs 'cpu ms' missing
run_one ours
echo "$ROW"
if command -v lsyncd >/dev/null; then
	run_one lsyncd
	echo "$ROW"
else
	echo "lsyncd   (not installed)"
fi
