#!/usr/bin/env bats
# batch.bats: inotifywait --batch, --batch-marker, --rename-records, --exec,
# --restart and %F (src/batch.c, src/exec.c), and --include with --exclude
# on both tools.  None of it is upstream's.
#
# A batch ends on a timer, so these tests cannot wait for a sentinel event
# alone: they wait for the batch marker (an empty line with the default
# output) and then compare the whole output.  Where a burst must be one
# batch whatever the load, the tool is stopped (SIGSTOP) while the burst is
# made and continued after it: it then reads the burst at once.  The sleeps
# between bursts are pacing (time that must pass), never readiness.

load common

# The pid of the tool itself: start_bg runs it under timeout.
tool_pid() {
	pgrep -P "$BG_PID"
}

pause_tool() {
	TOOL=$(tool_pid)
	kill -STOP "$TOOL"
}

resume_tool() {
	kill -CONT "$TOOL"
}

# markers FILE: how many batch markers (empty lines) FILE holds.
markers() {
	grep -c '^$' "$1" || true
}

_has_markers() {
	[ "$(markers "$1")" -ge "$2" ]
}

# wait_markers FILE N: wait until FILE holds N batch markers.
wait_markers() {
	wait_until -m "$2 batch marker(s) in $1" _has_markers "$1" "$2" || {
		_it_dump "$1"
		return 1
	}
}

_has_lines() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# wait_lines FILE N: wait until FILE holds N lines.
wait_lines() {
	wait_until -m "$2 line(s) in $1" _has_lines "$1" "$2" || {
		_it_dump "$1"
		return 1
	}
}

# assert_nul_list FILE ITEM...: FILE is exactly the ITEMs, each followed by
# a NUL byte.
assert_nul_list() {
	local file=$1 exp
	shift
	exp=$(mktemp "$IT_TMP/expected.XXXXXX")
	printf '%s\0' "$@" >"$exp"
	_it_compare "$file" "$exp"
}

# now_ms: the monotonic-enough wall clock of bash, in milliseconds.
now_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

# stream SECONDS FILE...: touch the FILEs in turn, about 20 a second, for
# SECONDS; STREAM_GAP is the longest time (ms) between two touches, so
# that a test can tell a batch cut by MAX from one ended by a pause.
stream() {
	local end=$(($(now_ms) + $1 * 1000)) last now i=0
	shift
	last=$(now_ms)
	STREAM_GAP=0
	while [ "$(now_ms)" -lt "$end" ]; do
		touch "${@:i % $# + 1:1}"
		now=$(now_ms)
		((now - last > STREAM_GAP)) && STREAM_GAP=$((now - last))
		last=$now
		i=$((i + 1))
		sleep 0.05
	done
}

# batches_unique FILE: no path is twice in one batch of FILE.
batches_unique() {
	awk '/^$/ { delete seen; next } seen[$0]++ { print "twice: " $0; bad = 1 }
		END { exit bad }' "$1"
}

# ------------------------------------------------------------ --batch

@test "--batch: a burst is one record a path, its events united, in order of first appearance, then an empty line" {
	ours_only
	mkdir d
	echo old >d/b
	start_bg inotifywait -m --batch 0.5 --format '%w%f %e' d
	echo more >>d/b # OPEN MODIFY CLOSE_WRITE
	touch d/a       # CREATE OPEN ATTRIB CLOSE_WRITE
	chmod 600 d/b   # ATTRIB
	touch d/a       # OPEN ATTRIB CLOSE_WRITE
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" \
		'd/b MODIFY,ATTRIB,CLOSE_WRITE,OPEN,CLOSE' \
		'd/a ATTRIB,CLOSE_WRITE,OPEN,CREATE,CLOSE' \
		''
}

@test "--batch: 1,000 files in one burst are 1,000 records and one marker" {
	ours_only
	mkdir d
	start_bg inotifywait -m --batch 0.5 --format '%w%f %e' d
	touch d/f{0001..1000}
	wait_markers "$OUT" 1
	# a last batch: nothing of the burst may come after the first marker
	touch d/zz
	wait_markers "$OUT" 2
	stop_bg
	{
		printf 'd/f%s ATTRIB,CLOSE_WRITE,OPEN,CREATE,CLOSE\n' {0001..1000}
		printf '\n%s\n\n' 'd/zz ATTRIB,CLOSE_WRITE,OPEN,CREATE,CLOSE'
	} >"$IT_TMP/expected"
	_it_compare "$OUT" "$IT_TMP/expected"
}

