#!/usr/bin/env bats
# Tests for inotifywatch (compatibility contract: ../shared/spec/upstream-behaviour.md,
# section 3 plus 2.1, 2.6, 2.7 and Appendix A).
#
# Run against our build:       bats tests/cli/inotifywatch.bats
# Run against upstream oracle: INOTIFYWATCH=/usr/bin/inotifywatch IT_UPSTREAM=1 bats tests/cli/inotifywatch.bats
#
# How the tests synchronise with the running tool (no sleeps for readiness):
#  * start_bg (common.bash) returns once stderr shows
#    "Finished establishing watches, now collecting statistics.".
#  * After scripted file operations we must not signal the tool before it has read and
#    counted every event: upstream only checks its `done` flag between events, so a
#    SIGINT that arrives while events are still queued (or still sitting in its read
#    buffer) ends the collection after ONE more event and the rest are silently lost
#    (checked empirically and in the source).  SIGUSR1 polling is not usable either:
#    upstream's SIGUSR1 table goes to a fully buffered stdout and only appears in the
#    file when the process exits.  Instead wait_idle polls /proc until the tool is
#    quiescent: no signal pending and every thread sleeping (state S).  Every file
#    operation below queues its events and wakes the reader synchronously inside the
#    system call, so once the operations have returned the tool can only be asleep again
#    after it has drained the inotify queue and processed everything it read.  The same
#    check after `kill -USR1` tells us the handler has finished.  This works for any
#    implementation that blocks in select/poll/epoll/read/signalfd while idle.
#  * New watches added during collection (-r) are observed in
#    /proc/<pid>/fdinfo/<inotify fd> (one "inotify wd:" line per watch).
#  * Event counts are made deterministic by choosing -e masks and file operations whose
#    consecutive events can never be identical (the kernel merges identical consecutive
#    unread events): distinct file names, alternating event types.
#  * Signals go to the tool itself (its pid is found among this test's descendants as
#    the process holding an inotify fd), never to the `timeout` wrapper, which would
#    forward them twice (once directly, once to its process group).

bats_require_minimum_version 1.5.0

load common

READY='Finished establishing watches, now collecting statistics.'
# seconds any polling loop of this file may take
POLL_MAX=20

# ---------------------------------------------------------------------------------------
# helpers local to this file
# ---------------------------------------------------------------------------------------

fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# iw ARGS...: run inotifywatch in the foreground (stdin = /dev/null); sets $status,
# stdout -> $IW_OUT, stderr -> $IW_ERR.
iw() {
	IW_OUT=$BATS_TEST_TMPDIR/iw.stdout
	IW_ERR=$BATS_TEST_TMPDIR/iw.stderr
	status=0
	timeout -k 5 $((20 * IT_TIME_FACTOR)) "${IT_PREFIX[@]}" "$INOTIFYWATCH" "$@" </dev/null >"$IW_OUT" 2>"$IW_ERR" || status=$?
}

# iw0 ARGS...: like iw, but with argv[0] set to plain "inotifywatch" (getopt messages
# start with argv[0]).
iw0() {
	IW_OUT=$BATS_TEST_TMPDIR/iw.stdout
	IW_ERR=$BATS_TEST_TMPDIR/iw.stderr
	status=0
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout -k 5 20 bash -c 'exec -a inotifywatch "$0" "$@"' "$INOTIFYWATCH" "$@" \
		</dev/null >"$IW_OUT" 2>"$IW_ERR" || status=$?
}

# expect_file FILE: FILE must be byte-identical to stdin.
expect_file() {
	local exp=$BATS_TEST_TMPDIR/expected.$RANDOM
	cat >"$exp"
	if ! cmp -s "$exp" "$1"; then
		echo "mismatch in $1 (expected vs actual, cat -A):" >&2
		diff -u <(cat -A "$exp") <(cat -A "$1") >&2
		return 1
	fi
}

expect_empty() {
	if [[ -s $1 ]]; then
		echo "$1 should be empty but contains:" >&2
		cat -A "$1" >&2
		return 1
	fi
}

expect_status() {
	[[ $status == "$1" ]] || fail "exit status $status, expected $1"
}

# only_stderr_line LINE: foreground run failed with exactly this stderr and no stdout.
expect_error() {
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' "$1" | expect_file "$IW_ERR"
}

