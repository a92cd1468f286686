# common.bash - helpers shared by the bats suites in tests/cli (load common).
#
# Conventions: every tool run goes through run_fg/start_bg (both wrap it in
# timeout).  A test that needs "everything so far has been printed" makes a
# last, known event (a sentinel) and waits for its line: events are read in
# order from one inotify queue, so nothing earlier can still be pending.
# Nothing waits with a fixed sleep: every wait is a wait_until.
#
# Environment
#   INOTIFYWAIT, INOTIFYWATCH  binaries under test; default to the ones built
#                              in src/ of this tree.
#   IT_UPSTREAM=1              we run against upstream's binaries (an oracle):
#                              tests calling ours_only are skipped.
#   IT_WAIT_MAX                seconds a wait_until may take (default 10).
#   IT_TOOL_PREFIX             a command line (split on blanks) put before
#                              every run of INOTIFYWAIT or INOTIFYWATCH by
#                              start_bg, start_bg_quiet and run_fg, e.g.
#                              "valgrind -q --error-exitcode=99" (make
#                              check-valgrind); timeouts are multiplied by
#                              IT_TIME_FACTOR (default 1).
#
# Per-test state (set by setup)
#   IT_TMP     fresh temporary directory, removed by teardown
#   TEST_DIR   $IT_TMP/w, the current directory of the test (watch things here)
#   OUT, ERR   $IT_TMP/io/out and $IT_TMP/io/err: stdout and stderr of the
#              tool started by start_bg/start_bg_quiet/run_fg.  They live
#              outside TEST_DIR so that watching "." never sees the tool's
#              own writes to them.
#   BG_PID     pid of the background tool (the `timeout' wrapping it)
#
# Functions
#   ours_only [why]          skip when IT_UPSTREAM=1 (intentional difference)
#   wait_until [-t SECONDS] [-p PID] [-m WHAT] CMD [ARGS...]
#                            the one polling loop of the suites: run CMD
#                            until it succeeds, at once and then every 10 ms
#                            growing to 50 ms.  It fails after SECONDS
#                            (whole seconds, default IT_WAIT_MAX) or, with
#                            -p, as soon as process PID has exited and CMD
#                            has failed once more; then it says on stderr
#                            what it waited for (WHAT, by default CMD
#                            itself).  Every helper below that waits is
#                            built on it.
#   start_bg TOOL ARGS...    start TOOL in the background under timeout, wait
#                            for its readiness line on stderr: "Watches
#                            established." (inotifywait) or "Finished
#                            establishing watches, now collecting statistics."
#                            (inotifywatch).  TOOL is a path or one of the
#                            words inotifywait/inotifywatch.  stdin is passed
#                            on, so `start_bg inotifywait --fromfile - <list'
#                            works.
#   start_bg_quiet [-n N] TOOL ARGS...
#                            same for runs that print no readiness line (-q,
#                            -qq, -s): waits until the tool's process holds
#                            at least N inotify watches (default 1), read from
#                            /proc/<pid>/fdinfo.  With -r count one watch per
#                            directory of the tree.  No probe event is needed,
#                            so the output stays clean.
#   wait_watches PID N       the readiness test used by start_bg_quiet, for
#                            processes started otherwise (e.g. a daemon found
#                            with pids_with_arg).
#   watches                  inotify watches the background tool holds now
#   watches_are N            the background tool holds exactly N watches
#                            (for `wait_until watches_are N')
#   tool_idle PID            true when process PID has no signal pending and
#                            every thread of it sleeps (state S): a tool
#                            blocked in poll/read has consumed every event
#                            the file operations before it queued.
#   wait_bg                  wait for the background tool to exit; sets $status
#   stop_bg                  SIGTERM the background tool, wait; sets $status
#   run_fg TOOL ARGS...      run TOOL in the foreground under timeout, stdout to
#                            $OUT, stderr to $ERR; sets $status (stdin passed on)
#   file_matches GREP-OPTION PATTERN FILE
#                            FILE exists and `grep GREP-OPTION PATTERN' finds
#                            a line in it (-E, -G, -xF, ...)
#   wait_for_line FILE ERE   poll until a line of FILE matches the extended
#                            regular expression (grep -E)
#   wait_for_exact_line FILE LINE
#                            poll until FILE holds exactly LINE (grep -xF)
#   assert_file FILE [LINE...]
#                            FILE must be exactly the LINEs, each followed by
#                            a newline (no LINE: FILE must be empty)
#   assert_file_printf FILE FMT [ARGS...]
#                            FILE must be exactly what printf FMT ARGS prints
#                            (use it for NUL bytes or missing final newline)
#   assert_status N          $status must be N
#   expect_error MESSAGE...  an inotifywait run failed: exit status 1, stdout
#                            empty, stderr exactly the MESSAGE lines
#   SETUP_LINES, SETUP_LINES_R
#                            inotifywait's stderr when it got ready, without
#                            and with -r
#   pids_with_arg STRING     pids of processes whose command line contains
#                            STRING (used to find daemons started by a test)
#   bg_track PID             kill PID in teardown too