@test "--batch: two bursts 2 s apart are two batches, the first printed before the second burst" {
	ours_only
	mkdir d
	start_bg inotifywait -m --batch 0.5 --format '%w%f %e' -e create d
	touch d/a
	touch d/b
	sleep 2
	cp "$OUT" "$IT_TMP/first"
	touch d/c
	wait_markers "$OUT" 2
	stop_bg
	assert_file "$IT_TMP/first" 'd/a CREATE' 'd/b CREATE' ''
	assert_file "$OUT" 'd/a CREATE' 'd/b CREATE' '' 'd/c CREATE' ''
}

@test "--batch DELAY,MAX: a stream that is never quiet for DELAY is cut every MAX" {
	ours_only
	mkdir d
	touch d/f{1..9}
	start_bg inotifywait -m --batch 1,2 --format '%f' -e attrib d
	stream 5 d/f{1..9}
	during=$(markers "$OUT")
	[ "$STREAM_GAP" -lt 1000 ] || skip "the stream paused for $STREAM_GAP ms"
	# cut at about 2 s and 4 s; without MAX, no batch before the end
	[ "$during" -ge 2 ] || {
		_it_dump "$OUT"
		false
	}
	wait_markers "$OUT" $((during + 1))
	stop_bg
	batches_unique "$OUT"
	# every file was touched at least once in 5 s: each is printed
	for i in {1..9}; do grep -qx "f$i" "$OUT"; done
}

@test "--batch DELAY: MAX is 10 x DELAY when not given" {
	ours_only
	mkdir d
	touch d/f{1..9}
	start_bg inotifywait -m --batch 0.3 --format '%f' -e attrib d
	stream 4 d/f{1..9}
	during=$(markers "$OUT")
	[ "$STREAM_GAP" -lt 300 ] || skip "the stream paused for $STREAM_GAP ms"
	# cut at about 3 s
	[ "$during" = 1 ] || {
		_it_dump "$OUT"
		false
	}
	wait_markers "$OUT" 2
	stop_bg
	batches_unique "$OUT"
}

@test "--batch without -m: one batch, then exit 0" {
	ours_only
	mkdir d
	start_bg inotifywait --batch 0.5 --format '%w%f %e' -e create d
	touch d/a
	touch d/b
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/a CREATE' 'd/b CREATE' ''
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--batch -t: the timeout counts from the last batch, like from an event; exit 2" {
	ours_only
	mkdir d
	start_bg inotifywait -m -t 2 --batch 0.2 --format '%f' -e create d
	# each batch ends 0.2 s after its touch and moves the deadline 2 s on;
	# counted from the start only, it would fall before d/c
	touch d/a
	sleep 1.2
	touch d/b
	sleep 1.2
	touch d/c
	wait_bg
	assert_status 2
	assert_file "$OUT" a '' b '' c ''
}

@test "--batch -t: a batch in hand is printed even when the timeout falls before it ends" {
	ours_only
	mkdir d
	start_bg inotifywait -t 1 --batch 1.5 --format '%f' -e create d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" a ''
}

@test "--batch: a batch of events that were not asked for prints nothing, not even a marker" {
	ours_only
	mkdir d
	touch d/a
	start_bg inotifywait -m --batch 0.3 --format '%w%f %e' -e modify d
	# CREATE, DELETE and the moves are read for the batch, not printed
	mv d/a d/b
	touch d/c
	rm d/c
	sleep 1
	echo x >>d/b
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'd/b MODIFY' ''
}

@test "--batch: a path created and deleted in the batch is left out; an atomic save is its final name" {
	ours_only
	mkdir d
	touch d/old
	start_bg inotifywait -m --batch 0.5 --format '%e|%w%f|%F' d
	touch d/tmp
	rm d/tmp
	mkdir d/tdir
	rmdir d/tdir
	echo new >d/s.tmp
	mv d/s.tmp d/s
	rm d/old
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'MOVED_TO|d/s|' 'DELETE|d/old|' ''
}

@test "--batch -e create,delete: paths created and deleted in the batch are kept; not with other events" {
	ours_only
	mkdir d
	start_bg inotifywait -m --batch 0.5 --format '%w%f %e' -e create,delete d
	touch d/tmp
	rm d/tmp
	touch d/keep
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'd/tmp CREATE,DELETE' 'd/keep CREATE' ''
	start_bg inotifywait -m --batch 0.5 --format '%w%f %e' -e create,delete,close_write d
	touch d/tmp2
	rm d/tmp2
	touch d/keep2
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'd/keep2 CLOSE_WRITE,CREATE,CLOSE' ''
}

@test "--batch: a rename is two records, the MOVED_TO with %F the old path, at any depth" {
	ours_only
	mkdir -p r/a/b/c r/x/y
	touch r/a/b/c/f
	start_bg inotifywait -m -r --batch 0.5 --format '%e|%w%f|%F' -e moved_from,moved_to r
	mv r/a/b/c/f r/x/y/g
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'MOVED_FROM|r/a/b/c/f|' 'MOVED_TO|r/x/y/g|r/a/b/c/f' ''
}

