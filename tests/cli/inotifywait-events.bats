#!/usr/bin/env bats
# inotifywait-events.bats - which events inotifywait reports: -e and the
# --exclude, --include and --*-from filters.
#
# Run:  bats tests/cli/inotifywait-events.bats
# Oracle run against Debian's binaries:
#       INOTIFYWAIT=/usr/bin/inotifywait IT_UPSTREAM=1 bats tests/cli/inotifywait-events.bats
#
# One of the inotifywait-*.bats files, split by topic; the conventions and
# the helpers they share are in common.bash.

load common

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

@test "--exclude twice: a bad one before the last is skipped with a warning" {
	ours_only "upstream compiles only the last pattern"
	mkdir d
	run_fg inotifywait --exclude '(' --exclude 'b' -t 1 d
	assert_status 2
	assert_file "$ERR" "--exclude: \`(' is not a valid regular expression; skipped." \
		"${SETUP_LINES[@]}"
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

@test "--exclude-from counts as --exclude: not with --excludei" {
	ours_only
	mkdir d
	: >pats
	run_fg inotifywait --exclude-from pats --excludei x d
	expect_error "--exclude and --excludei cannot both be specified."
	run_fg inotifywait --include-from pats --includei x d
	expect_error "--include and --includei cannot both be specified."
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