bats_require_minimum_version 1.5.0

# Messages from glibc (getopt, strerror) are compared verbatim: no translations.
export LC_ALL=C

: "${INOTIFYWAIT:=$BATS_TEST_DIRNAME/../../src/inotifywait}"
: "${INOTIFYWATCH:=$BATS_TEST_DIRNAME/../../src/inotifywatch}"
: "${IT_WAIT_MAX:=10}"
export INOTIFYWAIT INOTIFYWATCH

: "${IT_TIME_FACTOR:=1}"
# Seconds a background tool may live before `timeout' ends it.
IT_BG_TIMEOUT=$((20 * IT_TIME_FACTOR))
# Seconds a foreground run may take.
IT_FG_TIMEOUT=$((10 * IT_TIME_FACTOR))
IT_WAIT_MAX=$((IT_WAIT_MAX * IT_TIME_FACTOR))
# shellcheck disable=SC2206 # split on blanks, as documented
IT_PREFIX=(${IT_TOOL_PREFIX:-})

ours_only() {
	if [ "${IT_UPSTREAM:-0}" = 1 ]; then
		skip "${1:-intentional difference from upstream}"
	fi
}

# upstream_only [why]: a test of upstream's behaviour where we deliberately
# differ; it runs only against upstream (IT_UPSTREAM=1).
upstream_only() {
	if [ "${IT_UPSTREAM:-0}" != 1 ]; then
		skip "${1:-upstream behaviour we deliberately do not copy}"
	fi
}

setup() {
	IT_TMP=$(mktemp -d "${BATS_RUN_TMPDIR:-${BATS_TMPDIR:-/tmp}}/it.XXXXXX")
	TEST_DIR=$IT_TMP/w
	mkdir "$IT_TMP/io" "$TEST_DIR"
	OUT=$IT_TMP/io/out
	ERR=$IT_TMP/io/err
	: >"$OUT"
	: >"$ERR"
	BG_PID=
	IT_EXTRA_PIDS=()
	cd "$TEST_DIR" || return 1
}

teardown() {
	local pid
	cd /
	if [ -n "${BG_PID:-}" ]; then
		_it_kill "$BG_PID"
		BG_PID=
	fi
	for pid in "${IT_EXTRA_PIDS[@]}"; do
		_it_kill "$pid"
	done
	if [ -n "${IT_TMP:-}" ]; then
		for pid in $(pids_with_arg "$IT_TMP"); do
			kill -TERM "$pid" 2>/dev/null || true
		done
		rm -rf "$IT_TMP"
	fi
}

_it_kill() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

bg_track() {
	IT_EXTRA_PIDS+=("$1")
}

# _it_run_prefix BINARY: the prefix to run BINARY with, one word a line.
_it_run_prefix() {
	case $1 in
	"$INOTIFYWAIT" | "$INOTIFYWATCH") printf '%s\n' "${IT_PREFIX[@]}" ;;
	esac
}

# _it_tool NAME: the binary for a tool word or a path.
_it_tool() {
	case $1 in
	inotifywait) printf '%s\n' "$INOTIFYWAIT" ;;
	inotifywatch) printf '%s\n' "$INOTIFYWATCH" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# _it_ready_line BINARY: the stderr line that says BINARY is ready.
