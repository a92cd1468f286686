#!/usr/bin/env bats
# rsync.bats: scripts/inotify-rsync.sh, driven by our inotifywait, pushing
# with the real rsync to local paths and to an rsync daemon on 127.0.0.1
# (helpers and environment: rsync.bash).
#
# Convergence times and rsync run counts are printed as TAP comments.

load common
load rsync

# Besides common.bash's cleanup: what a test mounted below IT_TMP, and the
# directory of a test run as another user.
eval "_common_teardown() $(declare -f teardown | sed 1d)"
teardown() {
	local m
	if [ -n "${USER_DIR:-}" ]; then
		for m in $(pids_with_arg "$USER_DIR"); do
			kill -TERM "$m" 2>/dev/null || true
		done
	fi
	for m in $(awk -v t="${IT_TMP:-/nonexistent}" -v u="${USER_DIR:-/nonexistent}" \
		'index($2, t) == 1 || index($2, u) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	[ -z "${USER_DIR:-}" ] || rm -rf "$USER_DIR"
	_common_teardown
}

# ================================================================== tests

@test "--help and --version print on stdout and exit 0" {
	run_sync --help
	assert_status 0
	[ "$(head -n 1 "$OUT")" = "Usage: inotify-rsync.sh [OPTIONS] SOURCE DEST [DEST...]" ]
	grep -q -- '--exclude-from FILE' "$OUT"
	grep -q -- '--max-retry SECONDS' "$OUT"
	[ ! -s "$ERR" ]
	run_sync --version
	assert_status 0
	grep -qxE 'inotify-rsync\.sh [0-9]+(\.[0-9]+)+' "$OUT"
	[ "$(wc -l <"$OUT")" = 1 ]
	run_sync -h
	assert_status 0
}

# bad_input REGEX ARGS...: exit 1 with one line on stderr matching REGEX.
bad_input() {
	local re=$1
	shift
	run_sync --inotifywait "$INOTIFYWAIT" --state-dir "$IT_TMP/bad-state" "$@"
	assert_status 1
	[ "$(wc -l <"$ERR")" = 1 ] || { cat -A "$ERR" >&2; return 1; }
	grep -qE -- "$re" "$ERR" || { cat -A "$ERR" >&2; return 1; }
	[ ! -s "$OUT" ]
}

@test "bad usage and configuration: exit 1 with a one-line reason" {
	prepare
	mkdir -p "$IT_TMP/d" "$SRC/sub"
	touch "$IT_TMP/plainfile"
	ln -s "$SRC/sub" "$IT_TMP/link-into-src"
	bad_input 'missing SOURCE'
	bad_input 'no DEST' "$SRC"
	bad_input 'does not exist' "$IT_TMP/nosuch" "$IT_TMP/d"
	bad_input 'not a directory' "$IT_TMP/plainfile" "$IT_TMP/d"
	bad_input 'inside SOURCE' "$SRC" "$SRC/sub/dst"
	bad_input 'inside SOURCE' "$SRC" "$SRC"
	bad_input 'inside SOURCE' "$SRC" "$IT_TMP/link-into-src/x"
	bad_input 'inside DEST' "$SRC" "$TEST_DIR"
	bad_input "unknown option '--frobnicate'" --frobnicate "$SRC" "$IT_TMP/d"
	bad_input "unknown option '-x'" -x "$SRC" "$IT_TMP/d"
	bad_input "--delay: 'abc' is not a valid number" --delay abc "$SRC" "$IT_TMP/d"
	bad_input "--max-delay: '-1' is not a valid number" --max-delay -1 "$SRC" "$IT_TMP/d"
	bad_input "--retry: '0' is not a valid number" --retry 0 "$SRC" "$IT_TMP/d"
	bad_input "--full-every: '1e3' is not a valid number" --full-every=1e3 "$SRC" "$IT_TMP/d"
	bad_input 'needs a value' "$SRC" "$IT_TMP/d" --delay
	bad_input '--exclude-from: cannot read' --exclude-from "$IT_TMP/nosuch" "$SRC" "$IT_TMP/d"
	bad_input '--exclude-from: cannot read' --exclude-from "$IT_TMP/d" "$SRC" "$IT_TMP/d"
	bad_input 'given twice' "$SRC" "$IT_TMP/d" "$IT_TMP/d"
	bad_input 'state-dir.*inside SOURCE' --state-dir "$SRC/st" "$SRC" "$IT_TMP/d"
	# none of this touched a destination
	[ -z "$(ls -A "$IT_TMP/d")" ]
}

@test "a missing or unusable program: exit 2" {
	prepare
	run_sync --rsync "$IT_TMP/no-rsync" --inotifywait "$INOTIFYWAIT" "$SRC" "$IT_TMP/d"
	assert_status 2
	[ "$(wc -l <"$ERR")" = 1 ]
	grep -q 'rsync' "$ERR"
	run_sync --inotifywait "$IT_TMP/no-inotifywait" --state-dir "$STATE" "$SRC" "$IT_TMP/d"
	assert_status 2
	[ "$(wc -l <"$ERR")" = 1 ]
	grep -q 'inotifywait' "$ERR"
	# a program that does not know --no-newline is too old
	run_sync --inotifywait /bin/true --state-dir "$STATE" "$SRC" "$IT_TMP/d"
	assert_status 2
	grep -q 'too old' "$ERR"
	# --once does not need inotifywait at all
	run_sync --once --inotifywait "$IT_TMP/no-inotifywait" --state-dir "$STATE" "$SRC" "$IT_TMP/d"
	assert_status 0
}

@test "--once: exit 0 when every target is in step, 3 when one failed" {
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo "not a directory" >"$IT_TMP/gate"
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/d1" "$IT_TMP/gate/d2"
	assert_status 3
	diff -r --no-dereference "$SRC" "$IT_TMP/d1"
	status_is 1 last_error none
	status_not 2 last_error none
	status_is 2 full_sync_pending yes
	[ "$(status_value 2 last_success)" = never ]
	rm "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/d1" "$IT_TMP/gate/d2"
	assert_status 0
	[ ! -s "$ERR" ]
	diff -r --no-dereference "$SRC" "$IT_TMP/gate/d2"
	status_is 2 full_sync_pending no
	[ ! -e "$STATE/lock" ]
}

@test "local target: the initial sync, then a mix of operations with hostile names converges" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	converge "$SRC" "$IT_TMP/dst" "initial sync"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/dst" "local mix, round 1"
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/dst" "local mix, round 2"
	[ ! -e "$TEST_DIR/pwned" ]
	[ ! -e "$IT_TMP/pwned" ]
	[ -L "$IT_TMP/dst/link" ]
	[ "$(stat -c %a "$IT_TMP/dst/chmod-me")" = 600 ]
	wait_until status_is 1 state idle
	status_is 1 pending 0
	status_is 1 last_error none
	sync_stop
	assert_status 0
	# every log line: ISO time, level, message
	grep -q ' info initial sync done' "$LOG"
	[ "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4} (debug|info|warn|error) .' "$LOG")" = 0 ]
}

@test "include chains (rsync without --delete-missing-args): the same mix converges" {
	prepare
	populate "$SRC"
	INOTIFY_RSYNC_FORCE_FILTER=1 sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	grep -q 'include chains' "$LOG"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/dst" "include chains, round 1"
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/dst" "include chains, round 2"
	sync_stop
	assert_status 0
}

