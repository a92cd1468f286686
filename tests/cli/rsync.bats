#!/usr/bin/env bats
# rsync.bats: scripts/inotify-rsync.sh, driven by our inotifywait, pushing
# with the real rsync to local paths and to an rsync daemon on 127.0.0.1.
#
# Environment
#   IT_RSYNC_SCRIPT   the script under test (default: scripts/ of this tree)
#   INOTIFYWAIT       passed to the script with --inotifywait (common.bash)
#   IT_CONVERGE_MAX   seconds a target may take to equal its source (20)
#
# No sleeps wait for readiness: every wait polls a condition (a log line,
# the status file, `diff -r' coming out clean) against a deadline.
# Convergence times and rsync run counts are printed as TAP comments.

load common

: "${IT_RSYNC_SCRIPT:=$BATS_TEST_DIRNAME/../../scripts/inotify-rsync.sh}"
: "${IT_CONVERGE_MAX:=20}"

# Seconds a background inotify-rsync.sh or rsync daemon may live.
SYNC_TIMEOUT=120

QUEUE_LIMIT=/proc/sys/fs/inotify/max_queued_events

# The overflow test lowers the kernel's queue limit for a moment; whatever
# happens, the original value comes back here.
setup_file() {
	if [ -w "$QUEUE_LIMIT" ]; then
		cat "$QUEUE_LIMIT" >"$BATS_FILE_TMPDIR/max_queued_events"
	fi
}

teardown_file() {
	if [ -s "$BATS_FILE_TMPDIR/max_queued_events" ]; then
		cat "$BATS_FILE_TMPDIR/max_queued_events" >"$QUEUE_LIMIT"
	fi
}

restore_queue_limit() {
	if [ -s "$BATS_FILE_TMPDIR/max_queued_events" ]; then
		cat "$BATS_FILE_TMPDIR/max_queued_events" >"$QUEUE_LIMIT"
	fi
}

# File names every convergence test goes through.
# shellcheck disable=SC2016 # '$(touch pwned)' is a file name, not code
NAMES=(
	'sp ace' $'new\nline' "quo'te" 'dq"uote' '-dash' '--long-opt' $'\xff\xfe'
	'back\slash' 'star*' 'q?mark' '[br]acket' ' lead' 'trail ' '#hash'
	';semi' '$(touch pwned)' '+ plus' '- minus' '!'
)

# prepare: SRC (the watched tree), STATE, LOG; the script is run with these.
prepare() {
	SRC=$TEST_DIR/src
	STATE=$IT_TMP/state
	LOG=$IT_TMP/io/log
	mkdir -p "$SRC"
	SYNC_PID=
}

# populate DIR: the initial content of a source tree.
populate() {
	local d=$1 n
	mkdir -p "$d/old/deep/er" "$d/olddir/sub" "$d/dtof/x" "$d/keep"
	for n in "${NAMES[@]}"; do
		printf 'initial %s\n' "$n" >"$d/keep/$n"
	done
	echo old >"$d/old/deep/er/f"
	echo od >"$d/olddir/sub/g"
	echo ftod >"$d/ftod"
	echo x >"$d/dtof/x/y"
	echo ch >"$d/chmod-me"
}

# mixed_ops DIR: one round of creates, writes, deletes, renames of files and
# of whole trees, mkdir -p chains filled at once and type changes.
mixed_ops() {
	local d=$1 n
	for n in "${NAMES[@]}"; do
		printf '%s\n' "$n" >"$d/$n"
	done
	mkdir -p "$d/p/q/r/s"
	for n in "${NAMES[@]}"; do
		printf 'deep %s\n' "$n" >"$d/p/q/r/s/$n"
	done
	mkdir -p "$d/tree/one/two" "$d/tree/three"
	echo 1 >"$d/tree/one/two/f"
	echo 2 >"$d/tree/three/g"
	mv "$d/tree" "$d/tree moved"
	mv "$d/sp ace" "$d/p/q/sp ace renamed"
	rm -- "$d/-dash"
	echo more >>"$d/"$'new\nline'
	echo changed >"$d/keep/quo'te"
	rm -rf "$d/old"
	mv "$d/olddir" "$d/p/olddir-moved"
	rm "$d/ftod"
	mkdir "$d/ftod"
	echo in >"$d/ftod/x"
	rm -rf "$d/dtof"
	echo file >"$d/dtof"
	ln -s p/q "$d/link"
	chmod 600 "$d/chmod-me"
}

