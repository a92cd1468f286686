# rsync.bash - helpers for the tests that drive scripts/inotify-rsync.sh
# (load common, then load rsync): rsync.bats, sysctl.bats.
#
# Environment
#   IT_RSYNC_SCRIPT   the script under test (default: scripts/ of this tree)
#   INOTIFYWAIT       passed to the script with --inotifywait (common.bash)
#   IT_CONVERGE_MAX   seconds a target may take to equal its source (20)
#   IT_TARPIT         a TCP server that accepts and never answers (tarpit.c)
#
# No sleeps wait for readiness: every wait polls a condition (a log line,
# the status file, `diff -r' coming out clean) against a deadline.

# Variables set here (status, TARPIT_PORT, LATENCY...) are the tests'.
# shellcheck disable=SC2034
: "${IT_RSYNC_SCRIPT:=$BATS_TEST_DIRNAME/../../scripts/inotify-rsync.sh}"
: "${IT_CONVERGE_MAX:=20}"
: "${IT_TARPIT:=$BATS_TEST_DIRNAME/tarpit}"

# Seconds a background inotify-rsync.sh or rsync daemon may live.
SYNC_TIMEOUT=120
# A command put before the script by sync_bg (setpriv, faketime).
SYNC_AS=()

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
	timeout -k 5 "$SYNC_TIMEOUT" "${SYNC_AS[@]}" "$IT_RSYNC_SCRIPT" --inotifywait "$INOTIFYWAIT" \
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
	local pid rest p
	gone "$SYNC_PID" && return 0
	read -r pid rest 2>/dev/null <"$STATE/lock/pid" || return 1
	for p in $(_it_descendants "$SYNC_PID"); do
		[ "$p" = "$pid" ] && return 0
	done
	return 1
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

# _same_tree SRC DST: `diff -r SRC DST' is clean (symbolic links compared
# as links).
_same_tree() {
	diff -r --no-dereference -- "$1" "$2" >/dev/null 2>&1
}

# converge SRC DST LABEL [MAX]: wait until DST equals SRC; print the time
# it took.
converge() {
	local src=$1 dst=$2 label=$3 max=${4:-$IT_CONVERGE_MAX} start ms
	start=${EPOCHREALTIME/./}
	if ! wait_until -t "$max" -m "$dst to equal $src" _same_tree "$src" "$dst"; then
		diff -r --no-dereference -- "$src" "$dst" >&2 || true
		echo "--- log:" >&2
		cat -A "$LOG" >&2 || true
		echo "--- stderr:" >&2
		cat -A "$ERR" >&2 || true
		return 1
	fi
	ms=$(((${EPOCHREALTIME/./} - start) / 1000))
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

# gone PID: PID has exited (a zombie counts as gone: an orphan's new
# parent may never reap it).
gone() {
	local stat
	kill -0 "$1" 2>/dev/null || return 0
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
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

# tarpit_start: a TCP server on 127.0.0.1 that accepts connections and
# never answers; TARPIT_PORT is its port.
tarpit_start() {
	[ -x "$IT_TARPIT" ] || skip "$IT_TARPIT is not built"
	timeout -k 5 "$SYNC_TIMEOUT" "$IT_TARPIT" >"$IT_TMP/tarpit.port" 3>&- &
	TARPIT_PID=$!
	bg_track "$TARPIT_PID"
	wait_until test -s "$IT_TMP/tarpit.port"
	TARPIT_PORT=$(cat "$IT_TMP/tarpit.port")
}

# procs_of COMM STRING: pids of the COMM processes with STRING in their
# command line.
procs_of() {
	local p comm
	for p in $(pids_with_arg "$2"); do
		read -r comm <"/proc/$p/comm" 2>/dev/null || continue
		[ "$comm" = "$1" ] && echo "$p"
	done
	return 0
}

no_procs_of() { # COMM STRING
	[ -z "$(procs_of "$@")" ]
}

has_procs_of() { # COMM STRING
	[ -n "$(procs_of "$@")" ]
}

# as_nobody: run the script as an unprivileged user (nobody when we are
# root, else ourselves), with SRC, STATE and LOG in a directory that user
# owns; UNREADABLE is a command making a file rsync cannot read.
as_nobody() {
	USER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/inotify-rsync-user.XXXXXX")
	chmod 755 "$USER_DIR"
	SRC=$USER_DIR/src
	STATE=$USER_DIR/state
	LOG=$USER_DIR/log
	mkdir -p "$SRC" "$USER_DIR/dst"
	SYNC_PID=
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv is not installed"
		chown -R 65534:65534 "$USER_DIR"
		SYNC_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
}

# unreadable FILE: a file the script's user cannot read.
unreadable() {
	echo secret >"$1"
	[ "$(id -u)" = 0 ] && chown 0:0 "$1"
	chmod 000 "$1"
}

# arrival FILE MAX: poll until FILE exists, at most MAX seconds; LATENCY =
# the milliseconds it took.
arrival() {
	local start now
	start=${EPOCHREALTIME/./}
	while [ ! -e "$1" ]; do
		now=${EPOCHREALTIME/./}
		(((now - start) / 1000 <= $2 * 1000)) || return 1
		sleep 0.02
	done
	now=${EPOCHREALTIME/./}
	LATENCY=$(((now - start) / 1000))
}