@test "rsync daemon target: changes converge; an outage is caught up by itself" {
	prepare
	populate "$SRC"
	daemon_start "$IT_TMP/module"
	local dest="rsync://127.0.0.1:$DAEMON_PORT/mod/mirror"
	sync_started --delay 0.2 --retry 0.2 --max-retry 1 "$SRC" "$dest"
	converge "$SRC" "$IT_TMP/module/mirror" "daemon initial sync"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/module/mirror" "daemon mix"
	daemon_stop
	mixed_ops2 "$SRC"
	echo "while down" >"$SRC/down.txt"
	wait_until status_not 1 last_error none
	grep -q 'failed' "$LOG"
	status_not 1 pending 0
	daemon_restart
	converge "$SRC" "$IT_TMP/module/mirror" "daemon back up"
	wait_until status_is 1 pending 0
	grep -q 'reachable again' "$LOG"
	sync_stop
	assert_status 0
	daemon_stop
}

@test "a burst of 10,000 new files converges with a handful of rsync runs" {
	prepare
	mkdir "$SRC/burst"
	sync_started --delay 0.5 "$SRC" "$IT_TMP/dst"
	local before i after
	before=$(status_value 1 rsync_runs)
	for ((i = 0; i < 10000; i++)); do
		echo "$i" >"$SRC/burst/file-$i"
	done
	converge "$SRC" "$IT_TMP/dst" "10,000-file burst" 60
	IT_WAIT_MAX=30 wait_until status_is 1 state idle
	after=$(status_value 1 rsync_runs)
	printf '# 10,000-file burst: %d rsync run(s)\n' $((after - before)) >&3
	[ $((after - before)) -ge 1 ]
	[ $((after - before)) -lt 50 ]
	sync_stop
	assert_status 0
}

@test "a batch larger than --max-batch becomes one full sync" {
	prepare
	populate "$SRC"
	sync_started --delay 0.5 --max-batch 50 "$SRC" "$IT_TMP/dst"
	local before after i
	before=$(status_value 1 rsync_runs)
	for ((i = 0; i < 200; i++)); do
		echo "$i" >"$SRC/f$i"
	done
	converge "$SRC" "$IT_TMP/dst" "200 files, --max-batch 50"
	wait_until status_is 1 state idle
	after=$(status_value 1 rsync_runs)
	grep -q 'batch holds more than 50 paths: full sync' "$LOG"
	[ $((after - before)) -le 2 ]
	sync_stop
	assert_status 0
}

@test "SIGKILL with changes in hand, more changes while dead, restart: nothing is lost" {
	prepare
	populate "$SRC"
	sync_started --delay 30 --max-delay 60 -v "$SRC" "$IT_TMP/dst"
	mixed_ops "$SRC"
	# in hand (the batch waits 30 s), not pushed
	[ ! -e "$IT_TMP/dst/p/q/r/s/sp ace" ]
	kill -KILL "$SCRIPT_PID"
	{ wait "$SYNC_PID"; } 2>/dev/null || true
	SYNC_PID=
	[ -d "$STATE/lock" ]
	mixed_ops2 "$SRC"
	echo "while dead" >"$SRC/dead.txt"
	# even without an initial sync, an unclean stop forces a full one
	sync_bg --no-initial-sync --delay 0.2 "$SRC" "$IT_TMP/dst"
	converge "$SRC" "$IT_TMP/dst" "after SIGKILL and restart"
	grep -q 'did not stop cleanly' "$LOG"
	sync_stop
	assert_status 0
}

@test "SIGTERM: the batch in hand is pushed, the watcher stopped, exit 0" {
	prepare
	populate "$SRC"
	sync_started --delay 30 --max-delay 60 -v "$SRC" "$IT_TMP/dst"
	local wpid
	wpid=$(watcher_pid)
	echo "in hand" >"$SRC/in-hand.txt"
	rm -rf "$SRC/old"
	# in hand: the batch waits 30 s
	[ ! -e "$IT_TMP/dst/in-hand.txt" ]
	sync_stop
	assert_status 0
	diff -r --no-dereference "$SRC" "$IT_TMP/dst"
	gone "$wpid"
	[ ! -e "$STATE/lock" ]
	[ ! -s "$(journal 1)" ]
	grep -qx 'state stopped' "$STATE/status"
	grep -qx 'target 1 state stopped' "$STATE/status"
	grep -q ' info stopped$' "$LOG"
}

@test "two targets: one down, the other stays current; the journal (0600) catches up" {
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	sync_started --delay 0.2 --retry 0.3 --max-retry 1 "$SRC" "$IT_TMP/good" "$IT_TMP/gate/bad"
	converge "$SRC" "$IT_TMP/gate/bad" "second target initial sync"
	# the second target's parent becomes a file: rsync cannot reach it
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo blocked >"$IT_TMP/gate"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/good" "good target while the other is down"
	wait_until status_not 2 last_error none
	status_not 2 pending 0
	[ "$(stat -c %a "$STATE")" = 700 ]
	[ "$(stat -c %a "$(journal 1)")" = 600 ]
	[ "$(stat -c %a "$(journal 2)")" = 600 ]
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/good" "good target, second round"
	status_not 2 pending 0
	rm "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	converge "$SRC" "$IT_TMP/gate/bad" "bad target back"
	wait_until status_is 2 pending 0
	sync_stop
	assert_status 0
}

@test "a pending journal survives a clean stop and is pushed at the next start" {
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	sync_started --delay 0.2 --retry 0.2 --max-retry 0.5 "$SRC" "$IT_TMP/gate/dst"
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo blocked >"$IT_TMP/gate"
	mixed_ops "$SRC"
	wait_until status_not 1 last_error none
	wait_until status_not 1 pending 0
	sync_stop
	assert_status 0
	[ -s "$(journal 1)" ]
	[ "$(stat -c %a "$(journal 1)")" = 600 ]
	grep -q '^target 1 pending [1-9]' "$STATE/status"
	# a stopped target is not "retry in ..."
	grep -qx 'target 1 state stopped' "$STATE/status"
	rm "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	# no initial sync: only the journal can bring these changes
	mv "$LOG" "$LOG.first-run"
	sync_bg --no-initial-sync --delay 0.2 "$SRC" "$IT_TMP/gate/dst"
	converge "$SRC" "$IT_TMP/gate/dst" "journal pushed at restart"
	grep -q 'pending from a previous run' "$LOG"
	[ "$(grep -c 'full sync' "$LOG")" = 0 ]
	sync_stop
	assert_status 0
}

