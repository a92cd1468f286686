#!/usr/bin/env bash
# sync-bench.sh - inotify-rsync.sh side by side with lsyncd (when it is
# installed) on the same workloads: change-to-target latency under a steady
# stream, the initial sync of a big tree, a burst of new files.
#
# Usage: tests/bench/sync-bench.sh [-m stream|initial|burst] [-r RATE]
#                                  [-d SECONDS] [-n FILES] [-D DELAY]
#                                  [-k local|daemon|ssh] [-u] [-t SRCDIR]
#                                  [-s SCRIPT] [-R ROUNDS]
#
#   -m MODE     stream (default): RATE new files a second for SECONDS;
#               initial: a tree of FILES files (100 a directory) is there
#               before the daemon starts: time until the target holds it;
#               burst: FILES new files written as fast as possible once the
#               daemon is ready: time until the target holds them;
#               rename: a tree of MB megabytes (-b, 1 MB files) is renamed
#               once synced: time until the target has it under the new
#               name, and the bytes rsync sent for it (ours: --stats)
#               bigtree: a tree of FILES directories (default 1000000) on a
#               tmpfs of its own (root): ours with --filesystem (no limit
#               raised) and with --fanotify (fs.fanotify.max_user_marks
#               raised when the tree needs it), lsyncd with max_user_watches
#               raised for it (limits put back after), each at most 20 min:
#               seconds until the watcher is ready, until the initial sync
#               is done, and the latency of one change made then
#   -b MB       for rename (default 500)
#   -n FILES    for initial and burst (default 200000 and 100000)
#   -r RATE     new files per second (default 200)
#   -d SECONDS  how long the stream lasts (default 60)
#   -D DELAY    the daemons' delay in seconds (default 1)
#   -k KIND     target: a local directory, an rsync daemon on 127.0.0.1,
#               or ssh to an sshd on 127.0.0.1 that the bench starts
#               (lsyncd: default.rsyncssh) (default local)
#   -u          with a file in SOURCE that the daemons cannot read (they
#               run as nobody; needs root)
#   -t SRCDIR   the tree's src/ with inotifywait (default: this tree's)
#   -s SCRIPT   the inotify-rsync.sh to measure (default: this tree's)
#   -R ROUNDS   measure each daemon ROUNDS times, in turn, the first one
#               alternating (default 1: ours, then lsyncd)
#
# stream: each file's latency is the time from just before it is written
# in SOURCE to the moment it appears in the target (rsync's rename into
# place, seen by inotifywait on the target directory).  Prints p50, p95,
# p99 and max per daemon, the rsync runs and the daemon's CPU time (its own
# and its children's, the watcher and rsync included).  initial and burst
# print the seconds until the target holds every file, the rsync runs, the
# CPU time and the files on the target.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
MODE=stream
ROUNDS=1
ROUND=
FILES=
MB=500
RATE=200
DURATION=60
DELAY=1
KIND=local
UNREADABLE=0
TOOLS=$HERE/../../src
SCRIPT=$HERE/../../scripts/inotify-rsync.sh
while getopts m:n:b:r:d:D:k:ut:s:R:h opt; do
	case $opt in
	b) MB=$OPTARG ;;
	m) MODE=$OPTARG ;;
	n) FILES=$OPTARG ;;
	r) RATE=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	D) DELAY=$OPTARG ;;
	k) KIND=$OPTARG ;;
	u) UNREADABLE=1 ;;
	t) TOOLS=$OPTARG ;;
	s) SCRIPT=$OPTARG ;;
	R) ROUNDS=$OPTARG ;;
	*)
		sed -n '2,47s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	esac
done
IW=$TOOLS/inotifywait
[[ -x $IW ]] || {
	echo "sync-bench: $IW not built" >&2
	exit 1
}
case $KIND in local | daemon | ssh) ;; *)
	echo "sync-bench: -k local or -k daemon" >&2
	exit 1
	;;
esac
case $MODE in
stream | rename) ;;
bigtree) : "${FILES:=1000000}" ;;
initial) : "${FILES:=200000}" ;;
burst) : "${FILES:=100000}" ;;
*)
	echo "sync-bench: -m stream, initial or burst" >&2
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

