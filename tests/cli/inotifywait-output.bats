#!/usr/bin/env bats
# inotifywait-output.bats - how inotifywait prints an event: -c, --format
# and the default output (spec §2.3, §9).
#
# Run:  bats tests/cli/inotifywait-output.bats
# Oracle run against Debian's binaries:
#       INOTIFYWAIT=/usr/bin/inotifywait IT_UPSTREAM=1 bats tests/cli/inotifywait-output.bats
#
# One of the inotifywait-*.bats files, split by topic; the conventions and
# the helpers they share are in common.bash.

load common

# ------------------------------------------------------------------ helpers

# has_lines FILE N: FILE has at least N lines.
has_lines() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# finish_sentinel [LINE]: create directory s/end and stop the -m tool once
# its line (default "s/ CREATE,ISDIR end") has been printed.
finish_sentinel() {
	mkdir s/end
	wait_for_exact_line "$OUT" "${1:-s/ CREATE,ISDIR end}"
	stop_bg
}

# ------------------------------------------------------------ -c / --csv

@test "-c: plain fields are not quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch d/plain
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/,CREATE,plain"
}

@test "--csv is -c" {
	mkdir d
	start_bg inotifywait --csv -e create d
	touch d/plain
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/,CREATE,plain"
}

@test "-c: a multi-event mask is quoted" {
	mkdir d
	start_bg inotifywait -c -e close_write d
	touch d/plain
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,"CLOSE_WRITE,CLOSE",plain'
}

@test "-c: CREATE,ISDIR is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	mkdir d/dd
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,"CREATE,ISDIR",dd'
}

@test "-c: a double quote in a name is doubled inside quotes" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/has"quote'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,"has""quote"'
}

@test "-c: a comma in a name is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/c,d'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,"c,d"'
}

@test "-c: a newline in a name is kept raw inside quotes" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch "d/new
line"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/,CREATE,"new\nline"\n'
}

@test "-c: a leading space is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/ lead'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE," lead"'
}

@test "-c: a trailing space is quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/trail '
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,"trail "'
}

@test "-c: an inner space alone is not quoted" {
	mkdir d
	start_bg inotifywait -c -e create d
	touch 'd/in side'
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,CREATE,in side'
}

@test "-c: the watched-directory field is quoted by the same rule" {
	mkdir 'a,b'
	start_bg inotifywait -c -e create 'a,b'
	touch 'a,b/x'
	wait_bg
	assert_status 0
	assert_file "$OUT" '"a,b/",CREATE,x'
}

@test "-c: an event on the watched directory itself ends with an empty field" {
	mkdir d
	start_bg inotifywait -c -e open d
	ls d >/dev/null
	wait_bg
	assert_status 0
	assert_file "$OUT" 'd/,"OPEN,ISDIR",'
}

@test "-c: a watched file gives an empty last field" {
	touch wf
	start_bg inotifywait -c -e attrib wf
	chmod 600 wf
	wait_bg
	assert_status 0
	assert_file "$OUT" 'wf,ATTRIB,'
}

@test "-c: a watched file whose name starts with a space is quoted" {
	touch ' wf'
	start_bg inotifywait -c -e attrib ' wf'
	chmod 600 ' wf'
	wait_bg
	assert_status 0
	assert_file "$OUT" '" wf",ATTRIB,'
}

@test "-c -m: the full sequence of a new file" {
	mkdir d s
	start_bg inotifywait -m -c d s
	touch d/f
	finish_sentinel 's/,"CREATE,ISDIR",end'
	assert_file "$OUT" 'd/,CREATE,f' 'd/,OPEN,f' 'd/,ATTRIB,f' 'd/,"CLOSE_WRITE,CLOSE",f' \
		's/,"CREATE,ISDIR",end'
}

# ------------------------------------------------------------ --format

@test "--format %w|%f|%e" {
	mkdir d
	start_bg inotifywait -e create --format '%w|%f|%e' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/|x|CREATE"
}

@test "--format %w%f gives the full path" {
	mkdir -p r/a
	start_bg inotifywait -r -e create --format '%w%f' r
	touch r/a/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "r/a/x"
}

@test "--format on a watched file: %w is the file, %f is empty" {
	touch wf
	start_bg inotifywait -e attrib --format '[%w][%f]' wf
	chmod 600 wf
	wait_bg
	assert_status 0
	assert_file "$OUT" "[wf][]"
}

