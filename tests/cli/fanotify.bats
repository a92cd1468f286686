#!/usr/bin/env bats
# fanotify.bats - the fanotify backend: -F/--fanotify, -S/--filesystem,
# -I/--inotify and the fsnotifywait/fsnotifywatch names.
#
# The tests need root and a kernel with fanotify FID reporting (5.9+);
# otherwise they are skipped with the reason. -S tests mount an ext4 image
# made by the test on a loop device (removed in teardown); they are skipped
# when that cannot be done.

load common

FSNOTIFYWAIT=${INOTIFYWAIT%/*}/fsnotifywait
FSNOTIFYWATCH=${INOTIFYWATCH%/*}/fsnotifywatch

# The common teardown, run after the loop mount is gone.
eval "$(declare -f teardown | sed '1s/teardown/common_teardown/')"

teardown() {
	if [ -n "${FAN_MNT:-}" ]; then
		if [ -n "${BG_PID:-}" ]; then
			_it_kill "$BG_PID"
			BG_PID=
		fi
		for pid in $(pids_with_arg "$IT_TMP"); do
			kill -TERM "$pid" 2>/dev/null || true
		done
		wait_until umount_mnt
		FAN_MNT=
	fi
	common_teardown
}

umount_mnt() {
	umount "$FAN_MNT" 2>/dev/null || ! mountpoint -q "$FAN_MNT"
}

# need_fanotify: skip unless fanotify with file names works here.
need_fanotify() {
	[ "$(id -u)" = 0 ] || skip "fanotify tests run as root only (uid $(id -u))"
	local err
	# a negative timeout makes the tool stop right after setting up
	# (3.22 takes it as ~136 years: hence the timeout)
	err=$(timeout 3 "$FSNOTIFYWAIT" -F -t -1 "$TEST_DIR" 2>&1 >/dev/null) ||
		true
	case $err in
	*"Watches established."*) ;;
	*) skip "fanotify is not usable here: ${err//$'\n'/ }" ;;
	esac
}

# need_mnt: need_fanotify, and a fresh ext4 filesystem mounted on $FAN_MNT.
need_mnt() {
	need_fanotify
	command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed"
	truncate -s 64M "$IT_TMP/img" || skip "cannot create a filesystem image"
	mkfs.ext4 -q "$IT_TMP/img" || skip "mkfs.ext4 failed"
	mkdir "$IT_TMP/mnt"
	if ! mount -o loop "$IT_TMP/img" "$IT_TMP/mnt" 2>"$IT_TMP/mount.err"; then
		skip "cannot loop-mount an image: $(cat "$IT_TMP/mount.err")"
	fi
	FAN_MNT=$IT_TMP/mnt
}

# tool_pid: the pid of the background tool (a child of its `timeout').
tool_pid() {
	_it_descendants "$BG_PID" | sed -n 2p
}

# _idle_or_gone PID: tool_idle, or PID has exited (or is empty).
_idle_or_gone() {
	[ -n "$1" ] && [ -d "/proc/$1" ] || return 0
	tool_idle "$1"
}

# wait_idle: wait until the background tool has consumed every event.
wait_idle() {
	wait_until _idle_or_gone "$(tool_pid)"
}

# fan_marks: the inode marks the background tool holds (fdinfo lines).
fan_marks() {
	cat /proc/"$(tool_pid)"/fdinfo/* 2>/dev/null | grep -c '^fanotify ino:'
}

# ------------------------------------------------------------ backend selection

@test "fsnotifywait selects fanotify: absolute %w" {
	ours_only
	need_fanotify
	mkdir d
	start_bg "$FSNOTIFYWAIT" -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/d/ CREATE a"
	assert_file "$ERR" "Setting up watches." "Watches established."
}

@test "-F selects fanotify in inotifywait, -I selects inotify in fsnotifywait" {
	need_fanotify
	mkdir d
	start_bg inotifywait -F -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/d/ CREATE a"
	start_bg "$FSNOTIFYWAIT" -I -e create d
	touch d/b
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE b"
	# the last of -S, -I, -F wins
	start_bg "$FSNOTIFYWAIT" -S -I -e create d
	touch d/c
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE c"
}

@test "fsnotifywait/fsnotifywatch --help: their own name and -I/-F/-S lines" {
	ours_only
	local tool
	run_fg "$FSNOTIFYWAIT" --help
	assert_status 1
	{
		sed -n '1s/ .*//p;3p' "$OUT"
		grep -A3 "^$(printf '\t')-r|--recursive" "$OUT"
	} >"$IT_TMP/got"
	assert_file "$IT_TMP/got" fsnotifywait \
		"Usage: fsnotifywait [ options ] file1 [ file2 ] [ file3 ] [ ... ]" \
		$'\t-r|--recursive\tWatch directories recursively.' \
		$'\t-I|--inotify\tWatch with inotify.' \
		$'\t-F|--fanotify\tWatch with fanotify.' \
		$'\t-S|--filesystem\tWatch entire filesystem with fanotify.'
	run_fg "$FSNOTIFYWATCH" --help
	assert_status 1
	{
		sed -n '2p' "$OUT"
		grep -A2 "^$(printf '\t')-I|--inotify" "$OUT"
	} >"$IT_TMP/got"
	assert_file "$IT_TMP/got" \
		"Gather filesystem usage statistics using fsnotifywatch." \
		$'\t-I|--inotify\tWatch with inotify.' \
		$'\t-F|--fanotify\tWatch with fanotify.' \
		$'\t-S|--filesystem\tWatch entire filesystem with fanotify.'
	# inotifywait's and inotifywatch's have them too (as upstream 4.x)
	for tool in inotifywait inotifywatch; do
		run_fg "$tool" --help
		run grep -c -- '-[IFS]|--' "$OUT"
		[ "$output" = 3 ]
	done
}