@test "--batch: a chain of renames a -> b -> c is a's MOVED_FROM and c's MOVED_TO from a" {
	ours_only
	mkdir d
	touch d/a
	start_bg inotifywait -m --batch 0.5 --format '%e|%w%f|%F' d
	mv d/a d/b
	mv d/b d/c
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'MOVED_FROM|d/a|' 'MOVED_TO|d/c|d/a' ''
}

@test "--batch 0: each event is a batch of its own; the halves of a rename in two batches are paired" {
	ours_only
	mkdir d
	touch d/a
	start_bg inotifywait -m --batch 0 --format '%e|%w%f|%F' -e moved_from,moved_to,create d
	mv d/a d/b
	touch d/c
	wait_markers "$OUT" 3
	stop_bg
	assert_file "$OUT" 'MOVED_FROM|d/a|' '' 'MOVED_TO|d/b|d/a' '' 'CREATE|d/c|' ''
}

@test "--rename-records: a file rename is one record, the new path with the events of both, %F the old" {
	ours_only
	mkdir d
	echo old >d/a
	start_bg inotifywait -m --batch 0.5 --rename-records --format '%e|%w%f|%F' d
	echo more >>d/a
	mv d/a d/b
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'MODIFY,CLOSE_WRITE,OPEN,MOVED_TO,CLOSE|d/b|d/a' ''
}

@test "--rename-records: a directory rename is one record; what changed below carries the new path" {
	ours_only
	mkdir -p r/a/s
	touch r/a/x r/a/s/y
	start_bg inotifywait -m -r --batch 0.5 --rename-records \
		-e attrib,modify,create,delete,moved_from,moved_to --format '%e|%w%f|%F' r
	touch r/a/x
	echo z >>r/a/s/y
	mv r/a r/b
	touch r/b/x
	touch r/b/new
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" \
		'ATTRIB|r/b/x|' \
		'MODIFY|r/b/s/y|' \
		'MOVED_TO,ISDIR|r/b|r/a' \
		'ATTRIB,CREATE|r/b/new|' \
		''
}

@test "--batch without --rename-records: a directory rename is two records, what changed below keeps its path" {
	ours_only
	mkdir -p r/a/s
	touch r/a/x r/a/s/y
	start_bg inotifywait -m -r --batch 0.5 \
		-e attrib,modify,create,delete,moved_from,moved_to --format '%e|%w%f|%F' r
	touch r/a/x
	echo z >>r/a/s/y
	mv r/a r/b
	touch r/b/x
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" \
		'ATTRIB|r/a/x|' \
		'MODIFY|r/a/s/y|' \
		'MOVED_FROM,ISDIR|r/a|' \
		'MOVED_TO,ISDIR|r/b|r/a' \
		'ATTRIB|r/b/x|' \
		''
}

@test "--rename-records: a chain is one rename from the first path to the last; renamed then deleted keeps its old path" {
	ours_only
	mkdir d
	touch d/a d/p
	start_bg inotifywait -m --batch 0.5 --rename-records --format '%e|%w%f|%F' d
	mv d/a d/b
	mv d/b d/c
	mv d/p d/q
	rm d/q
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'MOVED_TO|d/c|d/a' 'MOVED_TO,DELETE|d/q|d/p' ''
}

@test "--batch-marker TEXT: each batch ends with TEXT on a line" {
	ours_only
	mkdir d
	start_bg inotifywait -m --batch 0.3 --batch-marker '-- end --' -e create d
	touch d/a d/b
	wait_for_exact_line "$OUT" '-- end --'
	sleep 1
	touch d/c
	wait_lines "$OUT" 5
	stop_bg
	assert_file "$OUT" 'd/ CREATE a' 'd/ CREATE b' '-- end --' 'd/ CREATE c' '-- end --'
}

@test "--batch-notify FD: one newline on FD for each batch, once the batch is written" {
	ours_only
	local note=$IT_TMP/notify
	mkdir d
	: >"$note"
	exec 5>"$note"
	start_bg inotifywait -m --batch 0.3 --batch-notify 5 -e create d
	exec 5>&-
	touch d/a d/b
	wait_lines "$note" 1
	# written before the note: no wait
	assert_file "$OUT" 'd/ CREATE a' 'd/ CREATE b' ''
	sleep 1
	touch d/c
	wait_lines "$note" 2
	assert_file "$OUT" 'd/ CREATE a' 'd/ CREATE b' '' 'd/ CREATE c' ''
	stop_bg
	assert_file "$note" '' ''
}

