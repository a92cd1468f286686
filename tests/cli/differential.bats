#!/usr/bin/env bats
# differential.bats - the same cases through upstream's inotifywait (the
# oracle, Debian's 3.22 at /usr/bin/inotifywait) and ours ($INOTIFYWAIT);
# stdout, stderr and exit status must be identical.  Only the version on the
# first line of --help is normalised.  Cases where we differ on purpose
# (-t -1, -d with relative paths, -F/-S, --version, the trailing slash of a
# symlinked directory, exiting once no watch is left, --help and the
# options it lists beyond upstream's, repeated --exclude/--include, which
# all count, --include and --exclude together) are not run here.
#
# Skipped unless /usr/bin/inotifywait is upstream's 3.x and $INOTIFYWAIT is a
# different binary.  Run:  bats tests/cli/differential.bats

load common

ORACLE=/usr/bin/inotifywait

# need_oracle: skip unless there is an oracle distinct from the binary tested.
need_oracle() {
	local first
	if [ ! -x "$ORACLE" ]; then
		skip "no $ORACLE: apt-get install inotify-tools provides the oracle"
	fi
	first=$(timeout 10 "$ORACLE" --help 2>/dev/null </dev/null | head -n 1) || true
	case $first in
	"inotifywait 3."*) ;;
	*) skip "$ORACLE is not upstream's 3.x (its --help starts with '$first')" ;;
	esac
	if [ "$INOTIFYWAIT" -ef "$ORACLE" ] ||
		[ "$(readlink -f -- "$INOTIFYWAIT")" = "$(readlink -f -- "$ORACLE")" ]; then
		skip "INOTIFYWAIT is the oracle itself ($INOTIFYWAIT)"
	fi
}

# need_elf: a libtool wrapper script would change getopt's argv[0] prefix.
need_elf() {
	if [ "$(head -c 2 "$INOTIFYWAIT")" = '#!' ]; then
		skip "$INOTIFYWAIT is a script: its argv[0] is not ours to choose"
	fi
}

DIFF_FAILED=0

# _compare_runs NAME: compare $IT_TMP/{oracle,ours}/{out,err,status}.
_compare_runs() {
	local name=$1 f
	for f in status out err; do
		if ! cmp -s "$IT_TMP/oracle/$f" "$IT_TMP/ours/$f"; then
			DIFF_FAILED=1
			{
				echo "=== case '$name': $f differs"
				echo "--- upstream (cat -A):"
				cat -A "$IT_TMP/oracle/$f"
				echo "--- ours (cat -A):"
				cat -A "$IT_TMP/ours/$f"
			} >&2
		fi
	done
}

# _fresh WHO PREP: empty work directory $IT_TMP/WHO/w, PREP run inside it.
_fresh() {
	rm -rf "${IT_TMP:?}/$1"
	mkdir -p "$IT_TMP/$1/w"
	(cd "$IT_TMP/$1/w" && eval "$2")
}

# diff_cmd NAME PREP ARGS...: a foreground run (argv[0] "inotifywait").
diff_cmd() {
	local name=$1 prep=$2 who bin st
	shift 2
	for who in oracle ours; do
		bin=$ORACLE
		[ "$who" = ours ] && bin=$INOTIFYWAIT
		_fresh "$who" "$prep"
		st=0
		(cd "$IT_TMP/$who/w" &&
			timeout -k 5 10 bash -c 'exec -a inotifywait "$0" "$@"' "$bin" "$@" \
				</dev/null >"$IT_TMP/$who/out" 2>"$IT_TMP/$who/err" 3>&-) || st=$?
		echo "$st" >"$IT_TMP/$who/status"
		if [ "$1" = --help ] || [ "$1" = -h ]; then
			sed -i '1s/^inotifywait .*/inotifywait VERSION/' "$IT_TMP/$who/out"
		fi
	done
	_compare_runs "$name"
}