_it_ready_line() {
	if [ "$1" = "$INOTIFYWATCH" ]; then
		echo 'Finished establishing watches, now collecting statistics.'
		return
	fi
	case ${1##*/} in
	*watch) echo 'Finished establishing watches, now collecting statistics.' ;;
	*) echo 'Watches established.' ;;
	esac
}

# _it_spawn BINARY ARGS...: start it in the background, remember its pid.
# fd 3 is bats' own output channel: a child keeping it open hangs bats.
_it_spawn() {
	# Empty the files now: the background redirections happen later, and a
	# readiness poll must not see the previous run's lines.
	[ -p "$OUT" ] || : >"$OUT"
	[ -p "$ERR" ] || : >"$ERR"
	local pre=()
	[ "${#IT_PREFIX[@]}" -eq 0 ] || mapfile -t pre < <(_it_run_prefix "$1")
	timeout -k 5 "$IT_BG_TIMEOUT" "${pre[@]}" "$@" <&0 >"$OUT" 2>"$ERR" 3>&- &
	BG_PID=$!
}

_it_alive() {
	kill -0 "$1" 2>/dev/null
}

wait_until() {
	local max=$IT_WAIT_MAX pid='' what='' ms=10 tick deadline
	while :; do
		case $1 in
		-t) max=$2 ;;
		-p) pid=$2 ;;
		-m) what=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	[ -n "$what" ] || what="'$*'"
	deadline=$((${EPOCHREALTIME/./} + max * 1000000))
	until "$@"; do
		if [ -n "$pid" ] && ! _it_alive "$pid"; then
			"$@" && return 0
			echo "wait_until: gave up waiting for $what: process $pid exited" >&2
			return 1
		fi
		if ((${EPOCHREALTIME/./} >= deadline)); then
			echo "wait_until: gave up waiting for $what after ${max}s" >&2
			return 1
		fi
		printf -v tick '0.%03d' "$ms"
		sleep "$tick"
		ms=$((ms * 2 > 50 ? 50 : ms * 2))
	done
}

# _it_dump FILE: FILE for a failure message, and stderr of the tool too.
_it_dump() {
	echo "--- $1:" >&2
	cat -A "$1" >&2 2>/dev/null || true
	if [ "$1" != "$ERR" ]; then
		echo "--- stderr:" >&2
		cat -A "$ERR" >&2 2>/dev/null || true
	fi
}

file_matches() {
	[ -f "$3" ] && grep -q "$1" -- "$2" "$3"
}

start_bg() {
	local bin ready
	bin=$(_it_tool "$1")
	shift
	ready=$(_it_ready_line "$bin")
	_it_spawn "$bin" "$@"
	if ! wait_until -p "$BG_PID" -m "'$ready' on stderr" \
		file_matches -xF "$ready" "$ERR"; then
		echo "start_bg: $bin $* did not get ready" >&2
		_it_dump "$ERR"
		return 1
	fi
}

start_bg_quiet() {
	local n=1 bin
	if [ "$1" = -n ]; then
		n=$2
		shift 2
	fi
	bin=$(_it_tool "$1")
	shift
	_it_spawn "$bin" "$@"
	if ! wait_watches "$BG_PID" "$n"; then
		echo "start_bg_quiet: $bin $* did not get ready" >&2
		_it_dump "$ERR"
		return 1
	fi
}

