#!/usr/bin/env bats
# inotifywait-usage.bats - inotifywait's command line: --help, option
# parsing and getopt's messages, the order of the post-parse checks (spec
# §2.1), exit status and the errors for paths that cannot be watched.
#
# Run:  bats tests/cli/inotifywait-usage.bats
# Oracle run against Debian's binaries:
#       INOTIFYWAIT=/usr/bin/inotifywait IT_UPSTREAM=1 bats tests/cli/inotifywait-usage.bats
#
# One of the inotifywait-*.bats files, split by topic; the conventions and
# the helpers they share are in common.bash.

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
	--exit-with-parent
	              	Exit when the parent process dies.
	--batch <delay>[,<max>]
	              	Print each path once, with all its events,
	              	when no event came for <delay> seconds (or
	              	<max> after the first), then an empty record.
	--batch-marker <text>
	              	End each batch with <text> instead.
	--batch-notify <fd>
	              	Write a newline to <fd> once a batch is printed.
	--rename-records
	              	With --batch, a rename is one record of the new
	              	path, its old one in %F.
	--exec <command>
	              	After each batch run /bin/sh -c <command> with
	              	the batch's paths as arguments ("$@").
	--restart     	With --exec, stop the command running when
	              	a new batch comes, then run it again.
	--follow-names
	              	Watch names, not inodes: a path that does not
	              	exist yet, or is replaced, is watched when it
	              	appears.
	--max-depth <n>
	              	With -r, watch no directory more than <n>
	              	levels below a watched one.
	-m|--monitor  	Keep listening for events forever or until --timeout expires.
	              	Without this option, inotifywait will exit after one event is received.
	-d|--daemon   	Same as --monitor, except run in the background
	              	logging events to a file specified by --outfile.
	              	Implies --syslog.
	-P|--no-dereference
	              	Do not follow symlinks.
	-r|--recursive	Watch directories recursively.
	-I|--inotify	Watch with inotify.
	-F|--fanotify	Watch with fanotify.
	-S|--filesystem	Watch entire filesystem with fanotify.
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

# ------------------------------------------------------------ -h / --help

@test "--help: help text on stdout, nothing on stderr, exit 1" {
	ours_only "upstream 3.22's help lacks our options and 4.x's -I/-F/-S"
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
	upstream_only "ours takes --include and --exclude together (batch.bats)"
	mkdir d
	run_fg inotifywait --include a --exclude b d
	expect_error "include and exclude regexp cannot both be specified."
}

@test "check 3 with the i variants" {
	upstream_only "ours takes --include and --exclude together (batch.bats)"
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
	upstream_only "ours takes --include and --exclude together (batch.bats)"
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