# start_ssh_target: an sshd on 127.0.0.1 with keys of its own; SSH_PORT,
# SSH_KEY and RSH (the remote shell for rsync -e).
start_ssh_target() {
	local d=$WORK/sshd i
	command -v /usr/sbin/sshd ssh >/dev/null || {
		echo "sync-bench: -k ssh needs openssh-server and openssh-client" >&2
		exit 1
	}
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host" </dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$d/user" </dev/null
	cp "$d/user.pub" "$d/authorized_keys"
	SSH_KEY=$d/user
	for ((i = 0; i < 10; i++)); do
		SSH_PORT=$((20000 + RANDOM % 40000))
		printf '%s\n' "Port $SSH_PORT" "ListenAddress 127.0.0.1" "HostKey $d/host" \
			"AuthorizedKeysFile $d/authorized_keys" "PidFile none" "UsePAM no" \
			"PasswordAuthentication no" "PermitRootLogin prohibit-password" \
			"StrictModes no" >"$d/config"
		/usr/sbin/sshd -D -e -f "$d/config" 2>>"$d/log" &
		PIDS+=($!)
		RSH="ssh -p $SSH_PORT -i $SSH_KEY -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
		sleep 0.3
		# shellcheck disable=SC2086 # RSH is a command line
		if $RSH 127.0.0.1 true </dev/null >/dev/null 2>&1; then
			return 0
		fi
	done
	echo "sync-bench: no sshd" >&2
	exit 1
}

# make_files DIR N: N files, 100 a directory.
make_files() {
	local k
	for ((k = 0; k < $2; k++)); do
		((k % 100)) || mkdir -p "$1/d$((k / 100))"
		echo "$k" >"$1/d$((k / 100))/f$k"
	done
}

# count_files DIR: REPLY = the regular files below DIR.
count_files() {
	REPLY=$(find "$1" -type f | wc -l)
}

# setup NAME: D (its work directory), DST (what the daemon pushes to),
# WATCH (where that lands).
setup() {
	D=$WORK/$1$ROUND
	mkdir -p "$D/src" "$D/dst"
	echo data >"$D/src/seed"
	if [[ $KIND == local ]]; then
		DST=$D/dst
		WATCH=$D/dst
	elif [[ $KIND == ssh ]]; then
		DST=127.0.0.1:$D/dst
		WATCH=$D/dst
	else
		mkdir -p "$WORK/module/$1$ROUND"
		chown 65534:65534 "$WORK/module/$1$ROUND" 2>/dev/null || true
		DST="rsync://127.0.0.1:$DAEMON_PORT/mod/$1$ROUND"
		WATCH=$WORK/module/$1$ROUND
	fi
}

# start NAME: run the daemon NAME on $D/src and wait until its initial sync
# is done; PID.
start() {
	if ((UNREADABLE)); then
		chown -R 65534:65534 "$D"
		echo secret >"$D/src/unreadable"
		chmod 000 "$D/src/unreadable"
	fi
	case $1 in
	ours)
		RSYNC_RSH=${RSH:-} "${AS[@]}" "$SCRIPT" --inotifywait "$IW" --state-dir "$D/state" --log "$D/log" \
			--delay "$DELAY" --rsync-opt=--stats "$D/src" "$DST" </dev/null &
		PID=$!
		until grep -q 'initial sync done' "$D/log" 2>/dev/null; do sleep 0.1; done
		;;
	lsyncd)
		printf '%s\n' "settings { nodaemon = true, logfile = \"$D/log\", statusFile = \"$D/status\", insist = true }" \
			"$(lsyncd_sync)" >"$D/lsyncd.conf"
		"${AS[@]}" lsyncd "$D/lsyncd.conf" </dev/null >/dev/null 2>&1 &
		PID=$!
		until grep -q 'Startup of .* finished' "$D/log" 2>/dev/null; do sleep 0.1; done
		;;
	esac
	PIDS+=("$PID")
}

