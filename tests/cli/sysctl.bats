#!/usr/bin/env bats
# sysctl.bats: the tests that lower the machine-wide
# /proc/sys/fs/inotify/max_queued_events to make the kernel queue overflow.
#
# The limit is read when an inotify instance is created, by every program on
# the machine: a test lowers it only until the tool under test has its
# queue, and puts it back at once (restore_queue_limit).  Whatever happens
# (the tool does not start, an assertion fails), teardown puts back the
# value setup found, and teardown_file the one the file started with.  The
# tests skip, saying why, where the limit cannot be written: not root, a
# read-only /proc/sys, a container.
#
# Other test files must not create inotify instances while the limit is
# low, so make check runs this file alone, after all the others (see
# tests/Makefile.am).

load common
load rsync

F='%w|%f|%e'

QUEUE_LIMIT=/proc/sys/fs/inotify/max_queued_events

eval "$(declare -f setup | sed '1s/setup/_common_setup/')"
eval "$(declare -f teardown | sed '1s/teardown/_common_teardown/')"

setup_file() {
	cat "$QUEUE_LIMIT" >"$BATS_FILE_TMPDIR/max_queued_events" 2>/dev/null ||
		true
}

setup() {
	_common_setup
	SAVED_QUEUE_LIMIT=$(cat "$QUEUE_LIMIT" 2>/dev/null) || SAVED_QUEUE_LIMIT=
}

teardown() {
	restore_queue_limit
	_common_teardown
}

# teardown_file: in case a teardown did not get as far as restoring it.
teardown_file() {
	local first
	first=$(cat "$BATS_FILE_TMPDIR/max_queued_events" 2>/dev/null) || return 0
	if [ -n "$first" ] && [ "$(cat "$QUEUE_LIMIT")" != "$first" ]; then
		echo "$first" >"$QUEUE_LIMIT"
	fi
}

# lower_queue_limit N: max_queued_events is N for the inotify instances
# created from now on; skip, saying why, when it cannot be written.
lower_queue_limit() {
	[ "$(id -u)" = 0 ] || skip "needs root to lower max_queued_events"
	[ -n "$SAVED_QUEUE_LIMIT" ] || skip "cannot read $QUEUE_LIMIT"
	# writing the value it has tells whether it can be written at all
	{ echo "$SAVED_QUEUE_LIMIT" >"$QUEUE_LIMIT"; } 2>/dev/null ||
		skip "cannot write $QUEUE_LIMIT (read-only /proc/sys?)"
	echo "$1" >"$QUEUE_LIMIT"
}

# restore_queue_limit: the value setup found, back in place.
restore_queue_limit() {
	if [ -n "${SAVED_QUEUE_LIMIT:-}" ] &&
		[ "$(cat "$QUEUE_LIMIT")" != "$SAVED_QUEUE_LIMIT" ]; then
		echo "$SAVED_QUEUE_LIMIT" >"$QUEUE_LIMIT"
	fi
}

# ------------------------------------------------------------ inotifywait

@test "overflow is reported through the format and on stderr, then the tree is rescanned" {
	ours_only "upstream swallows IN_Q_OVERFLOW"
	lower_queue_limit 16
	mkdir r
	start_bg inotifywait -m -r -e create --format "$F" r
	restore_queue_limit
	pid=$(pgrep -P "$BG_PID")
	kill -STOP "$pid"
	for i in $(seq 40); do touch "r/f$i"; done
	mkdir r/during
	kill -CONT "$pid"
	wait_for_exact_line "$OUT" '||Q_OVERFLOW'
	wait_until watches_are 2
	touch r/during/after
	wait_for_exact_line "$OUT" 'r/during/|after|CREATE'
	stop_bg
	grep -qxF 'Warning: the kernel event queue overflowed; events were lost.' "$ERR"
}

@test "a directory renamed while events were lost is known by its new name after the rescan" {
	ours_only "upstream swallows IN_Q_OVERFLOW and keeps the old path"
	mkdir -p r/a/sub
	lower_queue_limit 16
	start_bg inotifywait -m -r -e create --format "$F" r
	restore_queue_limit
	pid=$(pgrep -P "$BG_PID")
	kill -STOP "$pid"
	for i in $(seq 40); do touch "r/f$i"; done
	# its MOVED_FROM and MOVED_TO are lost
	mv r/a r/b
	mkdir r/during
	kill -CONT "$pid"
	wait_for_exact_line "$OUT" '||Q_OVERFLOW'
	# the rescan is over once it has found r/during
	wait_until watches_are 4
	touch r/b/sub/x
	wait_for_exact_line "$OUT" 'r/b/sub/|x|CREATE'
	stop_bg
	run grep -c '^r/a/' "$OUT"
	[ "$output" = 0 ]
}

@test "overflow with -q: the event is printed, no warning" {
	ours_only
	lower_queue_limit 16
	mkdir r
	start_bg_quiet inotifywait -m -q -e create -c r
	restore_queue_limit
	pid=$(pgrep -P "$BG_PID")
	kill -STOP "$pid"
	for i in $(seq 40); do touch "r/f$i"; done
	kill -CONT "$pid"
	wait_for_exact_line "$OUT" 'Q_OVERFLOW,'
	stop_bg
	assert_file "$ERR"
}

# ------------------------------------------------------------ inotify-rsync.sh

@test "queue overflow with a tiny max_queued_events: the burst converges by a full sync" {
	[ "$(id -u)" = 0 ] || skip "setting $QUEUE_LIMIT needs root"
	[ -w "$QUEUE_LIMIT" ] || skip "$QUEUE_LIMIT is not writable here"
	prepare
	populate "$SRC"
	mkdir "$SRC/flood"
	local wpid i
	# the limit is read when inotifywait creates its queue: lower it only
	# until the watcher is ready, so that nothing else on the machine is hit
	echo 32 >"$QUEUE_LIMIT"
	if ! sync_bg --delay 0.2 "$SRC" "$IT_TMP/dst" || ! wait_for_line "$LOG" 'watcher ready'; then
		restore_queue_limit
		return 1
	fi
	restore_queue_limit
	wait_for_line "$LOG" 'initial sync done'
	wpid=$(watcher_pid)
	kill -STOP "$wpid"
	# far more events than the queue holds, all in watched directories
	for ((i = 0; i < 500; i++)); do
		echo "$i" >"$SRC/flood/f$i"
	done
	rm -rf "$SRC/keep"
	kill -CONT "$wpid"
	converge "$SRC" "$IT_TMP/dst" "after a queue overflow"
	grep -q 'overflow' "$LOG"
	grep -q 'full sync' "$LOG"
	sync_stop
	assert_status 0
}