@test "excludes: never pushed, neither by the initial sync nor later" {
	prepare
	mkdir -p "$SRC/cache" "$SRC/a/cache/deep" "$SRC/build" "$SRC/sub/build" "$SRC/logs"
	echo c >"$SRC/cache/x"
	echo c >"$SRC/a/cache/deep/y"
	echo b >"$SRC/build/out"
	echo k >"$SRC/sub/build/kept"
	echo t >"$SRC/a/f.tmp"
	echo l >"$SRC/logs/app.log"
	echo r >"$SRC/a/real"
	printf '# comment\n\n*.log\n; another comment\n' >"$IT_TMP/excludes"
	sync_started -v --delay 0.2 --exclude 'cache/' --exclude '*.tmp' --exclude /build \
		--exclude-from "$IT_TMP/excludes" "$SRC" "$IT_TMP/dst"
	local dst=$IT_TMP/dst
	[ -e "$dst/a/real" ]
	[ -e "$dst/sub/build/kept" ]
	[ -d "$dst/logs" ]
	[ ! -e "$dst/cache" ]
	[ ! -e "$dst/a/cache" ]
	[ ! -e "$dst/build" ]
	[ ! -e "$dst/a/f.tmp" ]
	[ ! -e "$dst/logs/app.log" ]
	# later: new excluded files, in old and in new directories, renamed in
	echo c2 >"$SRC/cache/x2"
	mkdir -p "$SRC/n/e/w/cache/z"
	echo z >"$SRC/n/e/w/cache/z/f"
	echo t >"$SRC/n/e/w/g.tmp"
	echo l >"$SRC/n/h.log"
	mkdir -p "$IT_TMP/outside/cache"
	echo o >"$IT_TMP/outside/cache/o"
	echo o >"$IT_TMP/outside/o.tmp"
	mv "$IT_TMP/outside" "$SRC/moved-in"
	mv "$SRC/a" "$SRC/a2"
	echo b2 >"$SRC/build/out2"
	mkdir -p "$SRC/build/new"
	echo ok >"$SRC/sub/build/kept2"
	echo 'done' >"$SRC/trigger"
	# (diff -x build skips sub/build too: wait for its new file as well)
	converge_filtered() {
		[ -e "$dst/sub/build/kept2" ] &&
			diff -r -x cache -x '*.tmp' -x '*.log' -x build "$SRC" "$dst" >/dev/null
	}
	wait_until converge_filtered
	[ -e "$dst/trigger" ]
	[ -e "$dst/sub/build/kept2" ]
	[ -e "$dst/a2/real" ]
	[ ! -e "$dst/a" ]
	[ -z "$(find "$dst" \( -name cache -o -name '*.tmp' -o -name '*.log' \) -print)" ]
	[ ! -e "$dst/build" ]
	# the watcher itself already dropped what the patterns translate to
	grep -q 'event .*trigger' "$LOG"
	[ "$(grep -cE 'event .*(\.tmp|\.log|/cache/.*)$' "$LOG")" = 0 ]
	sync_stop
	assert_status 0
}

# dotted_names DIR: files and a directory whose names have the shape of
# rsync's temporary files (.NAME.XXXXXX), and rsync's --delay-updates
# directory name: real files all the same.
dotted_names() {
	mkdir -p "$1/.config.backup/sub" "$1/.~tmp~"
	echo env >"$1/.env.sample"
	echo rc >"$1/.bashrc.backup"
	echo gi >"$1/.gitignore.global"
	echo in >"$1/.config.backup/sub/inside"
	echo t >"$1/.~tmp~/t"
	echo x >"$1/.x.Ab12Z9"
}

@test "names shaped like rsync's temporary files are synced, by --once and live" {
	prepare
	dotted_names "$SRC/once"
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 0
	diff -r --no-dereference "$SRC" "$IT_TMP/dst"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	dotted_names "$SRC/live"
	converge "$SRC" "$IT_TMP/dst" "rsync-temp-shaped names, live"
	[ -e "$IT_TMP/dst/live/.config.backup/sub/inside" ]
	sync_stop
	assert_status 0
}

@test "include rules in --exclude-from: include chains keep rsync's semantics" {
	prepare
	mkdir -p "$SRC/d"
	echo k >"$SRC/d/keep.tmp"
	echo t >"$SRC/d/drop.tmp"
	printf '+ keep.tmp\n- *.tmp\n' >"$IT_TMP/rules"
	sync_started --delay 0.2 --exclude-from "$IT_TMP/rules" "$SRC" "$IT_TMP/dst"
	grep -q 'include chains' "$LOG"
	[ -e "$IT_TMP/dst/d/keep.tmp" ]
	[ ! -e "$IT_TMP/dst/d/drop.tmp" ]
	mkdir -p "$SRC/e/f"
	echo k >"$SRC/e/f/keep.tmp"
	echo t >"$SRC/e/f/other.tmp"
	echo x >"$SRC/e/f/x"
	rm "$SRC/d/keep.tmp"
	wait_until test -e "$IT_TMP/dst/e/f/x"
	wait_until test ! -e "$IT_TMP/dst/d/keep.tmp"
	[ -e "$IT_TMP/dst/e/f/keep.tmp" ]
	[ ! -e "$IT_TMP/dst/e/f/other.tmp" ]
	sync_stop
	assert_status 0
}

@test "a second instance on the same state dir is refused" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	run_sync --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst2"
	assert_status 1
	[ "$(wc -l <"$ERR")" = 1 ]
	grep -q "locked by another instance (pid $SCRIPT_PID)" "$ERR"
	[ ! -e "$IT_TMP/dst2" ]
	run_sync --once --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst2"
	assert_status 1
	# the first one is unaffected
	kill -0 "$SCRIPT_PID"
	echo after >"$SRC/after"
	converge "$SRC" "$IT_TMP/dst" "first instance after the refusal"
	sync_stop
	assert_status 0
}

@test "--full-every repairs a target changed behind our back" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --full-every 0.5 "$SRC" "$IT_TMP/dst"
	rm -rf "$IT_TMP/dst/keep"
	echo intruder >"$IT_TMP/dst/intruder"
	converge "$SRC" "$IT_TMP/dst" "periodic full sync"
	grep -q 'periodic full sync' "$LOG"
	sync_stop
	assert_status 0
}

@test "--no-initial-sync leaves existing files alone and pushes new changes" {
	prepare
	echo pre >"$SRC/pre-existing"
	sync_bg --no-initial-sync --delay 0.2 "$SRC" "$IT_TMP/dst"
	wait_for_line "$LOG" 'watcher ready: no initial sync'
	echo new >"$SRC/new"
	wait_until test -e "$IT_TMP/dst/new"
	[ ! -e "$IT_TMP/dst/pre-existing" ]
	sync_stop
	assert_status 0
}

@test "the default state dir is XDG_STATE_HOME/inotify-rsync/<hash>, else ~/.local/state, mode 0700" {
	prepare
	echo x >"$SRC/x"
	XDG_STATE_HOME=$IT_TMP/xdg run_fg "$IT_RSYNC_SCRIPT" --once --inotifywait "$INOTIFYWAIT" "$SRC" "$IT_TMP/dst"
	assert_status 0
	local d
	d=$(echo "$IT_TMP"/xdg/inotify-rsync/*)
	[[ ${d##*/} =~ ^[0-9a-f]{16}$ ]]
	[ "$(stat -c %a "$d")" = 700 ]
	grep -q '^target 1 last_success 2' "$d/status"
	HOME=$IT_TMP/home XDG_STATE_HOME='' run_fg "$IT_RSYNC_SCRIPT" --once --inotifywait "$INOTIFYWAIT" "$SRC" "$IT_TMP/dst"
	assert_status 0
	[ "$(echo "$IT_TMP"/home/.local/state/inotify-rsync/*)" != "$IT_TMP/home/.local/state/inotify-rsync/*" ]
	# the hash is the source's: another spelling of it shares the state dir
	XDG_STATE_HOME=$IT_TMP/xdg run_fg "$IT_RSYNC_SCRIPT" --once --inotifywait "$INOTIFYWAIT" "$TEST_DIR/./src/" "$IT_TMP/dst"
	assert_status 0
	[ "$(echo "$IT_TMP"/xdg/inotify-rsync/*)" = "$d" ]
}