# mixed_ops2 DIR: a second round on what the first left.
mixed_ops2() {
	local d=$1
	mv "$d/p" "$d/p2"
	echo fresh >"$d/p2/q/r/new in renamed"
	rm -rf "$d/tree moved/one"
	mv "$d/p2/q/r/s" "$d/s-up"
	mkdir -p "$d/a/b/c/d/e"
	echo e >"$d/a/b/c/d/e/f"
	mv "$d/a" "$d/p2/a"
	rm -- "$d/"$'\xff\xfe'
	mv "$d/[br]acket" "$d/s-up/[br]acket2"
}

# sync_bg ARGS...: start inotify-rsync.sh in the background (state dir,
# log and inotifywait supplied), SCRIPT_PID = its own pid.
sync_bg() {
	timeout -k 5 "$SYNC_TIMEOUT" "$IT_RSYNC_SCRIPT" --inotifywait "$INOTIFYWAIT" \
		--state-dir "$STATE" --log "$LOG" "$@" >"$OUT" 2>"$ERR" 3>&- &
	SYNC_PID=$!
	bg_track "$SYNC_PID"
	wait_until lock_held
	if gone "$SYNC_PID"; then
		echo "sync_bg: inotify-rsync.sh exited early; stderr:" >&2
		cat -A "$ERR" >&2
		return 1
	fi
	SCRIPT_PID=$(lock_pid)
}

# lock_held: the script started by sync_bg holds its lock (a stale lock
# left by a killed predecessor does not count), or it has exited.
lock_held() {
	local pid rest stat
	local -a f
	gone "$SYNC_PID" && return 0
	read -r pid rest 2>/dev/null <"$STATE/lock/pid" || return 1
	read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
	read -r -a f <<<"${stat##*) }"
	[ "${f[1]}" = "$SYNC_PID" ]
}

lock_pid() {
	local pid rest
	read -r pid rest <"$STATE/lock/pid"
	echo "$pid"
}

# sync_started ARGS...: sync_bg, then wait for the initial sync to finish.
sync_started() {
	sync_bg "$@"
	wait_for_line "$LOG" 'initial sync done'
}

# sync_stop: SIGTERM to the script itself (not to the process group), wait.
sync_stop() {
	status=0
	kill -TERM "$SCRIPT_PID" 2>/dev/null || true
	wait "$SYNC_PID" || status=$?
	SYNC_PID=
}

# run_sync ARGS...: the script in the foreground; status, $OUT, $ERR.
run_sync() {
	run_fg "$IT_RSYNC_SCRIPT" "$@"
}

# converge SRC DST LABEL [MAX]: poll until `diff -r SRC DST' is clean
# (symbolic links compared as links); print the time it took.
converge() {
	local src=$1 dst=$2 label=$3 max=${4:-$IT_CONVERGE_MAX} start now ms
	start=${EPOCHREALTIME/./}
	while ! diff -r --no-dereference -- "$src" "$dst" >/dev/null 2>&1; do
		now=${EPOCHREALTIME/./}
		if (((now - start) / 1000000 >= max)); then
			echo "converge: $dst still differs from $src after ${max}s" >&2
			diff -r --no-dereference -- "$src" "$dst" >&2 || true
			echo "--- log:" >&2
			cat -A "$LOG" >&2 || true
			echo "--- stderr:" >&2
			cat -A "$ERR" >&2 || true
			return 1
		fi
		sleep 0.05
	done
	now=${EPOCHREALTIME/./}
	ms=$(((now - start) / 1000))
	printf '# %s: converged in %d.%03ds\n' "$label" $((ms / 1000)) $((ms % 1000)) >&3
}

# status_value TARGET KEY: a value from the status file.
status_value() {
	local t=$1 key=$2 line
	while IFS= read -r line; do
		case $line in
		"target $t $key "*)
			echo "${line#"target $t $key "}"
			return 0
			;;
		esac
	done <"$STATE/status"
	return 1
}