# ------------------------------------------------------------ events, as the inotify tests

@test "-F -m: create, modify, move, delete in a directory, exact lines" {
	need_fanotify
	mkdir d
	echo x >d/m
	start_bg inotifywait -F -m -e create,modify,moved_from,moved_to,delete d
	touch d/new
	wait_for_exact_line "$OUT" "$TEST_DIR/d/ CREATE new"
	echo more >>d/m
	wait_for_exact_line "$OUT" "$TEST_DIR/d/ MODIFY m"
	mv d/m d/m2
	wait_for_exact_line "$OUT" "$TEST_DIR/d/ MOVED_TO m2"
	rm d/new
	wait_for_exact_line "$OUT" "$TEST_DIR/d/ DELETE new"
	mkdir d/sub
	wait_for_exact_line "$OUT" "$TEST_DIR/d/ CREATE,ISDIR sub"
	rmdir d/sub
	wait_for_exact_line "$OUT" "$TEST_DIR/d/ DELETE,ISDIR sub"
	stop_bg
	assert_file "$OUT" \
		"$TEST_DIR/d/ CREATE new" \
		"$TEST_DIR/d/ MODIFY m" \
		"$TEST_DIR/d/ MOVED_FROM m" \
		"$TEST_DIR/d/ MOVED_TO m2" \
		"$TEST_DIR/d/ DELETE new" \
		"$TEST_DIR/d/ CREATE,ISDIR sub" \
		"$TEST_DIR/d/ DELETE,ISDIR sub"
	assert_file "$ERR" "Setting up watches." "Watches established."
}

# writer FILE: a process of its own writes its pid to FILE (created).
writer() {
	sh -c 'echo $$ >"$1"' sh "$1"
}

