#!/bin/bash
# run-bench.sh: compare our inotifywait/inotifywatch with the floor programs
# and, when /usr/bin holds upstream inotify-tools 3.x, with upstream.
# See tests/bench/README.  Usage: run-bench.sh -h
set -u

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

reps=5
size=1k
bindir=$script_dir
tooldir=$script_dir/../../src
updir=/usr/bin
workdir=
events=100000
measures=abcd
rawfile=
files_per_dir=4

usage() {
	cat <<EOF
usage: $0 [options]
  -s SIZE     tree size: 1k, 10k, 100k, 1m or a number of directories
              ($files_per_dir files in each; default $size)
  -n N        repetitions of each measurement (default $reps)
  -m LIST     measures to run, letters of "abcd" (default $measures):
              a setup time, b RSS (both from the same runs), c event CPU,
              d fanotify setup time (-F -r, -S; root only)
  -e EVENTS   events per drain in measure c (default $events)
  -d DIR      where to make the temporary trees (default: mktemp -d under
              \${TMPDIR:-/tmp}); what it makes there is removed at the end
  -b BINDIR   where gentree, floor_setup, floor_reader, genevents and
              benchrun are (default: this script's directory; built into the
              temporary directory with \${CC:-cc} when missing)
  -t TOOLDIR  where our inotifywait and inotifywatch are
              (default: $script_dir/../../src)
  -u DIR      where upstream's are (default $updir; used only if they say
              they are version 3.x)
  -o FILE     also write every sample to FILE (tab-separated)
EOF
	exit "${1:-0}"
}

while getopts "s:n:m:e:d:b:t:u:o:h" opt; do
	case $opt in
	s) size=$OPTARG ;;
	n) reps=$OPTARG ;;
	m) measures=$OPTARG ;;
	e) events=$OPTARG ;;
	d) workdir=$OPTARG ;;
	b) bindir=$OPTARG ;;
	t) tooldir=$OPTARG ;;
	u) updir=$OPTARG ;;
	o) rawfile=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 >&2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage 2 >&2

case $size in
1k) ndirs=1000 ;;
10k) ndirs=10000 ;;
100k) ndirs=100000 ;;
1m) ndirs=1000000 ;;
*[!0-9]* | '') echo "run-bench: bad size '$size'" >&2 && exit 2 ;;
*) ndirs=$size ;;
esac
case $reps in *[!0-9]* | '' | 0) echo "run-bench: bad -n '$reps'" >&2 && exit 2 ;; esac
case $events in *[!0-9]* | '' | 0) echo "run-bench: bad -e '$events'" >&2 && exit 2 ;; esac

# Time limits (s): one benchmark run, tree creation and removal, and how long
# a program may take to exit after SIGTERM (closing 100k watches takes the
# kernel a while) before it is SIGKILLed.  A 100k tree takes about a second
# to watch on a fast machine; allow far more.
kill_grace=$((10 + ndirs / 10000))
run_tmo=$((60 + kill_grace + ndirs / 500))
tree_tmo=$((120 + ndirs / 50))
drain_tmo=$((60 + kill_grace + events / 2000))

# --- work directory, sysctls, cleanup -------------------------------------
if [ -n "$workdir" ]; then
	mkdir -p "$workdir" || exit 1
	work=$(mktemp -d "$workdir/bench.XXXXXX") || exit 1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/inotify-bench.XXXXXX") || exit 1
fi