# _content_is FILE FMT [ARGS...]: FILE is exactly what printf FMT ARGS prints.
_content_is() {
	local file=$1
	shift
	# shellcheck disable=SC2059 # the format is the caller's
	cmp -s "$file" <(printf "$@")
}

@test "--batch with %0: the marker is an empty NUL-terminated record, or TEXT and a NUL" {
	ours_only
	mkdir d
	start_bg inotifywait -m --batch 0.3 -e create --format '%w%f%0' --no-newline d
	touch d/a d/b
	wait_until -m "two records and a marker" _content_is "$OUT" 'd/a\0d/b\0\0'
	sleep 1
	touch d/c
	wait_until -m "the second batch" _content_is "$OUT" 'd/a\0d/b\0\0d/c\0\0'
	stop_bg
	assert_file_printf "$OUT" 'd/a\0d/b\0\0d/c\0\0'
	start_bg inotifywait -m --batch 0.3 --batch-marker END -e create --format '%w%f%0' --no-newline d
	touch d/e
	wait_until -m "a record and END" _content_is "$OUT" 'd/e\0END\0'
	stop_bg
	assert_file_printf "$OUT" 'd/e\0END\0'
}

@test "--batch -c: CSV records, an empty line after each batch" {
	ours_only
	mkdir d
	touch d/old
	start_bg inotifywait -m --batch 0.5 -c -e create,moved_to d
	touch 'd/a,b'
	mv d/old d/new
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" 'd/,CREATE,"a,b"' 'd/,MOVED_TO,new' ''
}

# untimed FILE: the "time" of every line of FILE checked and replaced by "T".
untimed() {
	local re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2}'
	sed -E "s/\"time\":\"$re\"}\$/\"time\":\"T\"}/" "$1" >"$1.untimed"
	mv "$1.untimed" "$1"
}

@test "--batch --json: records as without --batch, \"from\" on a paired MOVED_TO, then {\"batch_end\":true,\"records\":N}" {
	ours_only
	mkdir d
	touch d/old
	start_bg inotifywait -m --batch 0.5 --json -e create,moved_from,moved_to d
	touch d/a
	mv d/old d/new
	wait_for_line "$OUT" batch_end
	sleep 1
	touch d/b
	wait_until -m "the second marker" file_matches -xF '{"batch_end":true,"records":1}' "$OUT"
	stop_bg
	cp "$OUT" "$IT_TMP/raw"
	untimed "$OUT"
	cookie=$(sed -n 's/.*"MOVED_TO"\],"from":"d\/old","cookie":\([0-9]*\).*/\1/p' "$OUT")
	[ "$cookie" -gt 0 ]
	assert_file "$OUT" \
		'{"watch":"d/","name":"a","path":"d/a","events":["CREATE"],"cookie":0,"isdir":false,"time":"T"}' \
		"{\"watch\":\"d/\",\"name\":\"old\",\"path\":\"d/old\",\"events\":[\"MOVED_FROM\"],\"cookie\":$cookie,\"isdir\":false,\"time\":\"T\"}" \
		"{\"watch\":\"d/\",\"name\":\"new\",\"path\":\"d/new\",\"events\":[\"MOVED_TO\"],\"from\":\"d/old\",\"cookie\":$cookie,\"isdir\":false,\"time\":\"T\"}" \
		'{"batch_end":true,"records":3}' \
		'{"watch":"d/","name":"b","path":"d/b","events":["CREATE"],"cookie":0,"isdir":false,"time":"T"}' \
		'{"batch_end":true,"records":1}'
	json_parses "$IT_TMP/raw" --lines
}

@test "--batch: an overflow is a record of its own and ends the batch at once" {
	ours_only
	local limit runs i
	limit=$(cat /proc/sys/fs/inotify/max_queued_events)
	[ "$limit" -le 3000000 ] || skip "max_queued_events ($limit) is too large to fill quickly"
	mkdir d
	files=(d/f{0001..1000})
	touch "${files[@]}"
	# DELAY 5: a batch ended by its delay would come 5 s after the last read
	start_bg inotifywait -m --batch 5 --format '%w%f %e' d
	pause_tool
	# 3 events (OPEN ATTRIB CLOSE_WRITE) a file and touch: fill the queue
	runs=$((limit / 3000 + 2))
	for ((i = 0; i < runs; i++)); do
		touch "${files[@]}"
	done
	resume_tool
	wait_until -t 3 -m "the overflow to end the batch" _has_markers "$OUT" 1 || {
		_it_dump "$OUT"
		false
	}
	stop_bg
	{
		printf 'd/f%s ATTRIB,CLOSE_WRITE,OPEN,CLOSE\n' {0001..1000}
		printf ' Q_OVERFLOW\n\n'
	} >"$IT_TMP/expected"
	_it_compare "$OUT" "$IT_TMP/expected"
	assert_file "$ERR" "${SETUP_LINES[@]}" \
		'Warning: the kernel event queue overflowed; events were lost.'
}