@test "--format %Xe joins event names with the character X" {
	mkdir d
	start_bg inotifywait -e close_write --format '%:e %.e %;e %-e %|e %,e %/e' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "CLOSE_WRITE:CLOSE CLOSE_WRITE.CLOSE CLOSE_WRITE;CLOSE CLOSE_WRITE-CLOSE CLOSE_WRITE|CLOSE CLOSE_WRITE,CLOSE CLOSE_WRITE/CLOSE"
}

@test "--format: %%e, %ee and %we are not %Xe" {
	mkdir d
	start_bg inotifywait -e create --format '%%e|%ee|%we' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "%e|CREATEe|d/e"
}

@test "--format %c: both halves of a rename carry the same non-zero cookie" {
	mkdir d
	touch d/g
	start_bg inotifywait -m -e move --format '%e %f %c' d
	mv d/g d/h
	wait_for_line "$OUT" '^MOVED_TO h '
	stop_bg
	[ "$(wc -l <"$OUT")" -eq 2 ]
	read -r e1 f1 c1 < <(sed -n 1p "$OUT")
	read -r e2 f2 c2 < <(sed -n 2p "$OUT")
	[ "$e1 $f1" = "MOVED_FROM g" ]
	[ "$e2 $f2" = "MOVED_TO h" ]
	[ "$c1" = "$c2" ]
	[ "$c1" != 0 ]
	# lowercase hex without 0x
	grep -Eqx '[0-9a-f]+' <<<"$c1"
	[ "$c1" = "$(printf '%x' "0x$c1")" ]
}

@test "--format %c is 0 for an unpaired event" {
	mkdir d
	start_bg inotifywait -e create --format '%c|%f' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "0|x"
}

@test "--format %T uses --timefmt (literal text)" {
	mkdir d
	start_bg inotifywait -e create --format '%T %f' --timefmt 'stamp' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "stamp x"
}

@test "--format %T with a strftime format" {
	mkdir d
	start_bg inotifywait -e create --format '%T|%f' --timefmt '%Y-%m-%d' d
	before=$(date +%Y-%m-%d)
	touch d/x
	wait_bg
	after=$(date +%Y-%m-%d)
	assert_status 0
	if ! cmp -s "$OUT" <(printf '%s|x\n' "$before"); then
		assert_file "$OUT" "$after|x"
	fi
}

@test "--format %T with an empty --timefmt drops the whole line" {
	mkdir d
	start_bg inotifywait -e create --format '%T|%f' --timefmt '' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT"
}

@test "--format %0 --no-newline: NUL-terminated records" {
	mkdir d
	start_bg inotifywait -m -e create --format '%w%f%0' --no-newline d
	touch d/x1
	touch d/x2
	wait_until grep -qF x2 "$OUT"
	stop_bg
	assert_file_printf "$OUT" 'd/x1\0d/x2\0'
}

@test "--format %0 inside a line, newline still appended" {
	mkdir d
	start_bg inotifywait -e create --format 'a%0b' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'a\0b\n'
}

@test "--format %n is a newline" {
	mkdir d
	start_bg inotifywait -e create --format '%f%n%e' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "x" "CREATE"
}

@test "--format %% is a percent sign" {
	mkdir d
	start_bg inotifywait -e create --format '100%% %f' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "100% x"
}

@test "--format: unknown directives are copied literally" {
	mkdir d
	start_bg inotifywait -e create --format '%x %z %f %Q' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "%x %z x %Q"
}

@test "--format: a trailing lone % is printed" {
	mkdir d
	start_bg inotifywait -e create --format '%f%' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "x%"
}

@test "--format: a trailing lone % with --no-newline prints nothing" {
	mkdir d
	start_bg inotifywait -e create --format 'x%' --no-newline d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT"
}

@test "--format: the tested sample of the spec" {
	mkdir f
	start_bg inotifywait -e close_write --format '[%w|%f|%e|%:e|%;e|%c|%%|%x|%T|%n]' --timefmt 'TIME' f
	touch f/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "[f/|a|CLOSE_WRITE,CLOSE|CLOSE_WRITE:CLOSE|CLOSE_WRITE;CLOSE|0|%|%x|TIME|" "]"
}

@test "--format with literal text only" {
	mkdir d
	start_bg inotifywait -e create --format 'hello' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "hello"
}

@test "--format '' prints an empty line" {
	mkdir d
	start_bg inotifywait -e create --format '' d
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" ""
}

