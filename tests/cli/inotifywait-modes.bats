#!/usr/bin/env bats
# inotifywait-modes.bats - how inotifywait runs and where it writes: -m,
# -d, -o, -s, -q/-qq, -t and the backend options -I/-F/-S.
#
# Run:  bats tests/cli/inotifywait-modes.bats
# Oracle run against Debian's binaries:
#       INOTIFYWAIT=/usr/bin/inotifywait IT_UPSTREAM=1 bats tests/cli/inotifywait-modes.bats
#
# One of the inotifywait-*.bats files, split by topic; the conventions and
# the helpers they share are in common.bash.

load common

# ------------------------------------------------------------------ helpers

# _one_daemon FILE: exactly one process names FILE in its argv; its pid in
# DAEMON_PID.
_one_daemon() {
	local pids
	pids=$(pids_with_arg "$1")
	[ -n "$pids" ] && [ "$(wc -l <<<"$pids")" -eq 1 ] && DAEMON_PID=$pids
}

# daemon_pid FILE: poll for the pid of the daemon whose argv names FILE
# (waiting until a single process is left, should it fork twice).
daemon_pid() {
	wait_until -m "a single daemon process for $1" _one_daemon "$1" || return 1
	echo "$DAEMON_PID"
}

# ------------------------------------------------------------ -m / --monitor