@test "--batch to a full device: the error once and exit 1, for a batch smaller and bigger than a write" {
	ours_only
	local n long
	mkdir d
	printf -v long '%0100d' 0
	for n in 1 3000; do
		: >"$ERR"
		timeout -k 5 "$IT_BG_TIMEOUT" "${IT_PREFIX[@]}" "$INOTIFYWAIT" -m --batch 0.2 \
			-e create d >/dev/full 2>"$ERR" 3>&- &
		BG_PID=$!
		wait_for_exact_line "$ERR" 'Watches established.'
		seq -f "d/${long}_%04g" "$n" | xargs touch --
		wait_bg
		assert_status 1
		assert_file "$ERR" "${SETUP_LINES[@]}" \
			"Couldn't write to standard output: No space left on device"
		rm -f d/*
	done
}

# ------------------------------------------------------------ %F

@test "%F: the old path of a paired rename, at any depth, across directories and trees; empty otherwise" {
	ours_only
	mkdir -p r/a/b/c r/x/y t2 outside
	touch r/a/b/c/f outside/o
	start_bg inotifywait -m -r -e moved_from,moved_to,create --format '%e|%w%f|%F' r t2
	mv r/a/b/c/f r/x/y/g
	mv r/a r/z           # a directory: below it, the new paths
	mv r/x/y/g r/z/b/c/h # from a path renamed before
	mv outside/o r/z/o   # from outside: no old path
	mv r/z/o t2/o        # into the other tree
	mv r/z/b/c/h outside/h
	touch r/end
	wait_for_exact_line "$OUT" 'CREATE|r/end|'
	stop_bg
	assert_file "$OUT" \
		'MOVED_FROM|r/a/b/c/f|' \
		'MOVED_TO|r/x/y/g|r/a/b/c/f' \
		'MOVED_FROM,ISDIR|r/a|' \
		'MOVED_TO,ISDIR|r/z|r/a' \
		'MOVED_FROM|r/x/y/g|' \
		'MOVED_TO|r/z/b/c/h|r/x/y/g' \
		'MOVED_TO|r/z/o|' \
		'MOVED_FROM|r/z/o|' \
		'MOVED_TO|t2/o|r/z/o' \
		'MOVED_FROM|r/z/b/c/h|' \
		'CREATE|r/end|'
}

@test "%F with -e moved_to alone: the MOVED_FROM is read to pair, not printed" {
	ours_only
	mkdir d
	touch d/a
	start_bg inotifywait -m -e moved_to --format '%w%f<%F' d
	mv d/a d/b
	wait_for_exact_line "$OUT" 'd/b<d/a'
	stop_bg
	assert_file "$OUT" 'd/b<d/a'
}

# ------------------------------------------------------------ --exec

@test "--exec: one run per batch, the batch's paths as \"\$@\" whatever their names, never in the command text" {
	ours_only
	export LOG=$IT_TMP/log
	mkdir -- -w
	names=('-w/a b' $'-w/new\nline' '-w/*' '-w/$(touch pwned)' "-w/'q\"" '-w/-n' '-w/`touch pwned2`;x')
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --exec 'printf "%s\0" "$0" "$@" >>"$LOG"; printf "END\0" >>"$LOG"' -- -w
	touch -- "${names[@]}"
	wait_until -m "the run" grep -qa END "$LOG"
	stop_bg
	assert_nul_list "$LOG" inotifywait "${names[@]}" END
	[ ! -e pwned ] && [ ! -e -w/pwned ] && [ ! -e pwned2 ]
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--exec: \$1 and \$# in the command text are the shell's: the first path and the count" {
	ours_only
	export LOG=$IT_TMP/log
	mkdir d
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --exec 'echo "$#:$1" >>"$LOG"; for f; do echo "[$f]"; done >>"$LOG"' d
	touch 'd/x  y' d/z
	wait_lines "$LOG" 3
	stop_bg
	assert_file "$LOG" '2:d/x  y' '[d/x  y]' '[d/z]'
}

@test "--exec: records are printed only with --format or -o; the command's output stays on stdout" {
	ours_only
	export LOG=$IT_TMP/log
	mkdir d
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --exec 'echo ran; echo "$@" >>"$LOG"' d
	touch d/a
	wait_lines "$LOG" 1
	wait_for_exact_line "$OUT" ran
	stop_bg
	assert_file "$OUT" ran
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --format '%w%f' --exec 'echo "$@" >>"$LOG"' d
	touch d/b
	wait_lines "$LOG" 2
	wait_markers "$OUT" 1
	stop_bg
	assert_file "$OUT" d/b ''
	# with -o, the records go to the file and the command's output does not
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create -o "$IT_TMP/records" --exec 'echo ran; echo "$@" >>"$LOG"' d
	touch d/c
	wait_lines "$LOG" 3
	wait_for_exact_line "$OUT" ran
	stop_bg
	assert_file "$IT_TMP/records" 'd/ CREATE c' ''
	assert_file "$OUT" ran
	assert_file "$LOG" d/a d/b d/c
}

@test "--exec implies -m and --batch 0.2; a --batch given wins" {
	ours_only
	export LOG=$IT_TMP/log
	mkdir d
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --exec 'echo "$@" >>"$LOG"' d
	touch d/a
	wait_lines "$LOG" 1
	# 0.6 s is longer than the delay: two batches, two runs
	sleep 0.6
	touch d/b
	wait_lines "$LOG" 2
	stop_bg
	assert_file "$LOG" d/a d/b
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --batch 1.5 --exec 'echo "$@" >>"$LOG"' d
	touch d/c
	sleep 0.6
	touch d/d
	wait_lines "$LOG" 3
	stop_bg
	assert_file "$LOG" d/a d/b 'd/c d/d'
}

@test "--exec: a command slower than the events: never two runs at once, what came meanwhile is the next run" {
	ours_only
	export LOG=$IT_TMP/log GATE=$IT_TMP/gate LOCK=$IT_TMP/lock
	mkdir d
	# each run waits for the test to open the gate; the lock shows overlaps
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create,attrib --exec 'mkdir "$LOCK" || echo OVERLAP >>"$LOG"
		echo "$@" >>"$LOG"
		until rm "$GATE" 2>/dev/null; do sleep 0.02; done
		rmdir "$LOCK"' d
	touch d/a
	wait_lines "$LOG" 1
	# while the first run goes on: two batches, d/a changed again
	touch d/b
	touch d/a
	sleep 0.6
	touch d/c
	sleep 0.6
	touch "$GATE"
	wait_lines "$LOG" 2
	touch "$GATE"
	wait_until -m "the second run to end" test ! -e "$LOCK"
	# nothing is left over for a third run
	sleep 0.6
	stop_bg
	assert_file "$LOG" d/a 'd/b d/a d/c'
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--exec: many batches while a slow command runs: every path is passed, the runs never overlap" {
	ours_only
	export LOG=$IT_TMP/log LOCK=$IT_TMP/lock
	mkdir d
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --exec 'mkdir "$LOCK" || echo OVERLAP >>"$LOG"
		printf "%s\n" "$@" >>"$LOG"; echo -- >>"$LOG"; sleep 0.7
		rmdir "$LOCK"' d
	for i in {1..12}; do
		touch "d/f$i"
		sleep 0.25
	done
	wait_until -m "d/f12 passed" grep -qx d/f12 "$LOG"
	wait_until -m "the last run to end" test ! -e "$LOCK"
	stop_bg
	# the paths in order, each once; fewer runs than batches
	grep -vx -- -- "$LOG" >"$IT_TMP/paths"
	printf 'd/f%s\n' {1..12} >"$IT_TMP/expected"
	_it_compare "$IT_TMP/paths" "$IT_TMP/expected"
	runs=$(grep -cx -- -- "$LOG")
	[ "$runs" -ge 2 ] && [ "$runs" -le 8 ]
}

@test "--exec: a failing command is reported with its status and the watching goes on" {
	ours_only
	export LOG=$IT_TMP/log
	mkdir d
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --exec 'echo "$1" >>"$LOG"
		case $1 in */a) exit 3 ;; */b) kill -KILL $$ ;; esac' d
	touch d/a
	wait_for_exact_line "$ERR" 'The --exec command exited with status 3.'
	touch d/b
	wait_for_exact_line "$ERR" 'The --exec command was killed by signal 9 (Killed).'
	touch d/c
	wait_lines "$LOG" 3
	stop_bg
	assert_file "$LOG" d/a d/b d/c
	assert_file "$ERR" "${SETUP_LINES[@]}" \
		'The --exec command exited with status 3.' \
		'The --exec command was killed by signal 9 (Killed).'
}