@test "--no-newline: -m records are concatenated" {
	mkdir d
	start_bg inotifywait -m -e create --format '%f;' --no-newline d
	touch d/a
	touch d/b
	wait_until grep -qF 'a;b;' "$OUT"
	stop_bg
	assert_file_printf "$OUT" 'a;b;'
}

@test "--format '' --no-newline: 'Something is wrong with your format string.'" {
	mkdir d
	run_fg inotifywait --format '' --no-newline d
	expect_error "Something is wrong with your format string."
}

@test "--format longer than 4096 bytes with its newline is rejected" {
	mkdir d
	fmt=$(printf '%4096s' '' | tr ' ' x)
	run_fg inotifywait --format "$fmt" d
	expect_error "Something is wrong with your format string."
}

@test "--format of 4097 bytes with --no-newline is rejected" {
	mkdir d
	fmt=$(printf '%4097s' '' | tr ' ' x)
	run_fg inotifywait --format "$fmt" --no-newline d
	expect_error "Something is wrong with your format string."
}

@test "--format of 4096 bytes with --no-newline is accepted" {
	mkdir d
	fmt=$(printf '%4096s' '' | tr ' ' x)
	run_fg inotifywait --format "$fmt" --no-newline -t 1 d
	assert_status 2
	assert_file "$OUT"
	assert_file "$ERR" "${SETUP_LINES[@]}"
}

@test "--format %f with a newline in the name, NUL separated" {
	mkdir d
	start_bg inotifywait -e create --format '%f%0' --no-newline d
	touch "d/n
l"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'n\nl\0'
}

@test "--format %f with invalid UTF-8 bytes in the name" {
	mkdir d
	name=$(printf 'bad\377\376name')
	start_bg inotifywait -e create --format '%w%f%0' --no-newline d
	touch "d/$name"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/bad\377\376name\0'
}

@test "-c with invalid UTF-8 bytes in the name: raw bytes, no quoting" {
	mkdir d
	name=$(printf 'bad\377')
	start_bg inotifywait -c -e create d
	touch "d/$name"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/,CREATE,bad\377\n'
}

# ------------------------------------------------------------ default output (spec §2.3, §9)

@test "default output: touch of a new file" {
	mkdir d s
	start_bg inotifywait -m d s
	touch d/f
	finish_sentinel
	assert_file "$OUT" "d/ CREATE f" "d/ OPEN f" "d/ ATTRIB f" "d/ CLOSE_WRITE,CLOSE f" \
		"s/ CREATE,ISDIR end"
}

@test "default output: writing a new file" {
	mkdir d s
	start_bg inotifywait -m d s
	echo hi >d/g
	finish_sentinel
	assert_file "$OUT" "d/ CREATE g" "d/ OPEN g" "d/ MODIFY g" "d/ CLOSE_WRITE,CLOSE g" \
		"s/ CREATE,ISDIR end"
}

@test "default output: reading a file" {
	mkdir d s
	echo hi >d/g
	start_bg inotifywait -m d s
	cat d/g >/dev/null
	finish_sentinel
	assert_file "$OUT" "d/ OPEN g" "d/ ACCESS g" "d/ CLOSE_NOWRITE,CLOSE g" "s/ CREATE,ISDIR end"
}

@test "default output: mkdir, mv, rm, rmdir" {
	mkdir d s
	echo hi >d/g
	start_bg inotifywait -m d s
	mkdir d/sub
	mv d/g d/h
	rm d/h
	rmdir d/sub
	finish_sentinel
	assert_file "$OUT" "d/ CREATE,ISDIR sub" "d/ MOVED_FROM g" "d/ MOVED_TO h" "d/ DELETE h" \
		"d/ DELETE,ISDIR sub" "s/ CREATE,ISDIR end"
}

@test "default output: chmod" {
	mkdir d s
	touch d/x
	start_bg inotifywait -m d s
	chmod 600 d/x
	finish_sentinel
	assert_file "$OUT" "d/ ATTRIB x" "s/ CREATE,ISDIR end"
}

@test "default output: listing the watched directory (empty %f, trailing space)" {
	mkdir d
	start_bg inotifywait -m -e open,close d
	ls d >/dev/null
	wait_for_line "$OUT" CLOSE
	stop_bg
	assert_file "$OUT" "d/ OPEN,ISDIR " "d/ CLOSE_NOWRITE,CLOSE,ISDIR "
}

@test "default output: removing a watched file" {
	mkdir s
	touch wf
	start_bg inotifywait -m wf s
	rm wf
	finish_sentinel
	assert_file "$OUT" "wf ATTRIB " "wf DELETE_SELF " "s/ CREATE,ISDIR end"
}