# _descendants PID: all descendant pids of PID.
_descendants() {
	local -A kids=()
	local f line rest ppid pid
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		pid=${line%% *}
		rest=${line##*) }
		rest=${rest#* }
		ppid=${rest%% *}
		kids[$ppid]+=" $pid"
	done
	local -a queue=("$1")
	local p c
	while ((${#queue[@]})); do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for c in ${kids[$p]:-}; do
			echo "$c"
			queue+=("$c")
		done
	done
}

# _holds_inotify_fd PID: sets TOOL_PID/TOOL_FD to a descendant of PID that holds an
# inotify fd.
_holds_inotify_fd() {
	local p fd
	for p in $(_descendants "$1"); do
		for fd in /proc/"$p"/fd/*; do
			if [[ $(readlink "$fd" 2>/dev/null) == anon_inode:inotify ]]; then
				TOOL_PID=$p
				TOOL_FD=${fd##*/}
				return 0
			fi
		done
	done
	return 1
}

# find_tool: sets TOOL_PID/TOOL_FD to the descendant of this test shell that holds an
# inotify fd (must not be called inside $(...)).
find_tool() {
	wait_until -t "$POLL_MAX" -m "a process with an inotify fd" _holds_inotify_fd "$BASHPID" ||
		fail "no running process with an inotify fd found"
}

# wait_idle: wait until the tool ($TOOL_PID) has no pending signal and all its threads
# sleep.
wait_idle() {
	wait_until -t "$POLL_MAX" -p "$TOOL_PID" tool_idle "$TOOL_PID" && return 0
	[[ -d /proc/$TOOL_PID ]] || fail "process $TOOL_PID is gone"
	fail "process $TOOL_PID never became idle"
}

watch_count() {
	grep -c '^inotify wd:' "/proc/$TOOL_PID/fdinfo/$TOOL_FD"
}

# _watches_are N: the tool holds N inotify watches.
_watches_are() {
	local n
	n=$(watch_count) || true
	[[ $n == "$1" ]]
}

# wait_tool_watches N: wait until the tool holds N inotify watches.
wait_tool_watches() {
	wait_until -t "$POLL_MAX" _watches_are "$1" ||
		fail "tool holds $(watch_count) watches, expected $1"
}

# start_watch ARGS...: start inotifywatch in the background and find its pid.
start_watch() {
	start_bg "$INOTIFYWATCH" "$@"
	find_tool
}

# stop [SIG]: wait until every event has been consumed, send SIG (default INT) to the
# tool, wait for it; sets $status.
stop() {
	wait_idle
	kill -"${1:-INT}" "$TOOL_PID"
	wait_bg
}

# usr1: make the tool print its current table, wait until the handler has finished.
usr1() {
	wait_idle
	kill -USR1 "$TOOL_PID"
	wait_idle
}

expect_ready_stderr() {
	printf '%s\n' 'Establishing watches...' "$READY" | expect_file "$ERR"
}

# cell FILE ROW COLUMN: value of COLUMN in the table row whose filename is ROW ("-" if
# the column is not shown, nothing if the row is not shown).
cell() {
	awk -v row="$2" -v col="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$NF == row { print ((col in h) ? $(h[col]) : "-") }' "$1"
}

expect_cell() {
	local v
	v=$(cell "$OUT" "$1" "$2")
	[[ $v == "$3" ]] || {
		cat -A "$OUT" >&2
		fail "row $1 column $2 is '$v', expected '$3'"
	}
}

# ---------------------------------------------------------------------------------------
# --help
# ---------------------------------------------------------------------------------------

help_body() {
	cat <<'EOF'
Gather filesystem usage statistics using inotifywatch.
Usage: inotifywatch [ options ] file1 [ file2 ] [ ... ]
Options:
	-h|--help    	Show this help text.
	--version    	Show the version and exit.
	-v|--verbose 	Be verbose.
	@<file>       	Exclude the specified file from being watched.
	--fromfile <file>
		Read files to watch from <file> or `-' for stdin.
	--exclude <pattern>
		Exclude all events on files matching the extended regular
		expression <pattern>.  May be given several times: any
		match excludes.
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
	--exit-with-parent
		Exit when the parent process dies.
	--follow-names
		Watch names, not inodes: a path that does not exist yet, or
		is replaced, is watched when it appears.
	--max-depth <n>
		With -r, watch no directory more than <n> levels below a
		watched one.
	-z|--zero
		In the final table of results, output rows and columns even
		if they consist only of zeros (the default is to not output
		these rows and columns).
	-r|--recursive	Watch directories recursively.
	-I|--inotify	Watch with inotify.
	-F|--fanotify	Watch with fanotify.
	-S|--filesystem	Watch entire filesystem with fanotify.
	-P|--no-dereference
		Do not follow symlinks.
	-t|--timeout <seconds>
		Listen only for specified amount of time in seconds; if
		omitted or zero, inotifywatch will execute until receiving an
		interrupt signal.
	-e|--event <event1> [ -e|--event <event2> ... ]
		Listen for specific event(s).  If omitted, all events are 
		listened for.
	--csv		Print the final table as CSV.
	--json		Print the final table as JSON.
	-a|--ascending <event>
		Sort ascending by a particular event, or `total'.
	-d|--descending <event>
		Sort descending by a particular event, or `total'.

Exit status:
	0  -  Exited normally.
	1  -  Some error occurred.

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

@test "-h/--help print the help on stdout, exit 1, body upstream's plus our options" {
	ours_only "upstream 3.22's help lacks our options and 4.x's -I/-F/-S"
	mkdir w
	local -a variants=("-h" "--help" "w -h" "-z --help w" "--hel")
	local v
	for v in "${variants[@]}"; do
		# shellcheck disable=SC2086
		iw $v
		expect_status 1
		expect_empty "$IW_ERR"
		head -n 1 "$IW_OUT" | grep -Eq '^inotifywatch [0-9]+(\.[0-9]+)+$' ||
			fail "bad first help line for '$v': $(head -n 1 "$IW_OUT")"
		tail -n +2 "$IW_OUT" >"$BATS_TEST_TMPDIR/help.body"
		help_body | expect_file "$BATS_TEST_TMPDIR/help.body"
	done
}

@test "-h stops option processing: later options are not looked at" {
	iw -h -q
	expect_status 1
	expect_empty "$IW_ERR"
	grep -q '^Usage: inotifywatch \[ options \] file1 \[ file2 \] \[ ... \]$' "$IW_OUT"
}

# ---------------------------------------------------------------------------------------
# option parsing errors
# ---------------------------------------------------------------------------------------

@test "inotifywait-only short options are rejected with glibc's message" {
	mkdir w
	local o
	for o in q o c m f s; do
		iw0 -"$o" w
		expect_error "inotifywatch: invalid option -- '$o'"
	done
	iw0 -z -x w
	expect_error "inotifywatch: invalid option -- 'x'"
	# the man page synopsis "-hvzrPqfIFS" lists -q, but it is not accepted
	iw0 -vq w
	expect_error "inotifywatch: invalid option -- 'q'"
}

@test "inotifywait-only long options are rejected with glibc's message" {
	mkdir w
	local o
	for o in --format --monitor --quiet --outfile --daemon --syslog --no-newline \
		--timefmt --filename --bogus; do
		iw0 "$o" x w
		expect_error "inotifywatch: unrecognized option '$o'"
	done
	iw0 --format=%w w
	expect_error "inotifywatch: unrecognized option '--format=%w'"
}

@test "missing option arguments" {
	local o
	for o in e a d t; do
		iw0 -"$o"
		expect_error "inotifywatch: option requires an argument -- '$o'"
	done
	for o in --event --ascending --descending --timeout --fromfile --exclude --excludei \
		--include --includei; do
		iw0 "$o"
		expect_error "inotifywatch: option '$o' requires an argument"
	done
}

@test "long options may be abbreviated; ambiguous abbreviations are rejected" {
	mkdir w
	iw --verb --time 1 --zer w
	expect_status 0
	expect_empty "$IW_OUT"
	expect_file "$IW_ERR" <<EOF
Establishing watches...
Total of 1 watches.
$READY
Will listen for events for 1 seconds.
No events occurred.
EOF
	iw0 --exc x w
	expect_error "inotifywatch: option '--exc' is ambiguous; possibilities: '--exclude' '--excludei' '--exclude-from'"
}

@test "-e with an invalid event name" {
	mkdir w
	iw -e foo w
	expect_error "'foo' is not a valid event!  Run with the '--help' option to see a list of events."
	iw -e modify,foo w
	expect_error "'modify,foo' is not a valid event!  Run with the '--help' option to see a list of events."
	iw --event=bogus w
	expect_error "'bogus' is not a valid event!  Run with the '--help' option to see a list of events."
}

@test "-t with an invalid value" {
	mkdir w
	local v
	for v in abc 0.5 1x; do
		iw -t "$v" w
		expect_status 1
		expect_empty "$IW_OUT"
		printf '%s\n' "'$v' is not a valid timeout value." 'Please specify a long int value.' |
			expect_file "$IW_ERR"
	done
	iw -t '' w
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' 'The provided value is not a valid timeout value.' \
		'Please specify a long int value.' | expect_file "$IW_ERR"
	iw --timeout 99999999999999999999 w
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' 'Something went wrong with the timeout value you provided.' \
		'Numerical result out of range' | expect_file "$IW_ERR"
}

@test "sort option errors" {
	mkdir w
	iw -a move w
	expect_error "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'."
	iw --ascending MOVE w
	expect_error "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'."
	iw -a close w
	expect_error "Cannot sort by \`close' event; please use \`close_write' or \`close_nowrite'."
	iw -a foo w
	expect_error "'foo' is not a valid key for sorting!"
	iw -d foo w
	expect_error "'foo' is not a valid key for sorting!"
	iw -a total -d total w
	expect_error "Please specify -a or -d once only!"
	iw -a total -a total w
	expect_error "Please specify -a or -d once only!"
	iw -a modify --ascending access w
	expect_error "Please specify -a or -d once only!"
	iw -e modify -a access w
	expect_error "Can't sort by an event which isn't being watched for!"
	iw -e access -d modify w
	expect_error "Can't sort by an event which isn't being watched for!"
	iw -e create,delete --descending=CLOSE_WRITE w
	expect_error "Can't sort by an event which isn't being watched for!"
	# unmount is not part of the default mask (IN_ALL_EVENTS)
	iw -a unmount w
	expect_error "Can't sort by an event which isn't being watched for!"
	# checked after option parsing, before the regex checks
	iw --exclude a --excludei b -e modify -a access w
	expect_error "Can't sort by an event which isn't being watched for!"
}

@test "-d/-a given after -d is accepted, the last one wins" {
	mkdir w
	iw -d total -a total -t 1 w
	expect_status 0
	iw -d total -d create -t 1 w
	expect_status 0
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' "$READY" 'No events occurred.' | expect_file "$IW_ERR"
}

@test "regex option conflicts and invalid regexes" {
	mkdir w
	iw --exclude a --excludei b w
	expect_error "--exclude and --excludei cannot both be specified."
	iw --include a --includei b w
	expect_error "--include and --includei cannot both be specified."
	# the --exclude/--excludei conflict is reported first
	iw --exclude a --excludei b --include c --includei d w
	expect_error "--exclude and --excludei cannot both be specified."
	iw --exclude '(' w
	expect_error "Error in \`exclude' regular expression."
	iw --excludei 'a(' w
	expect_error "Error in \`exclude' regular expression."
	iw --include '(' w
	expect_error "Error in \`include' regular expression."
	iw --includei '[' w
	expect_error "Error in \`include' regular expression."
}

@test "--fromfile given twice" {
	mkdir w
	printf 'w\n' >list
	iw --fromfile list --fromfile list w
	expect_error "Multiple --fromfile options given."
}

# ---------------------------------------------------------------------------------------
# stderr protocol
# ---------------------------------------------------------------------------------------

@test "No files specified to watch!" {
	iw
	expect_error "No files specified to watch!"
	iw -r -v -z -t 5 -e modify
	expect_error "No files specified to watch!"
	iw @x @y @
	expect_error "No files specified to watch!"
	printf '\n@\n@foo\n\n' >list
	iw --fromfile list
	expect_error "No files specified to watch!"
}

@test "unreadable --fromfile: error, then the remaining paths are used" {
	iw --fromfile nope
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' "Couldn't open nope: No such file or directory" \
		"No files specified to watch!" | expect_file "$IW_ERR"

	mkdir w
	iw --fromfile nope -t 1 w
	expect_status 0
	expect_empty "$IW_OUT"
	printf '%s\n' "Couldn't open nope: No such file or directory" 'Establishing watches...' \
		"$READY" 'No events occurred.' | expect_file "$IW_ERR"
}

@test "a path that cannot be watched aborts: Failed to watch <path>: <strerror>" {
	mkdir w
	touch f
	iw w missing
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' \
		'Failed to watch missing: No such file or directory' | expect_file "$IW_ERR"

	iw f/x w
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' 'Failed to watch f/x: Not a directory' |
		expect_file "$IW_ERR"

	iw -r w missing
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' \
		'Failed to watch missing: No such file or directory' | expect_file "$IW_ERR"

	iw -v -r missing w
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' 'Setting up watch(es) on missing' \
		'Failed to watch missing: No such file or directory' | expect_file "$IW_ERR"
}

@test "-t N without events: No events occurred., exit 0, empty stdout" {
	mkdir w
	iw -t 1 w
	expect_status 0
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' "$READY" 'No events occurred.' |
		expect_file "$IW_ERR"
}

@test "SIGINT without events: No events occurred., exit 0" {
	mkdir w
	start_watch w
	stop INT
	expect_status 0
	expect_empty "$OUT"
	printf '%s\n' 'Establishing watches...' "$READY" 'No events occurred.' |
		expect_file "$ERR"
}

@test "-z does not print a table when nothing happened" {
	mkdir w
	iw -z -t 1 w
	expect_status 0
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' "$READY" 'No events occurred.' |
		expect_file "$IW_ERR"
}

# ---------------------------------------------------------------------------------------
# -v
# ---------------------------------------------------------------------------------------

@test "-v with -t: watch total and listening time" {
	mkdir w
	touch f
	iw -v -t 1 w f
	expect_status 0
	expect_empty "$IW_OUT"
	expect_file "$IW_ERR" <<EOF
Establishing watches...
Total of 2 watches.
$READY
Will listen for events for 1 seconds.
No events occurred.
EOF
}

@test "-v without -t (or with -t 0) prints no listening time" {
	mkdir w
	local t
	for t in "" "-t 0"; do
		# shellcheck disable=SC2086
		start_watch -v $t w
		stop INT
		expect_status 0
		expect_empty "$OUT"
		printf '%s\n' 'Establishing watches...' 'Total of 1 watches.' "$READY" \
			'No events occurred.' | expect_file "$ERR"
	done
}

@test "-v -r: per-path lines and the total number of watches" {
	mkdir -p r/s1/s2 r/x
	touch q
	iw -v -r -t 1 r q @r/x
	expect_status 0
	expect_empty "$IW_OUT"
	expect_file "$IW_ERR" <<EOF
Establishing watches...
Setting up watch(es) on r
OK, r is now being watched.
Setting up watch(es) on q
OK, q is now being watched.
Total of 4 watches.
$READY
Will listen for events for 1 seconds.
No events occurred.
EOF
	iw --verbose --recursive --timeout 1 r
	expect_status 0
	expect_file "$IW_ERR" <<EOF
Establishing watches...
Setting up watch(es) on r
OK, r is now being watched.
Total of 4 watches.
$READY
Will listen for events for 1 seconds.
No events occurred.
EOF
}

# ---------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------

@test "table with the default mask: every column, total includes unshown events" {
	mkdir w
	touch wf
	start_watch w wf
	echo hi >w/a                 # CREATE OPEN MODIFY CLOSE_WRITE
	head -c 1 w/a >/dev/null     # OPEN ACCESS CLOSE_NOWRITE
	mv w/a w/b                   # MOVED_FROM MOVED_TO
	chmod 600 w/b                # ATTRIB
	rm w/b                       # DELETE
	mkdir w/d                    # CREATE,ISDIR
	rmdir w/d                    # DELETE,ISDIR
	echo x >>wf                  # OPEN MODIFY CLOSE_WRITE
	head -c 1 wf >/dev/null      # OPEN ACCESS CLOSE_NOWRITE
	touch wf                     # OPEN ATTRIB CLOSE_WRITE
	mv wf wf2                    # MOVE_SELF
	rm wf2                       # ATTRIB DELETE_SELF IGNORED
	stop INT
	expect_status 0
	expect_ready_stderr
	# wf: the 12 shown events + IGNORED = 13 (total counts every event); tie -> watch order
	expect_file "$OUT" <<'EOF'
total  access  modify  attrib  close_write  close_nowrite  open  moved_from  moved_to  move_self  create  delete  delete_self  filename
13     1       1       1       1            1              2     1           1         0          2       2       0            w/
13     1       1       2       2            1              3     0           0         1          0       0       1            wf
EOF
}

@test "without -z only non-zero rows and columns are shown" {
	mkdir a b c
	touch a/old
	start_watch -e create,delete,modify,attrib a b c
	touch c/1
	rm a/old
	touch c/2
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  attrib  create  delete  filename
4      2       2       0       c/
1      0       0       1       a/
EOF
}

@test "-z shows zero rows and all columns of the default mask (never unmount)" {
	mkdir a b
	start_watch -z a b
	touch b/1
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  access  modify  attrib  close_write  close_nowrite  open  moved_from  moved_to  move_self  create  delete  delete_self  filename
4      0       0       1       1            0              1     0           0         0          1       0       0            b/
0      0       0       0       0            0              0     0           0         0          0       0       0            a/
EOF
}

@test "-z columns are limited to the -e mask (unmount only when asked for)" {
	mkdir a b
	start_watch --zero -e create -e delete,unmount a b
	touch b/1
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  create  delete  unmount  filename
1      1       0       0        b/
0      0       0       0        a/
EOF
}

@test "cells are left-aligned and padded to the header width" {
	mkdir w v
	start_watch -e create,delete v w
	touch w/{1..12}
	rm w/{1..11}
	touch v/x
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  create  delete  filename
23     12      11      w/
1      1       0       v/
EOF
}

@test "filename column: the stored watch name" {
	upstream_only "we store a symlinked directory with its trailing slash"
	mkdir -p w d2 sub r/x
	touch f
	ln -s d2 lnk
	start_watch -e attrib w/ ./f lnk "$PWD/r/x"
	chmod 600 w
	chmod 600 r/x
	chmod 600 f
	chmod 600 d2
	stop INT
	expect_status 0
	# a symlink to a directory (not recursive) keeps no trailing slash
	expect_file "$OUT" <<EOF
total  attrib  filename
1      1       w/
1      1       ./f
1      1       lnk
1      1       $PWD/r/x/
EOF
	cd sub
	start_watch -e create .
	touch x
	stop INT
	expect_status 0
	printf '%s\n' 'total  create  filename' '1      1       ./' | expect_file "$OUT"
}

# ---------------------------------------------------------------------------------------
# sorting
# ---------------------------------------------------------------------------------------

@test "default order: descending total, ties in watch order" {
	mkdir a b c d
	start_watch -e create d c b a
	touch c/1 b/1 d/1 d/2
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  create  filename
2      2       d/
1      1       c/
1      1       b/
EOF
}

@test "-a total / -d total (ties in watch order for both)" {
	local opt
	for opt in "-a total" "--ascending=TOTAL"; do
		rm -rf a b c d
		mkdir a b c d
		# shellcheck disable=SC2086
		start_watch -e create $opt d c b a
		touch c/1 b/1 d/1 d/2
		stop INT
		expect_status 0
		expect_file "$OUT" <<'EOF'
total  create  filename
1      1       c/
1      1       b/
2      2       d/
EOF
	done
	rm -rf a b c d
	mkdir a b c d
	start_watch -e create -d Total d c b a
	touch b/1 c/1 d/1 d/2 a/1 a/2 a/3
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  create  filename
3      3       a/
2      2       d/
1      1       c/
1      1       b/
EOF
}

# a: create 2 attrib 2 (total 4), b: attrib 3 (total 3), c: create 1 attrib 1 (total 2)
sort_scenario() {
	rm -rf a b c
	mkdir a b c
	touch b/e1 b/e2 b/e3
	start_watch -e create,attrib "$@" a b c
	touch a/n1 c/n1 a/n2
	chmod 600 b/e1 b/e2 b/e3
	stop INT
	expect_status 0
}

@test "-a/-d by an event column" {
	sort_scenario
	expect_file "$OUT" <<'EOF'
total  attrib  create  filename
4      2       2       a/
3      3       0       b/
2      1       1       c/
EOF
	sort_scenario -d create
	expect_file "$OUT" <<'EOF'
total  attrib  create  filename
4      2       2       a/
2      1       1       c/
3      3       0       b/
EOF
	sort_scenario -a CREATE
	expect_file "$OUT" <<'EOF'
total  attrib  create  filename
3      3       0       b/
2      1       1       c/
4      2       2       a/
EOF
	sort_scenario --descending attrib
	expect_file "$OUT" <<'EOF'
total  attrib  create  filename
3      3       0       b/
4      2       2       a/
2      1       1       c/
EOF
	sort_scenario --ascending=Attrib
	expect_file "$OUT" <<'EOF'
total  attrib  create  filename
2      1       1       c/
4      2       2       a/
3      3       0       b/
EOF
}

@test "-d followed by -a or -d: the last sort option wins" {
	sort_scenario -d create -a attrib
	expect_file "$OUT" <<'EOF'
total  attrib  create  filename
2      1       1       c/
4      2       2       a/
3      3       0       b/
EOF
	sort_scenario -d create -d attrib
	expect_file "$OUT" <<'EOF'
total  attrib  create  filename
3      3       0       b/
4      2       2       a/
2      1       1       c/
EOF
}

@test "-z rows with zeros are sorted like the others" {
	mkdir a b c d
	start_watch -z -e create,delete -a create d c b a
	touch c/1 b/1 d/1 d/2
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  create  delete  filename
0      0       0       a/
1      1       0       c/
1      1       0       b/
2      2       0       d/
EOF
}

# ---------------------------------------------------------------------------------------
# --exclude / --excludei / --include / --includei
# ---------------------------------------------------------------------------------------

# filter_case EXPECTED_TABLE ARGS...: a/x1 b/X2 a/y1 b/x3 a/Y2 are created
filter_case() {
	local expected=$1
	shift
	rm -rf a b
	mkdir a b
	start_watch -e create "$@" a b
	touch a/x1 b/X2 a/y1 b/x3 a/Y2
	stop INT
	expect_status 0
	expect_ready_stderr
	printf '%s' "$expected" | expect_file "$OUT"
}

@test "--exclude/--excludei match the full path %w%f; filtered events are not counted" {
	filter_case $'total  create  filename\n3      3       a/\n2      2       b/\n'
	filter_case $'total  create  filename\n2      2       b/\n' --exclude '^a/'
	filter_case $'total  create  filename\n2      2       a/\n1      1       b/\n' --exclude x
	filter_case $'total  create  filename\n2      2       a/\n' --excludei X
	# repeating --exclude: the last one wins, and (unlike inotifywait) no warning
	filter_case $'total  create  filename\n2      2       a/\n1      1       b/\n' \
		--exclude zzz --exclude x
}

@test "--include/--includei" {
	filter_case $'total  create  filename\n1      1       a/\n1      1       b/\n' --include x
	filter_case $'total  create  filename\n2      2       b/\n1      1       a/\n' --includei x
	filter_case $'total  create  filename\n1      1       b/\n' --include '^b/x3$'
	filter_case $'total  create  filename\n2      2       b/\n0      0       a/\n' -z --include '^b/'
	filter_case $'total  create  filename\n1      1       a/\n' --include y --include '[Yy]1'
}

@test "regex filtering applies to events on a watched file itself" {
	mkdir w
	touch wf
	start_watch -e attrib --exclude '^wf$' w wf
	chmod 600 wf
	touch w/wf2
	stop INT
	expect_status 0
	printf '%s\n' 'total  attrib  filename' '1      1       w/' | expect_file "$OUT"
}

# ---------------------------------------------------------------------------------------
# paths: @ exclusions, --fromfile, -P, -I, option permutation
# ---------------------------------------------------------------------------------------

@test "@ exclusions with -r: excluded subtree is neither watched nor counted" {
	mkdir -p r/s1/s2 r/x/y
	start_watch -v -r -e create r @r/x
	[[ $(watch_count) == 3 ]] || fail "watch count $(watch_count), expected 3"
	touch r/x/a r/x/y/a r/s1/a r/a
	stop INT
	expect_status 0
	expect_file "$ERR" <<EOF
Establishing watches...
Setting up watch(es) on r
OK, r is now being watched.
Total of 3 watches.
$READY
EOF
	# r/x is not watched: r/x/a and r/x/y/a are invisible; tie -> watch order
	expect_file "$OUT" <<'EOF'
total  create  filename
1      1       r/s1/
1      1       r/
EOF
}

@test "@ exclusions: trailing slash optional, lone @ ignored, roots never excluded, spelling must match" {
	mkdir -p r/s r/x
	iw -v -r -t 1 r @r/x/ @ @r
	expect_status 0
	sed -n 's/^Total of //p' "$IW_ERR" | grep -qx '2 watches.' || fail "$(cat "$IW_ERR")"
	iw -v -r -t 1 r/ @r/s
	sed -n 's/^Total of //p' "$IW_ERR" | grep -qx '2 watches.' || fail "$(cat "$IW_ERR")"
	# ./r spells the root differently from the exclusion r/s -> nothing excluded
	iw -v -r -t 1 ./r @r/s
	sed -n 's/^Total of //p' "$IW_ERR" | grep -qx '3 watches.' || fail "$(cat "$IW_ERR")"
	# without -r an @ exclusion does nothing
	iw -v -t 1 r @r
	sed -n 's/^Total of //p' "$IW_ERR" | grep -qx '1 watches.' || fail "$(cat "$IW_ERR")"
}

@test "--fromfile: file entries first, then positional paths; @ lines; blank lines ignored" {
	mkdir -p a b/skip c
	printf 'b\n@b/skip\n\n@\na\n' >list
	start_watch -v -r -e create --fromfile list c
	touch a/1 b/1 c/1 b/skip/1
	stop INT
	expect_status 0
	expect_file "$ERR" <<EOF
Establishing watches...
Setting up watch(es) on b
OK, b is now being watched.
Setting up watch(es) on a
OK, a is now being watched.
Setting up watch(es) on c
OK, c is now being watched.
Total of 3 watches.
$READY
EOF
	# equal totals -> watch order: b, a (from the file), then c
	expect_file "$OUT" <<'EOF'
total  create  filename
1      1       b/
1      1       a/
1      1       c/
EOF
}

@test "--fromfile - reads the list from stdin" {
	mkdir a b c
	printf 'b\n@b\na\n' >list
	start_watch -v -e create --fromfile - c <list
	touch a/1 b/1 c/1
	stop INT
	expect_status 0
	expect_file "$ERR" <<EOF
Establishing watches...
Total of 3 watches.
$READY
EOF
	expect_file "$OUT" <<'EOF'
total  create  filename
1      1       b/
1      1       a/
1      1       c/
EOF
}

@test "-P watches a symlink itself instead of its target" {
	touch tgt
	ln -s tgt lnk
	start_watch -e attrib,modify lnk
	echo x >>tgt
	touch -h lnk
	stop INT
	expect_status 0
	printf '%s\n' 'total  modify  filename' '1      1       lnk' | expect_file "$OUT"

	start_watch -P -e attrib,modify lnk
	echo x >>tgt
	touch -h lnk
	stop INT
	expect_status 0
	printf '%s\n' 'total  attrib  filename' '1      1       lnk' | expect_file "$OUT"

	start_watch --no-dereference -e modify lnk
	echo x >>tgt
	stop INT
	expect_status 0
	expect_empty "$OUT"
	printf '%s\n' 'Establishing watches...' "$READY" 'No events occurred.' | expect_file "$ERR"
}

@test "-I/--inotify is accepted" {
	mkdir w
	start_watch -I --inotify -e create w
	touch w/x
	stop INT
	expect_status 0
	expect_ready_stderr
	printf '%s\n' 'total  create  filename' '1      1       w/' | expect_file "$OUT"
}

@test "GNU argument permutation; -- ends the options" {
	mkdir w -- -e
	start_watch w -e create -a total --zero -- -e
	touch w/x -- -e/1 -e/2
	stop INT
	expect_status 0
	expect_ready_stderr
	expect_file "$OUT" <<'EOF'
total  create  filename
1      1       w/
2      2       -e/
EOF
}

# ---------------------------------------------------------------------------------------
# -t
# ---------------------------------------------------------------------------------------

@test "-t N: collects for N seconds, then prints the table and exits 0" {
	mkdir w
	# long enough for the events to be counted first, also under valgrind
	start_watch -t $((3 * IT_TIME_FACTOR)) -e create,delete w
	touch w/a w/b
	rm w/a
	wait_idle
	kill -0 "$TOOL_PID" || fail "exited too early"
	wait_bg
	expect_status 0
	expect_ready_stderr
	expect_file "$OUT" <<'EOF'
total  create  delete  filename
3      2       1       w/
EOF
}

@test "-t -1 is rejected after setting up watches (4.x behaviour)" {
	ours_only
	mkdir w
	iw -t -1 w
	expect_status 1
	expect_empty "$IW_OUT"
	printf '%s\n' 'Establishing watches...' "$READY" 'Negative timeout specified - abort!' |
		expect_file "$IW_ERR"
}

# ---------------------------------------------------------------------------------------
# signals
# ---------------------------------------------------------------------------------------

@test "SIGINT, SIGTERM and SIGHUP end the collection: table, exit 0" {
	local sig
	for sig in INT TERM HUP; do
		rm -rf w
		mkdir w
		start_watch -e create,delete w
		touch w/a
		rm w/a
		stop "$sig"
		expect_status 0
		expect_ready_stderr
		printf '%s\n' 'total  create  delete  filename' '2      1       1       w/' |
			expect_file "$OUT"
	done
}

@test "SIGUSR1 prints the current table and an empty line, collection continues" {
	mkdir a b
	start_watch -e create,delete a b
	touch a/1 a/2
	usr1
	touch b/1
	rm a/1
	usr1
	touch b/2
	stop INT
	expect_status 0
	expect_ready_stderr
	expect_file "$OUT" <<'EOF'
total  create  filename
2      2       a/

total  create  delete  filename
3      2       1       a/
1      1       0       b/

total  create  delete  filename
3      2       1       a/
2      2       0       b/
EOF
}

@test "SIGUSR1 before any event: No events occurred. on stderr, empty line on stdout" {
	mkdir w
	start_watch -e create w
	usr1
	kill -0 "$TOOL_PID" || fail "tool exited on SIGUSR1"
	touch w/x
	stop TERM
	expect_status 0
	printf '%s\n' 'Establishing watches...' "$READY" 'No events occurred.' | expect_file "$ERR"
	printf '%s\n' '' 'total  create  filename' '1      1       w/' | expect_file "$OUT"
}

# Interrupting during setup: the only way to hold upstream deterministically in its
# setup phase is to make it wait for its path list: --fromfile on a FIFO that we keep
# open (the SIGINT handler for the setup phase is installed before the list is read).
# A huge tree with -r was not used: how long the scan takes is not controllable.

# _has_open PID PATH: sets TOOL_PID to a descendant of PID that has PATH open.
_has_open() {
	local c fd
	for c in $(_descendants "$1"); do
		for fd in /proc/"$c"/fd/*; do
			if [[ $(readlink "$fd" 2>/dev/null) == "$2" ]]; then
				TOOL_PID=$c
			fi
		done
	done
	[[ -n $TOOL_PID ]]
}

start_on_fifo() {
	mkdir w
	mkfifo list
	timeout -k 5 20 "$INOTIFYWATCH" -e create --fromfile list >"$OUT" 2>"$ERR" 3>&- &
	FIFO_BG=$!
	bg_track "$FIFO_BG"
	# read-write open of a FIFO never blocks (no hang if the tool dies early); the tool
	# does not inherit this fd, so closing it later gives the tool EOF
	exec {LISTFD}<>list
	echo w >&"$LISTFD"
	# wait until the tool (the child of timeout) has the FIFO open ...
	TOOL_PID=
	wait_until -t "$POLL_MAX" _has_open "$FIFO_BG" "$(realpath list)" ||
		fail "the tool never opened the FIFO"
	# ... and sleeps waiting for the rest of the list
	wait_idle
}

@test "SIGINT twice during setup: two-step abort, exit 1" {
	start_on_fifo
	kill -INT "$TOOL_PID"
	wait_idle
	expect_file "$ERR" <<'EOF'
No statistics have been collected because I haven't finished establishing
inotify watches yet.  If you are sure you want me to exit, interrupt me again.
EOF
	kill -INT "$TOOL_PID"
	status=0
	wait "$FIFO_BG" || status=$?
	exec {LISTFD}>&-
	expect_status 1
	expect_empty "$OUT"
	expect_file "$ERR" <<'EOF'
No statistics have been collected because I haven't finished establishing
inotify watches yet.  If you are sure you want me to exit, interrupt me again.
No statistics collected, asked to abort before all watches could be established.
EOF
}

@test "a single SIGINT during setup does not stop the tool" {
	start_on_fifo
	kill -INT "$TOOL_PID"
	wait_idle
	exec {LISTFD}>&- # end of the list: setup continues
	wait_for_line "$ERR" "^$READY\$"
	touch w/x
	wait_idle
	kill -INT "$TOOL_PID"
	status=0
	wait "$FIFO_BG" || status=$?
	expect_status 0
	expect_file "$ERR" <<EOF
No statistics have been collected because I haven't finished establishing
inotify watches yet.  If you are sure you want me to exit, interrupt me again.
Establishing watches...
$READY
EOF
	printf '%s\n' 'total  create  filename' '1      1       w/' | expect_file "$OUT"
}

# ---------------------------------------------------------------------------------------
# recursion
# ---------------------------------------------------------------------------------------

@test "-r watches every directory of the tree" {
	mkdir -p r/s1/s2 r/x
	start_watch -r -e create r
	touch r/s1/s2/a r/s1/a r/s1/s2/b r/f r/s1/s2/c r/s1/b
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  create  filename
3      3       r/s1/s2/
2      2       r/s1/
1      1       r/
EOF
}

@test "-r registers watches children first (post-order): zero rows in watch order" {
	mkdir -p r/a/b
	start_watch -r -z -e create r
	touch r/f
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  create  filename
1      1       r/
0      0       r/a/b/
0      0       r/a/
EOF
}

@test "-r with the default mask: a directory created during collection is watched" {
	mkdir -p r/s1
	start_watch -r r
	wait_tool_watches 2
	mkdir r/new
	wait_tool_watches 3
	echo hi >r/new/f
	head -c 1 r/new/f >/dev/null
	stop INT
	expect_status 0
	expect_ready_stderr
	# (upstream's own scan of r/new adds OPEN/ACCESS/CLOSE_NOWRITE on r/, so only the
	# header and the counts of events it cannot cause are compared exactly)
	[[ $(head -n 1 "$OUT") == 'total  access  modify  close_write  close_nowrite  open  create  filename' ]] ||
		fail "header: $(head -n 1 "$OUT")"
	expect_cell r/ create 1
	expect_cell r/new/ create 1
	expect_cell r/new/ modify 1
	expect_cell r/new/ close_write 1
	[[ -z $(cell "$OUT" r/s1/ total) ]] || fail "unexpected row r/s1/"
}

@test "-r -e create,modify: exact table for a new directory" {
	mkdir -p r/s1
	start_watch -r -e create,modify r
	mkdir r/new
	wait_tool_watches 3
	echo hi >r/new/f
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  modify  create  filename
2      1       1       r/new/
1      0       1       r/
EOF
}

@test "-r: a directory tree moved into the watched tree is watched" {
	mkdir -p r/s1/s2 o/m/n
	start_watch -r -e create,moved_to,moved_from,move_self r
	wait_tool_watches 3
	mv o/m r/s1/
	wait_tool_watches 5
	touch r/s1/m/n/z r/s1/m/k1 r/s1/m/k2
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  moved_to  create  filename
2      0         2       r/s1/m/
1      1         0       r/s1/
1      0         1       r/s1/m/n/
EOF
}

@test "-r: renaming a watched directory renames its row" {
	mkdir -p r/a/b
	start_watch -r -e create,moved_to,moved_from,move_self r
	mv r/a r/a2
	touch r/a2/x r/a2/b/y
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  moved_from  moved_to  move_self  create  filename
2      0           0         1          1       r/a2/
2      1           1         0          0       r/
1      0           0         0          1       r/a2/b/
EOF
}

@test "-r with a -e mask lacking create still watches new directories (ours)" {
	ours_only
	mkdir -p r/s1
	start_watch -r -e modify r
	mkdir r/new
	wait_tool_watches 3
	echo hi >r/new/f
	echo hi >>r/s1/g
	stop INT
	expect_status 0
	expect_file "$OUT" <<'EOF'
total  modify  filename
1      1       r/s1/
1      1       r/new/
EOF
}

@test "-d move is rejected like -a move (ours)" {
	ours_only
	mkdir w
	iw -d move w
	expect_error "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'."
	iw --descending=Move w
	expect_error "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'."
}

@test "ours: filename column: a symlinked directory is stored with a slash" {
	ours_only "upstream decides with lstat and omits the slash"
	mkdir d2
	ln -s d2 lnk
	start_watch -e attrib lnk
	chmod 600 d2
	stop INT
	expect_status 0
	printf '%s\n' 'total  attrib  filename' '1      1       lnk/' | expect_file "$OUT"
}

@test "ours: -d move and -d close are rejected like -a" {
	ours_only "upstream accepts them and crashes when sorting"
	mkdir w
	run_fg inotifywatch -d move w
	assert_status 1
	assert_file "$ERR" "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'."
	run_fg inotifywatch -d close w
	assert_status 1
	assert_file "$ERR" "Cannot sort by \`close' event; please use \`close_write' or \`close_nowrite'."
}

# ------------------------------------------------------------ --csv, --json

# run_watch ARGS...: inotifywatch ARGS on d while d/a and d/s/x are touched
# and d/a is removed, then SIGINT once every event is counted.
run_watch() {
	mkdir -p d/s
	start_watch "$@"
	touch d/a d/s/x
	rm d/a
	stop INT
}

@test "inotifywatch --csv: the table's rows and columns as CSV" {
	ours_only
	run_watch --csv -r -e create,delete,attrib d
	expect_status 0
	assert_file "$OUT" "total,attrib,create,delete,filename" \
		"3,1,1,1,d/" "2,1,1,0,d/s/"
}

@test "inotifywatch --json: the table as a JSON array" {
	ours_only
	run_watch --json -r -e create,delete,attrib d
	expect_status 0
	assert_file "$OUT" "[" \
		'{"filename":"d/","total":3,"attrib":1,"create":1,"delete":1},' \
		'{"filename":"d/s/","total":2,"attrib":1,"create":1,"delete":0}' "]"
	json_parses "$OUT"
}

@test "inotifywatch --csv/--json: names are escaped, sort and -z apply" {
	ours_only
	mkdir -p 'd/a,"b' d/e
	run_watch --csv -r -z -a total -e create,attrib d
	expect_status 0
	assert_file "$OUT" "total,attrib,create,filename" \
		"0,0,0,d/e/" '0,0,0,"d/a,""b/"' "2,1,1,d/s/" "2,1,1,d/"
}

@test "inotifywatch --csv/--json with no events: empty table, message on stderr" {
	ours_only
	mkdir d
	run_fg inotifywatch --csv -t 1 d
	expect_status 0
	assert_file "$OUT" "total,filename"
	grep -qxF "No events occurred." "$ERR"
	run_fg inotifywatch --json -t 1 d
	expect_status 0
	assert_file "$OUT" "[]"
	json_parses "$OUT"
}

@test "inotifywatch --csv and --json together: error, exit 1" {
	ours_only
	mkdir d
	run_fg inotifywatch --csv --json d
	expect_status 1
	assert_file "$ERR" "--csv and --json cannot both be specified."
}