# gone PID: process PID has ended (a zombie not yet reaped counts as ended).
gone() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 0
	line=${line##*) }
	[ "${line%% *}" = Z ]
}

@test "--exec --restart: a new batch stops the command's process group, gone before the next run starts" {
	ours_only
	export LOG=$IT_TMP/log STATE=$IT_TMP/state SERVER=$IT_TMP/server
	mkdir d "$STATE"
	# a "server": holds a lock (its port) while it runs, takes a moment to
	# let it go on SIGTERM, and has a child; it tells what the last one
	# left running
	cat >"$SERVER" <<'EOF'
for f in "$STATE"/child.*; do
	[ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && echo "ALIVE $f" >>"$LOG"
done
mkdir "$STATE/lock" 2>/dev/null || echo "BUSY $1" >>"$LOG"
trap 'sleep 0.3; echo "stop $1" >>"$LOG"; rmdir "$STATE/lock"; exit 0' TERM
echo "start $1" >>"$LOG"
sleep 60 &
echo $! >"$STATE/child.${1##*/}"
wait
EOF
	# "&& :": the command's shell stays the server's parent (no exec)
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --restart --exec 'sh "$SERVER" "$@" && :' d
	touch d/a
	wait_until test -s "$STATE/child.a"
	touch d/b
	wait_until test -s "$STATE/child.b"
	gone "$(cat "$STATE/child.a")"
	# ending inotifywait stops the one running
	stop_bg
	gone "$(cat "$STATE/child.b")"
	assert_file "$LOG" 'start d/a' 'stop d/a' 'start d/b' 'stop d/b'
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--exec without --restart: a long-running command is not stopped; the next run waits for it" {
	ours_only
	export LOG=$IT_TMP/log GATE=$IT_TMP/gate
	mkdir d
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --exec 'echo "start $1" >>"$LOG"
		until rm "$GATE" 2>/dev/null; do sleep 0.02; done
		echo "end $1" >>"$LOG"' d
	touch d/a
	wait_lines "$LOG" 1
	touch d/b
	sleep 0.6
	assert_file "$LOG" 'start d/a'
	touch "$GATE"
	wait_lines "$LOG" 3
	touch "$GATE"
	wait_lines "$LOG" 4
	stop_bg
	assert_file "$LOG" 'start d/a' 'end d/a' 'start d/b' 'end d/b'
}

# _nuls_at_least FILE N: FILE holds N NUL bytes.
_nuls_at_least() {
	[ "$(tr -cd '\0' <"$1" | wc -c)" -ge "$2" ]
}

@test "--exec: a batch too big for one argv (ARG_MAX) is split into runs, each path passed once, in order" {
	ours_only
	local argmax limit n long
	argmax=$(getconf ARG_MAX)
	limit=$(cat /proc/sys/fs/inotify/max_queued_events)
	# 240-byte names, half as much again as ARG_MAX, in one batch
	n=$((argmax * 3 / 2 / 250))
	[ "$n" -lt $((limit - 100)) ] || skip "max_queued_events ($limit) holds fewer than $n events"
	export LOG=$IT_TMP/log RUNS=$IT_TMP/runs
	mkdir d
	printf -v long '%0240d' 0
	seq -f "d/${long}_%06g" 1 "$n" | tr '\n' '\0' >"$IT_TMP/paths"
	# shellcheck disable=SC2016 # for the command's shell
	start_bg inotifywait -e create --batch 1 -o "$IT_TMP/records" --format '%f' \
		--exec 'printf "%s\0" "$@" >>"$LOG"; echo $# >>"$RUNS"' d
	pause_tool
	xargs -0 touch -- <"$IT_TMP/paths"
	resume_tool
	wait_until -m "all $n paths passed" _nuls_at_least "$LOG" "$n"
	stop_bg
	# one batch, more than one run, every path once and in order
	[ "$(markers "$IT_TMP/records")" = 1 ]
	[ "$(wc -l <"$RUNS")" -ge 2 ] || {
		cat "$RUNS" >&2
		false
	}
	[ "$(paste -sd+ "$RUNS" | bc)" = "$n" ]
	cmp "$LOG" "$IT_TMP/paths"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

# ------------------------------------------------------------ options

@test "--batch: a value that is not DELAY[,MAX] seconds, MAX not less than DELAY, is an error, exit 1" {
	ours_only
	mkdir d
	for v in x '' -1 +1 ' 1' '1,' ,1 0.5,x 1,0.5 nan inf 1e10 '1 ' 1,2,3; do
		run_fg inotifywait --batch "$v" d
		expect_error "--batch: \`$v' is not a delay: DELAY[,MAX] in seconds, MAX not less than DELAY."
	done
	# good ones: the run gets as far as the (negative) timeout check
	for v in 0 0.25 1,1 2,30 .5 3600; do
		run_fg inotifywait --batch "$v" -t -1 d
		assert_status 1
		assert_file "$ERR" "${SETUP_LINES[@]}" 'Negative timeout specified - abort!'
	done
}

@test "option conflicts: --restart without --exec, --exec with -d, --batch-marker and --rename-records without --batch" {
	ours_only
	mkdir d
	run_fg inotifywait --restart d
	expect_error "--restart cannot be specified without --exec."
	run_fg inotifywait --exec true -d -o "$IT_TMP/log" d
	expect_error "--exec cannot be specified with -d."
	[ ! -e "$IT_TMP/log" ]
	local opt
	for opt in "--batch-marker x" "--rename-records -m" "--batch-notify 1"; do
		# shellcheck disable=SC2086 # split on purpose
		run_fg inotifywait $opt d
		expect_error "--batch-marker, --batch-notify and --rename-records need --batch."
	done
	for opt in -1 x 1x "" 9; do
		run_fg inotifywait --batch 1 --batch-notify "$opt" d
		expect_error "--batch-notify: \`$opt' is not an open file descriptor."
	done
	# --exec makes batches
	for args in "--exec true --batch-marker x" "--exec true --rename-records" \
		"--exec true --restart" "--batch 1 --batch-marker x --rename-records"; do
		# shellcheck disable=SC2086 # split on purpose
		run_fg inotifywait $args -t -1 d
		assert_status 1
		assert_file "$ERR" "${SETUP_LINES[@]}" 'Negative timeout specified - abort!'
	done
}

# ------------------------------------------------------------ --include with --exclude

# include_case ARGS...: inotifywait -m -e create --format %f ARGS d, and the
# FILES made in d; returns once the last one is printed.
include_case() {
	rm -f d/*
	start_bg inotifywait -m -e create --format %f "$@" d
	touch "${FILES[@]}"
	wait_for_exact_line "$OUT" end.c
	stop_bg
}

@test "inotifywait: --include with --exclude: shown when an include pattern matches and no exclude pattern does" {
	ours_only "upstream refuses include and exclude together"
	mkdir d
	printf '%s\n' '\.c$' >"$IT_TMP/inc"
	printf '%s\n' skip >"$IT_TMP/exc"
	FILES=(d/a.c d/skip.c d/b.h d/SKIP2.c d/B.C d/end.c)
	include_case --include '\.c$' --exclude skip
	assert_file "$OUT" a.c SKIP2.c end.c
	include_case --includei '\.c$' --excludei skip
	assert_file "$OUT" a.c B.C end.c
	include_case --include '\.c$' --excludei skip
	assert_file "$OUT" a.c end.c
	include_case --exclude skip --include-from "$IT_TMP/inc"
	assert_file "$OUT" a.c SKIP2.c end.c
	include_case --include-from "$IT_TMP/inc" --exclude-from "$IT_TMP/exc"
	assert_file "$OUT" a.c SKIP2.c end.c
	include_case --include '\.c$' --include '\.h$' --exclude skip --exclude '^d/b'
	assert_file "$OUT" a.c SKIP2.c end.c
}

@test "inotifywait -r: --include with --exclude: an excluded directory is not watched, the include still decides" {
	ours_only "upstream refuses include and exclude together"
	mkdir -p r/skip r/keep
	start_bg inotifywait -m -r -e create --format '%w%f' --include '\.c$' --exclude '/skip$' r
	[ "$(watches)" = 2 ]
	touch r/skip/x.c r/keep/y.c r/keep/y.h r/z.c r/skip.c
	mkdir r/new
	wait_until watches_are 3
	touch r/new/w.c
	wait_for_exact_line "$OUT" r/new/w.c
	stop_bg
	assert_file "$OUT" r/keep/y.c r/z.c r/skip.c r/new/w.c
}

# watch_case ARGS...: inotifywatch -e create ARGS d over the files made in
# d, ended by SIGINT once it has read them all.
watch_case() {
	rm -f d/*
	start_bg inotifywatch -e create "$@" d
	touch d/a.c d/skip.c d/b.h d/SKIP2.c d/B.C
	TOOL=$(tool_pid)
	wait_until tool_idle "$TOOL"
	kill -INT "$TOOL"
	wait_bg
	assert_status 0
}

@test "inotifywatch: --include with --exclude counts only what an include matches and no exclude does" {
	ours_only "upstream refuses include and exclude together"
	mkdir d
	watch_case --include '\.c$' --exclude skip
	assert_file "$OUT" 'total  create  filename' '2      2       d/'
	watch_case --includei '\.c$' --excludei skip
	assert_file "$OUT" 'total  create  filename' '2      2       d/'
	watch_case --include '\.h$' --exclude '\.c$'
	assert_file "$OUT" 'total  create  filename' '1      1       d/'
	watch_case --include '\.x$' --exclude skip
	assert_file "$OUT"
	assert_file "$ERR" 'Establishing watches...' \
		'Finished establishing watches, now collecting statistics.' 'No events occurred.'
}