@test "without -m the first event ends the wait (exit 0)" {
	mkdir d
	start_bg inotifywait -e create d
	touch d/a d/b
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "-m keeps reporting events and keeps running" {
	mkdir d
	start_bg inotifywait -m -e create d
	touch d/a
	touch d/b
	wait_for_exact_line "$OUT" "d/ CREATE b"
	kill -0 "$BG_PID"
	stop_bg
	assert_file "$OUT" "d/ CREATE a" "d/ CREATE b"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--monitor is -m" {
	mkdir d
	start_bg inotifywait --monitor -e create d
	touch d/a
	touch d/b
	wait_for_exact_line "$OUT" "d/ CREATE b"
	kill -0 "$BG_PID"
	stop_bg
	assert_file "$OUT" "d/ CREATE a" "d/ CREATE b"
}

# ------------------------------------------------------------ -d / --daemon

@test "-d without -o: '-o must be specified with -d.'" {
	mkdir d
	run_fg inotifywait -d d
	expect_error "-o must be specified with -d."
}

@test "--daemon without --outfile: same message" {
	mkdir d
	run_fg inotifywait --daemon -e create d
	expect_error "-o must be specified with -d."
}

@test "-d: returns 0 at once, silent, and the daemon appends events to the -o file" {
	mkdir d
	log=$TEST_DIR/daemon.log
	echo "previous line" >"$log"
	run_fg inotifywait -d -o "$log" -e create "$TEST_DIR/d"
	assert_status 0
	assert_file "$OUT"
	assert_file "$ERR"
	pid=$(daemon_pid "$log")
	bg_track "$pid"
	wait_watches "$pid" 1
	touch d/a
	wait_for_exact_line "$log" "$TEST_DIR/d/ CREATE a"
	touch d/b
	wait_for_exact_line "$log" "$TEST_DIR/d/ CREATE b"
	kill -0 "$pid"
	kill "$pid"
	assert_file "$log" "previous line" "$TEST_DIR/d/ CREATE a" "$TEST_DIR/d/ CREATE b"
}

@test "--daemon honours --format and -e like the foreground" {
	mkdir d
	log=$TEST_DIR/daemon.log
	: >"$log"
	run_fg inotifywait --daemon --outfile "$log" -e close_write --format '%e|%f' "$TEST_DIR/d"
	assert_status 0
	assert_file "$ERR"
	pid=$(daemon_pid "$log")
	bg_track "$pid"
	wait_watches "$pid" 1
	touch d/a
	wait_for_exact_line "$log" "CLOSE_WRITE,CLOSE|a"
	kill "$pid"
	assert_file "$log" "CLOSE_WRITE,CLOSE|a"
}

@test "ours: -d works with a relative watch path and a -o file that does not exist yet" {
	ours_only "upstream needs an existing -o file and absolute watch paths with -d"
	mkdir d
	log="rel-${IT_TMP##*.}.log"
	run_fg inotifywait -d -o "$log" -e create d
	assert_status 0
	assert_file "$OUT"
	assert_file "$ERR"
	pid=$(daemon_pid "$log")
	bg_track "$pid"
	wait_watches "$pid" 1
	touch d/x
	wait_for_line "$log" 'CREATE x$'
	kill "$pid"
	[ "$(stat -c %a "$log")" = 600 ]
	# %w is the watch path as given; resolving it to an absolute path is
	# acceptable as long as it names the same directory.
	if ! cmp -s "$log" <(printf 'd/ CREATE x\n'); then
		assert_file "$log" "$TEST_DIR/d/ CREATE x"
	fi
}

# ------------------------------------------------------------ -o / --outfile

@test "-o: events go to the file, stdout stays empty, setup lines stay on stderr" {
	mkdir d
	start_bg inotifywait -o log -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
	assert_file log "d/ CREATE a"
}

@test "-o appends to an existing file and keeps its mode" {
	mkdir d
	printf 'old\n' >log
	chmod 644 log
	start_bg inotifywait -o log -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file log "old" "d/ CREATE a"
	[ "$(stat -c %a log)" = 644 ]
}

@test "-o creates a missing file with mode 0600 whatever the umask" {
	mkdir d
	umask 000
	start_bg inotifywait -o newlog -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file newlog "d/ CREATE a"
	[ "$(stat -c %a newlog)" = 600 ]
}

@test "--outfile is -o" {
	mkdir d
	start_bg inotifywait --outfile log -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT"
	assert_file log "d/ CREATE a"
}

@test "-o given twice: 'Multiple --outfile options given.'" {
	mkdir d
	run_fg inotifywait -o a -o b d
	expect_error "Multiple --outfile options given."
	[ ! -e a ] && [ ! -e b ]
}

@test "-o into a missing directory: 'Failed to open output file <path>'" {
	mkdir d
	run_fg inotifywait -o nodir/log -e create d
	expect_error "Failed to open output file nodir/log"
}

@test "-m -o: each event line reaches the file while the tool still runs" {
	mkdir d
	start_bg inotifywait -m -o log -e create d
	touch d/a
	wait_for_exact_line log "d/ CREATE a"
	kill -0 "$BG_PID"
	touch d/b
	wait_for_exact_line log "d/ CREATE b"
	kill -0 "$BG_PID"
	stop_bg
	assert_file log "d/ CREATE a" "d/ CREATE b"
}

@test "-m into a pipe: a reader sees each line while the tool still runs" {
	mkdir d
	mkfifo "$IT_TMP/pipe"
	cat "$IT_TMP/pipe" >"$IT_TMP/piped" 3>&- &
	bg_track $!
	OUT=$IT_TMP/pipe start_bg inotifywait -m -e create d
	touch d/a
	wait_for_exact_line "$IT_TMP/piped" "d/ CREATE a"
	kill -0 "$BG_PID"
	touch d/b
	wait_for_exact_line "$IT_TMP/piped" "d/ CREATE b"
	kill -0 "$BG_PID"
	stop_bg
	assert_file "$IT_TMP/piped" "d/ CREATE a" "d/ CREATE b"
}

# ------------------------------------------------------------ -s / --syslog

@test "-s: setup lines are not written to stderr" {
	mkdir d
	run_fg inotifywait -s -t 1 d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "-s: 'Couldn't watch' goes to syslog, not stderr (exit 1)" {
	run_fg inotifywait -s -t 1 missing
	assert_status 1
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "-s: option errors stay on stderr" {
	mkdir d
	run_fg inotifywait -s -c --format x d
	expect_error "-c and --format cannot both be specified."
}

@test "-s: 'No files specified to watch!' stays on stderr" {
	run_fg inotifywait -s
	expect_error "No files specified to watch!"
}

@test "--syslog: events are still printed on stdout" {
	mkdir d
	start_bg_quiet inotifywait --syslog -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
	assert_file "$ERR"
}

# ------------------------------------------------------------ -q / -qq

@test "-q suppresses the setup lines but not events" {
	mkdir d
	start_bg_quiet inotifywait -q -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
	assert_file "$ERR"
}

@test "--quiet is -q" {
	mkdir d
	start_bg_quiet inotifywait --quiet -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
	assert_file "$ERR"
}

@test "-q -r: no 'Beware' line either" {
	mkdir -p r/a
	run_fg inotifywait -q -r -t 1 r
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "-qq prints nothing, not even the event (exit 0)" {
	mkdir d
	start_bg_quiet inotifywait -qq -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "--quiet --quiet is -qq" {
	mkdir d
	start_bg_quiet inotifywait --quiet --quiet -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "-qq -m stays silent across several events" {
	mkdir d
	# the idle timeout (exit 2) proves every event was read before exiting
	start_bg_quiet inotifywait -qq -m -t 2 d
	touch d/a
	echo hi >d/a
	rm d/a
	wait_bg
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "-q does not hide 'Couldn't watch'" {
	run_fg inotifywait -q missing
	expect_error "Couldn't watch missing: No such file or directory"
}

@test "-qq does not hide 'Couldn't watch'" {
	run_fg inotifywait -qq missing
	expect_error "Couldn't watch missing: No such file or directory"
}

@test "-qq does not hide 'No files specified to watch!'" {
	run_fg inotifywait -qq
	expect_error "No files specified to watch!"
}

# ------------------------------------------------------------ -t / --timeout

@test "-t 1 without an event: exit 2, nothing on stdout" {
	mkdir d
	run_fg inotifywait -t 1 d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--timeout is -t" {
	mkdir d
	run_fg inotifywait --timeout 1 d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "-t with an event before the timeout: exit 0" {
	mkdir d
	start_bg inotifywait -t 8 -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
}

@test "-t 0 means no timeout" {
	mkdir d
	start_bg inotifywait -t 0 -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
}

@test "-m -t: exits 2 once idle for the timeout, after printing events" {
	mkdir d
	start_bg inotifywait -m -t 3 -e create d
	touch d/a
	wait_bg
	assert_status 2
	assert_file "$OUT" "d/ CREATE a"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "-t +1 is a valid number (strtol)" {
	mkdir d
	run_fg inotifywait -q -t +1 d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "-t abc: two-line message, exit 1" {
	mkdir d
	run_fg inotifywait -t abc d
	expect_error "'abc' is not a valid timeout value." "Please specify a long int value."
}

@test "-t '' (empty): two-line message, exit 1" {
	mkdir d
	run_fg inotifywait -t '' d
	expect_error "The provided value is not a valid timeout value." "Please specify a long int value."
}

@test "-t 0.5: fractions are rejected" {
	mkdir d
	run_fg inotifywait -t 0.5 d
	expect_error "'0.5' is not a valid timeout value." "Please specify a long int value."
}

@test "-t 5x: trailing garbage is rejected" {
	mkdir d
	run_fg inotifywait -t 5x d
	expect_error "'5x' is not a valid timeout value." "Please specify a long int value."
}

@test "-t 0x10: only base 10" {
	mkdir d
	run_fg inotifywait -t 0x10 d
	expect_error "'0x10' is not a valid timeout value." "Please specify a long int value."
}

@test "-t beyond LONG_MAX: out of range message" {
	mkdir d
	run_fg inotifywait -t 9223372036854775808 d
	expect_error "Something went wrong with the timeout value you provided." "Numerical result out of range"
}

@test "-t below LONG_MIN: out of range message" {
	mkdir d
	run_fg inotifywait -t -9223372036854775809 d
	expect_error "Something went wrong with the timeout value you provided." "Numerical result out of range"
}

@test "ours: -t -1 aborts after setting up watches (4.x probe message)" {
	ours_only "3.22 takes -t -1 as a ~136-year timeout"
	mkdir d
	run_fg inotifywait -t -1 d
	assert_status 1
	assert_file "$OUT"
	assert_file "$ERR" "Setting up watches." "Watches established." "Negative timeout specified - abort!"
}

@test "ours: -q -t -1 still prints the abort message" {
	ours_only "3.22 takes -t -1 as a ~136-year timeout"
	mkdir d
	run_fg inotifywait -q -t -1 d
	expect_error "Negative timeout specified - abort!"
}

# ------------------------------------------------------------ -I / -F / -S

@test "-I is accepted (inotify is the default backend)" {
	mkdir d
	start_bg inotifywait -I -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--inotify is -I" {
	mkdir d
	run_fg inotifywait --inotify -t 1 d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "ours: -F is accepted and events are reported" {
	ours_only "Debian's inotifywait ignores -F"
	[ "$(id -u)" = 0 ] || skip "fanotify needs root"
	mkdir d
	start_bg inotifywait -F -e create --format '%e %f' d
	touch d/x
	wait_bg
	assert_status 0
	[ "$(tail -n 1 "$OUT")" = "CREATE x" ]
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "ours: -S watches the whole filesystem" {
	ours_only "Debian's inotifywait ignores -S"
	[ "$(id -u)" = 0 ] || skip "fanotify filesystem marks need root"
	mkdir d e
	name="x_${IT_TMP##*.}"
	start_bg inotifywait -S -e create --include "/$name\$" --format '%e %f' d
	touch "e/$name"
	wait_bg
	assert_status 0
	[ "$(tail -n 1 "$OUT")" = "CREATE $name" ]
	assert_file "$ERR" "Setting up filesystem watches." "Watches established."
}
