#!/usr/bin/env bats
# inotifywait.bats - command-line behaviour of inotifywait (spec §2, §9).
#
# Run:  bats tests/cli/inotifywait.bats
# Oracle run against Debian's binaries:
#       INOTIFYWAIT=/usr/bin/inotifywait IT_UPSTREAM=1 bats tests/cli/inotifywait.bats
#
# Conventions: every tool run goes through run_fg/start_bg (both wrap it in
# timeout).  A test that needs "everything so far has been printed" makes a
# last, known event (a sentinel) and waits for its line: events are read in
# order from one inotify queue, so nothing earlier can still be pending.

load common

# ------------------------------------------------------------------ helpers

# expected_help_body: the --help text from its second line on: upstream's
# (spec App. A) plus the lines of our own options.
expected_help_body() {
	cat <<'EOF'
Wait for a particular event on a file or set of files.
Usage: inotifywait [ options ] file1 [ file2 ] [ file3 ] [ ... ]
Options:
	-h|--help     	Show this help text.
	--version     	Show the version and exit.
	@<file>       	Exclude the specified file from being watched.
	--exclude <pattern>
	              	Exclude all events on files matching the
	              	extended regular expression <pattern>.
	              	May be given several times: any match
	              	excludes.
	--excludei <pattern>
	              	Like --exclude but case insensitive.
	--include <pattern>
	              	Exclude all events on files except the ones
	              	matching the extended regular expression
	              	<pattern>.
	--includei <pattern>
	              	Like --include but case insensitive.
	--exclude-from <file>
	              	Like --exclude, once for each line of <file>.
	--include-from <file>
	              	Like --include, once for each line of <file>.
	-m|--monitor  	Keep listening for events forever or until --timeout expires.
	              	Without this option, inotifywait will exit after one event is received.
	-d|--daemon   	Same as --monitor, except run in the background
	              	logging events to a file specified by --outfile.
	              	Implies --syslog.
	-P|--no-dereference
	              	Do not follow symlinks.
	-r|--recursive	Watch directories recursively.
	--fromfile <file>
	              	Read files to watch from <file> or `-' for stdin.
	-o|--outfile <file>
	              	Print events to <file> rather than stdout.
	-s|--syslog   	Send errors to syslog rather than stderr.
	-q|--quiet    	Print less (only print events).
	-qq           	Print nothing (not even events).
	--format <fmt>	Print using a specified printf-like format
	              	string; read the man page for more details.
	--no-newline  	Don't print newline symbol after
	              	--format string.
	--timefmt <fmt>	strftime-compatible format string for use with
	              	%T in --format string; %N, %3N, %6N add
	              	nano-, milli- or microseconds.
	-c|--csv      	Print events in CSV format.
	--json        	Print events as JSON objects, one per line.
	-t|--timeout <seconds>
	              	When listening for a single event, time out after
	              	waiting for an event for <seconds> seconds.
	              	If <seconds> is zero, inotifywait will never time out.
	-e|--event <event1> [ -e|--event <event2> ... ]
		Listen for specific event(s).  If omitted, all events are 
		listened for.

Exit status:
	0  -  An event you asked to watch for was received.
	1  -  An event you did not ask to watch for was received
	      (usually delete_self or unmount), or some error occurred.
	2  -  The --timeout option was given and no events occurred
	      in the specified interval of time.

Events:
	access		file or directory contents were read
	modify		file or directory contents were written
	attrib		file or directory attributes changed
	close_write	file or directory closed, after being opened in
	           	writable mode
	close_nowrite	file or directory closed, after being opened in
	           	read-only mode
	close		file or directory closed, regardless of read/write mode
	open		file or directory opened
	moved_to	file or directory moved to watched directory
	moved_from	file or directory moved from watched directory
	move		file or directory moved to or from watched directory
	move_self		A watched file or directory was moved.
	create		file or directory created within watched directory
	delete		file or directory deleted within watched directory
	delete_self	file or directory was deleted
	unmount		file system containing file or directory unmounted
EOF
}

# skip_if_wrapper: argv[0] cannot be chosen through a libtool wrapper script.
skip_if_wrapper() {
	if [ "$(head -c 2 "$INOTIFYWAIT")" = '#!' ]; then
		skip "$INOTIFYWAIT is a script: its argv[0] is not ours to choose"
	fi
}

# run_named ARGS...: run the binary with argv[0] "inotifywait" (as from
# $PATH), so the "inotifywait: " prefix of getopt's messages is predictable.
run_named() {
	skip_if_wrapper
	status=0
	timeout -k 5 10 bash -c 'exec -a inotifywait "$0" "$@"' "$INOTIFYWAIT" "$@" \
		</dev/null >"$OUT" 2>"$ERR" 3>&- || status=$?
}

# has_lines FILE N: FILE has at least N lines.
has_lines() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# finish_sentinel [LINE]: create directory s/end and stop the -m tool once
# its line (default "s/ CREATE,ISDIR end") has been printed.
finish_sentinel() {
	mkdir s/end
	wait_for_exact_line "$OUT" "${1:-s/ CREATE,ISDIR end}"
	stop_bg
}

# expect_error MESSAGE...: stdout empty, stderr exactly MESSAGE
# lines, exit status 1.
expect_error() {
	assert_status 1
	assert_file "$OUT"
	assert_file "$ERR" "$@"
}

SETUP_LINES=("Setting up watches." "Watches established.")
SETUP_LINES_R=("Setting up watches.  Beware: since -r was given, this may take a while!" "Watches established.")

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

# ------------------------------------------------------------ -h / --help

@test "--help: help text on stdout, nothing on stderr, exit 1" {
	run_fg inotifywait --help
	assert_status 1
	assert_file "$ERR"
	head -n 1 "$OUT" >"$IT_TMP/first"
	grep -Eqx 'inotifywait [0-9]+(\.[0-9]+)+' "$IT_TMP/first"
	tail -n +2 "$OUT" >"$IT_TMP/body"
	expected_help_body >"$IT_TMP/expected"
	_it_compare "$IT_TMP/body" "$IT_TMP/expected"
}

@test "-h prints the same text as --help" {
	run_fg inotifywait --help
	cp "$OUT" "$IT_TMP/long"
	run_fg inotifywait -h
	assert_status 1
	assert_file "$ERR"
	_it_compare "$OUT" "$IT_TMP/long"
}

@test "-h given first wins over a later bad option and a missing path" {
	run_fg inotifywait -h --bogus
	assert_status 1
	assert_file "$ERR"
	[ "$(sed -n 2p "$OUT")" = "Wait for a particular event on a file or set of files." ]
}

@test "-h is handled during parsing, before the post-parse checks" {
	run_fg inotifywait -c --format x -h
	assert_status 1
	assert_file "$ERR"
	[ "$(sed -n 3p "$OUT")" = "Usage: inotifywait [ options ] file1 [ file2 ] [ file3 ] [ ... ]" ]
}

@test "ours: --version prints the --help version line and exits 0" {
	ours_only "upstream has no --version"
	run_fg inotifywait --help
	head -n 1 "$OUT" >"$IT_TMP/first"
	run_fg inotifywait --version
	assert_status 0
	assert_file "$ERR"
	head -n 1 "$OUT" >"$IT_TMP/vfirst"
	_it_compare "$IT_TMP/vfirst" "$IT_TMP/first"
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

# ------------------------------------------------------------ -P / --no-dereference

@test "-P watches the symlink itself" {
	touch target
	ln -s target link
	start_bg inotifywait -P -e attrib link
	touch -h link
	wait_bg
	assert_status 0
	assert_file "$OUT" "link ATTRIB "
}

@test "-P: changes to the symlink's target are not reported" {
	touch target
	ln -s target link
	start_bg inotifywait -P -t 1 -e attrib link
	touch target
	wait_bg
	assert_status 2
	assert_file "$OUT"
}

@test "without -P a symlink is followed: the target's events are reported under the link name" {
	touch target
	ln -s target link
	start_bg inotifywait -e attrib link
	touch target
	wait_bg
	assert_status 0
	assert_file "$OUT" "link ATTRIB "
}

@test "--no-dereference lets a dangling symlink be watched" {
	ln -s nowhere dangling
	run_fg inotifywait --no-dereference -t 1 dangling
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "without -P a dangling symlink cannot be watched" {
	ln -s nowhere dangling
	run_fg inotifywait -t 1 dangling
	expect_error "Setting up watches." "Couldn't watch dangling: No such file or directory"
}

# ------------------------------------------------------------ -r / --recursive

@test "-r: setup lines warn that it may take a while" {
	mkdir -p r/a
	run_fg inotifywait -r -t 1 r
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES_R[@]}"
}

@test "-r reports events of existing subdirectories with <parent>/<name>/ as %w" {
	mkdir -p r/a/b
	start_bg inotifywait -r -e create r
	touch r/a/b/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/a/b/ CREATE f"
	assert_file "$ERR" "${SETUP_LINES_R[@]}"
}

@test "--recursive is -r" {
	mkdir -p r/a
	start_bg inotifywait --recursive -e create r
	touch r/a/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/a/ CREATE f"
}

@test "-r with an absolute root keeps absolute paths" {
	mkdir -p r/a
	start_bg inotifywait -r -e create "$TEST_DIR/r"
	touch r/a/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/r/a/ CREATE f"
}

@test "-r on a plain file watches the file" {
	touch wf
	start_bg inotifywait -r -e attrib wf
	chmod 600 wf
	wait_bg
	assert_status 0
	assert_file "$OUT" "wf ATTRIB "
}

@test "-r does not follow a symlinked directory below the root" {
	mkdir -p r outside
	ln -s ../outside r/lnk
	start_bg inotifywait -r -t 1 -e create r
	touch outside/x
	wait_bg
	assert_status 2
	assert_file "$OUT"
}

@test "-r follows a symlink given as the root" {
	mkdir -p real/s
	ln -s real lnk
	start_bg inotifywait -r -e create lnk
	touch real/s/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "lnk/s/ CREATE f"
}

@test "-m -r: a new directory gets watched" {
	mkdir r
	start_bg inotifywait -m -r -e create r
	mkdir r/new
	wait_for_exact_line "$OUT" "r/ CREATE,ISDIR new"
	touch r/new/f
	wait_for_exact_line "$OUT" "r/new/ CREATE f"
	stop_bg
	assert_file "$OUT" "r/ CREATE,ISDIR new" "r/new/ CREATE f"
	assert_file "$ERR" "${SETUP_LINES_R[@]}"
}

@test "-m -r: a directory created inside a new directory is watched too" {
	mkdir r
	start_bg inotifywait -m -r -e create r
	mkdir r/new
	wait_for_exact_line "$OUT" "r/ CREATE,ISDIR new"
	mkdir r/new/deeper
	wait_for_exact_line "$OUT" "r/new/ CREATE,ISDIR deeper"
	touch r/new/deeper/f
	wait_for_exact_line "$OUT" "r/new/deeper/ CREATE f"
	stop_bg
	assert_file "$OUT" "r/ CREATE,ISDIR new" "r/new/ CREATE,ISDIR deeper" "r/new/deeper/ CREATE f"
}

@test "-m -r: renaming a directory inside the tree updates its paths" {
	mkdir -p r/a/b
	start_bg inotifywait -m -r -e create r
	mv r/a r/a2
	touch r/a2/x
	wait_for_exact_line "$OUT" "r/a2/ CREATE x"
	touch r/a2/b/y
	wait_for_exact_line "$OUT" "r/a2/b/ CREATE y"
	stop_bg
	assert_file "$OUT" "r/a2/ CREATE x" "r/a2/b/ CREATE y"
}

@test "-m -r: rename events of a watched directory (spec §9)" {
	mkdir -p r/a
	start_bg inotifywait -m -r -e move,move_self r
	mv r/a r/a2
	wait_for_exact_line "$OUT" "r/a2/ MOVE_SELF "
	stop_bg
	assert_file "$OUT" "r/ MOVED_FROM,ISDIR a" "r/ MOVED_TO,ISDIR a2" "r/a2/ MOVE_SELF "
}

@test "-m -r: a directory moved in from outside is watched recursively" {
	mkdir -p r outside/sub
	start_bg inotifywait -m -r -e create,moved_to r
	mv outside r/movedin
	wait_for_exact_line "$OUT" "r/ MOVED_TO,ISDIR movedin"
	touch r/movedin/y
	wait_for_exact_line "$OUT" "r/movedin/ CREATE y"
	touch r/movedin/sub/z
	wait_for_exact_line "$OUT" "r/movedin/sub/ CREATE z"
	stop_bg
	assert_file "$OUT" "r/ MOVED_TO,ISDIR movedin" "r/movedin/ CREATE y" "r/movedin/sub/ CREATE z"
}

@test "-m -r: deleting a watched subdirectory (spec §9)" {
	mkdir -p r/new
	touch r/new/x
	start_bg inotifywait -m -r -e delete,delete_self r
	rm -rf r/new
	wait_for_exact_line "$OUT" "r/ DELETE,ISDIR new"
	stop_bg
	assert_file "$OUT" "r/new/ DELETE x" "r/new/ DELETE_SELF " "r/ DELETE,ISDIR new"
}

@test "-m -r -e create: the tool's own scan of a new directory is not printed" {
	mkdir r
	start_bg inotifywait -m -r -e create r
	mkdir r/new
	wait_for_exact_line "$OUT" "r/ CREATE,ISDIR new"
	mkdir r/end
	wait_for_exact_line "$OUT" "r/ CREATE,ISDIR end"
	stop_bg
	assert_file "$OUT" "r/ CREATE,ISDIR new" "r/ CREATE,ISDIR end"
}

@test "-r with two relative roots, each deeper than the walk keeps open" {
	d1=r1 d2=r2
	for _ in $(seq 60); do
		d1=$d1/d d2=$d2/e
	done
	mkdir -p "$d1" "$d2" r1/x r2/y
	start_bg inotifywait -m -r -e create --format '%w%f' r1 r2
	[ "$(_it_count_watches "$BG_PID")" -eq 124 ]
	touch "$d1/f" "$d2/g" r1/x/h r2/y/i
	wait_for_exact_line "$OUT" "r2/y/i"
	stop_bg
	assert_file "$OUT" "$d1/f" "$d2/g" "r1/x/h" "r2/y/i"
}

# ------------------------------------------------------------ @ exclusions

@test "@dir excludes a subdirectory from the recursive setup" {
	mkdir -p r/skip r/keep
	start_bg inotifywait -r -e create r @r/skip
	touch r/skip/a
	touch r/c
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/ CREATE c"
}

@test "@dir/ with a trailing slash excludes too" {
	mkdir -p r/skip
	start_bg inotifywait -r -e create r @r/skip/
	touch r/skip/a
	touch r/c
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/ CREATE c"
}

@test "@ exclusion does not affect sibling directories" {
	mkdir -p r/skip r/keep
	start_bg inotifywait -r -e create r @r/skip
	touch r/skip/a
	touch r/keep/b
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/keep/ CREATE b"
}

@test "@ exclusion of a nested directory, absolute spelling with an absolute root" {
	mkdir -p r/a/skip
	start_bg inotifywait -r -e create "$TEST_DIR/r" "@$TEST_DIR/r/a/skip"
	touch r/a/skip/x
	touch r/a/y
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/r/a/ CREATE y"
}

@test "a root that is also excluded is still watched" {
	mkdir r
	start_bg inotifywait -r -e create r @r
	touch r/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/ CREATE x"
}

@test "@ exclusions do nothing without -r" {
	mkdir d
	start_bg inotifywait -e create d @d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE x"
}

@test "a lone @ argument is ignored" {
	mkdir d
	start_bg inotifywait -e create d @
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE x"
	assert_file "$ERR" "${SETUP_LINES[@]}"
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

# ------------------------------------------------------------ -e / --event

@test "-e create: other events are not reported" {
	mkdir d
	touch d/old
	start_bg inotifywait -e create d
	chmod 600 d/old
	touch d/new
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE new"
}

@test "--event is -e" {
	mkdir d
	touch d/old
	start_bg inotifywait --event delete d
	chmod 600 d/old
	rm d/old
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ DELETE old"
}

@test "-e takes a comma-separated list" {
	mkdir d
	touch d/f
	start_bg inotifywait -m -e attrib,delete d
	chmod 600 d/f
	echo x >d/f
	rm d/f
	wait_for_exact_line "$OUT" "d/ DELETE f"
	stop_bg
	assert_file "$OUT" "d/ ATTRIB f" "d/ DELETE f"
}

@test "-e can be repeated; the masks are joined" {
	mkdir d
	touch d/f
	start_bg inotifywait -m -e attrib -e delete d
	chmod 600 d/f
	echo x >d/f
	rm d/f
	wait_for_exact_line "$OUT" "d/ DELETE f"
	stop_bg
	assert_file "$OUT" "d/ ATTRIB f" "d/ DELETE f"
}

@test "-e names are case-insensitive" {
	mkdir d
	start_bg inotifywait -e CrEaTe d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
}

@test "-e with an unknown event: exact message, exit 1" {
	mkdir d
	run_fg inotifywait -e foo d
	expect_error "'foo' is not a valid event!  Run with the '--help' option to see a list of events."
}

@test "-e list with one unknown name quotes the whole argument" {
	mkdir d
	run_fg inotifywait -e modify,foo d
	expect_error "'modify,foo' is not a valid event!  Run with the '--help' option to see a list of events."
}

@test "-e with an empty argument adds nothing: all events are watched" {
	mkdir d
	touch d/f
	start_bg inotifywait -e '' d
	chmod 600 d/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ ATTRIB f"
}

@test "-e access" {
	mkdir d
	echo hi >d/g
	start_bg inotifywait -e access d
	cat d/g >/dev/null
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ ACCESS g"
}

@test "-e modify" {
	mkdir d
	echo hi >d/g
	start_bg inotifywait -e modify d
	echo more >>d/g
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ MODIFY g"
}

@test "-e open" {
	mkdir d
	echo hi >d/g
	start_bg inotifywait -e open d
	cat d/g >/dev/null
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ OPEN g"
}

@test "-e close_write prints CLOSE_WRITE,CLOSE" {
	mkdir d
	start_bg inotifywait -e close_write d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CLOSE_WRITE,CLOSE a"
}

@test "-e close_nowrite prints CLOSE_NOWRITE,CLOSE" {
	mkdir d
	echo hi >d/g
	start_bg inotifywait -e close_nowrite d
	cat d/g >/dev/null
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CLOSE_NOWRITE,CLOSE g"
}

@test "-e close matches a read-only close" {
	mkdir d
	echo hi >d/g
	start_bg inotifywait -e close d
	cat d/g >/dev/null
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CLOSE_NOWRITE,CLOSE g"
}

@test "-e move: a rename ends the wait at MOVED_FROM" {
	mkdir d
	touch d/g
	start_bg inotifywait -e move d
	mv d/g d/h
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ MOVED_FROM g"
}

@test "-e moved_to" {
	mkdir d
	touch d/g
	start_bg inotifywait -e moved_to d
	mv d/g d/h
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ MOVED_TO h"
}

@test "-e moved_from" {
	mkdir d
	touch d/g
	start_bg inotifywait -e moved_from d
	mv d/g d/h
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ MOVED_FROM g"
}

@test "-e delete on a directory entry that is a directory" {
	mkdir -p d/sub
	start_bg inotifywait -e delete d
	rmdir d/sub
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ DELETE,ISDIR sub"
}

@test "-e delete_self on a watched file" {
	touch wf
	start_bg inotifywait -e delete_self wf
	rm wf
	wait_bg
	assert_status 0
	assert_file "$OUT" "wf DELETE_SELF "
}

@test "-e move_self on a watched file" {
	touch wf
	start_bg inotifywait -e move_self wf
	mv wf wf2
	wait_bg
	assert_status 0
	assert_file "$OUT" "wf MOVE_SELF "
}

@test "-e attrib on a watched directory itself: empty %f" {
	mkdir d
	start_bg inotifywait -e attrib d
	chmod 700 d
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ ATTRIB,ISDIR "
}

@test "-e all_events is accepted and means every event" {
	mkdir d
	touch d/f
	start_bg inotifywait -e all_events d
	chmod 600 d/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ ATTRIB f"
}

@test "-e isdir alone watches for nothing: timeout" {
	mkdir d
	start_bg inotifywait -e isdir -t 1 d
	mkdir d/sub
	wait_bg
	assert_status 2
	assert_file "$OUT"
}

@test "-e accepts every documented and undocumented name" {
	mkdir d
	run_fg inotifywait -t 1 -e access,modify,attrib,close_write,close_nowrite,close,open,moved_to,moved_from,move,move_self,create,delete,delete_self,unmount,q_overflow,ignored,isdir,oneshot,all_events d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
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

# ------------------------------------------------------------ -c / --csv

@test "-c: plain fields are not quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch d/plain
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/,CREATE,plain"
}

@test "--csv is -c" {
	mkdir d
	start_bg inotifywait --csv -e create d
	touch d/plain
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/,CREATE,plain"
}

@test "-c: a multi-event mask is quoted" {
	mkdir d
	start_bg inotifywait -c -e close_write d
	touch d/plain
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,"CLOSE_WRITE,CLOSE",plain'
}

@test "-c: CREATE,ISDIR is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	mkdir d/dd
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,"CREATE,ISDIR",dd'
}

@test "-c: a double quote in a name is doubled inside quotes" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/has"quote'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,"has""quote"'
}

@test "-c: a comma in a name is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/c,d'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,"c,d"'
}

@test "-c: a newline in a name is kept raw inside quotes" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch "d/new
line"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/,CREATE,"new\nline"\n'
}

@test "-c: a leading space is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/ lead'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE," lead"'
}

@test "-c: a trailing space is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/trail '
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,"trail "'
}

@test "-c: an inner space alone is not quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/in side'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,in side'
}

@test "-c: the watched-directory field is quoted by the same rule" {
	mkdir 'a,b'
	start_bg inotifywait -c -e create 'a,b'
	touch 'a,b/x'
	wait_bg
	assert_status 0
	assert_file "$OUT" '"a,b/",CREATE,x'
}

@test "-c: an event on the watched directory itself ends with an empty field" {
	mkdir d
	start_bg inotifywait -c -e open d
	ls d >/dev/null
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,"OPEN,ISDIR",'
}

@test "-c: a watched file gives an empty last field" {
	touch wf
	start_bg inotifywait -c -e attrib wf
	chmod 600 wf
	wait_bg
	assert_status 0
	assert_file "$OUT" 'wf,ATTRIB,'
}

@test "-c: a watched file whose name starts with a space is quoted" {
	touch ' wf'
	start_bg inotifywait -c -e attrib ' wf'
	chmod 600 ' wf'
	wait_bg
	assert_status 0
	assert_file "$OUT" '" wf",ATTRIB,'
}

@test "-c -m: the full sequence of a new file" {
	mkdir d s
	start_bg inotifywait -m -c d s
	touch d/f
	finish_sentinel 's/,"CREATE,ISDIR",end'
	assert_file "$OUT" 'd/,CREATE,f' 'd/,OPEN,f' 'd/,ATTRIB,f' 'd/,"CLOSE_WRITE,CLOSE",f' \
		's/,"CREATE,ISDIR",end'
}

# ------------------------------------------------------------ --format

@test "--format %w|%f|%e" {
	mkdir d
	start_bg inotifywait -e create --format '%w|%f|%e' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/|x|CREATE"
}

@test "--format %w%f gives the full path" {
	mkdir -p r/a
	start_bg inotifywait -r -e create --format '%w%f' r
	touch r/a/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/a/x"
}

@test "--format on a watched file: %w is the file, %f is empty" {
	touch wf
	start_bg inotifywait -e attrib --format '[%w][%f]' wf
	chmod 600 wf
	wait_bg
	assert_status 0
	assert_file "$OUT" "[wf][]"
}

@test "--format %Xe joins event names with the character X" {
	mkdir d
	start_bg inotifywait -e close_write --format '%:e %.e %;e %-e %|e %,e %/e' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "CLOSE_WRITE:CLOSE CLOSE_WRITE.CLOSE CLOSE_WRITE;CLOSE CLOSE_WRITE-CLOSE CLOSE_WRITE|CLOSE CLOSE_WRITE,CLOSE CLOSE_WRITE/CLOSE"
}

@test "--format: %%e, %ee and %we are not %Xe" {
	mkdir d
	start_bg inotifywait -e create --format '%%e|%ee|%we' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "%e|CREATEe|d/e"
}

@test "--format %c: both halves of a rename carry the same non-zero cookie" {
	mkdir d
	touch d/g
	start_bg inotifywait -m -e move --format '%e %f %c' d
	mv d/g d/h
	wait_for_line "$OUT" '^MOVED_TO h '
	stop_bg
	[ "$(wc -l <"$OUT")" -eq 2 ]
	read -r e1 f1 c1 < <(sed -n 1p "$OUT")
	read -r e2 f2 c2 < <(sed -n 2p "$OUT")
	[ "$e1 $f1" = "MOVED_FROM g" ]
	[ "$e2 $f2" = "MOVED_TO h" ]
	[ "$c1" = "$c2" ]
	[ "$c1" != 0 ]
	# lowercase hex without 0x
	grep -Eqx '[0-9a-f]+' <<<"$c1"
	[ "$c1" = "$(printf '%x' "0x$c1")" ]
}

@test "--format %c is 0 for an unpaired event" {
	mkdir d
	start_bg inotifywait -e create --format '%c|%f' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "0|x"
}

@test "--format %T uses --timefmt (literal text)" {
	mkdir d
	start_bg inotifywait -e create --format '%T %f' --timefmt 'stamp' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "stamp x"
}

@test "--format %T with a strftime format" {
	mkdir d
	start_bg inotifywait -e create --format '%T|%f' --timefmt '%Y-%m-%d' d
	before=$(date +%Y-%m-%d)
	touch d/x
	wait_bg
	after=$(date +%Y-%m-%d)
	assert_status 0
	if ! cmp -s "$OUT" <(printf '%s|x\n' "$before"); then
		assert_file "$OUT" "$after|x"
	fi
}

@test "--format %T with an empty --timefmt drops the whole line" {
	mkdir d
	start_bg inotifywait -e create --format '%T|%f' --timefmt '' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT"
}

@test "--format %0 --no-newline: NUL-terminated records" {
	mkdir d
	start_bg inotifywait -m -e create --format '%w%f%0' --no-newline d
	touch d/x1
	touch d/x2
	wait_until grep -qF x2 "$OUT"
	stop_bg
	assert_file_printf "$OUT" 'd/x1\0d/x2\0'
}

@test "--format %0 inside a line, newline still appended" {
	mkdir d
	start_bg inotifywait -e create --format 'a%0b' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'a\0b\n'
}

@test "--format %n is a newline" {
	mkdir d
	start_bg inotifywait -e create --format '%f%n%e' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "x" "CREATE"
}

@test "--format %% is a percent sign" {
	mkdir d
	start_bg inotifywait -e create --format '100%% %f' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "100% x"
}

@test "--format: unknown directives are copied literally" {
	mkdir d
	start_bg inotifywait -e create --format '%x %z %f %Q' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "%x %z x %Q"
}

@test "--format: a trailing lone % is printed" {
	mkdir d
	start_bg inotifywait -e create --format '%f%' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "x%"
}

@test "--format: a trailing lone % with --no-newline prints nothing" {
	mkdir d
	start_bg inotifywait -e create --format 'x%' --no-newline d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT"
}

@test "--format: the tested sample of the spec" {
	mkdir f
	start_bg inotifywait -e close_write --format '[%w|%f|%e|%:e|%;e|%c|%%|%x|%T|%n]' --timefmt 'TIME' f
	touch f/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "[f/|a|CLOSE_WRITE,CLOSE|CLOSE_WRITE:CLOSE|CLOSE_WRITE;CLOSE|0|%|%x|TIME|" "]"
}

@test "--format with literal text only" {
	mkdir d
	start_bg inotifywait -e create --format 'hello' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "hello"
}

@test "--format '' prints an empty line" {
	mkdir d
	start_bg inotifywait -e create --format '' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" ""
}

@test "--no-newline: -m records are concatenated" {
	mkdir d
	start_bg inotifywait -m -e create --format '%f;' --no-newline d
	touch d/a
	touch d/b
	wait_until grep -qF 'a;b;' "$OUT"
	stop_bg
	assert_file_printf "$OUT" 'a;b;'
}

@test "--format '' --no-newline: 'Something is wrong with your format string.'" {
	mkdir d
	run_fg inotifywait --format '' --no-newline d
	expect_error "Something is wrong with your format string."
}

@test "--format longer than 4096 bytes with its newline is rejected" {
	mkdir d
	fmt=$(printf '%4096s' '' | tr ' ' x)
	run_fg inotifywait --format "$fmt" d
	expect_error "Something is wrong with your format string."
}

@test "--format of 4097 bytes with --no-newline is rejected" {
	mkdir d
	fmt=$(printf '%4097s' '' | tr ' ' x)
	run_fg inotifywait --format "$fmt" --no-newline d
	expect_error "Something is wrong with your format string."
}

@test "--format of 4096 bytes with --no-newline is accepted" {
	mkdir d
	fmt=$(printf '%4096s' '' | tr ' ' x)
	run_fg inotifywait --format "$fmt" --no-newline -t 1 d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--format %f with a newline in the name, NUL separated" {
	mkdir d
	start_bg inotifywait -e create --format '%f%0' --no-newline d
	touch "d/n
l"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'n\nl\0'
}

@test "--format %f with invalid UTF-8 bytes in the name" {
	mkdir d
	name=$(printf 'bad\377\376name')
	start_bg inotifywait -e create --format '%w%f%0' --no-newline d
	touch "d/$name"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/bad\377\376name\0'
}

@test "-c with invalid UTF-8 bytes in the name: raw bytes, no quoting" {
	mkdir d
	name=$(printf 'bad\377')
	start_bg inotifywait -c -e create d
	touch "d/$name"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/,CREATE,bad\377\n'
}

# ------------------------------------------------------------ --fromfile

@test "--fromfile reads the paths to watch" {
	mkdir d e
	printf 'd\ne\n' >"$IT_TMP/list"
	start_bg inotifywait --fromfile "$IT_TMP/list" -e create
	touch e/z
	wait_bg
	assert_status 0
	assert_file "$OUT" "e/ CREATE z"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--fromfile - reads the list from stdin" {
	mkdir d
	printf 'd\n' >"$IT_TMP/list"
	start_bg inotifywait --fromfile - -e create <"$IT_TMP/list"
	touch d/z
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE z"
}

@test "--fromfile ignores empty lines and a lone @" {
	mkdir d
	printf '\nd\n\n@\n' >"$IT_TMP/list"
	start_bg inotifywait --fromfile "$IT_TMP/list" -e create
	touch d/z
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE z"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--fromfile: @lines exclude directories from the recursive setup" {
	mkdir -p r/skip
	printf 'r\n@r/skip\n' >"$IT_TMP/list"
	start_bg inotifywait -r --fromfile "$IT_TMP/list" -e create
	touch r/skip/a
	touch r/b
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/ CREATE b"
}

@test "--fromfile paths are combined with command-line paths" {
	mkdir d e
	printf 'd\n' >"$IT_TMP/list"
	start_bg inotifywait --fromfile "$IT_TMP/list" -e create e
	touch e/z
	wait_bg
	assert_status 0
	assert_file "$OUT" "e/ CREATE z"
}

@test "--fromfile paths come before command-line paths" {
	printf 'missing1\n' >"$IT_TMP/list"
	run_fg inotifywait --fromfile "$IT_TMP/list" missing2
	expect_error "Setting up watches." "Couldn't watch missing1: No such file or directory"
}

@test "--fromfile lines are not trimmed" {
	mkdir d
	printf 'd \n' >"$IT_TMP/list"
	run_fg inotifywait --fromfile "$IT_TMP/list"
	expect_error "Setting up watches." "Couldn't watch d : No such file or directory"
}

@test "--fromfile missing file: message, then the command-line paths are watched" {
	mkdir d
	start_bg inotifywait --fromfile nofile -e create d
	touch d/z
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE z"
	assert_file "$ERR" "Couldn't open nofile: No such file or directory" "${SETUP_LINES[@]}"
}

@test "--fromfile missing file and no other path: 'No files specified to watch!'" {
	run_fg inotifywait --fromfile nofile
	expect_error "Couldn't open nofile: No such file or directory" "No files specified to watch!"
}

@test "--fromfile given twice: 'Multiple --fromfile options given.'" {
	mkdir d
	printf 'd\n' >"$IT_TMP/list"
	run_fg inotifywait --fromfile "$IT_TMP/list" --fromfile "$IT_TMP/list" d
	expect_error "Multiple --fromfile options given."
}

# ------------------------------------------------------------ --exclude / --include

@test "--exclude is matched against %w%f" {
	mkdir d
	start_bg inotifywait -m -e create --exclude 'ex2$' d
	touch d/ex1 d/ex2 d/ex3
	wait_for_exact_line "$OUT" "d/ CREATE ex3"
	stop_bg
	assert_file "$OUT" "d/ CREATE ex1" "d/ CREATE ex3"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--exclude '^d/' hides everything under watch d" {
	mkdir d e
	start_bg inotifywait -m -e create --exclude '^d/' d e
	touch d/x
	touch e/y
	wait_for_exact_line "$OUT" "e/ CREATE y"
	stop_bg
	assert_file "$OUT" "e/ CREATE y"
}

@test "--exclude sees the full path, not the basename" {
	mkdir d
	start_bg inotifywait -e create --exclude '^x' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE x"
}

@test "--exclude matching a watched file's own path" {
	touch wf
	start_bg inotifywait -t 1 -e attrib --exclude '^wf$' wf
	chmod 600 wf
	wait_bg
	assert_status 2
	assert_file "$OUT"
}

@test "an excluded event does not end a non -m wait" {
	mkdir d
	start_bg inotifywait -e create --exclude 'x1' d
	touch d/x1
	touch d/x2
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE x2"
}

@test "--exclude is case-sensitive, --excludei is not" {
	mkdir d
	start_bg inotifywait -m -e create --exclude 'EX' d
	touch d/ex1
	wait_for_exact_line "$OUT" "d/ CREATE ex1"
	stop_bg
	start_bg inotifywait -m -e create --excludei 'EX' d
	touch d/ex2 d/plain
	wait_for_exact_line "$OUT" "d/ CREATE plain"
	stop_bg
	assert_file "$OUT" "d/ CREATE plain"
}

@test "--include shows only matching paths" {
	mkdir d
	start_bg inotifywait -m -e create --include 'in$' d
	touch d/ain d/bout d/cin
	wait_for_exact_line "$OUT" "d/ CREATE cin"
	stop_bg
	assert_file "$OUT" "d/ CREATE ain" "d/ CREATE cin"
}

@test "--includei is case-insensitive" {
	mkdir d
	start_bg inotifywait -m -e create --includei 'IN$' d
	touch d/ain d/bout d/cIN
	wait_for_exact_line "$OUT" "d/ CREATE cIN"
	stop_bg
	assert_file "$OUT" "d/ CREATE ain" "d/ CREATE cIN"
}

@test "--include: a non-matching event does not end a non -m wait" {
	mkdir d
	start_bg inotifywait -e create --include 'yes' d
	touch d/no
	touch d/yes
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE yes"
}

@test "--exclude twice: both patterns count, no warning" {
	ours_only "upstream warns and keeps only the last pattern"
	mkdir d
	start_bg inotifywait -m -e create --exclude 'a' --exclude 'b' d
	touch d/b1 d/a1 d/c1
	wait_for_exact_line "$OUT" "d/ CREATE c1"
	stop_bg
	assert_file "$OUT" "d/ CREATE c1"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--excludei twice: both patterns count, case-insensitively" {
	ours_only "upstream warns and keeps only the last pattern"
	mkdir d
	start_bg inotifywait -m -e create --excludei 'A' --excludei 'B' d
	touch d/b1 d/a1 d/c1
	wait_for_exact_line "$OUT" "d/ CREATE c1"
	stop_bg
	assert_file "$OUT" "d/ CREATE c1"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--exclude and --excludei each repeated: check 1 still applies" {
	mkdir d
	run_fg inotifywait --excludei x --excludei y --exclude a --exclude b -t 1 d
	assert_status 1
	assert_file "$ERR" "--exclude and --excludei cannot both be specified."
}

@test "--exclude twice: every pattern is compiled, the first bad one reported" {
	ours_only "upstream compiles only the last pattern"
	mkdir d
	run_fg inotifywait --exclude '(' --exclude 'b' -t 1 d
	expect_error "Error in \`exclude' regular expression."
}

@test "--include twice: an event matching either is shown" {
	ours_only "upstream keeps only the last pattern"
	mkdir d
	start_bg inotifywait -m -e create --include 'a' --include 'b' d
	touch d/a1 d/c1 d/b1
	wait_for_exact_line "$OUT" "d/ CREATE b1"
	stop_bg
	assert_file "$OUT" "d/ CREATE a1" "d/ CREATE b1"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--exclude-from: one pattern per line, empty lines and CRs ignored" {
	ours_only
	mkdir d
	printf '%s\n' 'a' '' 'x$' >pats
	printf 'b\r\n' >>pats
	start_bg inotifywait -m -e create --exclude-from pats --exclude 'c' d
	touch d/a1 d/b1 d/c1 d/x d/xy d/d1
	wait_for_exact_line "$OUT" "d/ CREATE d1"
	stop_bg
	assert_file "$OUT" "d/ CREATE xy" "d/ CREATE d1"
}

@test "--include-from: any line matching shows the event" {
	ours_only
	mkdir d
	printf '%s\n' '\.txt$' '\.md$' >pats
	start_bg inotifywait -m -e create --include-from pats d
	touch d/a.txt d/b.c d/c.md d/end.txt
	wait_for_exact_line "$OUT" "d/ CREATE end.txt"
	stop_bg
	assert_file "$OUT" "d/ CREATE a.txt" "d/ CREATE c.md" "d/ CREATE end.txt"
}

@test "--exclude-from -: patterns from stdin" {
	ours_only
	mkdir d
	echo 'skip' >pats
	start_bg inotifywait -m -e create --exclude-from - d <pats
	touch d/skip1 d/keep
	wait_for_exact_line "$OUT" "d/ CREATE keep"
	stop_bg
	assert_file "$OUT" "d/ CREATE keep"
}

@test "--exclude-from with a bad line names the file and the line" {
	ours_only
	mkdir d
	printf '%s\n' 'ok' '' '(' >pats
	run_fg inotifywait --exclude-from pats d
	expect_error "Error in \`exclude' regular expression on line 3 of pats."
}

@test "--exclude-from an unreadable file: error, exit 1" {
	ours_only
	mkdir d
	run_fg inotifywait --exclude-from nofile d
	expect_error "Couldn't open nofile: No such file or directory"
	run_fg inotifywait --include-from d d
	expect_error "Couldn't read d: Is a directory"
}

@test "--exclude-from counts as --exclude: not with --excludei or --include" {
	ours_only
	mkdir d
	: >pats
	run_fg inotifywait --exclude-from pats --excludei x d
	expect_error "--exclude and --excludei cannot both be specified."
	run_fg inotifywait --exclude-from pats --include x d
	expect_error "include and exclude regexp cannot both be specified."
	run_fg inotifywait --include-from pats --exclude x d
	expect_error "include and exclude regexp cannot both be specified."
}

@test "-r: directories matching --exclude are not watched, at setup or later" {
	ours_only "upstream watches excluded directories and drops their events"
	mkdir -p r/keep r/.git/objects/aa r/sub/.git r/node_modules/x
	start_bg inotifywait -m -r -e create --exclude '/\.git$' --exclude '/node_modules/' r
	# r, keep, sub: .git matches as "r/.git", node_modules as "r/node_modules/"
	[ "$(_it_count_watches "$BG_PID")" -eq 3 ]
	mkdir r/keep/.git r/new
	touch r/keep/.git/HEAD r/.git/objects/aa/obj
	wait_for_exact_line "$OUT" "r/ CREATE,ISDIR new"
	touch r/new/f
	wait_for_exact_line "$OUT" "r/new/ CREATE f"
	[ "$(_it_count_watches "$BG_PID")" -eq 4 ]
	stop_bg
	assert_file "$OUT" "r/ CREATE,ISDIR new" "r/new/ CREATE f"
}

@test "-r: a watched directory renamed to an excluded name is no longer watched" {
	ours_only
	mkdir -p r/a/b
	start_bg inotifywait -m -r -e create,moved_to --exclude '\.bak$' r
	[ "$(_it_count_watches "$BG_PID")" -eq 3 ]
	mv r/a r/a.bak
	mv r/a.bak r/c
	wait_for_exact_line "$OUT" "r/ MOVED_TO,ISDIR c"
	touch r/c/b/f
	wait_for_exact_line "$OUT" "r/c/b/ CREATE f"
	wait_until watches_are 3
	mv r/c r/d.bak
	wait_until watches_are 1
	stop_bg
}

@test "bad --exclude regex: \"Error in \`exclude' regular expression.\"" {
	mkdir d
	run_fg inotifywait --exclude '(' d
	expect_error "Error in \`exclude' regular expression."
}

@test "bad --excludei regex: same message" {
	mkdir d
	run_fg inotifywait --excludei '(' d
	expect_error "Error in \`exclude' regular expression."
}

@test "bad --include regex: \"Error in \`include' regular expression.\"" {
	mkdir d
	run_fg inotifywait --include '(' d
	expect_error "Error in \`include' regular expression."
}

@test "bad --includei regex: same message" {
	mkdir d
	run_fg inotifywait --includei '[' d
	expect_error "Error in \`include' regular expression."
}

@test "the regex is POSIX extended (ERE)" {
	mkdir d
	start_bg inotifywait -e create --include 'x(1|2)+$' d
	touch d/x3 d/x12
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE x12"
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

# ------------------------------------------------------------ argument order, -f, getopt

@test "options may follow the file names (GNU permutation)" {
	mkdir d
	start_bg inotifywait d -e create
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
}

@test "options after file names: -q -t" {
	mkdir d
	run_fg inotifywait d -t 1 -q
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR"
}

@test "-- ends the options: a directory named -t" {
	mkdir -- -t
	run_fg inotifywait -t 1 -- -t
	assert_status 2
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "long options may be abbreviated" {
	mkdir d
	start_bg inotifywait --mon --ev create --form '%f' d
	touch d/a
	touch d/b
	wait_for_exact_line "$OUT" "b"
	stop_bg
	assert_file "$OUT" "a" "b"
}

@test "-f: obsolete option message, exit 1" {
	mkdir d
	run_fg inotifywait -f d
	expect_error "The '--filename' option no longer exists.  The option it enabled in earlier" \
		"versions of inotifywait is now turned on by default."
}

@test "--filename: same message" {
	mkdir d
	run_fg inotifywait --filename d
	expect_error "The '--filename' option no longer exists.  The option it enabled in earlier" \
		"versions of inotifywait is now turned on by default."
}

@test "unknown long option: getopt message, exit 1" {
	run_named --bogus d
	expect_error "inotifywait: unrecognized option '--bogus'"
}

@test "unknown short option: getopt message, exit 1" {
	run_named -x d
	expect_error "inotifywait: invalid option -- 'x'"
}

@test "unknown short option inside a group" {
	mkdir d
	run_named -mx d
	expect_error "inotifywait: invalid option -- 'x'"
}

@test "-e without its argument: getopt message, exit 1" {
	run_named -e
	expect_error "inotifywait: option requires an argument -- 'e'"
}

@test "-t without its argument" {
	run_named -t
	expect_error "inotifywait: option requires an argument -- 't'"
}

@test "-o without its argument" {
	run_named -o
	expect_error "inotifywait: option requires an argument -- 'o'"
}

@test "--format without its argument" {
	run_named --format
	expect_error "inotifywait: option '--format' requires an argument"
}

@test "--timeout without its argument, after a path" {
	run_named d --timeout
	expect_error "inotifywait: option '--timeout' requires an argument"
}

@test "--fromfile without its argument" {
	run_named --fromfile
	expect_error "inotifywait: option '--fromfile' requires an argument"
}

@test "ambiguous abbreviation --exclu" {
	run_named --exclu a d
	expect_error "inotifywait: option '--exclu' is ambiguous; possibilities: '--exclude' '--excludei' '--exclude-from'"
}

@test "getopt messages start with argv[0] as invoked" {
	skip_if_wrapper
	run_fg inotifywait --bogus
	expect_error "$INOTIFYWAIT: unrecognized option '--bogus'"
}

@test "the first bad option wins over a later -h" {
	run_named --bogus -h
	expect_error "inotifywait: unrecognized option '--bogus'"
}

# ------------------------------------------------------------ validation order (§2.1)

@test "check 1: --exclude and --excludei" {
	mkdir d
	run_fg inotifywait --exclude a --excludei b d
	expect_error "--exclude and --excludei cannot both be specified."
}

@test "check 2: --include and --includei" {
	mkdir d
	run_fg inotifywait --include a --includei b d
	expect_error "--include and --includei cannot both be specified."
}

@test "check 3: include and exclude" {
	mkdir d
	run_fg inotifywait --include a --exclude b d
	expect_error "include and exclude regexp cannot both be specified."
}

@test "check 3 with the i variants" {
	mkdir d
	run_fg inotifywait --includei a --excludei b d
	expect_error "include and exclude regexp cannot both be specified."
}

@test "check 4: -c and --format" {
	mkdir d
	run_fg inotifywait -c --format x d
	expect_error "-c and --format cannot both be specified."
}

@test "check 5: --no-newline without --format" {
	mkdir d
	run_fg inotifywait --no-newline d
	expect_error "--no-newline cannot be specified without --format."
}

@test "check 6: --timefmt without --format" {
	mkdir d
	run_fg inotifywait --timefmt x d
	expect_error "--timefmt cannot be specified without --format."
}

@test "check 7: %T without --timefmt" {
	mkdir d
	run_fg inotifywait --format '%T' d
	expect_error "%T is in --format string, but --timefmt was not specified."
}

@test "check 8: -d without -o" {
	mkdir d
	run_fg inotifywait -d d
	expect_error "-o must be specified with -d."
}

@test "order: 1 before every other check" {
	mkdir d
	run_fg inotifywait --exclude a --excludei b --include c --includei d -c --format x --no-newline --timefmt y -d d
	expect_error "--exclude and --excludei cannot both be specified."
}

@test "order: 2 before 3 and 4" {
	mkdir d
	run_fg inotifywait --include c --includei d --exclude a -c --format x d
	expect_error "--include and --includei cannot both be specified."
}

@test "order: 3 before 4" {
	mkdir d
	run_fg inotifywait --include c --exclude a -c --format x d
	expect_error "include and exclude regexp cannot both be specified."
}

@test "order: 4 before 7 and 8" {
	mkdir d
	run_fg inotifywait -c --format '%T' -d d
	expect_error "-c and --format cannot both be specified."
}

@test "order: 5 before 6" {
	mkdir d
	run_fg inotifywait --timefmt x --no-newline d
	expect_error "--no-newline cannot be specified without --format."
}

@test "order: 5 before 8" {
	mkdir d
	run_fg inotifywait -d --no-newline d
	expect_error "--no-newline cannot be specified without --format."
}

@test "order: 6 before 8" {
	mkdir d
	run_fg inotifywait -d --timefmt x d
	expect_error "--timefmt cannot be specified without --format."
}

@test "order: 7 before 8" {
	mkdir d
	run_fg inotifywait -d --format '%T' d
	expect_error "%T is in --format string, but --timefmt was not specified."
}

@test "order: parse errors (bad event) come before the post-parse checks" {
	mkdir d
	run_fg inotifywait --exclude a --excludei b -e foo d
	expect_error "'foo' is not a valid event!  Run with the '--help' option to see a list of events."
}

@test "order: parse errors are reported in argument order" {
	mkdir d
	run_fg inotifywait -t abc -e foo d
	expect_error "'abc' is not a valid timeout value." "Please specify a long int value."
}

@test "order: the checks come before regex compilation" {
	mkdir d
	run_fg inotifywait --exclude '(' -d d
	expect_error "-o must be specified with -d."
}

@test "order: regex errors come before format errors" {
	mkdir d
	run_fg inotifywait --format '' --no-newline --exclude '(' d
	expect_error "Error in \`exclude' regular expression."
}

@test "order: format errors come before 'No files specified to watch!'" {
	run_fg inotifywait --format '' --no-newline
	expect_error "Something is wrong with your format string."
}

@test "order: regex errors come before 'No files specified to watch!'" {
	run_fg inotifywait --exclude '('
	expect_error "Error in \`exclude' regular expression."
}

@test "order: repeated --exclude warns no more; --fromfile errors follow" {
	ours_only "upstream warns that only the last --exclude counts"
	run_fg inotifywait --fromfile nofile --exclude a --exclude b
	expect_error "Couldn't open nofile: No such file or directory" "No files specified to watch!"
}

@test "order: the checks come before --fromfile is read" {
	run_fg inotifywait --fromfile nofile -c --format x
	expect_error "-c and --format cannot both be specified."
}

# ------------------------------------------------------------ exit status

@test "exit 0: an event that was asked for" {
	mkdir d
	start_bg inotifywait -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE a"
}

@test "exit 1: the first event is IGNORED only (watched file removed)" {
	touch f
	start_bg inotifywait -e modify f
	rm f
	wait_bg
	assert_status 1
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "exit 1: the first event is IGNORED only (watched directory removed)" {
	mkdir d
	start_bg inotifywait -e modify d
	rmdir d
	wait_bg
	assert_status 1
	assert_file "$OUT"
}

@test "exit 2: timeout" {
	mkdir d
	run_fg inotifywait -t 1 -e create d
	assert_status 2
	assert_file "$OUT"
}

# ------------------------------------------------------------ errors

@test "Couldn't watch a missing path: exit 1" {
	run_fg inotifywait missing
	expect_error "Setting up watches." "Couldn't watch missing: No such file or directory"
}

@test "Couldn't watch: an absolute path is printed as given" {
	run_fg inotifywait "$TEST_DIR/missing"
	expect_error "Setting up watches." "Couldn't watch $TEST_DIR/missing: No such file or directory"
}

@test "one missing path aborts the whole run" {
	mkdir d
	run_fg inotifywait -t 1 d missing e
	expect_error "Setting up watches." "Couldn't watch missing: No such file or directory"
}

@test "-r with a missing root" {
	run_fg inotifywait -r missing
	expect_error "Setting up watches.  Beware: since -r was given, this may take a while!" \
		"Couldn't watch missing: No such file or directory"
}

@test "No files specified to watch!" {
	run_fg inotifywait
	expect_error "No files specified to watch!"
}

@test "No files specified to watch! with options only" {
	run_fg inotifywait -m -e create -t 3
	expect_error "No files specified to watch!"
}

@test "a path longer than PATH_MAX: File name too long" {
	long=$(printf 'aaaaaaa/%.0s' $(seq 1 600))missing
	[ "${#long}" -gt 4096 ]
	run_fg inotifywait "$long"
	expect_error "Setting up watches." "Couldn't watch $long: File name too long"
}

@test "a single component longer than PATH_MAX: File name too long" {
	long=$(printf '%5000s' '' | tr ' ' a)
	run_fg inotifywait "$long"
	expect_error "Setting up watches." "Couldn't watch $long: File name too long"
}

@test "-r and a path longer than PATH_MAX" {
	long=$(printf 'aaaaaaa/%.0s' $(seq 1 600))missing
	run_fg inotifywait -r "$long"
	expect_error "Setting up watches.  Beware: since -r was given, this may take a while!" \
		"Couldn't watch $long: File name too long"
}

@test "a component longer than NAME_MAX: File name too long" {
	long=$(printf '%300s' '' | tr ' ' b)
	run_fg inotifywait "$long"
	expect_error "Setting up watches." "Couldn't watch $long: File name too long"
}

@test "a regular file used as a directory: Not a directory" {
	touch f
	run_fg inotifywait f/sub
	expect_error "Setting up watches." "Couldn't watch f/sub: Not a directory"
}

# ------------------------------------------------------------ default output (spec §2.3, §9)

@test "default output: touch of a new file" {
	mkdir d s
	start_bg inotifywait -m d s
	touch d/f
	finish_sentinel
	assert_file "$OUT" "d/ CREATE f" "d/ OPEN f" "d/ ATTRIB f" "d/ CLOSE_WRITE,CLOSE f" \
		"s/ CREATE,ISDIR end"
}

@test "default output: writing a new file" {
	mkdir d s
	start_bg inotifywait -m d s
	echo hi >d/g
	finish_sentinel
	assert_file "$OUT" "d/ CREATE g" "d/ OPEN g" "d/ MODIFY g" "d/ CLOSE_WRITE,CLOSE g" \
		"s/ CREATE,ISDIR end"
}

@test "default output: reading a file" {
	mkdir d s
	echo hi >d/g
	start_bg inotifywait -m d s
	cat d/g >/dev/null
	finish_sentinel
	assert_file "$OUT" "d/ OPEN g" "d/ ACCESS g" "d/ CLOSE_NOWRITE,CLOSE g" "s/ CREATE,ISDIR end"
}

@test "default output: mkdir, mv, rm, rmdir" {
	mkdir d s
	echo hi >d/g
	start_bg inotifywait -m d s
	mkdir d/sub
	mv d/g d/h
	rm d/h
	rmdir d/sub
	finish_sentinel
	assert_file "$OUT" "d/ CREATE,ISDIR sub" "d/ MOVED_FROM g" "d/ MOVED_TO h" "d/ DELETE h" \
		"d/ DELETE,ISDIR sub" "s/ CREATE,ISDIR end"
}

@test "default output: chmod" {
	mkdir d s
	touch d/x
	start_bg inotifywait -m d s
	chmod 600 d/x
	finish_sentinel
	assert_file "$OUT" "d/ ATTRIB x" "s/ CREATE,ISDIR end"
}

@test "default output: listing the watched directory (empty %f, trailing space)" {
	mkdir d
	start_bg inotifywait -m -e open,close d
	ls d >/dev/null
	wait_for_line "$OUT" CLOSE
	stop_bg
	assert_file "$OUT" "d/ OPEN,ISDIR " "d/ CLOSE_NOWRITE,CLOSE,ISDIR "
}

@test "default output: removing a watched file" {
	mkdir s
	touch wf
	start_bg inotifywait -m wf s
	rm wf
	finish_sentinel
	assert_file "$OUT" "wf ATTRIB " "wf DELETE_SELF " "s/ CREATE,ISDIR end"
}

@test "default output: a watched file whose name ends with a space" {
	touch 'wf '
	start_bg inotifywait -e attrib 'wf '
	chmod 600 'wf '
	wait_bg
	assert_status 0
	assert_file "$OUT" "wf  ATTRIB "
}

@test "default output: a moved watched directory" {
	mkdir d
	start_bg inotifywait -e move_self d
	mv d d2
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ MOVE_SELF "
}

@test "default output: watching ." {
	start_bg inotifywait -e create .
	touch x1
	wait_bg
	assert_status 0
	assert_file "$OUT" "./ CREATE x1"
}

@test "default output: watching ./" {
	start_bg inotifywait -e create ./
	touch x1
	wait_bg
	assert_status 0
	assert_file "$OUT" "./ CREATE x1"
}

@test "default output: a directory given with a trailing slash gets no second one" {
	mkdir d
	start_bg inotifywait -e create d/
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE x"
}

@test "default output: the watch path is kept as given (d//)" {
	mkdir d
	start_bg inotifywait -e create d//
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d// CREATE x"
}

@test "default output: an absolute watch path stays absolute" {
	mkdir d
	start_bg inotifywait -e create "$TEST_DIR/d"
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/d/ CREATE x"
}

@test "default output: events are attributed to the right watch" {
	mkdir d e
	start_bg inotifywait -m -e create d e
	touch e/x
	touch d/y
	wait_for_exact_line "$OUT" "d/ CREATE y"
	stop_bg
	assert_file "$OUT" "e/ CREATE x" "d/ CREATE y"
}

@test "default output: one directory under several names, the first name wins" {
	mkdir w
	start_bg inotifywait -e create w w/ ./w
	touch w/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "w/ CREATE x"
}

@test "default output: one directory under several names, ./w first" {
	mkdir w
	start_bg inotifywait -e create ./w w
	touch w/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "./w/ CREATE x"
}

@test "default output: a file and its parent both watched give two lines" {
	mkdir w
	touch w/f1
	start_bg inotifywait -m -e modify w w/f1
	echo hi >>w/f1
	wait_until has_lines "$OUT" 2
	stop_bg
	assert_file "$OUT" "w/ MODIFY f1" "w/f1 MODIFY "
}

@test "default output: a symlink to a directory, watched without -r, keeps no slash" {
	upstream_only "we print a symlinked directory with its trailing slash"
	mkdir d
	ln -s d lnkdir
	start_bg inotifywait -e create --format '[%w][%f][%w%f]' lnkdir
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "[lnkdir][x][lnkdirx]"
}

@test "default output: a newline in a name is printed raw" {
	mkdir d
	start_bg inotifywait -e create d
	touch "d/n
l"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/ CREATE n\nl\n'
}

@test "default output: spaces in names are not escaped" {
	mkdir 'my dir'
	start_bg inotifywait -e create 'my dir'
	touch 'my dir/a b'
	wait_bg
	assert_status 0
	assert_file "$OUT" "my dir/ CREATE a b"
}

@test "default output: invalid UTF-8 bytes are printed raw" {
	mkdir d
	name=$(printf 'x\377y')
	start_bg inotifywait -e create d
	touch "d/$name"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/ CREATE x\377y\n'
}

@test "default output: -q does not change the event line" {
	mkdir d
	start_bg_quiet inotifywait -q -e close_write d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CLOSE_WRITE,CLOSE a"
}

@test "ours: a symlink to a directory, watched without -r, gets a trailing slash" {
	ours_only "upstream decides with lstat and omits the slash"
	mkdir d
	ln -s d lnkdir
	start_bg inotifywait -e create --format '[%w][%f][%w%f]' lnkdir
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "[lnkdir/][x][lnkdir/x]"
}

@test "ours: with -P a symlink is watched itself and keeps no slash" {
	ours_only
	mkdir d
	ln -s d lnkdir
	start_bg inotifywait -P -e attrib --format '[%w][%f][%e]' lnkdir
	touch -h lnkdir
	wait_bg
	assert_status 0
	assert_file "$OUT" "[lnkdir][][ATTRIB]"
}
