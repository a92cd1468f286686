#!/usr/bin/env bats
# follow.bats - --max-depth and --follow-names in inotifywait and inotifywatch.
#
# The fanotify cases need root and fanotify with file names (5.9+); they
# are skipped with the reason otherwise, as in fanotify.bats.

load common

# need_fanotify: skip unless fanotify with file names works here.
need_fanotify() {
	[ "$(id -u)" = 0 ] || skip "fanotify tests run as root only (uid $(id -u))"
	local err
	err=$(timeout 3 "$INOTIFYWAIT" -F -t -1 "$TEST_DIR" 2>&1 >/dev/null) ||
		true
	case $err in
	*"Watches established."*) ;;
	*) skip "fanotify is not usable here: ${err//$'\n'/ }" ;;
	esac
}

# tool_pid: the pid of the background tool (a child of its `timeout').
tool_pid() {
	_it_descendants "$BG_PID" | sed -n 2p
}

# wait_idle: wait until the background tool has consumed every event.
wait_idle() {
	local pid
	pid=$(tool_pid)
	wait_until -p "$pid" tool_idle "$pid"
}

# fan_marks: the inode marks the background tool holds.
fan_marks() {
	cat /proc/"$(tool_pid)"/fdinfo/* 2>/dev/null | grep -c '^fanotify ino:'
}

# ------------------------------------------------------------ --max-depth

# tree: a/b/c/d and x below t (6 directories, t included).
tree() {
	mkdir -p t/a/b/c/d t/x
}

@test "--max-depth: the watches at setup, inotifywait and inotifywatch" {
	local n tool
	tree
	for tool in inotifywait inotifywatch; do
		for n in 0 1 2 3; do
			start_bg "$tool" -r --max-depth "$n" t
			echo "$tool --max-depth $n: $(watches)" >>"$IT_TMP/got"
			stop_bg
		done
		start_bg "$tool" -r t
		echo "$tool: $(watches)" >>"$IT_TMP/got"
		stop_bg
	done
	assert_file "$IT_TMP/got" \
		"inotifywait --max-depth 0: 1" "inotifywait --max-depth 1: 3" \
		"inotifywait --max-depth 2: 4" "inotifywait --max-depth 3: 5" \
		"inotifywait: 6" \
		"inotifywatch --max-depth 0: 1" "inotifywatch --max-depth 1: 3" \
		"inotifywatch --max-depth 2: 4" "inotifywatch --max-depth 3: 5" \
		"inotifywatch: 6"
}

@test "--max-depth 1: directories made later are watched only that deep" {
	mkdir t
	start_bg inotifywait -m -r --max-depth 1 -e create t
	mkdir -p t/new/deep/deeper
	wait_for_exact_line "$OUT" "t/new/ CREATE,ISDIR deep"
	touch t/new/deep/f
	touch t/new/s
	wait_for_exact_line "$OUT" "t/new/ CREATE s"
	wait_idle
	[ "$(watches)" = 2 ]
	stop_bg
	assert_file "$OUT" "t/ CREATE,ISDIR new" "t/new/ CREATE,ISDIR deep" \
		"t/new/ CREATE s"
}

@test "--max-depth 0: only the root, also for directories made later" {
	mkdir t
	start_bg inotifywait -m -r --max-depth 0 -e create t
	mkdir t/n
	touch t/n/f
	touch t/s
	wait_for_exact_line "$OUT" "t/ CREATE s"
	wait_idle
	[ "$(watches)" = 1 ]
	stop_bg
	assert_file "$OUT" "t/ CREATE,ISDIR n" "t/ CREATE s"
}

@test "--max-depth 1: a directory moved deeper loses its watch, moved back it gets one" {
	mkdir -p t/a t/b
	start_bg inotifywait -m -r --max-depth 1 -e moved_to t
	[ "$(watches)" = 3 ]
	mv t/a t/b/a
	wait_for_exact_line "$OUT" "t/b/ MOVED_TO,ISDIR a"
	wait_until watches_are 2
	mv t/b/a t/a
	wait_for_exact_line "$OUT" "t/ MOVED_TO,ISDIR a"
	wait_until watches_are 3
	stop_bg
}

@test "--max-depth 2: a directory moved up brings its subdirectories within reach" {
	mkdir -p t/a/b/c
	start_bg inotifywait -m -r --max-depth 2 -e moved_to t
	[ "$(watches)" = 3 ] # t, a, b
	mv t/a/b t/b
	wait_for_exact_line "$OUT" "t/ MOVED_TO,ISDIR b"
	wait_until watches_are 4 # t, a, b, b/c
	stop_bg
}

@test "inotifywatch --max-depth 1 -r: new directories deeper are not watched" {
	mkdir t
	start_bg inotifywatch -r --max-depth 1 -e create t
	mkdir t/a
	wait_until watches_are 2
	mkdir t/a/b
	wait_idle
	touch t/a/b/f
	wait_idle
	[ "$(watches)" = 2 ]
	kill -INT "$(tool_pid)"
	wait_bg
	assert_status 0
	assert_file "$OUT" "total  create  filename" "1      1       t/" \
		"1      1       t/a/"
}

@test "--max-depth -F: the marks at setup" {
	need_fanotify
	tree
	start_bg inotifywait -F -m -r --max-depth 1 t
	[ "$(fan_marks)" = 3 ]
	stop_bg
	start_bg inotifywait -F -m -r t
	[ "$(fan_marks)" = 6 ]
	stop_bg
}

@test "--max-depth: needs -r, not -S; a bad depth is refused" {
	run_fg inotifywait --max-depth 1 .
	expect_error "--max-depth cannot be specified without -r."
	run_fg inotifywait -S -r --max-depth 1 .
	expect_error "--max-depth cannot be specified with -S."
	run_fg inotifywait -r --max-depth -1 .
	expect_error "--max-depth: \`-1' is not a depth (0 or more)."
	run_fg inotifywatch --max-depth 2 .
	assert_status 1
	assert_file "$ERR" "--max-depth cannot be specified without -r."
}

# --------------------------------------------------------- --follow-names

# watched PATH: the background tool holds an inotify watch on PATH's inode.
watched() {
	local ino
	ino=$(stat -c %i "$1") || return 1
	grep -qs "^inotify wd:[0-9a-f]* ino:$(printf '%x' "$ino") " \
		/proc/"$(tool_pid)"/fdinfo/*
}

@test "--follow-names: a path made three levels deep by mkdir -p is reported as created" {
	ours_only
	start_bg inotifywait -m --follow-names -e create a/b/c
	mkdir -p a/b/c
	wait_for_exact_line "$OUT" "a/b/ CREATE,ISDIR c"
	touch a/b/c/f
	wait_for_exact_line "$OUT" "a/b/c/ CREATE f"
	stop_bg
	assert_file "$OUT" "a/b/ CREATE,ISDIR c" "a/b/c/ CREATE f"
}

@test "--follow-names: a path made step by step, each directory seen on the way" {
	ours_only
	start_bg inotifywait -m --follow-names -e create,modify a/b/c
	mkdir a
	wait_until watched a
	mkdir a/b
	wait_until watched a/b
	echo x >a/b/c.tmp
	touch a/b/c
	wait_for_exact_line "$OUT" "a/b/ CREATE c"
	echo y >>a/b/c
	wait_for_exact_line "$OUT" "a/b/c MODIFY "
	stop_bg
	assert_file "$OUT" "a/b/ CREATE c" "a/b/c MODIFY "
}

@test "--follow-names: a prepared tree moved into place" {
	ours_only
	mkdir -p a tmp/b/c
	start_bg inotifywait -m --follow-names -e create,moved_to a/b/c
	mv tmp/b a/b
	wait_for_exact_line "$OUT" "a/b/ CREATE,ISDIR c"
	touch a/b/c/f
	wait_for_exact_line "$OUT" "a/b/c/ CREATE f"
	stop_bg
	assert_file "$OUT" "a/b/ CREATE,ISDIR c" "a/b/c/ CREATE f"
}

@test "--follow-names without -m: waits until the path exists (upstream #245)" {
	ours_only
	start_bg inotifywait --follow-names -e create,moved_to a/b/c
	mkdir -p a/b/c
	wait_bg
	assert_status 0
	assert_file "$OUT" "a/b/ CREATE,ISDIR c"
	mkdir -p tmp
	touch tmp/c
	start_bg inotifywait --follow-names -e create,moved_to d/c
	mkdir d
	mv tmp/c d/c
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE c"
}

@test "--follow-names without -m: the first event asked for ends the run; -t still times out" {
	ours_only
	mkdir d
	echo 1 >d/f
	start_bg inotifywait --follow-names -e modify d/f
	echo 2 >d/f.tmp
	mv d/f.tmp d/f
	wait_until watched d/f
	echo 3 >>d/f
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/f MODIFY "
	run_fg inotifywait --follow-names -t 1 a/b/c
	assert_status 2
	assert_file "$OUT"
}

@test "--follow-names: vim-style saves (a temporary renamed over, the original renamed away) and sed -i" {
	ours_only
	mkdir d
	echo 1 >d/f
	start_bg inotifywait -m --follow-names -e create,modify,move_self d/f
	echo 2 >d/f.tmp
	mv d/f.tmp d/f
	wait_for_exact_line "$OUT" "d/ CREATE f"
	echo 3 >>d/f
	wait_for_exact_line "$OUT" "d/f MODIFY "
	mv d/f d/f~
	touch d/f
	rm d/f~
	wait_until watched d/f
	echo 5 >>d/f
	sed -i 's/5/6/' d/f
	wait_until watched d/f
	echo 7 >>d/f
	wait_until eval "[ \$(grep -c MODIFY '$OUT') -ge 3 ]"
	stop_bg
	# vim's way: the original moved away, then the new file made
	assert_file "$OUT" "d/ CREATE f" "d/f MODIFY " "d/f MOVE_SELF " \
		"d/ CREATE f" "d/f MODIFY " "d/ CREATE f" "d/f MODIFY "
}

@test "--follow-names: a real vim save keeps the file watched" {
	ours_only
	command -v vim >/dev/null || skip "no vim"
	local n
	mkdir d
	echo 1 >d/f
	start_bg inotifywait -m --follow-names -e move_self d/f
	# writebackup with backupcopy=no: vim renames when it can
	vim -es -u NONE -i NONE -N -c 'set writebackup backupcopy=no' \
		-c 'normal Go2' -c wq d/f </dev/null
	[ "$(cat d/f)" = $'1\n2' ]
	wait_until watched d/f
	wait_idle
	n=$(grep -c . "$OUT") || true
	mv d/f d/g
	wait_until eval "[ \$(grep -c . '$OUT') -gt $n ]"
	mv d/g d/f
	wait_until watched d/f
	vim -es -u NONE -i NONE -N -c 'normal Go3' -c wq d/f </dev/null
	wait_until watched d/f
	wait_idle
	n=$(grep -c . "$OUT")
	mv d/f d/g
	wait_until eval "[ \$(grep -c . '$OUT') -gt $n ]"
	stop_bg
	# our two moves are the last lines (what vim did, if it renamed,
	# comes before each)
	[ "$(tail -n 1 "$OUT")" = "d/f MOVE_SELF " ]
	[ "$(grep -c . "$OUT")" -ge 2 ]
	assert_file <(sort -u "$OUT") "d/f MOVE_SELF "
}

@test "--follow-names -r: a root removed with rm -rf and made again is walked again" {
	ours_only
	mkdir -p d/t/a
	start_bg inotifywait -m -r --follow-names -e create,delete_self d/t
	rm -rf d/t
	wait_for_exact_line "$OUT" "d/t/ DELETE_SELF "
	mkdir -p d/t/x/y
	wait_for_exact_line "$OUT" "d/t/x/ CREATE,ISDIR y"
	touch d/t/x/y/f
	wait_for_exact_line "$OUT" "d/t/x/y/ CREATE f"
	stop_bg
	assert_file "$OUT" "d/t/a/ DELETE_SELF " "d/t/ DELETE_SELF " \
		"d/ CREATE,ISDIR t" "d/t/ CREATE,ISDIR x" "d/t/x/ CREATE,ISDIR y" \
		"d/t/x/y/ CREATE f"
}

@test "--follow-names -r: a root moved away, another tree moved in its place" {
	ours_only
	mkdir -p d/t tmp/n/m
	start_bg inotifywait -m -r --follow-names -e create,move_self d/t
	mv d/t d/old
	wait_for_exact_line "$OUT" "d/t/ MOVE_SELF "
	mv tmp/n d/t
	wait_for_exact_line "$OUT" "d/ CREATE,ISDIR t"
	wait_until watched d/t/m
	touch d/t/m/f d/old/g
	wait_for_exact_line "$OUT" "d/t/m/ CREATE f"
	stop_bg
	assert_file "$OUT" "d/t/ MOVE_SELF " "d/ CREATE,ISDIR t" \
		"d/t/m/ CREATE f"
}

@test "--follow-names: a file removed and made again, no 'No watches remain'" {
	ours_only
	mkdir d
	touch d/f
	start_bg inotifywait -m --follow-names -e create,delete_self,modify d/f
	rm d/f
	wait_for_exact_line "$OUT" "d/f DELETE_SELF "
	wait_idle
	touch d/f
	wait_for_exact_line "$OUT" "d/ CREATE f"
	wait_until watched d/f
	echo y >>d/f
	wait_for_exact_line "$OUT" "d/f MODIFY "
	stop_bg
	assert_file "$OUT" "d/f DELETE_SELF " "d/ CREATE f" "d/f MODIFY "
	assert_file "$ERR" "Setting up watches." "Watches established."
}

@test "--follow-names d d/f: the watch of d is also d/f's anchor, events once" {
	ours_only
	mkdir d
	start_bg inotifywait -m --follow-names -e create,modify d d/f
	touch d/f
	wait_for_exact_line "$OUT" "d/ CREATE f"
	wait_until watched d/f
	echo x >>d/f
	wait_for_exact_line "$OUT" "d/f MODIFY "
	touch d/g
	wait_for_exact_line "$OUT" "d/ CREATE g"
	stop_bg
	assert_file "$OUT" "d/ CREATE f" "d/ MODIFY f" "d/f MODIFY " \
		"d/ CREATE g"
}

@test "inotifywatch --follow-names: counts a file made later" {
	ours_only
	mkdir d
	start_bg inotifywatch --follow-names -e create,modify d/f
	touch d/f
	wait_until watched d/f
	echo y >>d/f
	wait_idle
	kill -INT "$(tool_pid)"
	wait_bg
	assert_status 0
	assert_file "$OUT" "total  modify  create  filename" \
		"1      0       1       d/" "1      1       0       d/f"
}

@test "--follow-names -F: a file renamed over and moved away" {
	ours_only
	need_fanotify
	mkdir d
	echo 1 >d/f
	start_bg inotifywait -F -m --follow-names -e create,move_self d/f
	echo 2 >d/f.tmp
	mv d/f.tmp d/f
	wait_for_exact_line "$OUT" "$TEST_DIR/d/ CREATE f"
	mv d/f d/g
	wait_for_exact_line "$OUT" "$TEST_DIR/d/f MOVE_SELF "
	mv d/g d/f
	wait_until eval "[ \$(grep -c . '$OUT') -ge 3 ]"
	stop_bg
	assert_file "$OUT" "$TEST_DIR/d/ CREATE f" "$TEST_DIR/d/f MOVE_SELF " \
		"$TEST_DIR/d/ CREATE f"
}

@test "--follow-names: not with -S" {
	run_fg inotifywait -S --follow-names .
	expect_error "--follow-names cannot be specified with -S."
}