status_is() { # TARGET KEY VALUE
	[ -f "$STATE/status" ] && [ "$(status_value "$1" "$2")" = "$3" ]
}

status_not() { # TARGET KEY VALUE
	[ -f "$STATE/status" ] && [ "$(status_value "$1" "$2")" != "$3" ]
}

# journal N: the journal file of target N (named after its DEST).
journal() {
	local f dest
	for f in "$STATE"/t-*.dest; do
		IFS= read -r dest <"$f"
		if [ "$(status_value "$1" dest)" = "$dest" ]; then
			echo "${f%.dest}.journal"
			return 0
		fi
	done
	return 1
}

# watcher_pid: the inotifywait run by the script.
watcher_pid() {
	local p comm
	for p in $(_it_descendants "$SCRIPT_PID"); do
		[ "$p" = "$SCRIPT_PID" ] && continue
		read -r comm <"/proc/$p/comm" 2>/dev/null || continue
		case $comm in
		*inotifywait*)
			echo "$p"
			return 0
			;;
		esac
	done
	return 1
}

gone() { # PID
	! kill -0 "$1" 2>/dev/null
}

# ------------------------------------------------------------ rsync daemon

# daemon_start MODULE_DIR: an rsync daemon on 127.0.0.1 serving MODULE_DIR
# as module "mod", on a free port (kept in DAEMON_PORT for restarts).
daemon_start() {
	local dir=$1 conf=$IT_TMP/rsyncd.conf tries i
	mkdir -p "$dir"
	{
		echo "use chroot = no"
		echo "pid file ="
		echo "[mod]"
		echo "    path = $dir"
		echo "    read only = no"
		echo "    munge symlinks = no"
		if [ "$(id -u)" = 0 ]; then
			echo "    uid = root"
			echo "    gid = root"
		fi
	} >"$conf"
	for ((tries = 0; tries < 10; tries++)); do
		DAEMON_PORT=$((20000 + RANDOM % 40000))
		timeout -k 5 "$SYNC_TIMEOUT" rsync --daemon --no-detach --address=127.0.0.1 \
			--port="$DAEMON_PORT" --config="$conf" --log-file="$IT_TMP/rsyncd.log" \
			</dev/null >/dev/null 2>&1 3>&- &
		DAEMON_PID=$!
		bg_track "$DAEMON_PID"
		for ((i = 0; i < IT_WAIT_MAX * 20; i++)); do
			if rsync --list-only "rsync://127.0.0.1:$DAEMON_PORT/" >/dev/null 2>&1; then
				return 0
			fi
			gone "$DAEMON_PID" && break
			sleep 0.05
		done
		kill "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	done
	echo "daemon_start: no rsync daemon could be started" >&2
	return 1
}

daemon_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
}

# daemon_restart MODULE_DIR: start it again on the same port.
daemon_restart() {
	local conf=$IT_TMP/rsyncd.conf i
	for ((i = 0; i < IT_WAIT_MAX * 20; i++)); do
		timeout -k 5 "$SYNC_TIMEOUT" rsync --daemon --no-detach --address=127.0.0.1 \
			--port="$DAEMON_PORT" --config="$conf" --log-file="$IT_TMP/rsyncd.log" \
			</dev/null >/dev/null 2>&1 3>&- &
		DAEMON_PID=$!
		bg_track "$DAEMON_PID"
		while ! gone "$DAEMON_PID"; do
			if rsync --list-only "rsync://127.0.0.1:$DAEMON_PORT/" >/dev/null 2>&1; then
				return 0
			fi
			sleep 0.05
		done
		wait "$DAEMON_PID" 2>/dev/null || true
		sleep 0.05
	done
	echo "daemon_restart: port $DAEMON_PORT did not come back" >&2
	return 1
}

# ================================================================== tests

@test "--help and --version print on stdout and exit 0" {
	run_sync --help
	assert_status 0
	[ "$(head -n 1 "$OUT")" = "Usage: inotify-rsync.sh [OPTIONS] SOURCE DEST [DEST...]" ]
	grep -q -- '--exclude-from FILE' "$OUT"
	grep -q -- '--max-retry SECONDS' "$OUT"
	[ ! -s "$ERR" ]
	run_sync --version
	assert_status 0
	grep -qxE 'inotify-rsync\.sh [0-9]+(\.[0-9]+)+' "$OUT"
	[ "$(wc -l <"$OUT")" = 1 ]
	run_sync -h
	assert_status 0
}