# _is_quiet ARGS...: true if the run prints no "Watches established." line.
_is_quiet() {
	local a
	for a in "$@"; do
		case $a in
		-q | -qq | --quiet | -s | --syslog) return 0 ;;
		esac
	done
	return 1
}

# diff_events NAME PREP ACTION ARGS...: start the tool in the background in
# a work directory made by PREP, wait until it is ready, eval ACTION there
# (it may use $OUT/$ERR and the helpers of common.bash), wait for the tool to
# exit by itself (use no -m, or -m with -t), compare.  DIFF_STDIN: text fed
# to the tool's stdin; DIFF_FILES: files of the work directory whose content
# is compared too.
diff_events() {
	local name=$1 prep=$2 action=$3 who bin f
	shift 3
	for who in oracle ours; do
		bin=$ORACLE
		[ "$who" = ours ] && bin=$INOTIFYWAIT
		_fresh "$who" "$prep"
		OUT=$IT_TMP/$who/out
		ERR=$IT_TMP/$who/err
		: >"$OUT"
		: >"$ERR"
		cd "$IT_TMP/$who/w" || return 1
		if _is_quiet "$@"; then
			start_bg_quiet "$bin" "$@" <<<"${DIFF_STDIN:-}"
		else
			start_bg "$bin" "$@" <<<"${DIFF_STDIN:-}"
		fi
		eval "$action"
		wait_bg
		echo "$status" >"$IT_TMP/$who/status"
		for f in ${DIFF_FILES:-}; do
			printf '=== %s:\n' "$f" >>"$OUT"
			cat "$f" >>"$OUT"
		done
		cd "$TEST_DIR" || return 1
	done
	_compare_runs "$name"
}

finish() {
	[ "$DIFF_FAILED" = 0 ]
}

@test "differential: option parsing errors" {
	need_oracle
	need_elf
	diff_cmd "unknown long" "mkdir d" --bogus d
	diff_cmd "unknown short" "mkdir d" -x d
	diff_cmd "unknown in group" "mkdir d" -mx d
	diff_cmd "-e no arg" "" -e
	diff_cmd "-t no arg" "" -t
	diff_cmd "-o no arg" "" -o
	diff_cmd "--format no arg" "" --format
	diff_cmd "--timefmt no arg" "" --timefmt
	diff_cmd "--fromfile no arg" "" --fromfile
	diff_cmd "--exclude no arg" "" --exclude
	diff_cmd "--event no arg" "" --event
	diff_cmd "ambiguous" "mkdir d" --no d
	diff_cmd "-f" "mkdir d" -f d
	diff_cmd "--filename" "mkdir d" --filename d
	diff_cmd "bad event" "mkdir d" -e foo d
	diff_cmd "bad event in list" "mkdir d" -e modify,foo d
	diff_cmd "-t abc" "mkdir d" -t abc d
	diff_cmd "-t empty" "mkdir d" -t '' d
	diff_cmd "-t 0.5" "mkdir d" -t 0.5 d
	diff_cmd "-t 5x" "mkdir d" -t 5x d
	diff_cmd "-t too big" "mkdir d" -t 9223372036854775808 d
	diff_cmd "-t too small" "mkdir d" -t -9223372036854775809 d
	diff_cmd "two -o" "mkdir d" -o a -o b d
	diff_cmd "two --fromfile" "mkdir d; echo d >l" --fromfile l --fromfile l d
	diff_cmd "no files" ""
	diff_cmd "no files -qq" "" -qq
	diff_cmd "no files -s" "" -s
	diff_cmd "fromfile missing, no files" "" --fromfile nofile
	finish
}

