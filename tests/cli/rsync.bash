# rsync.bash - helpers for tests that drive scripts/inotify-rsync.sh (load
# common, then load rsync). sysctl.bats uses them; rsync.bats still has
# its own copies.
#
# Environment
#   IT_RSYNC_SCRIPT   the script under test (default: scripts/ of this tree)
#   IT_CONVERGE_MAX   seconds a target may take to equal its source (20)

: "${IT_RSYNC_SCRIPT:=$BATS_TEST_DIRNAME/../../scripts/inotify-rsync.sh}"
: "${IT_CONVERGE_MAX:=20}"

# Seconds a background inotify-rsync.sh or rsync daemon may live.
SYNC_TIMEOUT=120

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

# sync_stop: SIGTERM to the script itself (not to the process group), wait.
# shellcheck disable=SC2034 # status is the tests' to read
sync_stop() {
	status=0
	kill -TERM "$SCRIPT_PID" 2>/dev/null || true
	wait "$SYNC_PID" || status=$?
	SYNC_PID=
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