@test "the watcher is restarted when it dies, followed by a full sync" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --retry 0.2 "$SRC" "$IT_TMP/dst"
	local wpid
	wpid=$(watcher_pid)
	kill -KILL "$wpid"
	wait_for_line "$LOG" 'inotifywait restarted'
	echo after >"$SRC/after-restart"
	converge "$SRC" "$IT_TMP/dst" "after a watcher restart"
	[ "$(watcher_pid)" != "$wpid" ]
	sync_stop
	assert_status 0
}

@test "SOURCE replaced by another directory: new watcher, full sync" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --retry 0.2 "$SRC" "$IT_TMP/dst"
	mv "$SRC" "$TEST_DIR/src.old"
	mkdir "$SRC"
	echo new >"$SRC/new"
	echo stale >"$TEST_DIR/src.old/stale"
	converge "$SRC" "$IT_TMP/dst" "replaced SOURCE"
	wait_for_line "$LOG" 'SOURCE itself was moved, replaced or deleted'
	echo later >"$SRC/later"
	converge "$SRC" "$IT_TMP/dst" "replaced SOURCE, later change"
	sync_stop
	assert_status 0
}

# log_has N TEXT: the log holds at least N lines with TEXT.
log_has() {
	[ "$(grep -c -- "$2" "$LOG" 2>/dev/null)" -ge "$1" ]
}

@test "kill -9: the watcher and the rsync in progress end with the script; a restart finds none" {
	prepare
	populate "$SRC"
	tarpit_start
	local hang="rsync://127.0.0.1:$TARPIT_PORT/mod/x" wpid
	sync_bg --delay 0.2 --retry 30 "$SRC" "$IT_TMP/dst" "$hang"
	wait_for_line "$LOG" 'target 1: full sync done'
	wpid=$(watcher_pid)
	# the initial sync of the second target hangs in the tarpit
	wait_until has_procs_of rsync "$hang"
	kill -KILL "$SCRIPT_PID"
	{ wait "$SYNC_PID"; } 2>/dev/null || true
	SYNC_PID=
	IT_WAIT_MAX=1 wait_until gone "$wpid"
	IT_WAIT_MAX=1 wait_until no_procs_of rsync "$hang"
	sync_bg --delay 0.2 "$SRC" "$IT_TMP/dst" "$hang"
	# the log holds the first run's line too: wait for the restart's
	wait_until -m "the restart's watcher" log_has 2 'watcher ready'
	# exactly one watcher, the new one
	procs_of inotifywait "$SRC" >&2; [ "$(procs_of inotifywait "$SRC" | wc -l)" = 1 ]
	sync_stop
	assert_status 0
}

@test "an unreadable file is retried on its own: later changes are pushed on time, one warning" {
	as_nobody
	echo ok >"$SRC/ok"
	sync_started --delay 0.2 --retry 3 --max-retry 3 "$SRC" "$USER_DIR/dst"
	unreadable "$SRC/secret"
	wait_for_line "$LOG" "could not push secret"
	local k lat=()
	for k in 1 2 3 4 5 6; do
		echo "$k" >"$SRC/probe-$k"
		arrival "$USER_DIR/dst/probe-$k" 10
		lat+=("$LATENCY")
		sleep 0.5
	done
	printf '# change-to-target latency with an unreadable file: %s ms\n' "${lat[*]}" >&3
	for k in "${lat[@]}"; do
		[ "$k" -le 1500 ]
	done
	# retried on its own, warned about once
	wait_for_line "$LOG" 'retry of 1 failing path'
	[ "$(grep -c 'could not push secret' "$LOG")" = 1 ]
	status_is 1 failing 1
	status_is 1 failing_path secret
	grep -q '^target 1 last_error .*rsync status 23' "$STATE/status"
	chmod 644 "$SRC/secret"
	IT_WAIT_MAX=15 wait_until test -e "$USER_DIR/dst/secret"
	wait_for_line "$LOG" 'secret reached the target at last'
	wait_until status_is 1 failing 0
	diff -r "$SRC" "$USER_DIR/dst"
	sync_stop
	assert_status 0
}

@test "an unlistable directory and a file below an unsearchable one are retried on their own" {
	as_nobody
	mkdir -p "$SRC/open" "$SRC/locked" "$SRC/shut/inner"
	echo a >"$SRC/locked/a"
	echo b >"$SRC/shut/inner/b"
	sync_started --delay 0.2 --retry 2 --max-retry 2 "$SRC" "$USER_DIR/dst"
	[ "$(id -u)" = 0 ] && chown 0:0 "$SRC/locked" "$SRC/shut"
	# locked/ cannot be listed, shut/ can be read but not searched: the
	# script's rsync (as nobody) cannot push locked/ nor shut/inner/b
	chmod 000 "$SRC/locked"
	chmod 644 "$SRC/shut"
	wait_for_line "$LOG" "could not push locked .directory cannot be listed"
	wait_for_line "$LOG" "could not push shut .directory cannot be searched"
	# a path listed on its own below shut/ (pushed as shut/inner, the
	# topmost directory the script cannot see as one)
	echo b2 >"$SRC/shut/inner/b"
	wait_for_line "$LOG" "could not push shut/inner .'shut' cannot be searched"
	grep -qx 'target 1 failing_path locked' "$STATE/status"
	grep -qx 'target 1 failing_path shut' "$STATE/status"
	# shut/inner stays failing (below shut): never "reached the target"
	local n
	n=$(grep -c 'retry of .* done in' "$LOG" || true)
	wait_until log_has $((n + 1)) 'retry of .* done in'
	[ "$(grep -c 'shut/inner reached the target' "$LOG")" = 0 ]
	# later changes are pushed on time meanwhile
	echo later >"$SRC/open/later"
	arrival "$USER_DIR/dst/open/later" 10
	[ "$LATENCY" -le 1500 ]
	chmod 755 "$SRC/locked" "$SRC/shut"
	echo c >"$SRC/locked/c"
	IT_WAIT_MAX=15 wait_until test -e "$USER_DIR/dst/locked/c"
	wait_until status_is 1 failing 0
	diff -r "$SRC" "$USER_DIR/dst"
	sync_stop
	assert_status 0
}

@test "--once with a file it cannot read: everything else is pushed, exit 3" {
	as_nobody
	echo ok >"$SRC/ok"
	mkdir "$SRC/d"
	unreadable "$SRC/d/secret"
	run_fg "${SYNC_AS[@]}" "$IT_RSYNC_SCRIPT" --once -q --state-dir "$STATE" "$SRC" "$USER_DIR/dst"
	assert_status 3
	grep -q 'target 1: 1 path(s) could not be pushed' "$ERR"
	[ "$(cat "$USER_DIR/dst/ok")" = ok ]
	grep -qx 'target 1 failing_path d/secret' "$STATE/status"
}

