#!/usr/bin/env bats
# exhaustion.bats: resource limits and extreme trees end with upstream's
# messages and a clean exit, never garbage or a crash.
#
# The inotify limits are lowered in a private user namespace (unshare -U
# -r), never in /proc/sys/fs/inotify: other programs on the machine depend
# on those. The full filesystem is a small tmpfs mounted by the test (root
# only), unmounted in teardown.

load common

N255=$(printf 'n%.0s' {1..255})
D255=${N255%n}d

eval "$(declare -f teardown | sed '1s/teardown/_common_teardown/')"
teardown() {
	if [ -n "${FULL_MNT:-}" ]; then
		umount "$FULL_MNT" 2>/dev/null || umount -l "$FULL_MNT" || true
		FULL_MNT=
	fi
	_common_teardown
}

# need_userns: skip unless a user namespace with its own inotify limits can
# be made here.
need_userns() {
	command -v unshare >/dev/null || skip "unshare(1) is not installed"
	unshare -U -r sh -c 'echo 5 >/proc/sys/user/max_inotify_watches' \
		2>/dev/null ||
		skip "cannot lower inotify limits in a private user namespace"
}

# LIMIT SETTING VALUE: the command prefix that runs what follows with
# /proc/sys/user/SETTING set to VALUE in a private user namespace.
# shellcheck disable=SC2016 # expanded by that sh
LIMIT=(unshare -U -r sh -c 'echo "$2" >"/proc/sys/user/$1" && shift 2 &&
	exec "$@"' sh)

# limited SETTING VALUE TOOL ARGS...: run_fg TOOL under that limit.
limited() {
	local setting=$1 value=$2 bin
	bin=$(_it_tool "$3")
	shift 3
	status=0
	timeout -k 5 "$IT_FG_TIMEOUT" "${LIMIT[@]}" "$setting" "$value" \
		"${IT_PREFIX[@]}" "$bin" "$@" >"$OUT" 2>"$ERR" 3>&- ||
		status=$?
}

# deep_chain DIR LEVELS: DIR/d/d/.../d, LEVELS directories below DIR.
deep_chain() {
	local p
	p=$(printf 'd/%.0s' $(seq "$2"))
	mkdir -p "$1/$p"
}

@test "the watch limit reached while setting up a tree: upstream's message, exit 1" {
	need_userns
	mkdir -p tree/a/b/c tree/d/e
	limited max_inotify_watches 3 inotifywait -r tree
	assert_status 1
	assert_file "$ERR" \
		'Setting up watches.  Beware: since -r was given, this may take a while!' \
		'Failed to watch tree; upper limit on inotify watches reached!' \
		"Please increase the amount of inotify watches allowed per user via \`/proc/sys/fs/inotify/max_user_watches'."
	assert_file "$OUT"
}

@test "inotifywatch: the watch limit reached while setting up a tree" {
	need_userns
	mkdir -p tree/a/b/c tree/d/e
	limited max_inotify_watches 3 inotifywatch -r -t 1 tree
	assert_status 1
	assert_file "$ERR" \
		'Establishing watches...' \
		'Failed to watch tree; upper limit on inotify watches reached!' \
		"Please increase the amount of inotify watches allowed per user via \`/proc/sys/fs/inotify/max_user_watches'."
	assert_file "$OUT"
}

@test "the watch limit reached by a new directory under -m -r: a warning, monitoring goes on" {
	need_userns
	mkdir -p tree/a
	start_bg "${LIMIT[@]}" max_inotify_watches 2 "${IT_PREFIX[@]}" \
		"$INOTIFYWAIT" -m -r --format '%e %w%f' tree
	mkdir tree/new
	touch tree/a/after
	wait_for_exact_line "$OUT" 'CLOSE_WRITE,CLOSE tree/a/after'
	wait_for_exact_line "$ERR" \
		"Couldn't watch new directory tree/new/: No space left on device"
	[ "$(_it_count_watches "$BG_PID")" -eq 2 ]
	grep -qxF 'CREATE,ISDIR tree/new' "$OUT"
	_it_alive "$BG_PID"
	stop_bg
}

@test "the instance limit reached: upstream's message, exit 1" {
	need_userns
	limited max_inotify_instances 0 inotifywait .
	assert_status 1
	assert_file "$ERR" \
		"Couldn't initialize inotify: Too many open files" \
		'Try increasing the value of /proc/sys/fs/inotify/max_user_instances'
	limited max_inotify_instances 0 inotifywatch -t 1 .
	assert_status 1
	assert_file "$ERR" \
		"Couldn't initialize inotify: Too many open files" \
		'Try increasing the value of /proc/sys/fs/inotify/max_user_instances'
}

@test "EMFILE while walking a tree: upstream's message, exit 1" {
	[ "${#IT_PREFIX[@]}" -eq 0 ] || skip "the tool runs under a wrapper that needs descriptors"
	mkdir -p tree/a/b
	# 0, 1 and 2 are open, 3 is the inotify descriptor: opendir fails.
	status=0
	timeout -k 5 "$IT_FG_TIMEOUT" sh -c 'ulimit -n 4 && exec "$@"' sh \
		"$INOTIFYWAIT" -r tree >"$OUT" 2>"$ERR" 3>&- || status=$?
	assert_status 1
	assert_file "$ERR" \
		'Setting up watches.  Beware: since -r was given, this may take a while!' \
		"Couldn't watch tree: Too many open files"
	status=0
	timeout -k 5 "$IT_FG_TIMEOUT" sh -c 'ulimit -n 4 && exec "$@"' sh \
		"$INOTIFYWATCH" -r -t 1 tree >"$OUT" 2>"$ERR" 3>&- || status=$?
	assert_status 1
	assert_file "$ERR" \
		'Establishing watches...' \
		'Failed to watch tree: Too many open files'
}

# touch_until_gone N: create N more files in $TEST_DIR/w; succeed once the
# background tool has exited.
touch_until_gone() {
	local i
	for ((i = 0; i < 20; i++)); do
		: >"w/f$RANDOM$i"
	done
	! _it_alive "$BG_PID"
}

@test "-o on a full filesystem: the error named on stderr once, exit 1" {
	ours_only "upstream ignores write errors and goes on"
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	mkdir full w
	mount -t tmpfs -o size=64k tmpfs full || skip "cannot mount a tmpfs here"
	FULL_MNT=$TEST_DIR/full
	local pad
	pad=$(printf 'x%.0s' {1..200})
	start_bg inotifywait -m -e create -o full/out --format "%f $pad" w
	wait_until touch_until_gone
	wait_bg
	assert_status 1
	assert_file "$ERR" 'Setting up watches.' 'Watches established.' \
		"Couldn't write to full/out: No space left on device"
	# what was written is whole lines of the format
	[ "$(stat -c %s full/out)" -gt 0 ]
	run grep -cv "^f[0-9]* $pad\$" <(head -n -1 full/out)
	[ "$output" = 0 ]
}

@test "standard output on a full device: the error on stderr, exit 1" {
	ours_only "upstream ignores write errors"
	mkdir w
	timeout -k 5 "$IT_BG_TIMEOUT" "${IT_PREFIX[@]}" "$INOTIFYWAIT" -m w \
		>/dev/full 2>"$ERR" 3>&- &
	BG_PID=$!
	wait_for_exact_line "$ERR" 'Watches established.'
	wait_until touch_until_gone
	wait_bg
	assert_status 1
	assert_file "$ERR" 'Setting up watches.' 'Watches established.' \
		"Couldn't write to standard output: No space left on device"

	: >"$ERR"
	timeout -k 5 "$IT_BG_TIMEOUT" "${IT_PREFIX[@]}" "$INOTIFYWATCH" -t 2 w \
		>/dev/full 2>"$ERR" 3>&- &
	BG_PID=$!
	wait_for_exact_line "$ERR" \
		'Finished establishing watches, now collecting statistics.'
	: >w/x
	wait_bg
	assert_status 1
	assert_file "$ERR" 'Establishing watches...' \
		'Finished establishing watches, now collecting statistics.' \
		"Couldn't write to standard output: No space left on device"
}

# pipe_to_head IGNORE: inotifywait -m w | head -1, SIGPIPE ignored if
# IGNORE is 1; the tool's status goes to $IT_TMP/rc.
pipe_to_head() {
	(
		local rc=0
		if [ "$1" = 1 ]; then
			trap '' PIPE
		fi
		timeout -k 5 "$IT_BG_TIMEOUT" "${IT_PREFIX[@]}" "$INOTIFYWAIT" \
			-m w 2>"$ERR" 3>&- || rc=$?
		echo "$rc" >"$IT_TMP/rc"
	) | head -1 >"$OUT" &
	BG_PID=$!
}

pipe_done() {
	: >"w/f$RANDOM"
	[ -s "$IT_TMP/rc" ]
}

@test "standard output closed early (| head -1): one line, no message" {
	mkdir w
	pipe_to_head 0
	wait_for_exact_line "$ERR" 'Watches established.'
	wait_until pipe_done
	wait_bg
	[ "$(wc -l <"$OUT")" -eq 1 ]
	grep -q '^w/ ' "$OUT"
	assert_file "$ERR" 'Setting up watches.' 'Watches established.'
	# killed by SIGPIPE, like upstream (128 + 13)
	[ "$(cat "$IT_TMP/rc")" -eq 141 ]
}

@test "standard output closed early with SIGPIPE ignored: exit 1, no message" {
	ours_only
	mkdir w
	pipe_to_head 1
	wait_for_exact_line "$ERR" 'Watches established.'
	wait_until pipe_done
	wait_bg
	[ "$(wc -l <"$OUT")" -eq 1 ]
	assert_file "$ERR" 'Setting up watches.' 'Watches established.'
	[ "$(cat "$IT_TMP/rc")" -eq 1 ]
}

@test "255-byte names: reported whole, plain and CSV" {
	mkdir -p "w/$N255"
	start_bg inotifywait -m -r -e create --format '%w|%f' w
	: >"w/$N255/$N255"
	wait_for_exact_line "$OUT" "w/$N255/|$N255"
	stop_bg
	start_bg inotifywait -m -r -c -e create w
	mkdir "w/$N255/$D255"
	: >"w/$N255/$D255/$N255"
	wait_for_exact_line "$OUT" "w/$N255/$D255/,CREATE,$N255"
	grep -qxF "w/$N255/,\"CREATE,ISDIR\",$D255" "$OUT"
	stop_bg
}

@test "a path longer than PATH_MAX: upstream's message, exit 1" {
	local long
	deep_chain . 2100
	long=$(printf 'd/%.0s' $(seq 2100))
	run_fg inotifywait -t 1 "$long"
	assert_status 1
	assert_file "$ERR" 'Setting up watches.' \
		"Couldn't watch $long: File name too long"
}

@test "a 10,000-deep directory chain under -r: upstream's message, exit 1" {
	deep_chain . 10000
	run_fg inotifywait -r -t 1 d
	assert_status 1
	assert_file "$ERR" \
		'Setting up watches.  Beware: since -r was given, this may take a while!' \
		"Couldn't watch d: File name too long"
	run_fg inotifywatch -r -t 1 d
	assert_status 1
	assert_file "$ERR" 'Establishing watches...' \
		'Failed to watch d: File name too long'
}

@test "a 10,000-deep directory chain appearing under -m -r: a warning, monitoring goes on" {
	ours_only "upstream stops watching the chain without a word"
	mkdir w
	start_bg inotifywait -m -r -e create --format '%w%f' w
	deep_chain w 10000
	: >w/after
	wait_for_exact_line "$OUT" w/after
	# a warning for the level that does not fit (twice when the walk and
	# the kernel's CREATE both reach it); the burst may overflow the queue,
	# and the rescan that follows warns about that level too, not about w/
	run grep -cE "^Couldn't watch new directory w/(d/)+: File name too long\$" "$ERR"
	[ "$output" -ge 1 ]
	run grep -vE -e "^Couldn't watch new directory w/(d/)+: File name too long\$" \
		-e '^Warning: the kernel event queue overflowed; events were lost.$' \
		-e '^Setting up watches.  Beware: since -r was given, this may take a while!$' \
		-e '^Watches established.$' "$ERR"
	[ -z "$output" ]
	# every directory that fits in PATH_MAX (2047 levels) is watched, and
	# was reported unless the queue overflowed
	[ "$(_it_count_watches "$BG_PID")" -ge 2000 ]
	grep -q overflowed "$ERR" || [ "$(grep -c '^w/\(d/\)*d$' "$OUT")" -ge 2000 ]
	_it_alive "$BG_PID"
	stop_bg
}