@test "%p and JSON \"pid\": the writer's pid with -F; empty and absent with inotify" {
	need_fanotify
	mkdir d
	start_bg inotifywait -F -m -e create --format '%f %p' d
	writer d/a
	writer d/b
	wait_for_exact_line "$OUT" "b $(cat d/b)"
	stop_bg
	assert_file "$OUT" "a $(cat d/a)" "b $(cat d/b)"
	[ "$(cat d/a)" != "$(cat d/b)" ]
	start_bg inotifywait -F -m -e create --json d
	writer d/c
	wait_until -m "a JSON record" _has_text "$OUT"
	stop_bg
	grep -q "\"name\":\"c\",.*\"pid\":$(cat d/c)," "$OUT" || _it_dump "$OUT"
	grep -q "\"name\":\"c\",.*\"pid\":$(cat d/c)," "$OUT"
	# inotify: the kernel does not tell
	start_bg inotifywait -m -e create --format '%f [%p]' d
	writer d/e
	wait_for_exact_line "$OUT" "e []"
	stop_bg
	start_bg inotifywait -m -e create --json d
	writer d/f
	wait_until -m "a JSON record" _has_text "$OUT"
	stop_bg
	grep -q '"name":"f",' "$OUT"
	! grep -q '"pid"' "$OUT"
}

_has_text() {
	[ -s "$1" ]
}

@test "-F: events on the watched directory itself have an empty %f" {
	need_fanotify
	mkdir d
	start_bg inotifywait -F -e attrib d
	chmod 700 d
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/d/ ATTRIB,ISDIR "
}

@test "-F: a watched file is %w with an empty %f, as with inotify" {
	need_fanotify
	echo x >f
	start_bg inotifywait -F -e modify f
	echo y >>f
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/f MODIFY "
}

@test "-F: CSV and --format see the same absolute paths" {
	need_fanotify
	mkdir d
	start_bg inotifywait -F -c -e create d
	touch 'd/a,b'
	wait_bg
	assert_file "$OUT" "$TEST_DIR/d/,CREATE,\"a,b\""
	start_bg inotifywait -F -e create --format '[%w|%f|%e]' "$TEST_DIR/d/"
	touch d/c
	wait_bg
	assert_file "$OUT" "[$TEST_DIR/d/|c|CREATE]"
}

@test "-F: --exclude/--include match the absolute path" {
	need_fanotify
	mkdir d
	start_bg inotifywait -F -e create --include "^$TEST_DIR/d/keep" d
	touch d/skip d/keep
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/d/ CREATE keep"
}

@test "-F: exit 1 without -m when the watched directory is deleted (IGNORED)" {
	need_fanotify
	mkdir d
	start_bg inotifywait -F -e modify d
	rmdir d
	wait_bg
	assert_status 1
	assert_file "$OUT"
}

@test "-F: exit 1 without -m when the watched file is deleted (IGNORED)" {
	need_fanotify
	echo x >f
	start_bg inotifywait -F -e modify f
	rm f
	wait_bg
	assert_status 1
	assert_file "$OUT"
}

@test "-F -m: DELETE_SELF of the only watch, then the tool exits" {
	ours_only
	need_fanotify
	mkdir d
	start_bg inotifywait -F -m -e delete_self d
	rmdir d
	wait_bg
	assert_status 1
	assert_file "$OUT" "$TEST_DIR/d/ DELETE_SELF,ISDIR "
	assert_file "$ERR" "Setting up watches." "Watches established." \
		"No watches remain; exiting."
}

# ------------------------------------------------------------ recursion

@test "-F -r: events deep in the tree, no watch per event needed" {
	need_fanotify
	mkdir -p r/a/b
	start_bg inotifywait -F -r -e create r
	touch r/a/b/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/r/a/b/ CREATE f"
}

@test "-F -m -r: new directories (mkdir -p) are followed, with synthetic CREATEs" {
	need_fanotify
	mkdir r
	start_bg inotifywait -F -m -r -e create r
	mkdir -p r/n1/n2/n3
	touch r/n1/n2/n3/f
	wait_for_exact_line "$OUT" "$TEST_DIR/r/n1/n2/n3/ CREATE f"
	touch r/n1/n2/g
	wait_for_exact_line "$OUT" "$TEST_DIR/r/n1/n2/ CREATE g"
	stop_bg
	assert_file "$OUT" \
		"$TEST_DIR/r/ CREATE,ISDIR n1" \
		"$TEST_DIR/r/n1/ CREATE,ISDIR n2" \
		"$TEST_DIR/r/n1/n2/ CREATE,ISDIR n3" \
		"$TEST_DIR/r/n1/n2/n3/ CREATE f" \
		"$TEST_DIR/r/n1/n2/ CREATE g"
}