@test "differential: validation order" {
	need_oracle
	diff_cmd "1" "mkdir d" --exclude a --excludei b d
	diff_cmd "2" "mkdir d" --include a --includei b d
	diff_cmd "4" "mkdir d" -c --format x d
	diff_cmd "5" "mkdir d" --no-newline d
	diff_cmd "6" "mkdir d" --timefmt x d
	diff_cmd "7" "mkdir d" --format %T d
	diff_cmd "8" "mkdir d" -d d
	diff_cmd "1 first" "mkdir d" --exclude a --excludei b --include c --includei d -c --format x --no-newline --timefmt y -d d
	diff_cmd "2 before 3" "mkdir d" --include c --includei d --exclude a -c --format x d
	diff_cmd "4 before 7,8" "mkdir d" -c --format %T -d d
	diff_cmd "5 before 6" "mkdir d" --timefmt x --no-newline d
	diff_cmd "5 before 8" "mkdir d" -d --no-newline d
	diff_cmd "6 before 8" "mkdir d" -d --timefmt x d
	diff_cmd "7 before 8" "mkdir d" -d --format %T d
	diff_cmd "parse before checks" "mkdir d" --exclude a --excludei b -e foo d
	diff_cmd "checks before regex" "mkdir d" --exclude '(' -d d
	diff_cmd "regex before format" "mkdir d" --format '' --no-newline --exclude '(' d
	diff_cmd "bad exclude" "mkdir d" --exclude '(' d
	diff_cmd "bad excludei" "mkdir d" --excludei '(' d
	diff_cmd "bad include" "mkdir d" --include '(' d
	diff_cmd "bad includei" "mkdir d" --includei '[' d
	diff_cmd "empty format" "mkdir d" --format '' --no-newline d
	diff_cmd "format too long" "mkdir d" --format "$(printf '%4096s' '' | tr ' ' x)" d
	diff_cmd "exclude then fromfile" "" --fromfile nofile --exclude a
	diff_cmd "checks before fromfile" "" --fromfile nofile -c --format x
	finish
}

@test "differential: watch errors and timeouts" {
	need_oracle
	diff_cmd "missing" "" missing
	diff_cmd "missing -q" "" -q missing
	diff_cmd "missing -qq" "" -qq missing
	diff_cmd "missing -s" "" -s -t 1 missing
	diff_cmd "missing -r" "" -r missing
	diff_cmd "one missing aborts" "mkdir d e" -t 1 d missing e
	diff_cmd "dangling" "ln -s nowhere dangling" -t 1 dangling
	diff_cmd "dangling -P" "ln -s nowhere dangling" -P -t 1 dangling
	diff_cmd "not a dir" "touch f" f/sub
	diff_cmd "NAME_MAX" "" "$(printf '%300s' '' | tr ' ' b)"
	diff_cmd "PATH_MAX" "" "$(printf 'aaaaaaa/%.0s' $(seq 1 600))x"
	diff_cmd "-o missing dir" "mkdir d" -o nodir/log d
	diff_cmd "timeout" "mkdir d" -t 1 d
	diff_cmd "timeout -r" "mkdir -p r/a" -r -t 1 r
	diff_cmd "timeout -q" "mkdir d" -q -t 1 d
	diff_cmd "timeout -s" "mkdir d" -s -t 1 d
	diff_cmd "fromfile missing, argv path" "mkdir d" --fromfile nofile -t 1 d
	diff_cmd "fromfile order" "echo missing1 >l" --fromfile l missing2
	diff_cmd "permutation" "mkdir d" d -t 1 -q
	diff_cmd "all event names" "mkdir d" -t 1 -e access,modify,attrib,close_write,close_nowrite,close,open,moved_to,moved_from,move,move_self,create,delete,delete_self,unmount,q_overflow,ignored,isdir,oneshot,all_events d
	finish
}