@test "default output: a watched file whose name ends with a space" {
	touch 'wf '
	start_bg inotifywait -e attrib 'wf '
	chmod 600 'wf '
	wait_bg
	assert_status 0
	assert_file "$OUT" "wf  ATTRIB "
}

@test "default output: a moved watched directory" {
	mkdir d
	start_bg inotifywait -e move_self d
	mv d d2
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ MOVE_SELF "
}

@test "default output: watching ." {
	start_bg inotifywait -e create .
	touch x1
	wait_bg
	assert_status 0
	assert_file "$OUT" "./ CREATE x1"
}

@test "default output: watching ./" {
	start_bg inotifywait -e create ./
	touch x1
	wait_bg
	assert_status 0
	assert_file "$OUT" "./ CREATE x1"
}

@test "default output: a directory given with a trailing slash gets no second one" {
	mkdir d
	start_bg inotifywait -e create d/
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CREATE x"
}

@test "default output: the watch path is kept as given (d//)" {
	mkdir d
	start_bg inotifywait -e create d//
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "d// CREATE x"
}

@test "default output: an absolute watch path stays absolute" {
	mkdir d
	start_bg inotifywait -e create "$TEST_DIR/d"
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "$TEST_DIR/d/ CREATE x"
}

@test "default output: events are attributed to the right watch" {
	mkdir d e
	start_bg inotifywait -m -e create d e
	touch e/x
	touch d/y
	wait_for_exact_line "$OUT" "d/ CREATE y"
	stop_bg
	assert_file "$OUT" "e/ CREATE x" "d/ CREATE y"
}

@test "default output: one directory under several names, the first name wins" {
	mkdir w
	start_bg inotifywait -e create w w/ ./w
	touch w/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "w/ CREATE x"
}

@test "default output: one directory under several names, ./w first" {
	mkdir w
	start_bg inotifywait -e create ./w w
	touch w/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "./w/ CREATE x"
}

@test "default output: a file and its parent both watched give two lines" {
	mkdir w
	touch w/f1
	start_bg inotifywait -m -e modify w w/f1
	echo hi >>w/f1
	wait_until has_lines "$OUT" 2
	stop_bg
	assert_file "$OUT" "w/ MODIFY f1" "w/f1 MODIFY "
}

@test "default output: a symlink to a directory, watched without -r, keeps no slash" {
	upstream_only "we print a symlinked directory with its trailing slash"
	mkdir d
	ln -s d lnkdir
	start_bg inotifywait -e create --format '[%w][%f][%w%f]' lnkdir
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "[lnkdir][x][lnkdirx]"
}

@test "default output: a newline in a name is printed raw" {
	mkdir d
	start_bg inotifywait -e create d
	touch "d/n
l"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/ CREATE n\nl\n'
}

@test "default output: spaces in names are not escaped" {
	mkdir 'my dir'
	start_bg inotifywait -e create 'my dir'
	touch 'my dir/a b'
	wait_bg
	assert_status 0
	assert_file "$OUT" "my dir/ CREATE a b"
}

@test "default output: invalid UTF-8 bytes are printed raw" {
	mkdir d
	name=$(printf 'x\377y')
	start_bg inotifywait -e create d
	touch "d/$name"
	wait_bg
	assert_status 0
	assert_file_printf "$OUT" 'd/ CREATE x\377y\n'
}

@test "default output: -q does not change the event line" {
	mkdir d
	start_bg_quiet inotifywait -q -e close_write d
	touch d/a
	wait_bg
	assert_status 0
	assert_file "$OUT" "d/ CLOSE_WRITE,CLOSE a"
}

@test "ours: a symlink to a directory, watched without -r, gets a trailing slash" {
	ours_only "upstream decides with lstat and omits the slash"
	mkdir d
	ln -s d lnkdir
	start_bg inotifywait -e create --format '[%w][%f][%w%f]' lnkdir
	touch d/x
	wait_bg
	assert_status 0
	assert_file "$OUT" "[lnkdir/][x][lnkdir/x]"
}

@test "ours: with -P a symlink is watched itself and keeps no slash" {
	ours_only
	mkdir d
	ln -s d lnkdir
	start_bg inotifywait -P -e attrib --format '[%w][%f][%e]' lnkdir
	touch -h lnkdir
	wait_bg
	assert_status 0
	assert_file "$OUT" "[lnkdir][][ATTRIB]"
}
