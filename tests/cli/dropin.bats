#!/usr/bin/env bats
# dropin.bats - what a drop-in replacement of inotify-tools 3.22 must do
# besides upstream's own behaviour: --exit-with-parent, scripts in the wild
# (repeated patterns), the quiet end of -m, --help for packagers.
#
# Run:  bats tests/cli/dropin.bats

load common

# ------------------------------------------------------------------ helpers

# _proc_stat PID N: field N of /proc/PID/stat counted after the command
# name (1 = state, 2 = parent pid); fails once PID is gone.
_proc_stat() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	awk -v n="$2" '{ print $n }' <<<"$s"
}

# _opening_fifo PID: PID sleeps in open(2) of a FIFO without a writer (the
# kernel names the wait wait_for_partner, or fifo_open where it is inlined).
_opening_fifo() {
	local w
	w=$(cat "/proc/$1/wchan" 2>/dev/null) || return 1
	[[ $w == wait_for_partner || $w == fifo_open ]]
}

# _gone PID: PID has exited (a zombie nobody reaps yet counts as gone).
_gone() {
	local state
	state=$(_proc_stat "$1" 1) || return 0
	[ "$state" = Z ] || [ "$state" = X ]
}

# _gone_within_1s PID: poll (no fixed sleep) until PID is gone, 1 s at most.
_gone_within_1s() {
	wait_until -t 1 -m "process $1 to be gone 1 s after its parent died" _gone "$1"
}

# spawn_child TOOL ARGS...: start a shell, under timeout, that starts TOOL as
# its child and waits for it. Sets PARENT (the shell) and CHILD (the tool).
spawn_child() {
	local bin
	bin=$(_it_tool "$1")
	shift
	: >"$OUT"
	: >"$ERR"
	rm -f "$IT_TMP/parent" "$IT_TMP/child"
	timeout -k 5 "$IT_BG_TIMEOUT" bash -c \
		'echo $$ >"$0.parent"; "$@" & echo $! >"$0.child"; wait' \
		"$IT_TMP/pid" "$bin" "$@" <&0 >"$OUT" 2>"$ERR" 3>&- &
	BG_PID=$!
	wait_until -m "the tool to be started" test -s "$IT_TMP/pid.child"
	PARENT=$(cat "$IT_TMP/pid.parent")
	CHILD=$(cat "$IT_TMP/pid.child")
	bg_track "$CHILD"
}

# ------------------------------------------------------ --exit-with-parent

@test "--exit-with-parent: inotifywait is gone within 1 s of kill -9 of its parent" {
	ours_only "upstream has no --exit-with-parent"
	spawn_child inotifywait -m --exit-with-parent .
	wait_for_exact_line "$ERR" "Watches established."
	kill -9 "$PARENT"
	_gone_within_1s "$CHILD"
}

@test "--exit-with-parent: inotifywatch ends as on SIGTERM, printing its table" {
	ours_only "upstream has no --exit-with-parent"
	spawn_child inotifywatch --exit-with-parent -e create .
	wait_for_exact_line "$ERR" \
		"Finished establishing watches, now collecting statistics."
	touch a
	# the event is counted once the tool sleeps again with nothing pending
	wait_until test "$(_proc_stat "$CHILD" 1)" = S
	kill -9 "$PARENT"
	_gone_within_1s "$CHILD"
	assert_file "$OUT" "total  create  filename" "1      1       ./"
}

@test "without --exit-with-parent the tool outlives its parent (as upstream)" {
	spawn_child inotifywait -m -e create .
	wait_for_exact_line "$ERR" "Watches established."
	kill -9 "$PARENT"
	wait_until _gone "$PARENT"
	touch still-here
	wait_for_exact_line "$OUT" "./ CREATE still-here"
	kill "$CHILD"
}

@test "--exit-with-parent: a parent gone before the tool asked is noticed" {
	ours_only "upstream has no --exit-with-parent"
	# --exclude-from is read while parsing, before the death signal is
	# requested: the tool waits on the FIFO while its parent dies.
	mkfifo "$IT_TMP/pats"
	spawn_child inotifywait -m --exit-with-parent \
		--exclude-from "$IT_TMP/pats" .
	# killed before the tool's main() ran, the parent would never have been
	# its parent: wait until it is blocked opening the FIFO
	wait_until -m "the tool to block opening the FIFO" _opening_fifo "$CHILD"
	local first
	first=$(_proc_stat "$CHILD" 2)
	[ "$first" = "$PARENT" ]
	kill -9 "$PARENT"
	wait_until test "$(_proc_stat "$CHILD" 2)" != "$PARENT"
	echo 'x$' >"$IT_TMP/pats"
	_gone_within_1s "$CHILD"
	run grep -c 'Watches established' "$ERR"
	[ "$output" = 0 ]
}

@test "--exit-with-parent cannot be combined with -d" {
	ours_only "upstream has no --exit-with-parent"
	run_fg inotifywait -d -o "$IT_TMP/log" --exit-with-parent .
	assert_status 1
	assert_file "$ERR" "--exit-with-parent cannot be specified with -d."
}