@test "differential: default output of scripted actions" {
	need_oracle
	diff_events "touch" "mkdir d" "touch d/f" -m -t 2 d
	diff_events "write" "mkdir d" "echo hi >d/g" -m -t 2 d
	diff_events "read" "mkdir d; echo hi >d/g" "cat d/g >/dev/null" -m -t 2 d
	diff_events "mkdir mv rm rmdir" "mkdir d; echo hi >d/g" \
		"mkdir d/sub; mv d/g d/h; rm d/h; rmdir d/sub" -m -t 2 d
	diff_events "chmod" "mkdir d; touch d/x" "chmod 600 d/x" -m -t 2 d
	diff_events "ls" "mkdir d" "ls d >/dev/null" -m -t 2 -e open,close d
	# s keeps a watch alive: we exit once no watch is left, upstream does not
	diff_events "rm watched file" "touch wf; mkdir s" "rm wf" -m -t 2 wf s
	diff_events "trailing space file" "touch 'wf '" "chmod 600 'wf '" -e attrib 'wf '
	diff_events "watch ." "" "touch x1" -e create .
	diff_events "watch d//" "mkdir d" "touch d/x" -e create d//
	diff_events "same dir names" "mkdir w" "touch w/x" -e create ./w w w/
	diff_events "file and parent" "mkdir w; touch w/f1" "echo hi >>w/f1" -m -t 2 -e modify w w/f1
	diff_events "newline name" "mkdir d" "touch 'd/n
l'" -e create d
	diff_events "invalid utf-8" "mkdir d" "touch d/\$(printf 'x\\377y')" -e create d
	diff_events "IGNORED only" "touch f" "rm f" -e modify f
	diff_events "IGNORED only, dir" "mkdir d" "rmdir d" -e modify d
	diff_events "-q" "mkdir d" "touch d/a" -q -e close_write d
	diff_events "-qq" "mkdir d" "touch d/a; rm d/a" -qq -m -t 2 d
	diff_events "-s" "mkdir d" "touch d/a" -s -e create d
	diff_events "-e empty" "mkdir d; touch d/f" "chmod 600 d/f" -e '' d
	diff_events "-e list" "mkdir d; touch d/f" "chmod 600 d/f; echo x >d/f; rm d/f" -m -t 2 -e attrib,delete d
	diff_events "-P link" "touch t; ln -s t l" "touch -h l" -P -e attrib l
	diff_events "no -P link" "touch t; ln -s t l" "touch t" -e attrib l
	diff_events "move_self" "mkdir d" "mv d d2" -e move_self d
	DIFF_FILES=log diff_events "-o" "mkdir d" "touch d/a" -o log -e create d
	finish
}

@test "differential: -c output" {
	need_oracle
	diff_events "csv touch" "mkdir d" "touch d/f" -m -t 2 -c d
	diff_events "csv names" "mkdir d" \
		"touch 'd/a\"b' 'd/c,d' 'd/ lead' 'd/trail ' 'd/in side' 'd/n
l' d/plain; mkdir d/dd" -m -t 2 -c -e create d
	diff_events "csv dir itself" "mkdir d" "ls d >/dev/null" -c -e open d
	diff_events "csv watched file" "touch ' wf'" "chmod 600 ' wf'" -c -e attrib ' wf'
	diff_events "csv comma dir" "mkdir 'a,b'" "touch a,b/x" -c -e create 'a,b'
	diff_events "csv invalid utf-8" "mkdir d" "touch d/\$(printf 'x\\377')" -c -e create d
	finish
}

