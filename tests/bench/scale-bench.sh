#!/bin/bash
# scale-bench.sh: how setup time and held RSS grow from one tree size to
# another, measured in the same rounds so that a busy machine weighs on both
# sizes alike.
#
#   tests/bench/scale-bench.sh [-n ROUNDS] [-d DIR] [SIZE...]
#
# Makes a gentree tree of each SIZE (directories, 4 files each; default
# 100000 1000000) under DIR (default: a new directory under ${TMPDIR:-/tmp},
# removed at the end), then runs one untimed round (warm cache) and ROUNDS
# timed ones (default 3). A round runs, on every tree in turn, floor_setup
# -w, floor_setup -w -p (the floor in our order: two inotify_add_watch a
# directory), our inotifywait -r and our inotifywatch -r under `benchrun setup`
# (fork to the ready line, RSS then). It prints each sample, then the
# medians and the ratio of each size's median to the first size's.
# max_user_watches is raised for the largest tree when needed (root) and
# put back at the end. Build the bench programs first (make bench does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tools=$here/../../src
rounds=3
workdir=
while getopts "n:d:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	d) workdir=$OPTARG ;;
	*)
		sed -n '2,17s/^# \{0,1\}//p' "$0"
		[[ $opt == h ]] && exit 0
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
sizes=("$@")
((${#sizes[@]})) || sizes=(100000 1000000)
for p in gentree floor_setup benchrun; do
	[[ -x $here/$p ]] || {
		echo "scale-bench.sh: $here/$p is missing: run make bench first" >&2
		exit 2
	}
done

own=0
if [[ -z $workdir ]]; then
	workdir=$(mktemp -d "${TMPDIR:-/tmp}/scale-bench.XXXXXX")
	own=1
fi
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
cleanup() {
	restore_sysctls
	((own == 0)) || rm -rf -- "$workdir"
}
trap cleanup EXIT

max=0
for s in "${sizes[@]}"; do
	[[ $s =~ ^[1-9][0-9]*$ ]] || {
		echo "scale-bench.sh: not a number of directories: $s" >&2
		exit 2
	}
	((s > max)) && max=$s
done
set_sysctl max_user_watches $((max + 1000)) || {
	echo "scale-bench.sh: cannot raise max_user_watches to $((max + 1000))" >&2
	exit 2
}

for s in "${sizes[@]}"; do
	echo "== making a tree of $s directories" >&2
	"$here/gentree" "$workdir/t$s" "$s" 4 >/dev/null
done

cmds=("$here/floor_setup -w" "$here/floor_setup -w -p" "$tools/inotifywait -r"
	"$tools/inotifywatch -r")
labels=("${cmds[@]##*/}") # the commands without their directory
readys=("Watches established." "Watches established." "Watches established."
	"Finished establishing watches, now collecting statistics.")
declare -A ms=() kib=()
echo "round	directories	program	setup ms	held RSS KiB"
for ((r = 0; r <= rounds; r++)); do
	note=
	((r)) || note=" (untimed)"
	echo "== round $r of $rounds$note" >&2
	for s in "${sizes[@]}"; do
		for k in "${!cmds[@]}"; do
			# benchrun prints "ok NANOSECONDS RSS_KIB PEAK_KIB WATCHES ..."
			# shellcheck disable=SC2086 # the command's words
			read -r -a f <<<"$("$here/benchrun" setup -T 600 \
				-r "${readys[k]}" -- ${cmds[k]} "$workdir/t$s" 2>&1 | tail -n 1)"
			if [[ ${f[0]:-} != ok ]]; then
				echo "! $s ${labels[k]}: ${f[*]:-no answer}" >&2
				continue
			fi
			((r)) || continue
			printf '%d\t%d\t%s\t%d\t%d\n' "$r" "$s" "${labels[k]}" \
				$((f[1] / 1000000)) "${f[2]}"
			ms[$s,$k]+="$((f[1] / 1000000)) "
			kib[$s,$k]+="${f[2]} "
		done
	done
done

# median WORDS...: REPLY = their median, as stats() takes it
median() {
	local -a v
	read -r -a v <<<"$(stats "$@")"
	printf -v REPLY %.0f "${v[0]}"
}

echo
echo "program	directories	setup ms (median)	x first size	held RSS KiB	x first size"
for k in "${!cmds[@]}"; do
	base_ms='' base_kib=''
	for s in "${sizes[@]}"; do
		[[ -n ${ms[$s,$k]:-} ]] || continue
		# shellcheck disable=SC2086 # the samples are words
		median ${ms[$s,$k]}
		m=$REPLY
		# shellcheck disable=SC2086
		median ${kib[$s,$k]}
		kb=$REPLY
		: "${base_ms:=$m}" "${base_kib:=$kb}"
		printf '%s\t%d\t%d\t%s\t%d\t%s\n' "${labels[k]}" "$s" "$m" \
			"$(awk -v a="$m" -v b="$base_ms" 'BEGIN { printf "%.2f", a / b }')" "$kb" \
			"$(awk -v a="$kb" -v b="$base_kib" 'BEGIN { printf "%.2f", a / b }')"
	done
done