# bad_input REGEX ARGS...: exit 1 with one line on stderr matching REGEX.
bad_input() {
	local re=$1
	shift
	run_sync --inotifywait "$INOTIFYWAIT" --state-dir "$IT_TMP/bad-state" "$@"
	assert_status 1
	[ "$(wc -l <"$ERR")" = 1 ] || { cat -A "$ERR" >&2; return 1; }
	grep -qE -- "$re" "$ERR" || { cat -A "$ERR" >&2; return 1; }
	[ ! -s "$OUT" ]
}

@test "bad usage and configuration: exit 1 with a one-line reason" {
	prepare
	mkdir -p "$IT_TMP/d" "$SRC/sub"
	touch "$IT_TMP/plainfile"
	ln -s "$SRC/sub" "$IT_TMP/link-into-src"
	bad_input 'missing SOURCE'
	bad_input 'no DEST' "$SRC"
	bad_input 'does not exist' "$IT_TMP/nosuch" "$IT_TMP/d"
	bad_input 'not a directory' "$IT_TMP/plainfile" "$IT_TMP/d"
	bad_input 'inside SOURCE' "$SRC" "$SRC/sub/dst"
	bad_input 'inside SOURCE' "$SRC" "$SRC"
	bad_input 'inside SOURCE' "$SRC" "$IT_TMP/link-into-src/x"
	bad_input 'inside DEST' "$SRC" "$TEST_DIR"
	bad_input "unknown option '--frobnicate'" --frobnicate "$SRC" "$IT_TMP/d"
	bad_input "unknown option '-x'" -x "$SRC" "$IT_TMP/d"
	bad_input "--delay: 'abc' is not a valid number" --delay abc "$SRC" "$IT_TMP/d"
	bad_input "--max-delay: '-1' is not a valid number" --max-delay -1 "$SRC" "$IT_TMP/d"
	bad_input "--retry: '0' is not a valid number" --retry 0 "$SRC" "$IT_TMP/d"
	bad_input "--full-every: '1e3' is not a valid number" --full-every=1e3 "$SRC" "$IT_TMP/d"
	bad_input 'needs a value' "$SRC" "$IT_TMP/d" --delay
	bad_input '--exclude-from: cannot read' --exclude-from "$IT_TMP/nosuch" "$SRC" "$IT_TMP/d"
	bad_input '--exclude-from: cannot read' --exclude-from "$IT_TMP/d" "$SRC" "$IT_TMP/d"
	bad_input 'given twice' "$SRC" "$IT_TMP/d" "$IT_TMP/d"
	bad_input 'state-dir.*inside SOURCE' --state-dir "$SRC/st" "$SRC" "$IT_TMP/d"
	# none of this touched a destination
	[ -z "$(ls -A "$IT_TMP/d")" ]
}

@test "a missing or unusable program: exit 2" {
	prepare
	run_sync --rsync "$IT_TMP/no-rsync" --inotifywait "$INOTIFYWAIT" "$SRC" "$IT_TMP/d"
	assert_status 2
	[ "$(wc -l <"$ERR")" = 1 ]
	grep -q 'rsync' "$ERR"
	run_sync --inotifywait "$IT_TMP/no-inotifywait" --state-dir "$STATE" "$SRC" "$IT_TMP/d"
	assert_status 2
	[ "$(wc -l <"$ERR")" = 1 ]
	grep -q 'inotifywait' "$ERR"
	# a program that does not know --no-newline is too old
	run_sync --inotifywait /bin/true --state-dir "$STATE" "$SRC" "$IT_TMP/d"
	assert_status 2
	grep -q 'too old' "$ERR"
	# --once does not need inotifywait at all
	run_sync --once --inotifywait "$IT_TMP/no-inotifywait" --state-dir "$STATE" "$SRC" "$IT_TMP/d"
	assert_status 0
}