@test "differential: --format output" {
	need_oracle
	diff_events "w f e" "mkdir d" "touch d/x" -e create --format '%w|%f|%e' d
	diff_events "Xe" "mkdir d" "touch d/x" -e close_write --format '%:e %.e %;e %-e %|e %,e %/e' d
	diff_events "not Xe" "mkdir d" "touch d/x" -e create --format '%%e|%ee|%we' d
	diff_events "cookie 0" "mkdir d" "touch d/x" -e create --format '%c|%f' d
	diff_events "T literal" "mkdir d" "touch d/x" -e create --format '%T %f' --timefmt stamp d
	diff_events "T empty" "mkdir d" "touch d/x" -e create --format '%T|%f' --timefmt '' d
	diff_events "NUL records" "mkdir d" "touch d/x1; touch d/x2" -m -t 2 -e create --format '%w%f%0' --no-newline d
	diff_events "NUL inside" "mkdir d" "touch d/x" -e create --format 'a%0b' d
	diff_events "n and %%" "mkdir d" "touch d/x" -e create --format '%f%n100%%' d
	diff_events "unknown" "mkdir d" "touch d/x" -e create --format '%x %z %f %Q' d
	diff_events "trailing %" "mkdir d" "touch d/x" -e create --format '%f%' d
	diff_events "trailing % no newline" "mkdir d" "touch d/x" -e create --format 'x%' --no-newline d
	diff_events "sample" "mkdir f" "touch f/a" -e close_write \
		--format '[%w|%f|%e|%:e|%;e|%c|%%|%x|%T|%n]' --timefmt TIME f
	diff_events "literal" "mkdir d" "touch d/x" -e create --format hello d
	diff_events "empty" "mkdir d" "touch d/x" -e create --format '' d
	diff_events "concatenated" "mkdir d" "touch d/a; touch d/b" -m -t 2 -e create --format '%f;' --no-newline d
	diff_events "watched file" "touch wf" "chmod 600 wf" -e attrib --format '[%w][%f]' wf
	finish
}

@test "differential: filters, --fromfile and recursion" {
	need_oracle
	diff_events "exclude" "mkdir d" "touch d/ex1 d/ex2 d/ex3" -m -t 2 -e create --exclude 'ex2$' d
	diff_events "excludei" "mkdir d" "touch d/EX1 d/ok" -m -t 2 -e create --excludei ex d
	diff_events "include" "mkdir d" "touch d/ain d/bout d/cin" -m -t 2 -e create --include 'in$' d
	diff_events "includei" "mkdir d" "touch d/ain d/bout d/cIN" -m -t 2 -e create --includei 'IN$' d
	diff_events "exclude full path" "mkdir d" "touch d/x" -e create --exclude '^x' d
	diff_events "fromfile" "mkdir d e; printf 'd\ne\n\n@\n' >l" "touch e/z" --fromfile l -e create
	DIFF_STDIN=d diff_events "fromfile stdin" "mkdir d" "touch d/z" --fromfile - -e create
	diff_events "fromfile missing" "mkdir d" "touch d/z" --fromfile nofile -e create d
	diff_events "recursive" "mkdir -p r/a/b" "touch r/a/b/f" -r -e create r
	diff_events "@ exclusion" "mkdir -p r/skip r/keep" "touch r/skip/a; touch r/keep/b" -r -e create r @r/skip
	diff_events "@ exclusion slash" "mkdir -p r/skip" "touch r/skip/a; touch r/c" -r -e create r @r/skip/
	diff_events "@ root" "mkdir r" "touch r/x" -r -e create r @r
	diff_events "fromfile @" "mkdir -p r/skip; printf 'r\n@r/skip\n' >l" "touch r/skip/a; touch r/b" -r --fromfile l -e create
	diff_events "new dir" "mkdir r" \
		'mkdir r/new; wait_for_exact_line "$OUT" "r/ CREATE,ISDIR new"; touch r/new/f' \
		-m -t 2 -r -e create r
	diff_events "rename dir" "mkdir -p r/a/b" "mv r/a r/a2; touch r/a2/x r/a2/b/y" -m -t 2 -r -e create r
	diff_events "rename events" "mkdir -p r/a" "mv r/a r/a2" -m -t 2 -r -e move,move_self r
	diff_events "moved in" "mkdir -p r out/sub" \
		'mv out r/movedin; wait_for_exact_line "$OUT" "r/ MOVED_TO,ISDIR movedin"; touch r/movedin/sub/z' \
		-m -t 2 -r -e create,moved_to r
	diff_events "rm -rf subdir" "mkdir -p r/new; touch r/new/x" "rm -rf r/new" -m -t 2 -r -e delete,delete_self r
	finish
}