# shellcheck source=tests/bench/common.sh
. "$script_dir/common.sh"
cleanup() {
	restore_sysctls
	timeout "$tree_tmo" rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- programs -------------------------------------------------------------
benchprogs="gentree floor_setup floor_reader genevents benchrun"
missing=
for p in $benchprogs; do
	[ -x "$bindir/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ -f "$script_dir/gentree.c" ]; then
		echo "run-bench: building$missing into $work/bin with ${CC:-cc}" >&2
		mkdir -p "$work/bin"
		for p in $benchprogs; do
			"${CC:-cc}" -std=gnu11 -O2 -Wall -Wextra -o "$work/bin/$p" \
				"$script_dir/$p.c" || exit 1
		done
		bindir=$work/bin
	else
		echo "run-bench: missing in $bindir:$missing (give -b)" >&2
		exit 1
	fi
fi
bindir=$(cd "$bindir" && pwd)

ours_ok=1
for p in inotifywait inotifywatch; do
	if [ ! -x "$tooldir/$p" ]; then
		echo "run-bench: $tooldir/$p not found: build it or give -t" >&2
		ours_ok=0
	elif [ "$(head -c 4 "$tooldir/$p" | od -An -c | tr -d ' ')" != '177ELF' ]; then
		echo "run-bench: warning: $tooldir/$p is not an ELF binary" \
			"(a libtool wrapper?): its start-up cost includes a shell" >&2
	fi
done
[ "$ours_ok" = 1 ] && tooldir=$(cd "$tooldir" && pwd)

upstream=0
upver=
if [ -x "$updir/inotifywait" ] && [ -x "$updir/inotifywatch" ]; then
	upver=$("$updir/inotifywait" --help 2>&1 | head -n 1)
	case $upver in
	"inotifywait 3."*) upstream=1 ;;
	esac
fi

# --- results --------------------------------------------------------------
# samples[measure|program] = space-separated values; notes[...] = text
declare -A samples=() notes=() fails=()
measure_order=()
declare -A measure_seen=() measure_floor=() measure_progs=()

record() { # measure program value
	local k="$1|$2"
	samples[$k]="${samples[$k]:-} $3"
	if [ -n "$rawfile" ]; then
		printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$rawfile"
	fi
}
note() { # measure program text: remembered once
	local k="$1|$2"
	case "${notes[$k]:-}" in
	*"$3"*) ;;
	*) notes[$k]="${notes[$k]:+${notes[$k]}; }$3" ;;
	esac
}
failed() { # measure program reason
	fails["$1|$2"]=$((${fails["$1|$2"]:-0} + 1))
	note "$1" "$2" "$3"
}
declare_measure() { # measure floor-program "prog|prog|..." (floor first)
	local m=$1
	shift
	if [ -z "${measure_seen[$m]+x}" ]; then
		measure_order+=("$m")
		measure_seen[$m]=1
	fi
	measure_floor[$m]=$1
	shift
	measure_progs[$m]="$*"
}

# --- measures a and b: setup time and RSS ----------------------------------
# Programs: label, ready line, command (TREE replaced by the tree path).
ready_wait="Watches established."
ready_watch="Finished establishing watches, now collecting statistics."
# floor_setup -p: the floor in our order (a directory watched before it is
# listed, quietly first): what our guarantee costs the kernel.
setup_labels=("floor_setup" "floor_setup -p")
setup_ready=("$ready_wait" "$ready_wait")
setup_cmds=("$bindir/floor_setup -w TREE" "$bindir/floor_setup -w -p TREE")
if [ "$ours_ok" = 1 ]; then
	setup_labels+=("ours inotifywait -r")
	setup_ready+=("$ready_wait")
	setup_cmds+=("$tooldir/inotifywait -r TREE")
fi
if [ "$upstream" = 1 ]; then
	setup_labels+=("upstream inotifywait -r")
	setup_ready+=("$ready_wait")
	setup_cmds+=("$updir/inotifywait -r TREE")
fi
if [ "$ours_ok" = 1 ]; then
	setup_labels+=("ours inotifywatch -r")
	setup_ready+=("$ready_watch")
	setup_cmds+=("$tooldir/inotifywatch -r TREE")
fi
if [ "$upstream" = 1 ]; then
	setup_labels+=("upstream inotifywatch -r")
	setup_ready+=("$ready_watch")
	setup_cmds+=("$updir/inotifywatch -r TREE")
fi

m_time="a. setup, $ndirs dirs (ms)"
m_rss="b. held RSS, $ndirs dirs (KiB)"
m_hwm="b. peak RSS, $ndirs dirs (KiB)"

# run_setup INDEX TREE [record]: one run of setup program INDEX.
run_setup() {
	local i=$1 tree=$2 rec=${3:-} label=${setup_labels[$1]} out t rss hwm w end
	local -a cmd
	read -r -a cmd <<<"${setup_cmds[$i]//TREE/$tree}"
	out=$(timeout -k 10 "$run_tmo" "$bindir/benchrun" setup \
		-T $((run_tmo - kill_grace - 20)) -K "$kill_grace" \
		-r "${setup_ready[$i]}" -- "${cmd[@]}" \
		2>"$work/stderr")
	[ -n "$rec" ] || return 0
	# shellcheck disable=SC2086
	set -- $out
	if [ "${1:-}" != ok ]; then
		failed "$m_time" "$label" "failed: ${out:-killed by timeout}"
		sed 's/^/    /' "$work/stderr" >&2
		return 1
	fi
	t=$2 rss=$3 hwm=$4 w=$5 end=$6
	record "$m_time" "$label" "$(awk -v t="$t" 'BEGIN { printf "%.3f", t / 1e6 }')"
	if [ "$end" = exited ]; then
		note "$m_time" "$label" "exited by itself right after its ready line"
		note "$m_rss" "$label" "exited by itself right after its ready line"
		note "$m_hwm" "$label" "exited by itself right after its ready line"
		return 0
	fi
	record "$m_rss" "$label" "$rss"
	record "$m_hwm" "$label" "$hwm"
	case $label in
	*" -F "* | *" -S"*) ;; # fanotify marks are not inotify watches
	*)
		if [ "$w" != "$ndirs" ]; then
			note "$m_time" "$label" "held $w watches, not $ndirs"
		fi
		;;
	esac
	if [ "$end" = nokill ]; then
		note "$m_time" "$label" "ignored SIGTERM for ${kill_grace}s: SIGKILLed"
	fi
}