@test "--once: exit 0 when every target is in step, 3 when one failed" {
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo "not a directory" >"$IT_TMP/gate"
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/d1" "$IT_TMP/gate/d2"
	assert_status 3
	diff -r --no-dereference "$SRC" "$IT_TMP/d1"
	status_is 1 last_error none
	status_not 2 last_error none
	status_is 2 full_sync_pending yes
	[ "$(status_value 2 last_success)" = never ]
	rm "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/d1" "$IT_TMP/gate/d2"
	assert_status 0
	[ ! -s "$ERR" ]
	diff -r --no-dereference "$SRC" "$IT_TMP/gate/d2"
	status_is 2 full_sync_pending no
	[ ! -e "$STATE/lock" ]
}

@test "local target: the initial sync, then a mix of operations with hostile names converges" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	converge "$SRC" "$IT_TMP/dst" "initial sync"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/dst" "local mix, round 1"
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/dst" "local mix, round 2"
	[ ! -e "$TEST_DIR/pwned" ]
	[ ! -e "$IT_TMP/pwned" ]
	[ -L "$IT_TMP/dst/link" ]
	[ "$(stat -c %a "$IT_TMP/dst/chmod-me")" = 600 ]
	wait_until status_is 1 state idle
	status_is 1 pending 0
	status_is 1 last_error none
	sync_stop
	assert_status 0
	# every log line: ISO time, level, message
	grep -q ' info initial sync done' "$LOG"
	[ "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4} (debug|info|warn|error) .' "$LOG")" = 0 ]
}

@test "include chains (rsync without --delete-missing-args): the same mix converges" {
	prepare
	populate "$SRC"
	INOTIFY_RSYNC_FORCE_FILTER=1 sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	grep -q 'include chains' "$LOG"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/dst" "include chains, round 1"
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/dst" "include chains, round 2"
	sync_stop
	assert_status 0
}

@test "rsync daemon target: changes converge; an outage is caught up by itself" {
	prepare
	populate "$SRC"
	daemon_start "$IT_TMP/module"
	local dest="rsync://127.0.0.1:$DAEMON_PORT/mod/mirror"
	sync_started --delay 0.2 --retry 0.2 --max-retry 1 "$SRC" "$dest"
	converge "$SRC" "$IT_TMP/module/mirror" "daemon initial sync"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/module/mirror" "daemon mix"
	daemon_stop
	mixed_ops2 "$SRC"
	echo "while down" >"$SRC/down.txt"
	wait_until status_not 1 last_error none
	grep -q 'failed' "$LOG"
	status_not 1 pending 0
	daemon_restart
	converge "$SRC" "$IT_TMP/module/mirror" "daemon back up"
	wait_until status_is 1 pending 0
	grep -q 'reachable again' "$LOG"
	sync_stop
	assert_status 0
	daemon_stop
}

@test "a burst of 10,000 new files converges with a handful of rsync runs" {
	prepare
	mkdir "$SRC/burst"
	sync_started --delay 0.5 "$SRC" "$IT_TMP/dst"
	local before i after
	before=$(status_value 1 rsync_runs)
	for ((i = 0; i < 10000; i++)); do
		echo "$i" >"$SRC/burst/file-$i"
	done
	converge "$SRC" "$IT_TMP/dst" "10,000-file burst" 60
	IT_WAIT_MAX=30 wait_until status_is 1 state idle
	after=$(status_value 1 rsync_runs)
	printf '# 10,000-file burst: %d rsync run(s)\n' $((after - before)) >&3
	[ $((after - before)) -ge 1 ]
	[ $((after - before)) -lt 50 ]
	sync_stop
	assert_status 0
}

@test "a batch larger than --max-batch becomes one full sync" {
	prepare
	populate "$SRC"
	sync_started --delay 0.5 --max-batch 50 "$SRC" "$IT_TMP/dst"
	local before after i
	before=$(status_value 1 rsync_runs)
	for ((i = 0; i < 200; i++)); do
		echo "$i" >"$SRC/f$i"
	done
	converge "$SRC" "$IT_TMP/dst" "200 files, --max-batch 50"
	wait_until status_is 1 state idle
	after=$(status_value 1 rsync_runs)
	grep -q 'batch holds more than 50 paths: full sync' "$LOG"
	[ $((after - before)) -le 2 ]
	sync_stop
	assert_status 0
}

