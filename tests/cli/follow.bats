#!/usr/bin/env bats
# follow.bats - --max-depth in inotifywait and inotifywatch.
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