# ------------------------------------------------------ the end of -m

@test "-m: no watch left, -q and -qq exit 1 without a word" {
	ours_only "upstream keeps running forever (#233)"
	local q
	for q in -q -qq; do
		mkdir r
		start_bg_quiet inotifywait -m "$q" -e delete_self r
		rmdir r
		wait_bg
		assert_status 1
		assert_file "$ERR"
		if [ "$q" = -q ]; then
			assert_file "$OUT" "r/ DELETE_SELF "
		else
			assert_file "$OUT"
		fi
	done
}

@test "-m: no watch left, the default verbosity says so" {
	ours_only "upstream keeps running forever (#233)"
	mkdir r
	start_bg inotifywait -m -e delete_self r
	rmdir r
	wait_bg
	assert_status 1
	assert_file "$ERR" "Setting up watches." "Watches established." \
		"No watches remain; exiting."
}

# ------------------------------------------ repeated patterns, from scripts

@test "a script's repeated --exclude with a glob among them works (issue text)" {
	mkdir logs
	run_fg inotifywait -t 1 --exclude '\.u' --exclude 'lock' --exclude '*~' \
		--exclude '\.(swx|swp)' -q -e close_write logs
	assert_status 2
	assert_file "$OUT"
	# (upstream warns, even with -q, that only the last --exclude counts)
	if [ "${IT_UPSTREAM:-0}" != 1 ]; then
		assert_file "$ERR"
	fi
}

@test "a bad --exclude before the last is skipped with a warning; the others filter" {
	ours_only "upstream compiles only the last --exclude"
	mkdir logs
	start_bg inotifywait -m --exclude '\.u$' --exclude '*~' --exclude 'lock' \
		--exclude '(' --exclude '\.swp$' -e create --format '%f' logs
	assert_file "$ERR" \
		"--exclude: \`*~' is not a valid regular expression; skipped." \
		"--exclude: \`(' is not a valid regular expression; skipped." \
		"Setting up watches." "Watches established."
	touch logs/a.u logs/lockfile logs/x.swp logs/kept~ logs/end
	wait_for_exact_line "$OUT" end
	assert_file "$OUT" "kept~" end
}

@test "the last pattern of its option stays an error, as upstream" {
	local opt
	for opt in --exclude --excludei --include --includei; do
		run_fg inotifywait "$opt" 'x' "$opt" '*~' -t 1 .
		assert_status 1
		# (upstream warns first that only the last --exclude counts)
		tail -n 1 "$ERR" >"$IT_TMP/last"
		case $opt in
		--exclude*) assert_file "$IT_TMP/last" "Error in \`exclude' regular expression." ;;
		*) assert_file "$IT_TMP/last" "Error in \`include' regular expression." ;;
		esac
	done
}

@test "--excludei, --include, --includei: a bad earlier pattern is skipped too" {
	ours_only "upstream compiles only the last pattern of each option"
	local opt
	for opt in --excludei --include --includei; do
		run_fg inotifywait "$opt" '*~' "$opt" 'x' -t 1 -q .
		assert_status 2
		assert_file "$ERR"
		run_fg inotifywait "$opt" '*~' "$opt" 'x' -t 1 .
		assert_status 2
		assert_file "$ERR" \
			"$opt: \`*~' is not a valid regular expression; skipped." \
			"Setting up watches." "Watches established."
	done
}

@test "inotifywatch: a bad earlier --exclude is skipped with a warning" {
	ours_only "upstream compiles only the last --exclude"
	run_fg inotifywatch --exclude '*~' --exclude 'x' -t 1 .
	assert_status 0
	assert_file "$ERR" \
		"--exclude: \`*~' is not a valid regular expression; skipped." \
		"Establishing watches..." \
		"Finished establishing watches, now collecting statistics." \
		"No events occurred."
	run_fg inotifywatch --exclude 'x' --exclude '*~' -t 1 .
	assert_status 1
	assert_file "$ERR" "Error in \`exclude' regular expression."
}

@test "a bad pattern read by --exclude-from stays an error, wherever it is" {
	ours_only "upstream has no --exclude-from"
	printf '%s\n' '*~' 'x' >pats
	run_fg inotifywait --exclude-from pats --exclude 'y' -t 1 .
	assert_status 1
	assert_file "$ERR" "Error in \`exclude' regular expression on line 1 of pats."
}

# ------------------------------------------------------ --help for packagers

@test "--help of both tools lists -I, -F and -S after -r, as upstream 4.x" {
	ours_only "upstream 3.22 lists them only under the fsnotify* names"
	local tool
	for tool in inotifywait inotifywatch; do
		run_fg "$tool" --help
		assert_status 1
		grep -A3 "^$(printf '\t')-r|--recursive" "$OUT" >"$IT_TMP/got"
		assert_file "$IT_TMP/got" \
			$'\t-r|--recursive\tWatch directories recursively.' \
			$'\t-I|--inotify\tWatch with inotify.' \
			$'\t-F|--fanotify\tWatch with fanotify.' \
			$'\t-S|--filesystem\tWatch entire filesystem with fanotify.'
	done
}