@test "SIGKILL with changes in hand, more changes while dead, restart: nothing is lost" {
	prepare
	populate "$SRC"
	sync_started --delay 30 --max-delay 60 -v "$SRC" "$IT_TMP/dst"
	mixed_ops "$SRC"
	wait_for_line "$LOG" "event .*chmod-me"
	kill -KILL "$SCRIPT_PID"
	{ wait "$SYNC_PID"; } 2>/dev/null || true
	SYNC_PID=
	[ -d "$STATE/lock" ]
	mixed_ops2 "$SRC"
	echo "while dead" >"$SRC/dead.txt"
	# even without an initial sync, an unclean stop forces a full one
	sync_bg --no-initial-sync --delay 0.2 "$SRC" "$IT_TMP/dst"
	converge "$SRC" "$IT_TMP/dst" "after SIGKILL and restart"
	grep -q 'did not stop cleanly' "$LOG"
	sync_stop
	assert_status 0
}

@test "SIGTERM: the batch in hand is pushed, the watcher stopped, exit 0" {
	prepare
	populate "$SRC"
	sync_started --delay 30 --max-delay 60 -v "$SRC" "$IT_TMP/dst"
	local wpid
	wpid=$(watcher_pid)
	echo "in hand" >"$SRC/in-hand.txt"
	rm -rf "$SRC/old"
	wait_for_line "$LOG" 'event .*in-hand\.txt'
	wait_for_line "$LOG" 'event .*old'
	[ ! -e "$IT_TMP/dst/in-hand.txt" ]
	sync_stop
	assert_status 0
	diff -r --no-dereference "$SRC" "$IT_TMP/dst"
	gone "$wpid"
	[ ! -e "$STATE/lock" ]
	[ ! -s "$(journal 1)" ]
	grep -qx 'state stopped' "$STATE/status"
	grep -q ' info stopped$' "$LOG"
}

@test "two targets: one down, the other stays current; the journal (0600) catches up" {
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	sync_started --delay 0.2 --retry 0.3 --max-retry 1 "$SRC" "$IT_TMP/good" "$IT_TMP/gate/bad"
	converge "$SRC" "$IT_TMP/gate/bad" "second target initial sync"
	# the second target's parent becomes a file: rsync cannot reach it
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo blocked >"$IT_TMP/gate"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/good" "good target while the other is down"
	wait_until status_not 2 last_error none
	status_not 2 pending 0
	[ "$(stat -c %a "$STATE")" = 700 ]
	[ "$(stat -c %a "$(journal 1)")" = 600 ]
	[ "$(stat -c %a "$(journal 2)")" = 600 ]
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/good" "good target, second round"
	status_not 2 pending 0
	rm "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	converge "$SRC" "$IT_TMP/gate/bad" "bad target back"
	wait_until status_is 2 pending 0
	sync_stop
	assert_status 0
}

@test "a pending journal survives a clean stop and is pushed at the next start" {
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	sync_started --delay 0.2 --retry 0.2 --max-retry 0.5 "$SRC" "$IT_TMP/gate/dst"
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo blocked >"$IT_TMP/gate"
	mixed_ops "$SRC"
	wait_until status_not 1 last_error none
	wait_until status_not 1 pending 0
	sync_stop
	assert_status 0
	[ -s "$(journal 1)" ]
	[ "$(stat -c %a "$(journal 1)")" = 600 ]
	grep -q '^target 1 pending [1-9]' "$STATE/status"
	rm "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	# no initial sync: only the journal can bring these changes
	mv "$LOG" "$LOG.first-run"
	sync_bg --no-initial-sync --delay 0.2 "$SRC" "$IT_TMP/gate/dst"
	converge "$SRC" "$IT_TMP/gate/dst" "journal pushed at restart"
	grep -q 'pending from a previous run' "$LOG"
	[ "$(grep -c 'full sync' "$LOG")" = 0 ]
	sync_stop
	assert_status 0
}