@test "a wall-clock step back does not stall a pending retry" {
	command -v faketime >/dev/null || skip "faketime is not installed"
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	local clock=$IT_TMP/clock
	echo '+0' >"$clock"
	# (a sanitizer build's tools accept the preloaded library too)
	SYNC_AS=(faketime -f +0 env -u FAKETIME FAKETIME_TIMESTAMP_FILE="$clock" FAKETIME_NO_CACHE=1
		ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}")
	sync_started --delay 0.2 --retry 2 --max-retry 2 "$SRC" "$IT_TMP/gate/dst"
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo blocked >"$IT_TMP/gate"
	echo change >"$SRC/change"
	wait_until status_not 1 last_error none
	echo '-1h' >"$clock"
	rm "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	converge "$SRC" "$IT_TMP/gate/dst" "after a clock step of one hour back" 10
	sync_stop
	assert_status 0
}

# small_state_fs: STATE on a tmpfs of its own, $IT_TMP/stfs, small enough
# to fill (root only).
small_state_fs() {
	[ "$(id -u)" = 0 ] || skip "mounting a small tmpfs needs root"
	mkdir -p "$IT_TMP/stfs"
	mount -t tmpfs -o size=256k tmpfs "$IT_TMP/stfs" || skip "cannot mount a tmpfs here"
	STATE=$IT_TMP/stfs/state
}

@test "a full state dir: syncing goes on from memory, one error logged, written again later" {
	prepare
	small_state_fs
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	dd if=/dev/zero of="$IT_TMP/stfs/fill" bs=4k 2>/dev/null || true
	local i
	for ((i = 0; i < 50; i++)); do
		echo "$i" >"$SRC/new-$i"
	done
	converge "$SRC" "$IT_TMP/dst" "50 files with the state dir full"
	kill -0 "$SCRIPT_PID"
	wait_for_line "$LOG" 'cannot write .* to the state dir'
	echo more >"$SRC/more"
	converge "$SRC" "$IT_TMP/dst" "more with the state dir full"
	[ "$(grep -c 'cannot write' "$LOG")" = 1 ]
	rm "$IT_TMP/stfs/fill"
	wait_for_line "$LOG" 'the state dir takes writes again'
	wait_until status_is 1 pending 0
	sync_stop
	assert_status 0
	[ ! -e "$STATE/lock" ]
}

@test "the state dir still full at a stop: the lock stays, the next start makes a full sync" {
	prepare
	small_state_fs
	populate "$SRC"
	mkdir "$IT_TMP/gate"
	sync_started --delay 0.2 --retry 0.3 "$SRC" "$IT_TMP/gate/dst"
	mv "$IT_TMP/gate" "$IT_TMP/gate.away"
	echo blocked >"$IT_TMP/gate"
	dd if=/dev/zero of="$IT_TMP/stfs/fill" bs=4k 2>/dev/null || true
	echo lost >"$SRC/not-in-any-journal"
	wait_until status_not 1 last_error none 2>/dev/null || wait_for_line "$LOG" 'failed after'
	sync_stop
	assert_status 0
	grep -q 'the lock stays' "$LOG"
	[ -d "$STATE/lock" ]
	rm "$IT_TMP/stfs/fill" "$IT_TMP/gate"
	mv "$IT_TMP/gate.away" "$IT_TMP/gate"
	sync_bg --no-initial-sync --delay 0.2 "$SRC" "$IT_TMP/gate/dst"
	converge "$SRC" "$IT_TMP/gate/dst" "full sync after a stop with a full state dir"
	grep -q 'did not stop cleanly' "$LOG"
	sync_stop
	assert_status 0
}

@test "SIGHUP reopens the log (logrotate), the daemon goes on" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	mv "$LOG" "$LOG.1"
	kill -HUP "$SCRIPT_PID"
	wait_for_line "$LOG" 'SIGHUP: log file reopened'
	echo after >"$SRC/after-rotation"
	converge "$SRC" "$IT_TMP/dst" "after SIGHUP"
	kill -0 "$SCRIPT_PID"
	wait_for_line "$LOG" 'push of 1 path'
	! grep -q 'push of 1 path' "$LOG.1"
	sync_stop
	assert_status 0
}

@test "a storm of SIGHUP and SIGUSR1 while files change never ends the daemon" {
	# bash 5.2 can take a trap while it parses a substitution and then fail
	# to parse the trap (exit 2): the main shell must not expand any.
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	local i
	for ((i = 0; i < 400; i++)); do
		echo "$i" >"$SRC/storm-$((i % 20))"
		kill -HUP "$SCRIPT_PID"
		((i % 50)) || kill -USR1 "$SCRIPT_PID"
	done
	kill -0 "$SCRIPT_PID"
	converge "$SRC" "$IT_TMP/dst" "after the storm"
	sync_stop
	assert_status 0
	! grep -e 'trap:' -e 'unexpected EOF' "$ERR" "$LOG"
}

