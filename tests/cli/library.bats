#!/usr/bin/env bats
# library.bats: the shared library's ABI: exports, soname, and programs
# built against the public headers (ours and upstream's) running on it.

load common

setup() {
	LIB="${IT_LIBDIR:-$BATS_TEST_DIRNAME/../../libinotifytools/.libs}/libinotifytools.so.0"
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

@test "library exports only the inotifytools_* API" {
	run sh -c "nm -D --defined-only '$LIB' | awk '\$2 ~ /^[TDBRVW]\$/ {print \$3}' | grep -v '^inotifytools_'"
	[ "$output" = "" ]
}

@test "library exports every function of upstream's public API" {
	want="cleanup clear_timefmt dirname_from_event dirpath_from_event error
event_to_str event_to_str_sep filename_from_event filename_from_watch
filename_from_wd fprintf get_max_queued_events get_max_user_instances
get_max_user_watches get_num_watches get_stat_by_filename get_stat_by_wd
get_stat_total ignore_events_by_inverted_regex ignore_events_by_regex init
initialize initialize_stats next_event next_events printf
remove_watch_by_filename remove_watch_by_wd replace_filename
set_filename_by_filename set_filename_by_wd set_printf_timefmt snprintf
sprintf str_to_event str_to_event_sep watch_file watch_files
watch_recursively watch_recursively_with_exclude wd_from_filename"
	exported=$(nm -D --defined-only "$LIB" | awk '$2 == "T" {print $3}')
	for f in $want; do
		echo "$exported" | grep -qx "inotifytools_$f" || {
			echo "missing: inotifytools_$f"
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
