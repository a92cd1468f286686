#!/usr/bin/env bats
# inotifywait-watch.bats - what inotifywait watches: symbolic links (-P),
# -r, @ exclusions and --fromfile.
#
# Run:  bats tests/cli/inotifywait-watch.bats
# Oracle run against Debian's binaries:
#       INOTIFYWAIT=/usr/bin/inotifywait IT_UPSTREAM=1 bats tests/cli/inotifywait-watch.bats
#
# One of the inotifywait-*.bats files, split by topic; the conventions and
# the helpers they share are in common.bash.

load common

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