measure_setup() {
	local tree=$work/tree rep i progs
	echo "== making a tree of $ndirs directories, $files_per_dir files each" >&2
	if ! timeout "$tree_tmo" "$bindir/gentree" "$tree" "$ndirs" "$files_per_dir"; then
		echo "run-bench: gentree failed: skipping measures a and b" >&2
		return
	fi
	if ! set_sysctl max_user_watches $((2 * ndirs + 10000)); then
		echo "run-bench: max_user_watches is below $((2 * ndirs + 10000))" \
			"and cannot be raised (not root?): skipping measures a and b" >&2
		return
	fi
	case $measures in
	*a* | *b*)
		progs=$(printf '%s\n' "${setup_labels[@]}" | paste -sd '|')
		for m in "$m_time" "$m_rss" "$m_hwm"; do
			declare_measure "$m" floor_setup "$progs"
		done
		echo "== measures a and b: warming up (one untimed run of each)" >&2
		timeout "$run_tmo" "$bindir/floor_setup" "$tree" 2>/dev/null
		setup_reps "$tree" "measures a and b"
		;;
	esac
	restore_sysctl max_user_watches
	case $measures in *d*) measure_fan_setup "$tree" ;; esac
	timeout "$tree_tmo" rm -rf "$tree"
}

# setup_reps TREE WHAT: one untimed run, then the timed repetitions, of
# every program of setup_labels.
setup_reps() {
	local i rep
	for i in "${!setup_labels[@]}"; do
		run_setup "$i" "$1"
	done
	for rep in $(seq "$reps"); do
		echo "== $2: repetition $rep of $reps" >&2
		for i in "${!setup_labels[@]}"; do
			run_setup "$i" "$1" record
		done
	done
}

# --- measure d: fanotify setup time, the same tree -------------------------
# The reference is our inotifywait -r: -S must not depend on the tree size.
measure_fan_setup() {
	local tree=$1 progs
	if [ "$(id -u)" != 0 ] || [ "$ours_ok" != 1 ]; then
		echo "run-bench: measure d needs root and our tools: skipped" >&2
		return
	fi
	set_sysctl max_user_watches $((2 * ndirs + 10000)) || return
	# (a mark per directory: -F on a 1m tree passes the default limit)
	set_sysctl max_user_marks $((2 * ndirs + 10000)) || return
	setup_labels=("ours inotifywait -r" "ours inotifywait -F -r"
		"ours inotifywait -S")
	setup_ready=("$ready_wait" "$ready_wait" "$ready_wait")
	setup_cmds=("$tooldir/inotifywait -r TREE"
		"$tooldir/inotifywait -F -r TREE" "$tooldir/inotifywait -S TREE")
	if [ "$upstream" = 1 ] && [ -x "$updir/fsnotifywait" ]; then
		setup_labels+=("upstream fsnotifywait -F -r" "upstream fsnotifywait -S")
		setup_ready+=("$ready_wait" "$ready_wait")
		setup_cmds+=("$updir/fsnotifywait -F -r TREE"
			"$updir/fsnotifywait -S TREE")
	fi
	m_time="d. fanotify setup, $ndirs dirs (ms)"
	m_rss="d. held RSS, fanotify, $ndirs dirs (KiB)"
	m_hwm="d. peak RSS, fanotify, $ndirs dirs (KiB)"
	progs=$(printf '%s\n' "${setup_labels[@]}" | paste -sd '|')
	for m in "$m_time" "$m_rss" "$m_hwm"; do
		declare_measure "$m" "ours inotifywait -r" "$progs"
	done
	echo "== measure d: fanotify setup" >&2
	setup_reps "$tree" "measure d"
	restore_sysctl max_user_watches
	restore_sysctl max_user_marks
}