# lsyncd_sync: lsyncd's sync block for $D: default.rsync, or
# default.rsyncssh (moves made on the target) for an ssh target.
lsyncd_sync() {
	if [[ $KIND == ssh ]]; then
		printf 'sync { default.rsyncssh, source = "%s", host = "127.0.0.1", targetdir = "%s", delay = %s, ssh = { port = %s, identityFile = "%s", options = { StrictHostKeyChecking = "no", UserKnownHostsFile = "/dev/null", BatchMode = "yes", LogLevel = "ERROR" } } }' \
			"$D/src" "$D/dst" "$DELAY" "$SSH_PORT" "$SSH_KEY"
	else
		printf 'sync { default.rsync, source = "%s", target = "%s", delay = %s }' \
			"$D/src" "$DST" "$DELAY"
	fi
}

# runs NAME: REPLY = the rsync runs the daemon NAME logged so far.
runs() {
	if [[ $1 == ours ]]; then
		REPLY=$(grep -c 'rsync #' "$D/log" || true)
	else
		REPLY=$(grep -c 'Calling rsync' "$D/log" || true)
	fi
}

stop() {
	kill -TERM "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
}

# row NAME T0 T1 RUNS CPU FILES: ROW for initial and burst.
row() {
	ROW=$(printf '%-8s %8d.%03d %8s %8d %8d' "$1" $((($3 - $2) / 1000000)) \
		$((($3 - $2) / 1000 % 1000)) "$4" "$5" "$6")
}

# run_initial NAME: the initial sync of FILES files.
run_initial() {
	local t0 t1
	setup "$1"
	make_files "$D/src" "$FILES"
	t0=${EPOCHREALTIME/./}
	start "$1"
	t1=${EPOCHREALTIME/./}
	tree_cpu "$PID"
	local cpu=$REPLY
	runs "$1"
	local r=$REPLY
	count_files "$WATCH"
	stop
	row "$1" "$t0" "$t1" "$r" "$cpu" "$REPLY"
}

# run_burst NAME: FILES new files written at once.
run_burst() {
	local t0 t1=0 k want
	setup "$1"
	start "$1"
	sleep 0.5
	tree_cpu "$PID"
	local cpu0=$REPLY
	runs "$1"
	local r0=$REPLY
	count_files "$WATCH"
	want=$((REPLY + FILES))
	t0=${EPOCHREALTIME/./}
	make_files "$D/src/burst" "$FILES"
	for ((k = 0; k < 1200; k++)); do
		count_files "$WATCH"
		if ((REPLY >= want)); then
			t1=${EPOCHREALTIME/./}
			break
		fi
		sleep 0.5
	done
	((t1)) || t1=${EPOCHREALTIME/./}
	tree_cpu "$PID"
	local cpu=$((REPLY - cpu0))
	runs "$1"
	local r=$((REPLY - r0))
	count_files "$WATCH"
	stop
	row "$1" "$t0" "$t1" "$r" "$cpu" $((REPLY + FILES - want))
}

# run_rename NAME: a tree of MB megabytes renamed once it is on the target.
run_rename() {
	local t0 t1=0 k sent='?' ino kept=no
	setup "$1"
	mkdir -p "$D/src/tree/sub"
	for ((k = 0; k < MB; k++)); do
		head -c 1048576 /dev/urandom >"$D/src/tree/sub/f$k"
	done
	start "$1"
	sleep 0.5
	ino=$(stat -c %i "$WATCH/tree/sub/f0")
	t0=${EPOCHREALTIME/./}
	mv "$D/src/tree" "$D/src/renamed"
	for ((k = 0; k < 1200; k++)); do
		if [[ -e $WATCH/renamed/sub/f$((MB - 1)) && ! -e $WATCH/tree ]]; then
			t1=${EPOCHREALTIME/./}
			break
		fi
		sleep 0.05
	done
	((t1)) || t1=${EPOCHREALTIME/./}
	if [[ $1 == ours ]]; then
		sleep $((${DELAY%.*} + 1))
		sent=$(sed -n 's/^Total bytes sent: //p' "$D"/state/t-*.rsync-output | tr -d ,)
	fi
	[[ $(stat -c %i "$WATCH/renamed/sub/f0" 2>/dev/null) != "$ino" ]] || kept=yes
	runs "$1"
	local r=$REPLY
	stop
	ROW=$(printf '%-8s %8d.%03d %8s %14s %10s' "$1" $(((t1 - t0) / 1000000)) \
		$(((t1 - t0) / 1000 % 1000)) "$r" "${sent:-?}" "$kept")
}