@test "-F -m -r: the tool's own reads of new directories are not reported" {
	need_fanotify
	mkdir r
	start_bg inotifywait -F -m -r -e create,open,access,close_nowrite r
	mkdir r/new
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ CREATE,ISDIR new"
	mkdir r/new/marker
	wait_for_exact_line "$OUT" "$TEST_DIR/r/new/ CREATE,ISDIR marker"
	wait_idle
	stop_bg
	assert_file "$OUT" \
		"$TEST_DIR/r/ CREATE,ISDIR new" \
		"$TEST_DIR/r/new/ CREATE,ISDIR marker"
}

@test "-F -r: after the setup no filesystem mark is left, and OPEN, ACCESS, CLOSE_NOWRITE are reported" {
	need_fanotify
	mkdir -p r/a/b
	start_bg inotifywait -F -m -r -e open,access,close_nowrite r
	# (root: the walk's OPEN, ACCESS, CLOSE_NOWRITE were ignored on the
	# whole filesystem by one ignore mark, removed when it was done)
	run grep -h '^fanotify sdev:' /proc/"$(tool_pid)"/fdinfo/*
	[ "$status" = 1 ]
	ls r/a/b >/dev/null
	wait_until -m "CLOSE_NOWRITE of r/a/b" file_matches -F CLOSE_NOWRITE "$OUT"
	stop_bg
	# (the kernel may merge the three into one event)
	grep -q -F OPEN "$OUT"
	run grep -v -F "$TEST_DIR/r/a/b/ " "$OUT"
	[ "$status" = 1 ]
}

@test "-F -m -r: a renamed directory is reported under its new name" {
	need_fanotify
	mkdir -p r/a/b
	start_bg inotifywait -F -m -r -e create,moved_from,moved_to r
	mv r/a r/a2
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ MOVED_TO,ISDIR a2"
	touch r/a2/b/f
	wait_for_exact_line "$OUT" "$TEST_DIR/r/a2/b/ CREATE f"
	stop_bg
	assert_file "$OUT" \
		"$TEST_DIR/r/ MOVED_FROM,ISDIR a" \
		"$TEST_DIR/r/ MOVED_TO,ISDIR a2" \
		"$TEST_DIR/r/a2/b/ CREATE f"
}

@test "-F -m -r: a directory moved out is no longer reported, one moved in is" {
	need_fanotify
	mkdir -p r/a/b out/c/d
	start_bg inotifywait -F -m -r -e create,moved_from,moved_to r
	mv r/a out/a
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ MOVED_FROM,ISDIR a"
	mv out/c r/c
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ MOVED_TO,ISDIR c"
	touch out/a/b/gone r/c/d/here
	wait_for_exact_line "$OUT" "$TEST_DIR/r/c/d/ CREATE here"
	wait_idle
	stop_bg
	assert_file "$OUT" \
		"$TEST_DIR/r/ MOVED_FROM,ISDIR a" \
		"$TEST_DIR/r/ MOVED_TO,ISDIR c" \
		"$TEST_DIR/r/c/d/ CREATE here"
}

@test "-F -r: a tree deeper than the walk keeps open gets a mark a directory" {
	need_fanotify
	d=r
	for _ in $(seq 60); do
		d=$d/d
	done
	mkdir -p "$d" r/x
	start_bg inotifywait -F -m -r -e create --format '%w%f' r
	[ "$(fan_marks)" = 62 ]
	touch "$d/f" r/x/g
	wait_for_exact_line "$OUT" "$TEST_DIR/r/x/g"
	stop_bg
	assert_file "$OUT" "$TEST_DIR/$d/f" "$TEST_DIR/r/x/g"
}

@test "-F -r: a filesystem mounted inside the tree is marked and reported" {
	need_fanotify
	mkdir -p r/a r/m
	mount -t tmpfs tmpfs r/m || skip "cannot mount a tmpfs"
	FAN_MNT=$TEST_DIR/r/m
	mkdir -p r/m/x/y
	start_bg inotifywait -F -m -r -e create --format '%w%f' r
	[ "$(fan_marks)" = 5 ]
	touch r/m/x/y/f r/a/g
	wait_for_exact_line "$OUT" "$TEST_DIR/r/a/g"
	stop_bg
	assert_file "$OUT" "$TEST_DIR/r/m/x/y/f" "$TEST_DIR/r/a/g"
}

@test "-F -m -r: the marks of a directory tree moved out are removed" {
	need_fanotify
	mkdir -p r/a/b out
	start_bg inotifywait -F -m -r -e moved_from r
	[ "$(fan_marks)" = 3 ]
	mv r/a out/a
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ MOVED_FROM,ISDIR a"
	wait_idle
	[ "$(fan_marks)" = 1 ]
}

@test "-F -m -r: a deleted and recreated child directory keeps being reported (#221)" {
	need_fanotify
	mkdir -p r/abc
	start_bg inotifywait -F -m -r -e create,delete r
	rm -r r/abc
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ DELETE,ISDIR abc"
	mkdir r/abc
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ CREATE,ISDIR abc"
	touch r/abc/f
	wait_for_exact_line "$OUT" "$TEST_DIR/r/abc/ CREATE f"
	stop_bg
	assert_file "$OUT" \
		"$TEST_DIR/r/ DELETE,ISDIR abc" \
		"$TEST_DIR/r/ CREATE,ISDIR abc" \
		"$TEST_DIR/r/abc/ CREATE f"
}

@test "-F -m -r: rm -r read late: its DELETEs inside, then DELETE_SELF, then the parent's DELETE" {
	ours_only
	need_fanotify
	mkdir -p r/sub
	touch r/sub/a r/sub/b
	# every event: rm's OPEN, ACCESS and CLOSE of the directory too
	start_bg inotifywait -F -m -r r
	# read late, the queue lets the kernel merge the directory's own events
	# and its DELETE_SELF into the first of them, which comes before the
	# DELETEs made inside it
	local tool deletes
	tool=$(tool_pid)
	kill -STOP "$tool"
	rm -r r/sub
	touch r/done
	rm r/done
	kill -CONT "$tool"
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ DELETE done"
	stop_bg
	deletes=$(grep DELETE "$OUT")
	echo "$deletes"
	grep -qx "$TEST_DIR/r/sub/ DELETE a" <<<"$deletes"
	grep -qx "$TEST_DIR/r/sub/ DELETE b" <<<"$deletes"
	# in the kernel's order: the children, the directory, its parent's
	[ "$(sed -n '3,$p' <<<"$deletes")" = "$(printf '%s\n' \
		"$TEST_DIR/r/sub/ DELETE_SELF,ISDIR " \
		"$TEST_DIR/r/ DELETE,ISDIR sub" \
		"$TEST_DIR/r/ DELETE done")" ]
}

@test "-F -m: the watched directory removed by rm -r, read late: its DELETEs, then its DELETE_SELF" {
	ours_only
	need_fanotify
	mkdir r
	touch r/a r/b
	start_bg inotifywait -F -m r
	local tool deletes
	tool=$(tool_pid)
	kill -STOP "$tool"
	rm -r r
	kill -CONT "$tool"
	# no parent's DELETE here: the queue's end ends the watch, and the tool
	wait_bg
	assert_status 1
	deletes=$(grep DELETE "$OUT")
	echo "$deletes"
	[ "$(sed -n '1,2p' <<<"$deletes" | sort)" = "$(printf '%s\n' \
		"$TEST_DIR/r/ DELETE a" "$TEST_DIR/r/ DELETE b")" ]
	[ "$(sed -n '3,$p' <<<"$deletes")" = "$TEST_DIR/r/ DELETE_SELF,ISDIR " ]
	grep -qx "No watches remain; exiting." "$ERR"
}

@test "-F -m -r: after 7,000 directories are deleted, the rest are still found" {
	need_fanotify
	# the handle table's filter is made again past 4,096 deletions
	mkdir -p r/keep r/gone
	(cd r/gone && mkdir d{0000..6999})
	start_bg inotifywait -F -m -r -e create,delete r
	rm -r r/gone
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ DELETE,ISDIR gone"
	touch r/keep/f
	wait_for_exact_line "$OUT" "$TEST_DIR/r/keep/ CREATE f"
	mkdir r/new
	wait_for_exact_line "$OUT" "$TEST_DIR/r/ CREATE,ISDIR new"
	touch r/new/g
	wait_for_exact_line "$OUT" "$TEST_DIR/r/new/ CREATE g"
	stop_bg
	[ "$(grep -c "^$TEST_DIR/r/gone/ DELETE,ISDIR d" "$OUT")" = 7000 ]
}

@test "-F -r: @ exclusions given relative still exclude" {
	need_fanotify
	mkdir -p r/skip r/keep
	start_bg inotifywait -F -m -r -e create r @r/skip
	touch r/skip/x r/keep/y
	wait_for_exact_line "$OUT" "$TEST_DIR/r/keep/ CREATE y"
	wait_idle
	stop_bg
	assert_file "$OUT" "$TEST_DIR/r/keep/ CREATE y"
}

@test "fsnotifywatch -r: statistics per directory, absolute names" {
	ours_only
	need_fanotify
	mkdir -p d/s
	start_bg "$FSNOTIFYWATCH" -r -e create d
	touch d/a d/b d/s/c
	mkdir d/n
	touch d/n/e
	wait_idle
	kill -INT "$(tool_pid)"
	wait_bg
	assert_status 0
	assert_file "$OUT" \
		"total  create  filename" \
		"3      3       $TEST_DIR/d/" \
		"1      1       $TEST_DIR/d/s/" \
		"1      1       $TEST_DIR/d/n/"
}

@test "library: inotifytools_init(1, 0, 0) watches with fanotify" {
	need_fanotify
	[ -x "${IT_ABI_CLIENT:-}" ] || skip "abi_client not built"
	mkdir d
	timeout 10 "$IT_ABI_CLIENT" "$TEST_DIR/d" fanotify >"$OUT" 2>"$ERR" 3>&- &
	BG_PID=$!
	wait_for_exact_line "$ERR" "watches: 1"
	touch d/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/d/f CREATE"
}

# ------------------------------------------------------------ -S, a whole filesystem

@test "-S: events anywhere in the filesystem, with their absolute directory" {
	need_mnt
	mkdir -p "$FAN_MNT/d" "$FAN_MNT/e/f"
	start_bg inotifywait -S -m -e create "$FAN_MNT/d"
	touch "$FAN_MNT/d/a" "$FAN_MNT/e/f/b"
	wait_for_exact_line "$OUT" "$FAN_MNT/e/f/ CREATE b"
	stop_bg
	assert_file "$OUT" "$FAN_MNT/d/ CREATE a" "$FAN_MNT/e/f/ CREATE b"
	assert_file "$ERR" "Setting up filesystem watches." "Watches established."
}

@test "-S: output through a pipe is written at once (#212)" {
	need_mnt
	mkdir "$FAN_MNT/d"
	(timeout -k 5 "$IT_BG_TIMEOUT" "$FSNOTIFYWAIT" -S -m -e create \
		"$FAN_MNT/d" 2>"$ERR" 3>&- | cat >"$OUT") 3>&- &
	bg_track $!
	wait_for_exact_line "$ERR" "Watches established."
	touch "$FAN_MNT/d/x"
	wait_for_exact_line "$OUT" "$FAN_MNT/d/ CREATE x"
}

@test "-S: renamed and recreated directories are reported under their current path" {
	need_mnt
	mkdir -p "$FAN_MNT/d/sub/deep"
	start_bg inotifywait -S -m -e create "$FAN_MNT"
	touch "$FAN_MNT/d/sub/deep/a"
	wait_for_exact_line "$OUT" "$FAN_MNT/d/sub/deep/ CREATE a"
	mv "$FAN_MNT/d/sub" "$FAN_MNT/d/sub2"
	touch "$FAN_MNT/d/sub2/deep/b"
	wait_for_exact_line "$OUT" "$FAN_MNT/d/sub2/deep/ CREATE b"
	rm -r "$FAN_MNT/d/sub2"
	mkdir -p "$FAN_MNT/d/sub2/deep"
	touch "$FAN_MNT/d/sub2/deep/c"
	wait_for_exact_line "$OUT" "$FAN_MNT/d/sub2/deep/ CREATE c"
	stop_bg
	assert_file "$OUT" \
		"$FAN_MNT/d/sub/deep/ CREATE a" \
		"$FAN_MNT/d/sub2/deep/ CREATE b" \
		"$FAN_MNT/d/ CREATE,ISDIR sub2" \
		"$FAN_MNT/d/sub2/ CREATE,ISDIR deep" \
		"$FAN_MNT/d/sub2/deep/ CREATE c"
}

@test "-S: events in a directory deleted before they are read: under its last path" {
	ours_only
	need_mnt
	mkdir -p "$FAN_MNT/d/sub"
	touch "$FAN_MNT/d/sub/a" "$FAN_MNT/d/sub/b"
	start_bg inotifywait -S -m -e delete "$FAN_MNT"
	local tool holder
	tool=$(tool_pid)
	kill -STOP "$tool"
	# held (a process's working directory), the deleted directory can
	# still be found by its handle
	(cd "$FAN_MNT/d/sub" && exec sleep 60) &
	holder=$!
	wait_until test -d "/proc/$holder/cwd/."
	rm -r "$FAN_MNT/d/sub"
	touch "$FAN_MNT/done"
	rm "$FAN_MNT/done"
	kill -CONT "$tool"
	wait_for_exact_line "$OUT" "$FAN_MNT/ DELETE done"
	kill "$holder"
	wait "$holder" || true
	stop_bg
	[ "$(sed -n '1,2p' "$OUT" | sort)" = "$(printf '%s\n' \
		"$FAN_MNT/d/sub/ DELETE a" "$FAN_MNT/d/sub/ DELETE b")" ]
	[ "$(sed -n '3,$p' "$OUT")" = "$(printf '%s\n' \
		"$FAN_MNT/d/ DELETE,ISDIR sub" "$FAN_MNT/ DELETE done")" ]
}

@test "-S: two paths on one filesystem mark it once; events are not doubled" {
	need_mnt
	mkdir -p "$FAN_MNT/a" "$FAN_MNT/b"
	start_bg inotifywait -S -m -e create "$FAN_MNT/a" "$FAN_MNT/b"
	touch "$FAN_MNT/a/x"
	wait_for_exact_line "$OUT" "$FAN_MNT/a/ CREATE x"
	wait_idle
	stop_bg
	assert_file "$OUT" "$FAN_MNT/a/ CREATE x"
}

@test "library: inotifytools_init(0, 1, 0) watches the whole filesystem" {
	need_mnt
	[ -x "${IT_ABI_CLIENT:-}" ] || skip "abi_client not built"
	mkdir "$FAN_MNT/d" "$FAN_MNT/e"
	timeout 10 "$IT_ABI_CLIENT" "$FAN_MNT/d" filesystem >"$OUT" 2>"$ERR" 3>&- &
	BG_PID=$!
	wait_for_exact_line "$ERR" "watches: 1"
	touch "$FAN_MNT/e/f"
	wait_bg
	assert_status 0
	assert_file "$OUT" "$FAN_MNT/e/f CREATE"
}

@test "fsnotifywatch -S: statistics per directory of the filesystem" {
	ours_only
	need_mnt
	mkdir -p "$FAN_MNT/d" "$FAN_MNT/e"
	start_bg "$FSNOTIFYWATCH" -S -e create "$FAN_MNT/d"
	touch "$FAN_MNT/d/1" "$FAN_MNT/d/2" "$FAN_MNT/e/3"
	wait_idle
	kill -INT "$(tool_pid)"
	wait_bg
	assert_status 0
	assert_file "$OUT" \
		"total  create  filename" \
		"2      2       $FAN_MNT/d/" \
		"1      1       $FAN_MNT/e/"
	assert_file "$ERR" "Establishing watches..." \
		"Setting up filesystem watch on $FAN_MNT/d" \
		"Finished establishing watches, now collecting statistics."
}

# ------------------------------------------------------------ errors

@test "a filesystem without usable file handles: a clear error, not 'Success' (#222)" {
	ours_only
	need_fanotify
	# /proc encodes no decodable file handles: no filesystem mark there
	run_fg inotifywait -S /proc
	assert_status 1
	assert_file "$ERR" "Setting up filesystem watches." \
		"Couldn't add filesystem watch /proc: Operation not supported" \
		"The filesystem of /proc does not support the file handles fanotify needs; watch it with inotify (-I)."
	assert_file "$OUT"
	run_fg inotifywatch -S /proc
	assert_status 1
	assert_file "$ERR" "Establishing watches..." \
		"Setting up filesystem watch on /proc" \
		"Couldn't add filesystem watch /proc: Operation not supported" \
		"The filesystem of /proc does not support the file handles fanotify needs; watch it with inotify (-I)."
	# other failures keep their own cause
	run_fg inotifywait -F "$TEST_DIR/none"
	assert_status 1
	assert_file "$ERR" "Setting up watches." \
		"Couldn't watch $TEST_DIR/none: No such file or directory"
}

@test "-S without privileges: Operation not permitted, and why" {
	ours_only
	need_fanotify
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	run_fg setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$INOTIFYWAIT" -S /tmp
	assert_status 1
	assert_file "$ERR" "Setting up filesystem watches." \
		"Couldn't add filesystem watch /tmp: Operation not permitted" \
		"Watching a whole filesystem (-S) requires admin privileges (CAP_SYS_ADMIN)."
}

@test "fanotify group limit: upstream's message pair (max_user_groups)" {
	need_fanotify
	command -v unshare >/dev/null || skip "unshare is not installed"
	unshare -U -r true 2>/dev/null || skip "no user namespaces here"
	mkdir d
	run_fg unshare -U -r sh -c \
		'echo 0 >/proc/sys/user/max_fanotify_groups && exec "$@"' sh \
		"$INOTIFYWAIT" -F d
	assert_status 1
	assert_file "$ERR" "Couldn't initialize fanotify: Too many open files" \
		"Try increasing the value of /proc/sys/fs/fanotify/max_user_groups"
}

@test "fanotify mark limit: upstream's message pair (max_user_marks)" {
	need_fanotify
	command -v unshare >/dev/null || skip "unshare is not installed"
	unshare -U -r true 2>/dev/null || skip "no user namespaces here"
	mkdir -p r/a/b
	run_fg unshare -U -r sh -c \
		'echo 2 >/proc/sys/user/max_fanotify_marks && exec "$@"' sh \
		"$INOTIFYWAIT" -F -r r
	assert_status 1
	assert_file "$ERR" \
		"Setting up watches.  Beware: since -r was given, this may take a while!" \
		"Failed to watch r; upper limit on fanotify marks reached!" \
		"Please increase the amount of fanotify marks allowed per user via \`/proc/sys/fs/fanotify/max_user_marks'."
}