@test "excludes: never pushed, neither by the initial sync nor later" {
	prepare
	mkdir -p "$SRC/cache" "$SRC/a/cache/deep" "$SRC/build" "$SRC/sub/build" "$SRC/logs"
	echo c >"$SRC/cache/x"
	echo c >"$SRC/a/cache/deep/y"
	echo b >"$SRC/build/out"
	echo k >"$SRC/sub/build/kept"
	echo t >"$SRC/a/f.tmp"
	echo l >"$SRC/logs/app.log"
	echo r >"$SRC/a/real"
	echo rsync-temp >"$SRC/.real.Ab12Z9"
	printf '# comment\n\n*.log\n; another comment\n' >"$IT_TMP/excludes"
	sync_started -v --delay 0.2 --exclude 'cache/' --exclude '*.tmp' --exclude /build \
		--exclude-from "$IT_TMP/excludes" "$SRC" "$IT_TMP/dst"
	local dst=$IT_TMP/dst
	[ -e "$dst/a/real" ]
	[ -e "$dst/sub/build/kept" ]
	[ -d "$dst/logs" ]
	[ ! -e "$dst/cache" ]
	[ ! -e "$dst/a/cache" ]
	[ ! -e "$dst/build" ]
	[ ! -e "$dst/a/f.tmp" ]
	[ ! -e "$dst/logs/app.log" ]
	[ ! -e "$dst/.real.Ab12Z9" ]
	# later: new excluded files, in old and in new directories, renamed in
	echo c2 >"$SRC/cache/x2"
	mkdir -p "$SRC/n/e/w/cache/z"
	echo z >"$SRC/n/e/w/cache/z/f"
	echo t >"$SRC/n/e/w/g.tmp"
	echo l >"$SRC/n/h.log"
	mkdir -p "$IT_TMP/outside/cache"
	echo o >"$IT_TMP/outside/cache/o"
	echo o >"$IT_TMP/outside/o.tmp"
	mv "$IT_TMP/outside" "$SRC/moved-in"
	mv "$SRC/a" "$SRC/a2"
	echo b2 >"$SRC/build/out2"
	mkdir -p "$SRC/build/new"
	echo ok >"$SRC/sub/build/kept2"
	echo rsync-temp >"$SRC/n/.g.tmpXYZ"
	echo 'done' >"$SRC/trigger"
	converge_filtered() {
		diff -r -x cache -x '*.tmp' -x '*.log' -x build -x '.*.??????' "$SRC" "$dst" >/dev/null
	}
	wait_until converge_filtered
	[ -e "$dst/trigger" ]
	[ -e "$dst/sub/build/kept2" ]
	[ -e "$dst/a2/real" ]
	[ ! -e "$dst/a" ]
	[ -z "$(find "$dst" \( -name cache -o -name '*.tmp' -o -name '*.log' -o -name '.*.??????' \) -print)" ]
	[ ! -e "$dst/build" ]
	# the watcher itself already dropped what the patterns translate to
	grep -q 'event .*trigger' "$LOG"
	[ "$(grep -cE 'event .*(\.tmp|\.log|/cache/.*)$' "$LOG")" = 0 ]
	sync_stop
	assert_status 0
}

@test "include rules in --exclude-from: include chains keep rsync's semantics" {
	prepare
	mkdir -p "$SRC/d"
	echo k >"$SRC/d/keep.tmp"
	echo t >"$SRC/d/drop.tmp"
	printf '+ keep.tmp\n- *.tmp\n' >"$IT_TMP/rules"
	sync_started --delay 0.2 --exclude-from "$IT_TMP/rules" "$SRC" "$IT_TMP/dst"
	grep -q 'include chains' "$LOG"
	[ -e "$IT_TMP/dst/d/keep.tmp" ]
	[ ! -e "$IT_TMP/dst/d/drop.tmp" ]
	mkdir -p "$SRC/e/f"
	echo k >"$SRC/e/f/keep.tmp"
	echo t >"$SRC/e/f/other.tmp"
	echo x >"$SRC/e/f/x"
	rm "$SRC/d/keep.tmp"
	wait_until test -e "$IT_TMP/dst/e/f/x"
	wait_until test ! -e "$IT_TMP/dst/d/keep.tmp"
	[ -e "$IT_TMP/dst/e/f/keep.tmp" ]
	[ ! -e "$IT_TMP/dst/e/f/other.tmp" ]
	sync_stop
	assert_status 0
}