# since T0: REPLY = seconds (3 decimals) from the microseconds T0 to now.
since() {
	local d=$((${EPOCHREALTIME/./} - $1))
	printf -v REPLY '%d.%03d' $((d / 1000000)) $((d / 1000 % 1000))
}

# run_bigtree_one NAME FLAGS...: one daemon on the big tree; sets ROW.
run_bigtree_one() {
	local name=$1 t0 ready='-' synced='-' lat='-' k pid
	shift
	rm -rf "$BIG/dst" "$BIG/state" "$BIG/log"
	mkdir -p "$BIG/dst"
	t0=${EPOCHREALTIME/./}
	case $name in
	lsyncd)
		printf '%s\n' "settings { nodaemon = true, logfile = \"$BIG/log\", insist = true }" \
			"sync { default.rsync, source = \"$BIG/src\", target = \"$BIG/dst\", delay = $DELAY }" \
			>"$BIG/lsyncd.conf"
		lsyncd "$BIG/lsyncd.conf" </dev/null >/dev/null 2>&1 &
		;;
	*)
		"$SCRIPT" --inotifywait "$IW" --state-dir "$BIG/state" --log "$BIG/log" \
			--delay "$DELAY" "$@" "$BIG/src" "$BIG/dst" </dev/null &
		;;
	esac
	pid=$!
	PIDS+=("$pid")
	for ((k = 0; k < 24000; k++)); do
		if [[ $ready == - ]] && grep -qE 'watcher ready|Startup of' "$BIG/log" 2>/dev/null; then
			since "$t0"
			ready=$REPLY
		fi
		if grep -qE 'initial sync done|Startup of .* finished' "$BIG/log" 2>/dev/null; then
			since "$t0"
			synced=$REPLY
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if [[ $synced != - ]]; then
		t0=${EPOCHREALTIME/./}
		local cf=changed-$name${1:+$1}
		echo change >"$BIG/src/d1/$cf"
		for ((k = 0; k < 1200; k++)); do
			[[ -e $BIG/dst/d1/$cf ]] && break
			sleep 0.05
		done
		[[ ! -e $BIG/dst/d1/$cf ]] || {
			since "$t0"
			lat=$REPLY
		}
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	ROW=$(printf '%-22s %10s %10s %10s' "$name${1:+ $1}" "$ready" "$synced" "$lat")
}

# run_bigtree: the big-tree rows.
run_bigtree() {
	local limit marks
	((EUID == 0)) || {
		echo "sync-bench: -m bigtree needs root (a tmpfs, max_user_watches)" >&2
		exit 1
	}
	BIG=$WORK/big
	mkdir -p "$BIG"
	mount -t tmpfs -o size=8g tmpfs "$BIG"
	trap 'umount -l "$BIG" 2>/dev/null; cleanup' EXIT
	"$HERE/gentree" "$BIG/src" "$FILES" 0 >/dev/null
	mkdir -p "$BIG/src/d1"
	run_bigtree_one ours --filesystem
	echo "$ROW"
	# -F: a mark a directory, within fs.fanotify.max_user_marks (raised
	# for the run when the tree needs more, put back after)
	marks=$(cat /proc/sys/fs/fanotify/max_user_marks 2>/dev/null || echo 0)
	((marks > FILES + 1000)) || echo $((FILES + 100000)) >/proc/sys/fs/fanotify/max_user_marks
	run_bigtree_one ours --fanotify
	echo "$marks" >/proc/sys/fs/fanotify/max_user_marks
	echo "$ROW"
	if command -v lsyncd >/dev/null; then
		limit=$(cat /proc/sys/fs/inotify/max_user_watches)
		echo $((FILES + 100000)) >/proc/sys/fs/inotify/max_user_watches
		run_bigtree_one lsyncd
		echo "$limit" >/proc/sys/fs/inotify/max_user_watches
		echo "$ROW"
	fi
	ROW=
}

