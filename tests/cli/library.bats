#!/usr/bin/env bats
# library.bats: the shared library's ABI: exports, soname, and programs
# built against the public headers (ours and upstream's) running on it.

load common

setup() {
	LIB="${IT_LIBDIR:-$BATS_TEST_DIRNAME/../../libinotifytools/.libs}/libinotifytools.so.0"
	# Debian's library, if installed (package libinotifytools0)
	# (upstream's is the one that leaks rbinit)
	UPSTREAM_LIB=
	for f in /usr/lib/*/libinotifytools.so.0; do
		nm -D --defined-only "$f" 2>/dev/null | grep -qw rbinit &&
			UPSTREAM_LIB=$f && break
	done
	[ -e "$LIB" ] || skip "shared library not built: $LIB"
	TMP=$(mktemp -d)
	cd "$TMP"
}

teardown() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
	cd /
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

# Wait until file $1 has a line matching $2 (at most 10 s).
wait_for() {
	wait_until -t 10 -m "'$2' in $1" file_matches -G "$2" "$1" || {
		cat "$1" >&2
		return 1
	}
}

@test "library exports only the inotifytools_* API and upstream inotifywatch's rb* calls" {
	run sh -c "nm -D --defined-only '$LIB' | awk '\$2 ~ /^[TDBRVW]\$/ {print \$3}' | grep -v '^inotifytools_'"
	[ "$output" = "$(printf '%s\n' rbcloselist rbdestroy rbopenlist rbreadlist)" ]
}

@test "every inotifytools_* symbol of Debian's library exists in ours" {
	[ -e "$UPSTREAM_LIB" ] || skip "Debian's libinotifytools0 not installed"
	nm -D --defined-only "$UPSTREAM_LIB" | awk '$3 ~ /^inotifytools_/ {print $3}' |
		sort >theirs
	nm -D --defined-only "$LIB" | awk '$2 == "T" {print $3}' | sort >ours
	[ -s theirs ]
	run comm -23 theirs ours
	[ "$output" = "" ] || {
		echo "missing from ours: $output"
		false
	}
}

@test "every symbol Debian's tools take from the library exists in ours" {
	[ -n "$UPSTREAM_LIB" ] || skip "Debian's libinotifytools0 not installed"
	[ -x /usr/bin/inotifywatch ] || skip "Debian's inotify-tools not installed"
	local tool
	nm -D --defined-only "$LIB" | awk '$2 == "T" {print $3}' | sort >ours
	nm -D --defined-only "$UPSTREAM_LIB" | awk '{print $3}' | sort >lib
	for tool in /usr/bin/inotifywait /usr/bin/inotifywatch; do
		nm -D --undefined-only "$tool" | awk '{print $2}' | sort |
			comm -12 - lib >wanted
		run comm -23 wanted ours
		[ "$output" = "" ] || {
			echo "$tool needs, ours lacks: $output"
			false
		}
	done
}

@test "soname is libinotifytools.so.0" {
	run sh -c "readelf -d '$LIB' | grep SONAME"
	[ "$status" -eq 0 ]
	[[ "$output" == *"[libinotifytools.so.0]"* ]]
}

@test "a program built against our public header runs on the library" {
	[ -x "${IT_ABI_CLIENT:-}" ] || skip "abi_client not built"
	mkdir -p d/sub
	timeout 10 "$IT_ABI_CLIENT" d >out 2>err &
	PID=$!
	wait_for err "watches: 2"
	touch d/sub/f
	wait "$PID"
	PID=
	[ "$(cat out)" = "d/sub/f CREATE" ]
}

@test "a program built against upstream's installed header links and runs" {
	[ -f /usr/include/inotifytools/inotifytools.h ] ||
		skip "upstream's header (libinotifytools0-dev) not installed"
	[ -z "${IT_SANITIZERS:-}" ] || skip "sanitizer build: plain cc cannot link it"
	command -v cc >/dev/null || skip "no C compiler"
	cc -o client "$BATS_TEST_DIRNAME/../unit/abi_client.c" \
		-I/usr/include -L"$(dirname "$LIB")" -linotifytools
	mkdir d
	LD_LIBRARY_PATH=$(dirname "$LIB") timeout 10 ./client d >out 2>err &
	PID=$!
	wait_for err "watches: 1"
	touch d/f
	wait "$PID"
	PID=
	[ "$(cat out)" = "d/f CREATE" ]
	run env LD_LIBRARY_PATH="$(dirname "$LIB")" ldd ./client
	[[ "$output" == *"$(dirname "$LIB")/libinotifytools.so.0"* ]]
}

@test "Debian's inotifywait runs on our library and prints the same events" {
	[ -x /usr/bin/inotifywait ] || skip "upstream's inotifywait not installed"
	[ -z "${IT_SANITIZERS:-}" ] || skip "sanitizer build: the ASan runtime must load first"
	/usr/bin/inotifywait --help 2>/dev/null | head -1 | grep -q '^inotifywait 3\.' ||
		skip "/usr/bin/inotifywait is not upstream's 3.x"
	run env LD_LIBRARY_PATH="$(dirname "$LIB")" ldd /usr/bin/inotifywait
	[[ "$output" == *"$(dirname "$LIB")/libinotifytools.so.0"* ]]
	mkdir -p r/a
	LD_LIBRARY_PATH=$(dirname "$LIB") timeout 10 /usr/bin/inotifywait -m -r \
		-e create,moved_to,moved_from,delete --format '%w|%f|%e' r >out 2>err &
	PID=$!
	wait_for err "Watches established."
	touch r/a/f1
	wait_for out "r/a/|f1|CREATE"
	mv r/a r/b
	wait_for out "r/|b|MOVED_TO,ISDIR"
	touch r/b/f2
	wait_for out "r/b/|f2|CREATE"
	rm r/b/f1
	wait_for out "r/b/|f1|DELETE"
	kill "$PID"
	PID=
	printf '%s\n' 'r/a/|f1|CREATE' 'r/|a|MOVED_FROM,ISDIR' \
		'r/|b|MOVED_TO,ISDIR' 'r/b/|f2|CREATE' 'r/b/|f1|DELETE' >want
	diff want out
}

# tool_pid PID: the process that `timeout' (PID) runs.
tool_pid() {
	local i pid
	for i in $(seq 100); do
		pid=$(pgrep -P "$1" | head -n 1)
		[ -n "$pid" ] && echo "$pid" && return 0
		sleep 0.1
	done
	return 1
}

# wait_watches PID N: until process PID holds N inotify watches.
wait_watches() {
	local i
	for i in $(seq 100); do
		[ "$(cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:')" -ge "$2" ] &&
			return 0
		sleep 0.1
	done
	echo "process $1 never had $2 watches" >&2
	return 1
}

# wait_idle PID: until process PID sleeps with no signal pending: it has
# read and counted every event the finished file operations queued.
wait_idle() {
	local i
	for i in $(seq 200); do
		if grep -q '^State:.*S (sleeping)' /proc/"$1"/status &&
			grep -q '^SigPnd:.*0000000000000000$' /proc/"$1"/status &&
			grep -q '^ShdPnd:.*0000000000000000$' /proc/"$1"/status; then
			return 0
		fi
		sleep 0.05
	done
	echo "process $1 never went idle" >&2
	return 1
}

# iw_table LIBDIR OUT ARGS...: run Debian's inotifywatch ARGS on the
# library in LIBDIR over a scripted workload in a fresh tree w/; its table
# goes to OUT, its stderr to OUT.err.
iw_table() {
	local lib=$1 out=$2 pid
	shift 2
	rm -rf w
	mkdir -p w/sub w/deep/er
	echo old >w/keep
	LD_LIBRARY_PATH=$lib timeout 20 /usr/bin/inotifywatch "$@" w \
		>"$out" 2>"$out.err" &
	PID=$!
	wait_for "$out.err" "Finished establishing watches"
	pid=$(tool_pid "$PID")
	echo a >w/f1
	echo b >w/sub/f2
	cat w/keep >/dev/null
	mkdir w/new
	wait_watches "$pid" 5
	touch w/new/x
	mv w/f1 w/f3
	chmod 600 w/f3
	rm w/sub/f2
	mv w/sub w/sub2
	touch w/sub2/y
	rm -rf w/deep
	wait_idle "$pid"
	kill -INT "$pid"
	wait "$PID"
	PID=
}

@test "Debian's inotifywatch runs on our library: the same tables as on upstream's" {
	[ -x /usr/bin/inotifywatch ] || skip "upstream's inotifywatch not installed"
	[ -n "$UPSTREAM_LIB" ] || skip "Debian's libinotifytools0 not installed"
	[ -z "${IT_SANITIZERS:-}" ] || skip "sanitizer build: the ASan runtime must load first"
	local -a variants=("-r" "-r -a modify" "-r -d close_write -z" \
		"-r -e create,delete,moved_to -a total")
	local v
	for v in "${variants[@]}"; do
		# shellcheck disable=SC2086 # the words of the variant
		iw_table "$(dirname "$UPSTREAM_LIB")" theirs $v
		# shellcheck disable=SC2086
		iw_table "$(dirname "$LIB")" ours $v
		[ -s theirs ]
		diff theirs ours || {
			echo "tables differ for inotifywatch $v w" >&2
			false
		}
		diff theirs.err ours.err
	done
}

# Lines of api_probe where we answer differently from upstream on purpose
# (README, "Differences from upstream"), by label.
PROBE_DIFFERENCES='^(after replace_filename\(r/, s/\)|wd_from_filename\(s/y/b/\) is b|wd_from_filename\(r/[st]/\) is a|snprintf\((1|2|7), "Event %e"\)|snprintf\(100, "(%|x%|%w%f%|%z%%%:e%ee|\[%T\])"\)|get_max_queued_events|dirname_null_len|dirname_from_event\(unknown wd, NULL\)):'

@test "api_probe: our library answers as upstream's, but where we differ on purpose" {
	[ -x "${IT_API_PROBE:-}" ] || skip "api_probe not built"
	[ -n "$UPSTREAM_LIB" ] || skip "Debian's libinotifytools0 not installed"
	mkdir theirs.d ours.d
	LD_LIBRARY_PATH=$(dirname "$UPSTREAM_LIB") timeout 60 "$IT_API_PROBE" \
		theirs.d >theirs 2>/dev/null
	LD_LIBRARY_PATH=$(dirname "$LIB") timeout 60 "$IT_API_PROBE" ours.d >ours
	grep -q '^== limits$' theirs
	grep -q '^== limits$' ours
	run grep -c crashed ours
	[ "$output" = 0 ]
	grep -avE "$PROBE_DIFFERENCES" theirs >theirs.same
	grep -avE "$PROBE_DIFFERENCES" ours >ours.same
	diff theirs.same ours.same
	# the list is not stale: upstream still differs there
	[ "$(grep -acE "$PROBE_DIFFERENCES" theirs)" -gt 0 ]
}