@test "a second instance on the same state dir is refused" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	run_sync --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst2"
	assert_status 1
	[ "$(wc -l <"$ERR")" = 1 ]
	grep -q "locked by another instance (pid $SCRIPT_PID)" "$ERR"
	[ ! -e "$IT_TMP/dst2" ]
	run_sync --once --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst2"
	assert_status 1
	# the first one is unaffected
	kill -0 "$SCRIPT_PID"
	echo after >"$SRC/after"
	converge "$SRC" "$IT_TMP/dst" "first instance after the refusal"
	sync_stop
	assert_status 0
}

@test "--full-every repairs a target changed behind our back" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --full-every 0.5 "$SRC" "$IT_TMP/dst"
	rm -rf "$IT_TMP/dst/keep"
	echo intruder >"$IT_TMP/dst/intruder"
	converge "$SRC" "$IT_TMP/dst" "periodic full sync"
	grep -q 'periodic full sync' "$LOG"
	sync_stop
	assert_status 0
}

@test "--no-initial-sync leaves existing files alone and pushes new changes" {
	prepare
	echo pre >"$SRC/pre-existing"
	sync_bg --no-initial-sync --delay 0.2 "$SRC" "$IT_TMP/dst"
	wait_for_line "$LOG" 'watcher ready: no initial sync'
	echo new >"$SRC/new"
	wait_until test -e "$IT_TMP/dst/new"
	[ ! -e "$IT_TMP/dst/pre-existing" ]
	sync_stop
	assert_status 0
}

@test "the default state dir is XDG_STATE_HOME/inotify-rsync/<hash>, else ~/.local/state, mode 0700" {
	prepare
	echo x >"$SRC/x"
	XDG_STATE_HOME=$IT_TMP/xdg run_fg "$IT_RSYNC_SCRIPT" --once --inotifywait "$INOTIFYWAIT" "$SRC" "$IT_TMP/dst"
	assert_status 0
	local d
	d=$(echo "$IT_TMP"/xdg/inotify-rsync/*)
	[[ ${d##*/} =~ ^[0-9a-f]{16}$ ]]
	[ "$(stat -c %a "$d")" = 700 ]
	grep -q '^target 1 last_success 2' "$d/status"
	HOME=$IT_TMP/home XDG_STATE_HOME='' run_fg "$IT_RSYNC_SCRIPT" --once --inotifywait "$INOTIFYWAIT" "$SRC" "$IT_TMP/dst"
	assert_status 0
	[ "$(echo "$IT_TMP"/home/.local/state/inotify-rsync/*)" != "$IT_TMP/home/.local/state/inotify-rsync/*" ]
	# the hash is the source's: another spelling of it shares the state dir
	XDG_STATE_HOME=$IT_TMP/xdg run_fg "$IT_RSYNC_SCRIPT" --once --inotifywait "$INOTIFYWAIT" "$TEST_DIR/./src/" "$IT_TMP/dst"
	assert_status 0
	[ "$(echo "$IT_TMP"/xdg/inotify-rsync/*)" = "$d" ]
}

@test "the watcher is restarted when it dies, followed by a full sync" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --retry 0.2 "$SRC" "$IT_TMP/dst"
	local wpid
	wpid=$(watcher_pid)
	kill -KILL "$wpid"
	wait_for_line "$LOG" 'inotifywait restarted'
	echo after >"$SRC/after-restart"
	converge "$SRC" "$IT_TMP/dst" "after a watcher restart"
	[ "$(watcher_pid)" != "$wpid" ]
	sync_stop
	assert_status 0
}

@test "SOURCE replaced by another directory: new watcher, full sync" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --retry 0.2 "$SRC" "$IT_TMP/dst"
	mv "$SRC" "$TEST_DIR/src.old"
	mkdir "$SRC"
	echo new >"$SRC/new"
	echo stale >"$TEST_DIR/src.old/stale"
	converge "$SRC" "$IT_TMP/dst" "replaced SOURCE"
	wait_for_line "$LOG" 'SOURCE itself was moved, replaced or deleted'
	echo later >"$SRC/later"
	converge "$SRC" "$IT_TMP/dst" "replaced SOURCE, later change"
	sync_stop
	assert_status 0
}
