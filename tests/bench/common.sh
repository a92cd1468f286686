# common.sh: what run-bench.sh and scale-bench.sh share; sourced, not run.
# shellcheck shell=bash
#
#   set_sysctl NAME MIN   raise fs.inotify.NAME (fs.fanotify.NAME for
#                         max_user_marks) to at least MIN; 1 if it cannot
#   restore_sysctl NAME   put back what set_sysctl found there
#   restore_sysctls       the same for every one raised (call it on exit)
#   stats VALUE...        prints "median min max" (the median of an even
#                         count is the mean of the two middle values)

declare -gA saved_sysctl=()

sysctl_file() { # name: its file under /proc/sys
	case $1 in
	max_user_marks) echo "/proc/sys/fs/fanotify/$1" ;;
	*) echo "/proc/sys/fs/inotify/$1" ;;
	esac
}
set_sysctl() {
	local f cur
	f=$(sysctl_file "$1")
	cur=$(cat "$f") || return 1
	[ "$cur" -ge "$2" ] && return 0
	[ -w "$f" ] || return 1
	[ -n "${saved_sysctl[$1]+x}" ] || saved_sysctl[$1]=$cur
	echo "$2" >"$f"
}
restore_sysctl() {
	local n=$1
	if [ -n "${saved_sysctl[$n]+x}" ]; then
		echo "${saved_sysctl[$n]}" >"$(sysctl_file "$n")"
		unset "saved_sysctl[$n]"
	fi
}
restore_sysctls() {
	local n
	for n in "${!saved_sysctl[@]}"; do
		restore_sysctl "$n"
	done
}
stats() {
	printf '%s\n' "$@" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR % 2) m = v[(NR + 1) / 2]
			else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%s %s %s\n", m, v[1], v[NR]
		}'
}