# run_stream NAME: one steady stream.
run_stream() {
	local name=$1 wpid i n t0 next now dt sfd
	local -a created=() lat=()
	setup "$name"
	start "$name"
	"$IW" -m -q -e moved_to,close_write --timefmt '%s%N' --format '%T %f' "$WATCH" \
		>"$D/arrivals" 2>/dev/null &
	wpid=$!
	PIDS+=("$wpid")
	sleep 0.5
	tree_cpu "$PID"
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
		echo "$i" >"$D/src/f$i"
	done
	# wait for the last file, at most 60 s
	for ((i = 0; i < 600; i++)); do
		grep -q " f$((n - 1))\$" "$D/arrivals" && break
		sleep 0.1
	done
	tree_cpu "$PID"
	local cpu=$((REPLY - cpu0))
	local -A first=()
	local ts f
	while read -r ts f; do
		[[ $f == f[0-9]* && -z ${first[$f]+x} ]] || continue
		first[$f]=$ts
	done <"$D/arrivals"
	local missing=0
	for ((i = 0; i < n; i++)); do
		if [[ -n ${first[f$i]+x} ]]; then
			lat+=($(((${first[f$i]} / 1000 - created[i]) / 1000)))
		else
			missing=$((missing + 1))
		fi
	done
	runs "$name"
	local r=$REPLY
	stop
	kill -TERM "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	mapfile -t lat < <(printf '%s\n' "${lat[@]}" | sort -n)
	local m=${#lat[@]}
	if ((m == 0)); then
		ROW=$(printf '%-8s  no file arrived (%d missing)' "$name" "$missing")
		return 0
	fi
	ROW=$(printf '%-8s %8d %8d %8d %8d %8s %8d %8d' "$name" \
		"${lat[m * 50 / 100]}" "${lat[m * 95 / 100]}" "${lat[m * 99 / 100]}" \
		"${lat[m - 1]}" "$r" "$cpu" "$missing")
}

case $KIND in
daemon) start_daemon_target ;;
ssh)
	((!UNREADABLE)) || {
		echo "sync-bench: -u is for local and daemon targets" >&2
		exit 1
	}
	start_ssh_target
	;;
esac
if [[ $MODE == bigtree ]]; then
	echo "sync-bench: a tree of $FILES directories, delay ${DELAY}s, local target"
	printf '%-22s %10s %10s %10s\n' daemon 'ready s' 'synced s' 'change s'
	echo "$(date -Is) $(uname -r) $(rsync --version | head -n 1)"
	run_bigtree
	exit 0
elif [[ $MODE == rename ]]; then
	echo "sync-bench: rename of a $MB MB tree, delay ${DELAY}s, $KIND target"
	printf '%-8s %12s %8s %14s %10s\n' daemon seconds runs 'bytes sent' 'inode kept'
elif [[ $MODE == stream ]]; then
	echo "sync-bench: $RATE files/s for ${DURATION}s, delay ${DELAY}s, $KIND target$( ((UNREADABLE)) && echo ', an unreadable file in SOURCE')"
	printf '%-8s %8s %8s %8s %8s %8s %8s %8s\n' daemon 'p50 ms' 'p95 ms' 'p99 ms' 'max ms' runs 'cpu ms' missing
else
	echo "sync-bench: $MODE of $FILES files, delay ${DELAY}s, $KIND target"
	printf '%-8s %12s %8s %8s %8s\n' daemon seconds runs 'cpu ms' files
fi
echo "$(date -Is) $(uname -r) $(rsync --version | head -n 1)"
# -R: rounds in turn, ours first in odd rounds, lsyncd first in even ones
# (the first daemon of a run tends to come out slower)
order=(ours lsyncd)
for ((round = 1; round <= ROUNDS; round++)); do
	ROUND=.$round
	for name in "${order[@]}"; do
		if [[ $name == lsyncd ]] && ! command -v lsyncd >/dev/null; then
			((round > 1)) || echo "lsyncd   (not installed)"
			continue
		fi
		"run_$MODE" "$name"
		echo "$ROW"
	done
	order=("${order[1]}" "${order[0]}")
done