# --- measure c: CPU time to drain a full queue --------------------------
# Programs: label, command, how long its CPU time must stay still to be
# done (ms; --batch prints on a timer, 0.2 s after the last event) and the
# lines it writes to the file (--batch: one a path and the marker).
batch_label="ours inotifywait --batch 0.2"
plain_label="ours inotifywait -m -e attrib"
plain_cmd="-m -e attrib EDIR"
batch_cmd="-m -e attrib --batch 0.2 EDIR"

# drain_one MEASURE LABEL CMD SETTLE LINES EDIR FILES MODE: one sample of
# measure c (MEASURE without its ", to a MODE (ms)").
drain_one() {
	local m="$1, to a $8 (ms)" label=$2 settle=$4 want=$5 edir=$6 mode=$8 out
	local -a cmd how=(-o "$work/out.txt")
	read -r -a cmd <<<"${3//EDIR/$edir}"
	[ "$mode" = pipe ] && how=(-p)
	out=$(timeout -k 10 "$drain_tmo" "$bindir/benchrun" drain \
		-T $((drain_tmo - kill_grace - 20)) -K "$kill_grace" \
		-S "$settle" -G "$bindir/genevents" -F "$7" \
		-D "$edir" -N "$events" "${how[@]}" -- "${cmd[@]}" \
		2>"$work/stderr")
	# shellcheck disable=SC2086
	set -- $out
	if [ "${1:-}" != ok ]; then
		failed "$m" "$label" "failed: ${out:-killed by timeout}"
		sed 's/^/    /' "$work/stderr" >&2
		return
	fi
	if [ "$7" = nokill ]; then
		note "$m" "$label" "ignored SIGTERM for ${kill_grace}s: SIGKILLed"
	fi
	if [ "$4" != -1 ] && [ "$4" != $((32 * events)) ]; then
		note "$m" "$label" "queue held $4 bytes, not $((32 * events))"
	fi
	if [ "$mode" = file ] && [ "$3" != "$want" ]; then
		note "$m" "$label" "wrote $3 lines, not $want"
	fi
	record "$m" "$label" "$(awk -v c="$2" -v n="$events" \
		'BEGIN { printf "%.3f", c / 1e6 * 100000 / n }')"
}

measure_drain() {
	local edir=$work/events many=$work/events-many rep i mode
	local m="c. CPU/100k events" mm="c2. CPU/100k paths"
	local -a labels=("floor_reader") cmds=("$bindir/floor_reader -m 0x4 EDIR")
	local -a settle=(0) want=("$events")
	if [ "$(id -u)" != 0 ]; then
		echo "run-bench: not root: cannot raise max_queued_events: skipping measure c" >&2
		return
	fi
	if ! set_sysctl max_queued_events $((events + events / 2 + 1000)); then
		echo "run-bench: cannot raise max_queued_events: skipping measure c" >&2
		return
	fi
	if [ "$ours_ok" = 1 ]; then
		labels+=("$plain_label" "$batch_label")
		cmds+=("$tooldir/inotifywait $plain_cmd" "$tooldir/inotifywait $batch_cmd")
		settle+=(0 500)
		want+=("$events" 3)
	fi
	if [ "$upstream" = 1 ]; then
		labels+=("upstream inotifywait -m -e attrib")
		cmds+=("$updir/inotifywait -m -e attrib EDIR")
		settle+=(0)
		want+=("$events")
	fi
	mkdir -p "$edir" "$many" && "$bindir/genevents" "$edir" 0 || return
	local progs
	progs=$(printf '%s\n' "${labels[@]}" | paste -sd '|')
	for mode in file pipe; do
		declare_measure "$m, to a $mode (ms)" floor_reader "$progs"
	done
	# c2: every event on a path of its own, a batch of as many records
	# (the reference, ratio 1, is the plain reader)
	if [ "$ours_ok" = 1 ]; then
		"$bindir/genevents" "$many" 0 "$events" || return
		for mode in file pipe; do
			declare_measure "$mm, to a $mode (ms)" "$plain_label" \
				"$plain_label|$batch_label"
		done
	fi
	for rep in $(seq "$reps"); do
		echo "== measure c: repetition $rep of $reps ($events events a run)" >&2
		for i in "${!labels[@]}"; do
			for mode in file pipe; do
				drain_one "$m" "${labels[$i]}" "${cmds[$i]}" \
					"${settle[$i]}" "${want[$i]}" "$edir" 2 "$mode"
			done
		done
		[ "$ours_ok" = 1 ] || continue
		for mode in file pipe; do
			drain_one "$mm" "$plain_label" "$tooldir/inotifywait $plain_cmd" \
				0 "$events" "$many" "$events" "$mode"
			drain_one "$mm" "$batch_label" "$tooldir/inotifywait $batch_cmd" \
				800 $((events + 1)) "$many" "$events" "$mode"
		done
	done
	restore_sysctl max_queued_events
	rm -f "$work/out.txt"
}

