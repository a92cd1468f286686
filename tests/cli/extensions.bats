#!/usr/bin/env bats
# extensions.bats: what inotifywait adds beyond upstream: --json and
# sub-second %T (inotifywatch's --csv and --json are in inotifywatch.bats,
# --exclude-from and co in inotifywait-events.bats).  JSON is checked against exact text and, when python3 or jq is
# installed, by a real parser too.

load common

# A fixed stand-in for the timestamp, which is checked on its own.
TIME_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2}'

# untimed FILE: FILE with every "time" value checked and replaced by "T".
untimed() {
	local bad
	bad=$(grep -Evc "\"time\":\"$TIME_RE\"}\$" "$1") || true
	[ "$bad" = 0 ] || {
		echo "lines without a well-formed time in $1:" >&2
		cat -A "$1" >&2
		return 1
	}
	sed -E "s/\"time\":\"$TIME_RE\"}\$/\"time\":\"T\"}/" "$1" >"$1.untimed"
	mv "$1.untimed" "$1"
}

@test "--json: one object per event, with every field" {
	ours_only
	mkdir d
	start_bg inotifywait -m --json d
	touch d/f
	mkdir d/sub
	mv d/f d/g
	wait_for_line "$OUT" '"MOVED_TO"'
	stop_bg
	cp "$OUT" "$IT_TMP/raw"
	untimed "$OUT"
	cookie=$(sed -n 's/.*"MOVED_TO"\],"from":"d\/f","cookie":\([0-9]*\).*/\1/p' "$OUT")
	[ "$cookie" -gt 0 ]
	assert_file "$OUT" \
		'{"watch":"d/","name":"f","path":"d/f","events":["CREATE"],"cookie":0,"isdir":false,"time":"T"}' \
		'{"watch":"d/","name":"f","path":"d/f","events":["OPEN"],"cookie":0,"isdir":false,"time":"T"}' \
		'{"watch":"d/","name":"f","path":"d/f","events":["ATTRIB"],"cookie":0,"isdir":false,"time":"T"}' \
		'{"watch":"d/","name":"f","path":"d/f","events":["CLOSE_WRITE","CLOSE"],"cookie":0,"isdir":false,"time":"T"}' \
		'{"watch":"d/","name":"sub","path":"d/sub","events":["CREATE","ISDIR"],"cookie":0,"isdir":true,"time":"T"}' \
		"{\"watch\":\"d/\",\"name\":\"f\",\"path\":\"d/f\",\"events\":[\"MOVED_FROM\"],\"cookie\":$cookie,\"isdir\":false,\"time\":\"T\"}" \
		"{\"watch\":\"d/\",\"name\":\"g\",\"path\":\"d/g\",\"events\":[\"MOVED_TO\"],\"from\":\"d/f\",\"cookie\":$cookie,\"isdir\":false,\"time\":\"T\"}"
	json_parses "$IT_TMP/raw" --lines
}

@test "--json: a watched file has an empty name and its own path" {
	ours_only
	touch f
	start_bg inotifywait --json -e attrib f
	chmod 600 f
	wait_bg
	assert_status 0
	untimed "$OUT"
	assert_file "$OUT" '{"watch":"f","name":"","path":"f","events":["ATTRIB"],"cookie":0,"isdir":false,"time":"T"}'
}

@test "--json: hostile names are escaped; invalid UTF-8 bytes become \\udcXX" {
	ours_only
	mkdir d
	start_bg inotifywait -m --json -e create d
	touch "d/new
line" 'd/q"b\s' "d/$(printf 'tab\tcr\rbel\001del\177')" "d/$(printf 'caf\303\251 \342\202\254 \360\237\230\200')" \
		"d/$(printf 'bad\377\300\200\355\240\200\364\220\200\200.')" d/end
	wait_for_line "$OUT" '"name":"end"'
	stop_bg
	cp "$OUT" "$IT_TMP/raw"
	untimed "$OUT"
	cut -d, -f2 "$OUT" >"$IT_TMP/names"
	assert_file "$IT_TMP/names" \
		'"name":"new\nline"' \
		'"name":"q\"b\\s"' \
		"\"name\":\"tab\\tcr\\rbel\\u0001del$(printf '\177')\"" \
		"\"name\":\"$(printf 'caf\303\251 \342\202\254 \360\237\230\200')\"" \
		'"name":"bad\udcff\udcc0\udc80\udced\udca0\udc80\udcf4\udc90\udc80\udc80."' \
		'"name":"end"'
	json_parses "$IT_TMP/raw" --lines
	if command -v python3 >/dev/null; then
		# the surrogate escapes give the exact bytes back
		python3 -c 'import json, sys
names = [json.loads(l)["path"].encode("utf-8", "surrogateescape") for l in open(sys.argv[1], "rb")]
assert names[4] == b"d/bad\xff\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80.", names[4]
assert names[0] == b"d/new\nline"' "$IT_TMP/raw"
	fi
}

@test "--json: -r paths, overflow and -o" {
	ours_only
	mkdir -p r/a
	start_bg inotifywait -m -r --json -e create -o "$IT_TMP/log" r
	touch r/a/x
	wait_for_line "$IT_TMP/log" '"name":"x"'
	stop_bg
	untimed "$IT_TMP/log"
	assert_file "$IT_TMP/log" '{"watch":"r/a/","name":"x","path":"r/a/x","events":["CREATE"],"cookie":0,"isdir":false,"time":"T"}'
}

@test "--json with -c or --format: error, exit 1" {
	ours_only
	mkdir d
	run_fg inotifywait --json -c d
	assert_status 1
	assert_file "$ERR" "--json cannot be specified with -c or --format."
	run_fg inotifywait --format %w --json d
	assert_status 1
	assert_file "$ERR" "--json cannot be specified with -c or --format."
	assert_file "$OUT"
}

@test "--timefmt %N, %3N, %6N, %9N: fractions of a second; %%N stays literal" {
	ours_only
	mkdir d
	start_bg inotifywait --format '%T|%f' --timefmt '%S.%N|%3N|%6N|%9N|%%N|%H' -e create d
	touch d/f
	wait_bg
	assert_status 0
	grep -Eqx '[0-9]{2}\.([0-9]{9})\|[0-9]{3}\|[0-9]{6}\|[0-9]{9}\|%N\|[0-9]{2}\|f' "$OUT" || {
		cat -A "$OUT" >&2
		false
	}
	# the shorter ones are prefixes of the same instant
	IFS='|' read -r sn ms us ns _ <"$OUT"
	[ "${sn#*.}" = "$ns" ]
	[ "$ms" = "${ns:0:3}" ]
	[ "$us" = "${ns:0:6}" ]
}

@test "--timefmt without %N is strftime as before" {
	mkdir d
	start_bg inotifywait --format '%T %f' --timefmt '%Y-%m-%d %%3N' -e create d
	touch d/f
	wait_bg
	assert_status 0
	grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2} %3N f' "$OUT"
}

@test "--version: one line, exit 0, on both tools" {
	ours_only
	run_fg inotifywait --version
	assert_status 0
	grep -Eqx 'inotifywait [0-9]+(\.[0-9]+)+' "$OUT"
	[ "$(wc -l <"$OUT")" = 1 ]
	run_fg inotifywatch --version
	assert_status 0
	grep -Eqx 'inotifywatch [0-9]+(\.[0-9]+)+' "$OUT"
	[ "$(wc -l <"$OUT")" = 1 ]
	assert_file "$ERR"
}