# _it_descendants PID: PID and all its descendants, one per line.
_it_descendants() {
	local p c kids
	echo "$1"
	for p in /proc/"$1"/task/*/children; do
		[ -r "$p" ] || continue
		read -r -a kids <"$p" 2>/dev/null || true
		for c in "${kids[@]}"; do
			_it_descendants "$c"
		done
	done
}

# _it_count_watches PID: inotify watches held by PID and its descendants.
_it_count_watches() {
	local p total=0 n f
	for p in $(_it_descendants "$1"); do
		for f in /proc/"$p"/fdinfo/*; do
			[ -r "$f" ] || continue
			n=$(grep -c '^inotify wd:' "$f" 2>/dev/null) || true
			total=$((total + ${n:-0}))
		done
	done
	echo "$total"
}

# _it_has_watches PID N: PID and its descendants hold at least N watches.
_it_has_watches() {
	[ "$(_it_count_watches "$1")" -ge "$2" ]
}

watches() {
	_it_count_watches "$BG_PID"
}

watches_are() {
	[ "$(watches)" -eq "$1" ]
}

wait_watches() {
	wait_until -p "$1" -m "$2 inotify watch(es) held by process $1" \
		_it_has_watches "$1" "$2"
}

tool_idle() {
	local t line st v
	[ -d "/proc/$1" ] || return 1
	while read -r _ v; do
		[ "$v" = 0000000000000000 ] || return 1
	done < <(grep -E '^(SigPnd|ShdPnd):' "/proc/$1/status" 2>/dev/null)
	for t in /proc/"$1"/task/*/stat; do
		read -r line 2>/dev/null <"$t" || return 1
		st=${line##*) }
		st=${st%% *}
		[ "$st" = S ] || return 1
	done
}

wait_bg() {
	status=0
	wait "$BG_PID" || status=$?
	BG_PID=
}

stop_bg() {
	status=0
	kill -TERM "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" || status=$?
	BG_PID=
}

run_fg() {
	local bin pre=()
	bin=$(_it_tool "$1")
	shift
	[ "${#IT_PREFIX[@]}" -eq 0 ] || mapfile -t pre < <(_it_run_prefix "$bin")
	status=0
	timeout -k 5 "$IT_FG_TIMEOUT" "${pre[@]}" "$bin" "$@" <&0 >"$OUT" 2>"$ERR" 3>&- || status=$?
}

wait_for_line() {
	wait_until -m "a line matching '$2' in $1" file_matches -E "$2" "$1" ||
		{
			_it_dump "$1"
			return 1
		}
}

wait_for_exact_line() {
	wait_until -m "the line '$2' in $1" file_matches -xF "$2" "$1" ||
		{
			_it_dump "$1"
			return 1
		}
}

# _it_compare FILE EXPECTED_FILE: cmp, explaining a difference.
_it_compare() {
	if cmp -s -- "$2" "$1"; then
		return 0
	fi
	{
		echo "content of $1 differs"
		echo "--- expected (cat -A):"
		cat -A "$2"
		echo "--- actual (cat -A):"
		cat -A "$1"
	} >&2
	return 1
}

assert_file() {
	local file=$1 exp
	shift
	exp=$(mktemp "$IT_TMP/expected.XXXXXX")
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" >"$exp"
	fi
	_it_compare "$file" "$exp"
}

assert_file_printf() {
	local file=$1 exp
	shift
	exp=$(mktemp "$IT_TMP/expected.XXXXXX")
	# shellcheck disable=SC2059 # the format is the caller's
	printf "$@" >"$exp"
	_it_compare "$file" "$exp"
}

assert_status() {
	if [ "$status" != "$1" ]; then
		echo "exit status $status, expected $1" >&2
		echo "--- stdout:" >&2
		cat -A "$OUT" >&2
		echo "--- stderr:" >&2
		cat -A "$ERR" >&2
		return 1
	fi
}

# expect_error MESSAGE...: stdout empty, stderr exactly MESSAGE
# lines, exit status 1.
expect_error() {
	assert_status 1
	assert_file "$OUT"
	assert_file "$ERR" "$@"
}

# shellcheck disable=SC2034 # for the test files
SETUP_LINES=("Setting up watches." "Watches established.")
# shellcheck disable=SC2034
SETUP_LINES_R=("Setting up watches.  Beware: since -r was given, this may take a while!" "Watches established.")

pids_with_arg() {
	local d pid args
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = "$$" ] && continue
		[ "$pid" = "$BASHPID" ] && continue
		args=()
		mapfile -d '' args <"$d/cmdline" 2>/dev/null || continue
		case "${args[*]}" in
		*"$1"*) echo "$pid" ;;
		esac
	done
}

# json_parses FILE [--lines]: FILE is valid JSON (each line with --lines),
# by python3 or jq when one is installed.
json_parses() {
	if command -v python3 >/dev/null; then
		if [ "${2:-}" = --lines ]; then
			python3 -c 'import json, sys
for line in open(sys.argv[1], "rb"):
    json.loads(line)' "$1"
		else
			python3 -m json.tool "$1" >/dev/null
		fi
	elif command -v jq >/dev/null; then
		jq -e . "$1" >/dev/null
	else
		echo "# no python3 or jq: JSON checked as text only" >&3
	fi
}