# --- report ---------------------------------------------------------------
fmt() { # number -> 4 significant-ish digits
	awk -v x="$1" 'BEGIN {
		if (x >= 1000) printf "%.0f", x
		else if (x >= 100) printf "%.1f", x
		else if (x >= 10) printf "%.2f", x
		else printf "%.3f", x }'
}

# median MEASURE PROGRAM: the median of its samples, or nothing.
median() {
	local vals=${samples["$1|$2"]:-}
	[ -n "$vals" ] || return 0
	# shellcheck disable=SC2086
	stats $vals | cut -d' ' -f1
}

# batch_ratio: --batch 0.2 against the plain reader, for each output of c.
batch_ratio() {
	local mode b p
	for mode in file pipe; do
		b=$(median "c. CPU/100k events, to a $mode (ms)" "$batch_label")
		p=$(median "c. CPU/100k events, to a $mode (ms)" "$plain_label")
		{ [ -n "$b" ] && [ -n "$p" ]; } || continue
		printf 'c, to a %s: --batch 0.2 / plain = %s\n' "$mode" \
			"$(awk -v a="$b" -v b="$p" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	done
}

report() {
	local m p k med min max fmed ratio vals n nf
	local -a progs
	printf '\n%-34s %-34s %9s %21s %7s\n' measure program median "min..max" ratio
	for m in "${measure_order[@]}"; do
		IFS='|' read -r -a progs <<<"${measure_progs[$m]}"
		fmed=
		k="$m|${measure_floor[$m]}"
		if [ -n "${samples[$k]:-}" ]; then
			# shellcheck disable=SC2086
			read -r fmed _ _ <<<"$(stats ${samples[$k]})"
		fi
		for p in "${progs[@]}"; do
			k="$m|$p"
			vals=${samples[$k]:-}
			if [ -z "$vals" ]; then
				printf '%-34s %-34s %9s %21s %7s\n' "$m" "$p" - - -
			else
				# shellcheck disable=SC2086
				read -r med min max <<<"$(stats $vals)"
				ratio=-
				if [ -n "$fmed" ]; then
					ratio=$(awk -v a="$med" -v b="$fmed" \
						'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
				fi
				printf '%-34s %-34s %9s %21s %7s\n' "$m" "$p" "$(fmt "$med")" \
					"$(fmt "$min")..$(fmt "$max")" "$ratio"
			fi
			n=$(wc -w <<<"$vals")
			nf=${fails[$k]:-0}
			if [ "$nf" != 0 ]; then
				printf '%-34s   ! %d of %d runs failed\n' "" "$nf" $((n + nf))
			fi
			if [ -n "${notes[$k]:-}" ]; then
				printf '%-34s   ! %s\n' "" "${notes[$k]}"
			fi
		done
	done
}

# --- main -------------------------------------------------------------------
echo "inotify-tools benchmark: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "kernel: $(uname -sr) $(uname -m)"
echo "cpu: $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //') x $(nproc)"
echo "ours: $tooldir ($(if [ "$ours_ok" = 1 ]; then "$tooldir/inotifywait" --help 2>&1 | head -n 1; else echo missing; fi))"
if [ "$upstream" = 1 ]; then
	echo "upstream: $updir ($upver)"
else
	echo "upstream: none (no inotify-tools 3.x in $updir${upver:+: $upver})"
fi
echo "tree: $ndirs directories, $files_per_dir files each, fanout 10;" \
	"repetitions: $reps; events per drain: $events"
echo "work dir: $work"

case $measures in *a* | *b* | *d*) measure_setup ;; esac
case $measures in *c*) measure_drain ;; esac
report
batch_ratio
echo
echo "a: fork to the ready line on stderr, warm cache; b: VmRSS and VmHWM at"
echo "that moment; c: user+sys CPU of the consumer to drain a full queue of"
echo "IN_ATTRIB events, per 100k (--batch 0.2: until its batch is printed);"
echo "c2: the same with one path an event (ratio to our plain reader); d: as"
echo "a, with fanotify (ratio to our inotifywait -r).  ratio = median / the"
echo "floor's median."