@test "the main shell expands \$(...) and <(...) only before its traps or in a subshell" {
	# (see the test above) every line that does is marked, and says why
	run grep -n -e '$([^(]' -e '<(' "$IT_RSYNC_SCRIPT"
	assert_status 0
	local line bad=()
	while IFS= read -r line; do
		[[ ${line#*:} =~ ^[[:space:]]*# ]] && continue
		[[ $line == *'# (before the traps)' || $line == *'# (in its subshell)' ]] ||
			bad+=("$line")
	done <<<"$output"
	printf '%s\n' "${bad[@]}"
	((${#bad[@]} == 0))
	# the marked ones are where they say
	local traps
	traps=$(grep -n '^trap on_signal' "$IT_RSYNC_SCRIPT")
	traps=${traps%%:*}
	while IFS= read -r line; do
		[[ $line == *'# (before the traps)' ]] || continue
		((${line%%:*} < traps))
	done <<<"$output"
}

# mount_src: SRC is a tmpfs of its own (root only).
mount_src() {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	mount -t tmpfs -o size=16m tmpfs "$SRC" || skip "cannot mount a tmpfs here"
}

@test "SOURCE can be unmounted while the script runs; the target is kept until it is back" {
	prepare
	mount_src
	populate "$SRC"
	sync_started --delay 0.2 --retry 0.2 "$SRC" "$IT_TMP/dst"
	cp -a "$IT_TMP/dst" "$IT_TMP/dst.copy"
	umount "$SRC"
	wait_for_line "$LOG" 'nothing is pushed until it is back'
	wait_until grep -q '^source_error SOURCE' "$STATE/status"
	grep -q '^target 1 state waiting for SOURCE' "$STATE/status"
	# the bare mount point is empty: had it been synced, the target would be
	diff -r --no-dereference "$IT_TMP/dst.copy" "$IT_TMP/dst"
	mount -t tmpfs -o size=16m tmpfs "$SRC"
	populate "$SRC"
	echo back >"$SRC/back"
	converge "$SRC" "$IT_TMP/dst" "SOURCE mounted again"
	wait_for_line "$LOG" 'SOURCE is back'
	echo later >"$SRC/later"
	converge "$SRC" "$IT_TMP/dst" "after the remount, a change"
	sync_stop
	assert_status 0
}

@test "umount -l of SOURCE wipes no target, neither live nor at the next start; --allow-new-source" {
	prepare
	mount_src
	populate "$SRC"
	sync_started --delay 0.2 --retry 0.2 "$SRC" "$IT_TMP/dst"
	cp -a "$IT_TMP/dst" "$IT_TMP/dst.copy"
	umount -l "$SRC"
	wait_for_line "$LOG" 'not on the tmpfs filesystem .* as before'
	sync_stop
	assert_status 0
	diff -r --no-dereference "$IT_TMP/dst.copy" "$IT_TMP/dst"
	# a start on the bare mount point: nothing is pushed
	run_sync --once --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 3
	diff -r --no-dereference "$IT_TMP/dst.copy" "$IT_TMP/dst"
	mv "$LOG" "$LOG.1"
	sync_bg --delay 0.2 "$SRC" "$IT_TMP/dst"
	wait_for_line "$LOG" 'nothing is pushed until it is back'
	echo new >"$SRC/on-the-bare-mount-point"
	sleep 1
	diff -r --no-dereference "$IT_TMP/dst.copy" "$IT_TMP/dst"
	sync_stop
	assert_status 0
	# the admin says this is the new SOURCE
	run_sync --once --allow-new-source --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 0
	diff -r --no-dereference "$SRC" "$IT_TMP/dst"
}

@test "an empty SOURCE never empties a full target; --allow-new-source" {
	prepare
	populate "$SRC"
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 0
	rm -rf "$SRC"
	mkdir "$SRC"
	run_sync --once --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 3
	[ -e "$IT_TMP/dst/keep/sp ace" ]
	grep -q 'is empty but the target is not' "$ERR"
	sync_bg --delay 0.2 "$SRC" "$IT_TMP/dst"
	wait_for_line "$LOG" 'is empty but the target is not'
	wait_until grep -q '^target 1 state waiting: SOURCE is empty' "$STATE/status"
	[ -e "$IT_TMP/dst/keep/sp ace" ]
	echo first >"$SRC/first"
	converge "$SRC" "$IT_TMP/dst" "SOURCE filled again"
	sync_stop
	assert_status 0
	rm -rf "${SRC:?}"/*
	run_sync --once --allow-new-source -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 0
	[ -z "$(ls -A "$IT_TMP/dst")" ]
}

@test "a mount point of /etc/fstab with nothing mounted is not synced" {
	[ "$(id -u)" = 0 ] || skip "a private mount namespace needs root"
	command -v unshare >/dev/null || skip "unshare is not installed"
	prepare
	mkdir -p "$SRC/data"
	populate "$IT_TMP/dst"
	cp -a "$IT_TMP/dst" "$IT_TMP/dst.copy"
	printf 'tmpfs %s tmpfs defaults 0 0\n' "$SRC" >"$IT_TMP/fstab"
	run_fg unshare -m sh -c 'mount --bind "$1" /etc/fstab && shift && exec "$@"' sh "$IT_TMP/fstab" \
		"$IT_RSYNC_SCRIPT" --once --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC/data" "$IT_TMP/dst"
	assert_status 3
	grep -q "nothing is mounted on $SRC" "$ERR"
	diff -r --no-dereference "$IT_TMP/dst.copy" "$IT_TMP/dst"
}

@test "a symbolic link SOURCE switched to another release is followed" {
	prepare
	mkdir -p "$TEST_DIR/rel1" "$TEST_DIR/rel2"
	populate "$TEST_DIR/rel1"
	echo one >"$TEST_DIR/rel1/version"
	ln -s rel1 "$TEST_DIR/current"
	sync_started --delay 0.2 --retry 0.2 "$TEST_DIR/current" "$IT_TMP/dst"
	converge "$TEST_DIR/rel1" "$IT_TMP/dst" "release 1"
	echo two >"$TEST_DIR/rel2/version"
	mkdir "$TEST_DIR/rel2/new"
	ln -sfn rel2 "$TEST_DIR/current.tmp"
	mv -T "$TEST_DIR/current.tmp" "$TEST_DIR/current"
	converge "$TEST_DIR/rel2" "$IT_TMP/dst" "switched to release 2"
	wait_for_line "$LOG" 'SOURCE itself was moved, replaced or deleted'
	rm -rf "$TEST_DIR/rel1"
	echo later >"$TEST_DIR/rel2/later"
	converge "$TEST_DIR/rel2" "$IT_TMP/dst" "release 2, later change"
	! grep -q "Couldn't watch" "$LOG"
	sync_stop
	assert_status 0
}

@test "a target that never answers: rsync's timeout is reported; SIGTERM stops at once" {
	prepare
	populate "$SRC"
	tarpit_start
	local hang="rsync://127.0.0.1:$TARPIT_PORT/mod/x" start end
	sync_bg --delay 0.2 --retry 0.2 --timeout 1 "$SRC" "$hang"
	wait_until grep -q '^target 1 last_error .*rsync status 30' "$STATE/status"
	sync_stop
	assert_status 0
	# with a long timeout, the first SIGTERM still ends it within seconds
	sync_bg --delay 0.2 "$SRC" "$hang"
	wait_until has_procs_of rsync "$hang"
	wait_until grep -q '^target 1 state running for' "$STATE/status"
	start=${EPOCHREALTIME/./}
	sync_stop
	end=${EPOCHREALTIME/./}
	assert_status 0
	printf '# SIGTERM with rsync hanging: stopped in %d ms\n' $(((end - start) / 1000)) >&3
	[ $(((end - start) / 1000000)) -lt 9 ]
	grep -q 'stopping them' "$LOG"
	no_procs_of rsync "$hang"
	grep -qx 'target 1 state stopped' "$STATE/status"
}

@test "a steady stream of changes is pushed continuously, not only every --max-delay" {
	prepare
	mkdir "$SRC/s"
	sync_started --delay 0.3 "$SRC" "$IT_TMP/dst"
	local i late=0
	for ((i = 0; i < 100; i++)); do
		echo "$i" >"$SRC/s/f$i"
		# 40 steps (about 2 s) later each file must have arrived
		if ((i >= 40)) && [ ! -e "$IT_TMP/dst/s/f$((i - 40))" ]; then
			late=$((late + 1))
		fi
		sleep 0.05
	done
	printf '# steady stream: %d of 60 files later than 40 steps\n' "$late" >&3
	[ "$late" -le 3 ]
	converge "$SRC" "$IT_TMP/dst" "steady stream"
	sync_stop
	assert_status 0
}

@test "rsync options are checked at start: exit 1 with rsync's message" {
	prepare
	bad_input "rsync rejects the options given: rsync: --no-delete: unknown option" \
		--rsync-opt=--no-delete "$SRC" "$IT_TMP/d"
	[ ! -e "$IT_TMP/d" ]
}

@test "a second instance on the same SOURCE and DEST with another state dir is refused" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	run_sync --inotifywait "$INOTIFYWAIT" --state-dir "$IT_TMP/other-state" "$SRC" "$IT_TMP/dst"
	assert_status 1
	[ "$(wc -l <"$ERR")" = 1 ]
	grep -qF "already synced to DEST $IT_TMP/dst by another instance (pid $SCRIPT_PID, state dir $STATE)" "$ERR"
	run_sync --once --inotifywait "$INOTIFYWAIT" --state-dir "$IT_TMP/other-state" "$SRC" "$IT_TMP/dst/"
	assert_status 1
	# another DEST is fine
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$IT_TMP/other-state" "$SRC" "$IT_TMP/dst2"
	assert_status 0
	kill -0 "$SCRIPT_PID"
	sync_stop
	assert_status 0
}

@test "SIGUSR1: a full sync of every target, logged as such" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 "$SRC" "$IT_TMP/dst"
	rm -rf "$IT_TMP/dst/keep"
	kill -USR1 "$SCRIPT_PID"
	converge "$SRC" "$IT_TMP/dst" "SIGUSR1 full sync"
	grep -q 'SIGUSR1: full sync of every target' "$LOG"
	! grep -q 'could not watch' "$LOG"
	sync_stop
	assert_status 0
}

@test "--max-delete: a sync that would delete more fails with rsync's status 25" {
	prepare
	populate "$SRC"
	run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 0
	local i
	for i in 1 2 3 4 5; do
		echo x >"$IT_TMP/dst/extra$i"
	done
	run_sync --once -q --max-delete 2 --inotifywait "$INOTIFYWAIT" --state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 3
	grep -q '^target 1 last_error .*rsync status 25' "$STATE/status"
	[ "$(ls "$IT_TMP/dst" | grep -c '^extra')" -ge 3 ]
}

@test "--delete never|startup|running: which syncs delete" {
	prepare
	populate "$SRC"
	local d
	bad_input "--delete: 'sometimes' is not one of always, startup, running, never" \
		--delete sometimes "$SRC" "$IT_TMP/d"
	for d in never startup running; do
		rm -rf "$IT_TMP/dst-$d"
		run_sync --once -q --inotifywait "$INOTIFYWAIT" --state-dir "$STATE-$d" "$SRC" "$IT_TMP/dst-$d"
		assert_status 0
		echo intruder >"$IT_TMP/dst-$d/intruder"
	done
	local base=$STATE
	for d in never startup running; do
		mv "$LOG" "$LOG.old" 2>/dev/null || true
		STATE=$base-$d
		sync_started --delay 0.2 --delete "$d" "$SRC" "$IT_TMP/dst-$d"
		echo new >"$SRC/new-$d"
		rm "$SRC/keep/sp ace"
		wait_until test -e "$IT_TMP/dst-$d/new-$d"
		wait_until status_is 1 state idle
		case $d in
		never)
			[ -e "$IT_TMP/dst-$d/intruder" ]
			[ -e "$IT_TMP/dst-$d/keep/sp ace" ]
			;;
		startup)
			[ ! -e "$IT_TMP/dst-$d/intruder" ]
			[ -e "$IT_TMP/dst-$d/keep/sp ace" ]
			;;
		running)
			[ -e "$IT_TMP/dst-$d/intruder" ]
			wait_until test ! -e "$IT_TMP/dst-$d/keep/sp ace"
			;;
		esac
		sync_stop
		assert_status 0
		echo "initial sp ace" >"$SRC/keep/sp ace"
	done
}

@test "--on-push: the target as \$1, exactly the pushed paths on stdin; a failure is logged" {
	prepare
	populate "$SRC"
	local hook=$IT_TMP/hook.sh calls=$IT_TMP/calls
	mkdir "$calls"
	# each run: its $1 and its stdin (NUL list) in a file of its own
	cat >"$hook" <<'HOOK'
#!/bin/sh
n=$(ls "$CALLS" | wc -l)
printf '%s\n' "$1" >"$CALLS/$n.dest"
cat >"$CALLS/$n.paths"
[ ! -e "$CALLS/../fail" ] || { echo "purge failed" >&2; exit 3; }
HOOK
	chmod +x "$hook"
	# shellcheck disable=SC2016 # $1 is for the command's shell
	CALLS=$calls sync_started --delay 0.3 --on-push "$hook \"\$1\"" "$SRC" "$IT_TMP/dst"
	wait_until test -e "$calls/0.paths"
	[ "$(cat "$calls/0.dest")" = "$IT_TMP/dst" ]
	assert_file_printf "$calls/0.paths" '.\0'
	echo a >"$SRC/a new"
	printf 'b\n' >"$SRC/"$'new\nline'
	wait_until test -e "$calls/2.paths"
	assert_file_printf "$calls/2.paths" 'a new\0new\nline\0'
	touch "$IT_TMP/fail"
	echo c >"$SRC/c"
	wait_for_line "$LOG" "the --on-push command failed \(status 3\): 'purge failed'"
	# syncing goes on
	echo d >"$SRC/d"
	converge "$SRC" "$IT_TMP/dst" "after a failed --on-push"
	sync_stop
	assert_status 0
}

@test "--config: the same options from a file; the command line wins; bad lines are errors" {
	prepare
	populate "$SRC"
	echo t >"$SRC/drop.tmp"
	cat >"$IT_TMP/conf" <<CONF
# a comment, then a blank line

source $SRC
dest $IT_TMP/dst
dest $IT_TMP/dst2
exclude *.tmp
delay 0.2
state-dir $IT_TMP/conf-state
no-initial-sync no
quiet
CONF
	run_sync --once --config "$IT_TMP/conf" --inotifywait "$INOTIFYWAIT"
	assert_status 0
	[ ! -s "$ERR" ]
	[ -e "$IT_TMP/dst/keep/sp ace" ]
	[ ! -e "$IT_TMP/dst/drop.tmp" ]
	diff -r -x drop.tmp "$SRC" "$IT_TMP/dst2"
	[ -s "$IT_TMP/conf-state/status" ]
	# the command line wins: its state dir, its SOURCE and DEST
	run_sync --once --config="$IT_TMP/conf" --state-dir "$STATE" --inotifywait "$INOTIFYWAIT" \
		"$SRC" "$IT_TMP/dst3"
	assert_status 0
	[ -s "$STATE/status" ]
	[ ! -e "$IT_TMP/dst3/drop.tmp" ]
	grep -q "dest $IT_TMP/dst3" "$STATE/status"
	! grep -q "dest $IT_TMP/dst2" "$STATE/status"
	# live, with the watcher (sync_bg gives --state-dir "$STATE")
	sync_bg --config "$IT_TMP/conf"
	wait_until grep -qx 'state running' "$STATE/status"
	echo live >"$SRC/live"
	wait_until test -e "$IT_TMP/dst2/live"
	sync_stop
	echo 'frobnicate 1' >>"$IT_TMP/conf"
	bad_input "conf:11: unknown option 'frobnicate'" --config "$IT_TMP/conf"
	printf 'delay\n' >"$IT_TMP/conf2"
	bad_input "conf2:1: 'delay' needs a value" --config "$IT_TMP/conf2" "$SRC" "$IT_TMP/dst"
	printf 'once maybe\n' >"$IT_TMP/conf2"
	bad_input "conf2:1: 'once' takes yes or no" --config "$IT_TMP/conf2" "$SRC" "$IT_TMP/dst"
	bad_input "--config: cannot read" --config "$IT_TMP/nosuch" "$SRC" "$IT_TMP/dst"
}

@test "--syslog: every line goes to logger with its level" {
	prepare
	populate "$SRC"
	mkdir "$IT_TMP/bin"
	printf '#!/bin/sh\nprintf "%%s|" "$@" >>"%s"\necho >>"%s"\n' \
		"$IT_TMP/syslog" "$IT_TMP/syslog" >"$IT_TMP/bin/logger"
	chmod +x "$IT_TMP/bin/logger"
	PATH=$IT_TMP/bin:$PATH run_sync --once --syslog --inotifywait "$INOTIFYWAIT" \
		--state-dir "$STATE" "$SRC" "$IT_TMP/dst"
	assert_status 0
	[ ! -s "$ERR" ]
	grep -q "^-t|inotify-rsync.sh|--id=[0-9]*|-p|daemon.info|--|--once: every target is in step|$" "$IT_TMP/syslog"
	mkdir "$IT_TMP/gate"
	echo blocked >"$IT_TMP/gate/d"
	PATH=$IT_TMP/bin:$PATH run_sync --once --syslog --inotifywait "$INOTIFYWAIT" \
		--state-dir "$STATE" "$SRC" "$IT_TMP/gate/d/dst"
	assert_status 3
	grep -q '|-p|daemon.warning|--|target 1 .*failed' "$IT_TMP/syslog"
	grep -q '|-p|daemon.err|--|--once: 1 of 1 target(s) failed|$' "$IT_TMP/syslog"
}

@test "the systemd unit inotify-rsync@.service: it verifies; hardened; state in StateDirectory" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	local unit=$IT_TMP/inotify-rsync@.service in=$BATS_TEST_DIRNAME/../../scripts/inotify-rsync@.service.in
	mkdir -p "$IT_TMP/man/man1"
	ln -s "$BATS_TEST_DIRNAME/../../scripts/inotify-rsync.1" "$IT_TMP/man/man1/inotify-rsync.sh.1"
	sed -e "s|@bindir@|${IT_RSYNC_SCRIPT%/*}|" "$in" >"$unit"
	MANPATH=$IT_TMP/man run_fg systemd-analyze verify "$unit"
	assert_status 0
	grep -qx 'ExecStart=.*/inotify-rsync.sh --config /etc/inotify-rsync/%i.conf --state-dir /var/lib/inotify-rsync/%i' "$unit"
	grep -qx 'NoNewPrivileges=yes' "$unit"
	grep -qx 'ProtectSystem=full' "$unit"
	grep -qx 'StateDirectory=inotify-rsync/%i' "$unit"
	grep -qx 'KillMode=mixed' "$unit"
}

@test "--push-open: a file written while it stays open is pushed while still open" {
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --push-open 0.5 "$SRC" "$IT_TMP/dst"
	local fd
	exec {fd}>"$SRC/growing.log"
	echo "line 1" >&"$fd"
	wait_until grep -q 'line 1' "$IT_TMP/dst/growing.log"
	sleep 0.6
	echo "line 2" >&"$fd"
	wait_until grep -q 'line 2' "$IT_TMP/dst/growing.log"
	# still open: only --push-open brought it
	[ -e "/proc/$$/fd/$fd" ]
	exec {fd}>&-
	converge "$SRC" "$IT_TMP/dst" "after the close"
	sync_stop
	assert_status 0
}

# need_fanotify_sync: skip unless our inotifywait can watch with fanotify.
need_fanotify_sync() {
	[ "$(id -u)" = 0 ] || skip "fanotify needs root here"
	local err
	err=$(timeout 3 "$INOTIFYWAIT" -F -t -1 "$TEST_DIR" 2>&1 >/dev/null) || true
	case $err in
	*"Watches established."*) ;;
	*) skip "fanotify is not usable here: ${err//$'\n'/ }" ;;
	esac
}

@test "--fanotify: a mix of operations converges with a watcher marking directories" {
	need_fanotify_sync
	prepare
	populate "$SRC"
	sync_started --delay 0.2 --fanotify "$SRC" "$IT_TMP/dst"
	tr '\0' ' ' <"/proc/$(watcher_pid)/cmdline" | grep -q -- ' -F -m -r '
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/dst" "--fanotify, round 1"
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/dst" "--fanotify, round 2"
	sync_stop
	assert_status 0
}

@test "--filesystem: SOURCE on a filesystem watched whole; what is outside it is not pushed" {
	need_fanotify_sync
	command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed"
	prepare
	truncate -s 64M "$IT_TMP/img"
	mkfs.ext4 -q "$IT_TMP/img" || skip "mkfs.ext4 failed"
	mkdir "$IT_TMP/mnt"
	mount -o loop "$IT_TMP/img" "$IT_TMP/mnt" 2>/dev/null || skip "cannot loop-mount an image"
	SRC=$IT_TMP/mnt/src
	mkdir -p "$SRC" "$IT_TMP/mnt/elsewhere"
	populate "$SRC"
	sync_started --delay 0.2 --filesystem "$SRC" "$IT_TMP/dst"
	echo out >"$IT_TMP/mnt/elsewhere/f"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/dst" "--filesystem"
	[ ! -e "$IT_TMP/dst/elsewhere" ]
	[ ! -e "$IT_TMP/dst/f" ]
	sync_stop
	assert_status 0
}

@test "--moves: renamed files and trees are renamed on a local target, no data sent again" {
	prepare
	mkdir -p "$SRC/tree/sub" "$SRC/x"
	head -c 1048576 /dev/urandom >"$SRC/tree/sub/big"
	echo f >"$SRC/file"
	echo c >"$SRC/chain"
	echo a >"$SRC/x/a"
	echo bb >"$SRC/x/b" # (another size: same-second mtimes are equal)
	sync_started --delay 0.3 --rsync-opt=--stats "$SRC" "$IT_TMP/dst"
	local ino_big ino_f ino_c
	ino_big=$(stat -c %i "$IT_TMP/dst/tree/sub/big")
	ino_f=$(stat -c %i "$IT_TMP/dst/file")
	ino_c=$(stat -c %i "$IT_TMP/dst/chain")
	mv "$SRC/tree" "$SRC/tree2"
	mv "$SRC/file" "$SRC/tree2/file-moved"
	mv "$SRC/chain" "$SRC/chain2"
	mv "$SRC/chain2" "$SRC/chain3"
	# a swap through a temporary name: made as moves, fixed by the push
	mv "$SRC/x/a" "$SRC/x/tmp"
	mv "$SRC/x/b" "$SRC/x/a"
	mv "$SRC/x/tmp" "$SRC/x/b"
	converge "$SRC" "$IT_TMP/dst" "renames as moves"
	[ "$(stat -c %i "$IT_TMP/dst/tree2/sub/big")" = "$ino_big" ]
	[ "$(stat -c %i "$IT_TMP/dst/tree2/file-moved")" = "$ino_f" ]
	[ "$(stat -c %i "$IT_TMP/dst/chain3")" = "$ino_c" ]
	wait_until status_is 1 state idle
	grep -q 'Literal data: [0-9] bytes' "$STATE"/t-*.rsync-output
	sync_stop
	assert_status 0
}

@test "--moves off (or a --delete that keeps old names): renames are sent as data" {
	prepare
	mkdir -p "$SRC/tree"
	head -c 65536 /dev/urandom >"$SRC/tree/f"
	local ino d
	for d in "--moves off" "--delete startup"; do
		rm -rf "$IT_TMP/dst" "$STATE"
		mv "$LOG" "$LOG.old" 2>/dev/null || true
		# shellcheck disable=SC2086 # two words
		sync_started --delay 0.2 $d "$SRC" "$IT_TMP/dst"
		ino=$(stat -c %i "$IT_TMP/dst/tree/f")
		mv "$SRC/tree" "$SRC/tree-$RANDOM"
		wait_until test -n "$(echo "$IT_TMP"/dst/tree-*/f)"
		[ "$(stat -c %i "$IT_TMP"/dst/tree-*/f)" != "$ino" ]
		sync_stop
		assert_status 0
		mv "$SRC"/tree-* "$SRC/tree"
	done
	bad_input "--moves: 'sometimes' is not one of auto, off" --moves sometimes "$SRC" "$IT_TMP/d"
}
