#!/usr/bin/env bash
# inotify-rsync.sh - keep one or more rsync targets in step with a local
# directory tree, driven by inotifywait.
#
# Part of inotify-tools (this reimplementation); GPL-2.0-or-later, see COPYING.
#
# Design in one paragraph: inotifywait (-m -r) runs as a child and writes
# NUL-separated records "EVENTS\0PATH\0" into a FIFO.  The main loop collects
# the paths into a batch and, --delay after the first change of the batch
# (longer only when --max-delay allows it and changes keep coming), appends
# the batch to one queue per target, kept in memory and mirrored in a
# journal file under --state-dir.  Every target has its own rsync job,
# started asynchronously from its queue, so a slow or dead target never
# holds up the others; a failed push stays queued and is retried with
# exponential backoff, and the few paths rsync could not read are retried
# on their own.  Anything that may have lost events (queue overflow,
# watcher death, a huge batch, an unclean previous stop) turns into a full
# sync, and no sync that deletes runs while SOURCE looks gone, empty or
# unmounted.  Requires bash >= 5, coreutils, findutils and rsync.
#
# Per-target state lives in arrays reached through namerefs (local -n t=T1),
# and some functions are called through the option table:
# shellcheck disable=SC2178,SC2317

set -euo pipefail
# Once its traps are set the main shell runs no $(...) and no <(...): bash
# 5.2 takes a pending trap while it parses a substitution being expanded,
# then fails to parse the trap itself ("trap: line 2: unexpected EOF while
# looking for matching `)'"), and a SIGTERM or the SIGHUP of a log rotation
# ends the daemon with status 2. Output is read through a pipeline into
# read or mapfile instead, which lastpipe runs in this shell. (Subshells
# started with & are safe: they expand their redirections themselves.)
shopt -s lastpipe

VERSION=4.26.0.0
PROG=${0##*/}

# Byte semantics for string lengths, pattern matching and regular
# expressions (file names need not be valid UTF-8), '.' as decimal point.
export LC_ALL=C

usage() {
	cat <<EOT
Usage: $PROG [OPTIONS] SOURCE DEST [DEST...]
       $PROG --once [OPTIONS] SOURCE DEST [DEST...]
       $PROG -h | --help | --version

Mirror the local directory SOURCE to every DEST (a local path, host:path,
host::module/path or rsync://host[:port]/module/path) and keep them in step
with inotifywait: changes are batched and pushed with one rsync per target.

Options:
  --exclude PATTERN     rsync pattern, repeatable; applies to the watcher
                        and to every rsync, the initial sync included
  --exclude-from FILE   read patterns from FILE, one per line (rsync syntax)
  --delay SECONDS       push a batch this long after its first change
                        (default 1)
  --max-delay SECONDS   let a batch grow while changes keep coming, until
                        quiet for --delay, up to this long after its first
                        change (default: the --delay)
  --retry SECONDS       first retry of a failed push; doubles (default 5)
  --max-retry SECONDS   ceiling of the retry backoff (default 300)
  --timeout SECONDS     rsync I/O and connect timeout, 0 = none (default 60)
  --full-every SECONDS  periodic full sync, 0 = never (default 0)
  --push-open SECONDS   push files written while they stay open (logs,
                        dumps) at most every SECONDS, not only once closed
  --fanotify            watch with fanotify (inotifywait -F): no inotify
                        watch limit
  --filesystem          watch SOURCE's whole filesystem with fanotify
                        (inotifywait -S, root): ready at once on any tree
  --max-batch N         a batch of more than N paths becomes a full sync
                        (default 10000)
  --delete WHEN         which syncs delete on the targets: always, startup
                        (full syncs only), running (changes seen live only)
                        or never (default always)
  --max-delete N        let no rsync delete more than N files (rsync's
                        --max-delete)
  --moves auto|off      make renames on local and ssh targets before
                        pushing, instead of sending the data again
                        (default auto)
  --on-push COMMAND     after each push to a target, run COMMAND with sh,
                        the target as \$1, the pushed paths NUL-separated
                        on stdin
  --allow-new-source    accept SOURCE as it is now, even if it is empty or
                        on another filesystem than at the last run
  --state-dir DIR       journals, lock and status file (default
                        \$XDG_STATE_HOME/inotify-rsync/<hash of SOURCE>,
                        else ~/.local/state/inotify-rsync/<hash of SOURCE>)
  --rsync-opt OPT       extra rsync argument, repeatable
  --once                one full sync of every target, then exit
  --no-initial-sync     do not start with a full sync
  --log FILE            append log lines to FILE instead of stderr
                        (SIGHUP reopens it)
  --syslog              log to syslog (facility daemon) instead of stderr
  --config FILE         read options from FILE first: one "name value" a
                        line (names as the long options, flags alone or
                        with yes/no; "source" and "dest" lines), # comments;
                        the command line wins
  --inotifywait PATH    inotifywait to run (default: beside this script,
                        else from \$PATH)
  --rsync PATH          rsync to run (default: from \$PATH)
  -q, --quiet           log warnings and errors only
  -v, --verbose         log debugging details too
  -h, --help            show this help and exit
  --version             show the version and exit

Signals: SIGINT/SIGTERM stop cleanly, SIGHUP reopens the log, SIGUSR1 asks
for a full sync of every target.

Exit status: 0 clean stop (SIGINT/SIGTERM) or successful --once; 1 bad usage
or configuration; 2 a required program is missing or too old; 3 --once ran
but some target failed or some path could not be read.
EOT
}

# ---------------------------------------------------------------- helpers

die() { # MESSAGE: usage/configuration error
	printf '%s: %s\n' "$PROG" "$1" >&2
	exit 1
}

die_prog() { # MESSAGE: missing or unusable program
	printf '%s: %s\n' "$PROG" "$1" >&2
	exit 2
}

# now: NOW = the monotonic clock (CLOCK_BOOTTIME, read from /proc/uptime)
# in microseconds.  Every delay, deadline and backoff is measured on it, so
# a step of the wall clock never moves them; only log and status lines
# carry wall-clock times.
now() {
	local up rest
	read -r up rest </proc/uptime
	NOW=$((10#${up%.*} * 1000000 + 10#${up#*.} * 10000))
}

# iso_time: REPLY = current wall-clock time, ISO 8601 with milliseconds.
iso_time() {
	local t=$EPOCHREALTIME
	local s=${t%[.,]*} f=${t#*[.,]}
	printf -v REPLY '%(%Y-%m-%dT%H:%M:%S)T.%s%(%z)T' "$s" "${f:0:3}" "$s"
}

# secs US: REPLY = microseconds US as a decimal number of seconds.
secs() {
	printf -v REPLY '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
}

# short_secs US: REPLY = US in seconds with two decimals (for messages).
short_secs() {
	printf -v REPLY '%d.%02d' $(($1 / 1000000)) $(($1 % 1000000 / 10000))
}

# log LEVEL MESSAGE...: one line "ISO-time level message" on the log.  A
# log file is opened by name for every line, so a rotated log is followed
# at once; a line that cannot be written is dropped.
log() {
	local level=$1
	shift
	case $level in
	debug) ((VERBOSITY >= 2)) || return 0 ;;
	info) ((VERBOSITY >= 1)) || return 0 ;;
	esac
	if ((SYSLOG)); then
		logger -t "$PROG" --id=$$ -p "daemon.${SYSLOG_LEVEL[$level]}" -- "$*" 2>/dev/null || true
		[[ -n $LOG_FILE ]] || return 0
	fi
	iso_time
	if [[ -n $LOG_FILE ]]; then
		printf '%s %s %s\n' "$REPLY" "$level" "$*" 2>/dev/null >>"$LOG_FILE" || true
	else
		printf '%s %s %s\n' "$REPLY" "$level" "$*" >&2 || true
	fi
}

declare -A SYSLOG_LEVEL=([debug]=debug [info]=info [warn]=warning [error]=err)

# quote STRING: REPLY = STRING, shell-quoted if it holds anything unusual,
# so that every log line stays one line.
quote() {
	if [[ $1 =~ ^[][A-Za-z0-9_./:@%+=,~-]+$ ]]; then
		REPLY=$1
	else
		REPLY=${1@Q}
	fi
}

# parse_seconds OPTION VALUE: REPLY = VALUE (seconds, fractions allowed) in
# microseconds; exits 1 on anything else.
parse_seconds() {
	local int frac
	# (the digit test comes first: each =~ resets BASH_REMATCH)
	if [[ $2 == *[0-9]* && $2 =~ ^([0-9]{0,9})(\.([0-9]*))?$ ]]; then
		int=${BASH_REMATCH[1]:-0}
		frac=${BASH_REMATCH[3]:-}000000
		REPLY=$((10#$int * 1000000 + 10#${frac:0:6}))
		return 0
	fi
	die "$1: '$2' is not a valid number of seconds"
}

# parse_count OPTION VALUE: REPLY = VALUE, a count of at least 1.
parse_count() {
	if ! [[ $2 =~ ^[0-9]{1,9}$ ]] || ((10#$2 == 0)); then
		die "$1: '$2' is not a valid count"
	fi
	REPLY=$((10#$2))
}

# sha16 STRING: REPLY = the first 16 hex digits of the SHA-256 of STRING.
sha16() {
	local sum rest
	printf '%s' "$1" | sha256sum | read -r sum rest
	: "$rest"
	REPLY=${sum:0:16}
}

# resolve PATH [-s]: REPLY = absolute PATH with symlinks resolved (or, with
# -s, left as they are); components need not exist.
resolve() {
	REPLY=
	realpath -m -z ${2:+"$2"} -- "$1" | IFS= read -r -d '' REPLY || true
	[[ -n $REPLY ]]
}

# is_local_dest DEST: true if rsync would treat DEST as a local path.
is_local_dest() {
	case $1 in
	rsync://*) return 1 ;;
	/* | ./* | ../*) return 0 ;;
	esac
	[[ ${1%%/*} != *:* ]]
}

# is_daemon_dest DEST: true if DEST names an rsync daemon.
is_daemon_dest() {
	[[ $1 == rsync://* || ${1%%/*} == *::* ]]
}

# inside CHILD PARENT: true if CHILD is PARENT or below it (absolute paths).
inside() {
	[[ $1 == "$2" || $1 == "${2%/}/"* ]]
}

# proc_start PID: REPLY = start time of PID (field 22 of /proc/PID/stat).
proc_start() {
	local line
	local -a f
	REPLY=
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	line=${line##*) }
	read -r -a f <<<"$line"
	REPLY=${f[19]:-}
	[[ -n $REPLY ]]
}

# same_process PID START: PID is alive and is the process that started at
# START (not a later process that reused the number).
same_process() {
	[[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null && proc_start "$1" && [[ $REPLY == "$2" ]]
}

# try_write FILE TEXT: replace FILE by TEXT (through FILE.tmp and a
# rename); false if the state dir refused it (full, read-only).
try_write() {
	if { printf '%s' "$2" >"$1.tmp" && mv -f -- "$1.tmp" "$1"; } 2>/dev/null; then
		return 0
	fi
	rm -f -- "$1.tmp" 2>/dev/null || true
	return 1
}
# ------------------------------------------------------- rsync filter rules

# add_rule TEXT: one --exclude value or --exclude-from line, interpreted as
# rsync does ("- " / "+ " prefixes, "!" clears the list).
add_rule() {
	case $1 in
	'!')
		RULES+=('!')
		COMPLEX_RULES=1
		;;
	'+ '*)
		[[ -n ${1#+ } ]] || return 0
		RULES+=("$1")
		COMPLEX_RULES=1
		;;
	'- '*)
		[[ -n ${1#- } ]] || return 0
		RULES+=("$1")
		;;
	'') ;;
	*) RULES+=("- $1") ;;
	esac
}

# read_exclude_from FILE: add the rules of FILE (comments and blank lines
# skipped, CR LF tolerated), or exit 1 if it cannot be read.
read_exclude_from() {
	local line fd
	if [[ -d $1 ]] || ! { exec {fd}<"$1"; } 2>/dev/null; then
		die "--exclude-from: cannot read '$1'"
	fi
	while IFS= read -r -u "$fd" line || [[ -n $line ]]; do
		line=${line%$'\r'}
		case $line in
		'' | ';'* | '#'*) continue ;;
		esac
		add_rule "$line"
	done
	exec {fd}<&-
}

# descendants_pattern PATTERN: REPLY = a pattern matching everything below
# what PATTERN matches (rsync only checks the names listed in --files-from,
# not their parents).  Fails if PATTERN already covers its descendants.
descendants_pattern() {
	local p=$1
	[[ $p == *'***' ]] && return 1
	while [[ $p == */ ]]; do
		p=${p%/}
	done
	[[ -n $p ]] || return 1
	REPLY="$p/***"
}

# glob_to_ere GLOB: REPLY = an extended regular expression for an rsync
# glob.  Backslashes and unusual bracket expressions fail (not translated).
glob_to_ere() {
	local p=$1 out='' c i class
	for ((i = 0; i < ${#p}; i++)); do
		c=${p:i:1}
		if [[ $c == '[' ]]; then
			# simple classes only: [a-z0-9._], [!...] or [^...]
			class=${p:i+1}
			[[ $class == *']'* ]] || return 1
			class=${class%%]*}
			[[ $class =~ ^[!^]?[A-Za-z0-9_.,~-]+$ ]] || return 1
			i=$((i + ${#class} + 1))
			if [[ ${class:0:1} == '!' || ${class:0:1} == '^' ]]; then
				out+="[^/${class:1}]"
			else
				out+="[$class]"
			fi
			continue
		fi
		case $c in
		'*')
			if [[ ${p:i:2} == '**' ]]; then
				out+='.*'
				while [[ ${p:i+1:1} == '*' ]]; do
					i=$((i + 1))
				done
			else
				out+='[^/]*'
			fi
			;;
		'?') out+='[^/]' ;;
		\\) return 1 ;;
		'.' | '+' | '(' | ')' | '{' | '}' | '|' | '^' | '$') out+="\\$c" ;;
		*) out+=$c ;;
		esac
	done
	REPLY=$out
}

# ere_escape STRING: REPLY = STRING as a literal extended regular expression.
ere_escape() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		\\ | '.' | '[' | ']' | '(' | ')' | '*' | '+' | '?' | '{' | '}' | '|' | '^' | '$') out+="\\$c" ;;
		*) out+=$c ;;
		esac
	done
	REPLY=$out
}

# pattern_to_watch_re PATTERN: REPLY = a regular expression that matches an
# event path "SOURCE/REL" (as printed by inotifywait) only when REL or one
# of its parents is excluded by PATTERN.  Conservative: a directory-
# only pattern does not match the directory's own CREATE event (rsync still
# excludes it).  Fails for patterns that are not translated.
pattern_to_watch_re() {
	local p=$1 dironly=0 pre post
	if [[ $p == */'***' ]]; then
		p=${p%/'***'}
		dironly=1
	fi
	if [[ $p == */ ]]; then
		p=${p%/}
		dironly=1
	fi
	if [[ $p == /* ]]; then
		p=${p#/}
		pre="^$SRC_RE/"
	else
		pre="^$SRC_RE/(.*/)?"
	fi
	[[ -n $p && $p != */ ]] || return 1
	glob_to_ere "$p" || return 1
	if ((dironly)); then
		post='/.*$'
	else
		post='(/.*)?$'
	fi
	REPLY="$pre$REPLY$post"
}

# build_filters: write the rule files used by every rsync and compute the
# watcher's --exclude regex.
build_filters() {
	local r pat re
	local -a inc=() res=()
	ere_escape "$SRC_ABS"
	SRC_RE=$REPLY
	for r in "${RULES[@]}"; do
		inc+=("$r")
		if [[ $r == '- '* ]] && descendants_pattern "${r#- }"; then
			inc+=("- $REPLY")
		fi
	done
	: >"$F_FULL"
	: >"$F_INC"
	if ((${#RULES[@]})); then
		printf '%s\0' "${RULES[@]}" >"$F_FULL"
		printf '%s\0' "${inc[@]}" >"$F_INC"
	fi
	# The watcher may drop an event only if rsync would exclude it anyway;
	# with include rules or "!" that depends on the order of the rules, so
	# nothing is translated then.
	local -a watch_rules=()
	((COMPLEX_RULES)) || watch_rules=("${RULES[@]}")
	for r in "${watch_rules[@]}"; do
		[[ $r == '- '* ]] || continue
		pat=${r#- }
		if pattern_to_watch_re "$pat"; then
			res+=("($REPLY)")
		else
			quote "$pat"
			log debug "exclude $REPLY is left to rsync (not translated for the watcher)"
		fi
	done
	WATCH_RE=
	for re in "${res[@]}"; do
		WATCH_RE+=${WATCH_RE:+|}$re
	done
	quote "$WATCH_RE"
	log debug "watcher --exclude $REPLY"
}

# rsync_escape NAME: REPLY = NAME as an rsync pattern matching NAME
# literally.  With WILD=1 the pattern will contain wildcards (so backslashes
# are escapes and must be doubled).
rsync_escape() {
	local s=$1
	if ((WILD)) || [[ $s == *[\*\?\[]* ]]; then
		s=${s//\\/\\\\}
		s=${s//\*/\\*}
		s=${s//\?/\\?}
		s=${s//\[/\\[}
	fi
	REPLY=$s
}


# ---------------------------------------------------------------- SOURCE

# SOURCE is checked before every sync and every second: a sync that deletes
# must never run against a SOURCE that is gone, that is now another
# filesystem than the one recorded in the state dir (an unmounted or lazily
# unmounted mount point shows the directory below it), that is a mount
# point listed in /etc/fstab with nothing mounted, or that is empty while
# the target is not.  While one of these holds, nothing is pushed: the
# script logs an error once, says so in the status file and waits for
# SOURCE to come back (or for --allow-new-source at the next start).
# A SOURCE replaced on the same filesystem, or a symbolic link switched to
# another directory, is followed: new watcher, then a full sync.

# src_probe: SRC_NOW = the directory SOURCE names now (symbolic links
# resolved), SRC_NOW_ID = "DEV INO", SRC_NOW_MNT = its mount point and
# SRC_NOW_FS its filesystem type; fails if SOURCE names no directory.
# It runs every second: the resolved path and the filesystem type are
# looked up again only when SOURCE names another directory or mount than
# at the last probe (one stat otherwise).
src_probe() {
	local dev ino mode mnt
	SRC_NOW='' SRC_NOW_ID='' SRC_NOW_MNT='' SRC_NOW_FS=''
	stat -L -c '%d %i %f %m' -- "$SOURCE_PATH" 2>/dev/null | read -r dev ino mode mnt || return 1
	(((16#$mode & 8#170000) == 8#040000)) || return 1
	if [[ "$dev $ino $mnt" != "$PROBE_KEY" ]]; then
		PROBE_KEY=
		PROBE_PATH=
		realpath -e -z -- "$SOURCE_PATH" 2>/dev/null | IFS= read -r -d '' PROBE_PATH || true
		[[ -n $PROBE_PATH ]] || return 1
		mount_fstype "$mnt"
		PROBE_FS=$REPLY
		PROBE_KEY="$dev $ino $mnt"
	fi
	SRC_NOW=$PROBE_PATH
	SRC_NOW_ID="$dev $ino"
	SRC_NOW_MNT=$mnt
	SRC_NOW_FS=$PROBE_FS
}

mount_fstype() {
	local line fs='?'
	local -a f
	while IFS= read -r line; do
		read -r -a f <<<"${line%% - *}"
		unescape_octal "\\" "${f[4]:-}"
		[[ $REPLY == "$1" ]] || continue
		read -r fs _ <<<"${line#* - }"
	done </proc/self/mountinfo
	REPLY=$fs
}

# fstab_unmounted: REPLY = a mount point of /etc/fstab at or above SOURCE
# below which SOURCE lies but that holds nothing now (SOURCE's filesystem is
# mounted higher up); fails if there is none.
fstab_unmounted() {
	local spec mp fs rest best=
	[[ -r /etc/fstab ]] || return 1
	while read -r spec mp fs rest; do
		[[ $spec == '#'* || -z $mp || $mp != /* || $fs == swap ]] && continue
		unescape_octal "\\" "$mp"
		mp=${REPLY%/}
		mp=${mp:-/}
		inside "$SRC_NOW" "$mp" || continue
		# mounted there (or below, nearer to SOURCE): fine
		inside "$SRC_NOW_MNT" "$mp" && continue
		((${#mp} > ${#best})) && best=$mp
	done </etc/fstab
	REPLY=$best
	[[ -n $best ]]
}

# src_empty: SOURCE holds no entry at all.
src_empty() {
	local -a e
	e=("$SRC_ABS"/* "$SRC_ABS"/.[!.]* "$SRC_ABS"/..?*)
	((${#e[@]} == 0))
}

# src_record: remember what SOURCE is now in the state dir.
src_record() {
	REC_MNT=$SRC_NOW_MNT
	REC_FS=$SRC_NOW_FS
	REC_ID=$SRC_NOW_ID
	if ! try_write "$SRC_FILE" "$REC_ID $REC_FS $REC_MNT"$'\n'; then
		state_unsaved "the identity of SOURCE"
	fi
}

# src_load: REC_* = what the state dir recorded about SOURCE, if anything.
src_load() {
	local dev ino fs mnt
	REC_ID='' REC_FS='' REC_MNT=''
	[[ -s $SRC_FILE ]] || return 0
	IFS=' ' read -r dev ino fs mnt <"$SRC_FILE" || true
	[[ $dev =~ ^[0-9]+$ && $ino =~ ^[0-9]+$ && -n $fs && $mnt == /* ]] || return 0
	REC_ID="$dev $ino"
	REC_FS=$fs
	REC_MNT=$mnt
}

# src_trouble: SRC_WHY = why SOURCE must not be synced now, or fails if it
# may be (SRC_NOW* describe it then).
src_trouble() {
	SRC_WHY=
	if ! src_probe; then
		quote "$SOURCE_PATH"
		SRC_WHY="SOURCE $REPLY is gone (no such directory)"
	elif [[ -n $REC_MNT && ($SRC_NOW_MNT != "$REC_MNT" || $SRC_NOW_FS != "$REC_FS") ]]; then
		quote "$SRC_NOW"
		SRC_WHY="SOURCE $REPLY is now on the $SRC_NOW_FS filesystem mounted at $SRC_NOW_MNT, not on the $REC_FS filesystem at $REC_MNT as before (unmounted?)"
	elif fstab_unmounted; then
		quote "$REPLY"
		SRC_WHY="nothing is mounted on $REPLY (listed in /etc/fstab), which holds SOURCE"
	fi
	[[ -n $SRC_WHY ]]
}

# src_check: SRC_OK = whether SOURCE may be synced now, logging changes of
# that verdict; a SOURCE that names another directory than the one being
# watched (replaced, or a switched symbolic link) is followed.
src_check() {
	((NOW >= SRC_NEXT_CHECK)) || return 0
	SRC_NEXT_CHECK=$((NOW + 1000000))
	if src_trouble; then
		if ((SRC_OK)) || [[ $SRC_WHY != "$SRC_ERR" ]]; then
			log error "$SRC_WHY: nothing is pushed until it is back"
			SRC_ERR=$SRC_WHY
			STATUS_DIRTY=1
		fi
		SRC_OK=0
		[[ -z $W_PID ]] || kill -TERM "$W_PID" 2>/dev/null || true
		return 0
	fi
	if ((SRC_OK == 0)); then
		log info "SOURCE is back: watcher, then full sync"
		SRC_OK=1
		SRC_ERR=
		STATUS_DIRTY=1
		src_follow
	elif [[ $SRC_NOW_ID != "$SRC_ID" || $SRC_NOW != "$SRC_ABS" ]]; then
		quote "$SRC_NOW"
		log warn "SOURCE itself was moved, replaced or deleted; it names $REPLY now"
		src_follow
	fi
	return 0
}

# src_follow: watch what SOURCE names now (SRC_NOW*), then a full sync.
src_follow() {
	SRC_ABS=$SRC_NOW
	SRC_ID=$SRC_NOW_ID
	[[ $SRC_NOW_MNT == "$REC_MNT" && $SRC_NOW_ID == "$REC_ID" ]] || src_record
	build_filters
	[[ -z $W_PID ]] || kill -TERM "$W_PID" 2>/dev/null || true
	W_NEXT=0
}

# empty_guard I: fails (target I must not get a full sync now) if SOURCE
# is empty while the target is not, unless --allow-new-source was given.
# A local target is looked at; of a remote one, the state dir knows whether
# it was ever pushed anything.
empty_guard() {
	local -n t=T$1
	local -a e
	((ALLOW_NEW == 0 && ${#FULL_DELETE[@]})) || return 0
	src_empty || return 0
	if is_local_dest "${t["dest"]}"; then
		e=("${t["dest"]}"/* "${t["dest"]}"/.[!.]* "${t["dest"]}"/..?*)
		((${#e[@]})) || return 0
	else
		((t["hasdata"])) || return 0
	fi
	if [[ ${t["guard"]} != empty ]]; then
		quote "$SRC_ABS"
		log error "target ${t["num"]}: SOURCE $REPLY is empty but the target is not: no full sync (give --allow-new-source once if this is meant)"
		t["guard"]=empty
		STATUS_DIRTY=1
	fi
	return 1
}

# note_data I: after a push to target I, remember whether it holds data.
note_data() {
	local -n t=T$1
	if [[ ${t["job"]} == full ]] && src_empty; then
		((t["hasdata"] == 0)) && return 0
		t["hasdata"]=0
		rm -f -- "${t["hasdatafile"]}" 2>/dev/null || true
	elif ((t["hasdata"] == 0)) && ! src_empty; then
		t["hasdata"]=1
		try_write "${t["hasdatafile"]}" '' || true
	fi
	return 0
}

# ---------------------------------------------------------------- state dir

# The state dir may fill up or turn read-only: syncing then goes on from
# memory, the first failure is logged, and the writes are retried every
# second until they succeed.  Until then the lock is left behind at exit,
# so that the next start counts this run as unclean and makes a full sync.

# state_unsaved WHAT: writing WHAT to the state dir failed.
state_unsaved() {
	if ((STATE_WARNED == 0)); then
		STATE_WARNED=1
		log error "cannot write $1 to the state dir $STATE_DIR (full or read-only?): going on from memory, retrying every second"
	fi
	STATE_UNSAVED=1
}

# state_retry: write again what could not be written.
state_retry() {
	local i
	((STATE_UNSAVED && NOW >= NEXT_SAVE)) || return 0
	NEXT_SAVE=$((NOW + 1000000))
	STATE_UNSAVED=0
	for i in "${TARGETS[@]}"; do
		target_save "$i"
	done
	[[ -z $REC_MNT ]] || try_write "$SRC_FILE" "$REC_ID $REC_FS $REC_MNT"$'\n' || STATE_UNSAVED=1
	write_status
	if ((STATE_UNSAVED == 0 && STATE_WARNED)); then
		STATE_WARNED=0
		log info "the state dir takes writes again: journals written"
	fi
	return 0
}

# target_save I: write what target I could not write before.
target_save() {
	local -n t=T$1
	((t["saved"])) || journal_write "$1"
	((t["marked"])) || full_mark "$1"
	return 0
}

# valid_rel PATH: a relative path without empty, "." or ".." components.
valid_rel() {
	case /$1/ in
	// | *//* | */./* | */../*) return 1 ;;
	esac
	[[ $1 != /* ]]
}

# journal_load I: Q$I = the records of target I's journal; a torn last
# record (crash during an append) or an invalid one is dropped and a full
# sync requested instead.
journal_load() {
	local -n t=T$1 q=Q$1
	local p='' bad=0
	q=()
	[[ -s ${t[journal]} ]] || return 0
	while IFS= read -r -d '' p; do
		if valid_rel "$p"; then
			q+=("$p")
		else
			bad=1
		fi
	done <"${t[journal]}"
	[[ -n $p ]] && bad=1
	if ((bad)); then
		log warn "target ${t[num]}: damaged journal repaired; a full sync follows"
		journal_write "$1"
		request_full "$1"
	fi
	return 0
}

# journal_write I: replace target I's journal by what memory holds (the
# paths retried on their own, then the queue).
journal_write() {
	local -n t=T$1 q=Q$1 r=R$1
	local j=${t[journal]}
	if { : >"$j.tmp" &&
		{ ((${#r[@]} == 0)) || printf '%s\0' "${r[@]}" >>"$j.tmp"; } &&
		{ ((${#q[@]} == 0)) || printf '%s\0' "${q[@]}" >>"$j.tmp"; } &&
		mv -f -- "$j.tmp" "$j"; } 2>/dev/null; then
		t["saved"]=1
	else
		rm -f -- "$j.tmp" 2>/dev/null || true
		t["saved"]=0
		state_unsaved "the journal of target ${t[num]}"
	fi
}

# journal_append I PATH...: queue PATHs for target I.
journal_append() {
	local -n t=T$1 q=Q$1
	shift
	q+=("$@")
	((t["saved"])) || return 0
	if ! { printf '%s\0' "$@" >>"${t[journal]}"; } 2>/dev/null; then
		t["saved"]=0
		state_unsaved "the journal of target ${t[num]}"
	fi
}

# request_full I: target I needs a full sync (remembered in a marker file).
request_full() {
	local -n t=T$1
	FULL_SEQ=$((FULL_SEQ + 1))
	t["full"]=$FULL_SEQ
	full_mark "$1"
	STATUS_DIRTY=1
}

# full_mark I: the marker file of target I says whether a full sync is due.
full_mark() {
	local -n t=T$1
	t["marked"]=1
	if ((t["full"] == 0)); then
		rm -f -- "${t[mark]}" 2>/dev/null || true
	elif ! { : >"${t[mark]}"; } 2>/dev/null; then
		t["marked"]=0
		state_unsaved "the full-sync marker of target ${t[num]}"
	fi
}

# ------------------------------------------------------------- status file

# target_state I: REPLY = what target I is doing, for the status file.
target_state() {
	local -n t=T$1 q=Q$1
	if [[ $RUN_STATE == stopped ]]; then
		REPLY=stopped
	elif [[ -n ${t[pid]} ]]; then
		short_secs $((NOW - t["jobstart"]))
		REPLY="running for ${REPLY}s"
	elif ((SRC_OK == 0)); then
		REPLY="waiting for SOURCE"
	elif [[ ${t[guard]} == empty ]]; then
		REPLY="waiting: SOURCE is empty, the target is not"
	elif ((t["next"] > NOW)); then
		short_secs $((t["next"] - NOW))
		REPLY="retry in ${REPLY}s"
	elif ((t["full"] || ${#q[@]})); then
		REPLY=queued
	else
		REPLY=idle
	fi
}

# status_target I: append target I's lines to TEXT.
status_target() {
	local -n t=T$1 q=Q$1 r=R$1
	local n=${t[num]} full=no p k=0
	((t["full"])) && full=yes
	target_state "$1"
	local state=$REPLY
	quote "${t[dest]}"
	TEXT+="target $n dest $REPLY"$'\n'
	TEXT+="target $n last_success ${t[lastok]:-never}"$'\n'
	TEXT+="target $n pending $((${#q[@]} + ${#r[@]}))"$'\n'
	TEXT+="target $n full_sync_pending $full"$'\n'
	TEXT+="target $n state $state"$'\n'
	TEXT+="target $n last_error ${t[lasterr]:-none}"$'\n'
	TEXT+="target $n rsync_runs ${t[runs]}"$'\n'
	TEXT+="target $n failing ${#r[@]}"$'\n'
	for p in "${r[@]}"; do
		((k++ < 10)) || break
		quote "$p"
		TEXT+="target $n failing_path $REPLY"$'\n'
	done
}

write_status() {
	local i watcher=down
	STATUS_DIRTY=0
	[[ -n $W_PID ]] && watcher=running
	now
	iso_time
	TEXT="# $PROG $VERSION status"$'\n'"updated $REPLY"$'\n'
	quote "$SOURCE_PATH"
	TEXT+="source $REPLY"$'\n'"pid $$"$'\n'"state $RUN_STATE"$'\n'"watcher $watcher"$'\n'
	TEXT+="source_error ${SRC_ERR:-none}"$'\n'
	for i in "${TARGETS[@]}"; do
		status_target "$i"
	done
	if ! try_write "$STATUS" "$TEXT"; then
		state_unsaved "the status file"
	fi
}

# ------------------------------------------------------------- rsync jobs

# Each target I has an associative array T$I, its queue Q$I (paths to push,
# in order, duplicates allowed), R$I (paths rsync could not push, retried on
# their own with their own backoff, so that they never hold back new
# changes), W$I (those already warned about) and JL$I (the list of the
# job in progress).  Keys of T$I:
#   dest num id journal mark out okfile pidfile    names
#   full       sequence number of the pending full sync (0: none)
#   marked saved  the marker file / the journal file match memory
#   pid job jobn jobfull jobpaths jobstart jobretry   the job in progress
#   next backoff failing   the target's own retry schedule after a failure
#   rnext rbackoff rfull   the schedule of R$I; rfull: retry a full sync
#   lastok lasterr runs initial guard guardnext conn

# build_list ARRAY N: LIST = the paths to push from the first N entries of
# ARRAY: deduplicated, a path whose parent is no longer a directory
# (vanished, or now a file or a symlink) replaced by its topmost such
# parent, and paths below another listed path dropped (a listed directory
# is synced recursively, a vanished one deleted whole).
build_list() {
	local -n from=$1
	local n=$2 k p q rest c keep
	local -A seen=() isdir=()
	local -a paths=()
	LIST=()
	for ((k = 0; k < n; k++)); do
		p=${from[k]}
		rest=$p
		q=
		while [[ $rest == */* ]]; do
			c=${rest%%/*}
			rest=${rest#*/}
			q=${q:+$q/}$c
			if [[ -z ${isdir[$q]+x} ]]; then
				isdir[$q]=n
				[[ -d $SRC_ABS/$q && ! -L $SRC_ABS/$q ]] && isdir[$q]=y
			fi
			if [[ ${isdir[$q]} == n ]]; then
				p=$q
				break
			fi
		done
		if [[ -z ${seen[$p]+x} ]]; then
			seen[$p]=1
			paths+=("$p")
		fi
	done
	for p in "${paths[@]}"; do
		q=$p
		keep=1
		while [[ $q == */* ]]; do
			q=${q%/*}
			if [[ -n ${seen[$q]+x} ]]; then
				keep=0
				break
			fi
		done
		((keep)) && LIST+=("$p")
	done
	return 0
}

# print_chain: the include chain for LIST on stdout (rsync without
# --delete-missing-args, or rules with includes): every parent directory,
# each path and everything below it.
print_chain() {
	local p rest acc c
	local -A done_dirs=()
	local -a rules=()
	for p in "${LIST[@]}"; do
		rest=$p
		acc=
		while [[ $rest == */* ]]; do
			c=${rest%%/*}
			rest=${rest#*/}
			acc+=/$c
			if [[ -z ${done_dirs[$acc]+x} ]]; then
				done_dirs[$acc]=1
				WILD=0 rsync_escape "$acc"
				rules+=("+ $REPLY/")
			fi
		done
		acc+=/$rest
		WILD=0 rsync_escape "$acc"
		rules+=("+ $REPLY")
		# also for a file: it may replace a directory on the target, whose
		# content must not be protected by the final "- *"
		WILD=1 rsync_escape "$acc"
		rules+=("+ $REPLY/***")
	done
	rules+=('- *')
	printf '%s\0' "${rules[@]}"
}

# feed_list KIND: what rsync reads on stdin for a job of KIND.
feed_list() {
	case $1 in
	full) ;;
	*)
		if ((USE_FILES_FROM)); then
			# "./" keeps names starting with '#' or ';' from being comments
			printf './%s\0' "${LIST[@]}"
		else
			print_chain
		fi
		;;
	esac
}

# start_job I KIND: start an rsync for target I: a full sync, a push of its
# queue (inc) or of its failing paths (retry).  The paths travel on rsync's
# stdin, so that nothing of the push depends on the state dir being
# writable.
start_job() {
	local -n t=T$1 q=Q$1 r=R$1 jl=JL$1 m=M$1
	local i=$1 kind=$2
	local -a args=("${RSYNC_BASE[@]}")
	if [[ $kind == retry ]] && ((t["rfull"])); then
		t["rfull"]=0
		log info "target ${t[num]}: retrying the full sync that rsync could not complete"
		request_full "$i"
		kind=full
	fi
	t["jobn"]=${#q[@]}
	if [[ $kind == inc ]]; then
		build_list "Q$i" "${t[jobn]}"
		if ((${#LIST[@]} > MAX_BATCH)); then
			log info "target ${t[num]}: ${#LIST[@]} paths queued (more than $MAX_BATCH): full sync"
			request_full "$i"
			kind=full
		fi
	elif [[ $kind == retry ]]; then
		t["jobn"]=${#r[@]}
		build_list "R$i" "${t[jobn]}"
	fi
	if [[ $kind == full ]]; then
		if ! empty_guard "$i"; then
			t["guardnext"]=$((NOW + 1000000))
			return 0
		fi
		t["guard"]=
		LIST=()
		args+=("${FULL_DELETE[@]}" --exclude-from="$F_FULL")
	elif ((USE_FILES_FROM)); then
		args+=(-r "${INC_DELETE[@]}" --files-from=- --exclude-from="$F_INC")
	else
		args+=("${INC_DELETE[@]}" --exclude-from="$F_FULL" --include-from=-)
	fi
	jl=("${LIST[@]}")
	args+=(${t[conn]:+"${t[conn]}"} "${RSYNC_OPTS[@]}" ${t[rsh]:+-e "${t[rsh]}"} \
		-- "$SRC_ABS/" "${t[dest]}")
	t["jobmoves"]=0
	[[ $kind == inc ]] && t["jobmoves"]=${#m[@]}
	(
		[[ -n $EV_FD ]] && exec {EV_FD}<&-
		exec {IDLE_FD}<&-
		umask "$ORIG_UMASK"
		((t["jobmoves"] == 0)) || make_moves "$i"
		# (the list is fed from here: one fork less for the main loop)
		exec "${PDEATH[@]}" "$RSYNC" "${args[@]}" < <(feed_list "$kind") # (in its subshell)
	) >"${t[out]}" 2>&1 &
	t["pid"]=$!
	if proc_start "${t[pid]}"; then
		{ printf '%s %s\n' "${t[pid]}" "$REPLY" >"${t[pidfile]}"; } 2>/dev/null || true
	fi
	t["job"]=$kind
	t["jobfull"]=${t[full]}
	t["jobpaths"]=${#LIST[@]}
	t["jobstart"]=$NOW
	t["runs"]=$((t["runs"] + 1))
	case $kind in
	full) log info "target ${t[num]}: rsync #${t[runs]}: full sync" ;;
	retry) log info "target ${t[num]}: rsync #${t[runs]}: retry of ${#LIST[@]} failing path(s)" ;;
	*) log info "target ${t[num]}: rsync #${t[runs]}: ${#LIST[@]} path(s)" ;;
	esac
	STATUS_DIRTY=1
}

# --moves: the renames of a batch are made on local and ssh targets
# before its push (which then finds the files in place and sends no data);
# a rename that cannot be made there is left to the push.  On the target,
# each pair "OLD\0NEW\0" is read by xargs and renamed by sh: the paths
# never go through a command line that a shell splits.
# shellcheck disable=SC2016 # expanded by that sh, not here
MOVER='[ -e "$1" ] || [ -h "$1" ] || exit 0
if [ -d "$2" ] && [ ! -h "$2" ]; then exit 0; fi
mkdir -p -- "${2%/*}" 2>/dev/null
mv -f -- "$1" "$2"'

# make_moves I: make target I's pending renames, in the job's subshell
# (stdout and stderr go to its rsync output).
make_moves() {
	local -n t=T$1 m=M$1
	local base p k
	local -a rsh pairs=()
	base=./
	[[ ${t[mover]} == ssh ]] && base=${t["dest"]#*:}
	[[ -z $base || $base == */ ]] || base+=/
	[[ -n $base ]] || base=./
	for ((k = 0; k < t["jobmoves"]; k++)); do
		p=${m[k]}
		pairs+=("$base$p")
	done
	if [[ ${t[mover]} == local ]]; then
		printf '%s\0' "${pairs[@]}" |
			(cd -- "${t[dest]}" && xargs -0 -n 2 sh -c "$MOVER" mv) || true
	else
		read -r -a rsh <<<"${t[rsh]}"
		printf '%s\0' "${pairs[@]}" |
			"${rsh[@]}" "${t[host]}" "xargs -0 -n 2 sh -c '$MOVER' mv" || true
	fi
}

# unescape_octal PREFIX TEXT: REPLY = TEXT with every PREFIX followed by
# three octal digits replaced by that byte (as mountinfo and fstab write
# unusual bytes of a path: "\ooo").
unescape_octal() {
	local p=$1 s=$2 out='' pre c
	while [[ $s == *"$p"[0-7][0-7][0-7]* ]]; do
		pre=${s%%"$p"[0-7][0-7][0-7]*}
		printf -v c '%b' "\\0${s:${#pre}+${#p}:3}"
		out+=$pre$c
		s=${s:${#pre}+${#p}+3}
	done
	REPLY=$out$s
}

# failed_paths I: FAILED = the paths below SOURCE that target I's last
# rsync could not read, found by looking at them (rsync's own messages are
# for people, not parsed), and FAILMSG[path] = why: a regular file without
# read permission, a directory that cannot be listed, or a listed path
# below a directory that cannot be searched.  What the excludes drop is
# left out.
failed_paths() {
	local -n t=T$1 jl=JL$1
	local p q top
	local -a roots=()
	FAILED=()
	FAILMSG=()
	if [[ ${t[job]} == full ]]; then
		roots=("$SRC_ABS")
	else
		for p in "${jl[@]}"; do
			q=$p top=
			while [[ $q == */* ]]; do
				q=${q%/*}
				[[ -x $SRC_ABS/$q ]] || top=$q
			done
			if [[ -n $top ]]; then
				fail_path "$p" "${top@Q} cannot be searched"
			elif [[ -e $SRC_ABS/$p || -L $SRC_ABS/$p ]]; then
				roots+=("$SRC_ABS/$p")
			fi
		done
	fi
	((${#roots[@]})) || return 0
	printf '%s\0' "${roots[@]}" | xargs -0 sh -c "$FIND_UNREADABLE" find 2>/dev/null |
		while IFS= read -r -d '' p; do
			if [[ -d $p && ! -r $p ]]; then
				fail_path "${p#"$SRC_ABS/"}" "directory cannot be listed"
			elif [[ -d $p ]]; then
				fail_path "${p#"$SRC_ABS/"}" "directory cannot be searched"
			else
				fail_path "${p#"$SRC_ABS/"}" "no read permission"
			fi
		done || true
	return 0
}

# (find: the paths are absolute, so none is taken for an option)
# shellcheck disable=SC2016 # expanded by that sh, not here
FIND_UNREADABLE='exec find "$@" \( -type d \( ! -readable -o ! -executable \) -print0 -prune \) \
	-o \( -type f ! -readable -print0 \)'

# fail_path REL WHY: REL (if valid and not excluded) is in FAILED.
fail_path() {
	valid_rel "$1" || return 0
	[[ -z ${FAILMSG[$1]+x} ]] || return 0
	[[ -z $WATCH_RE || ! $SRC_ABS/$1 =~ $WATCH_RE ]] || return 0
	FAILED+=("$1")
	FAILMSG[$1]=$2
}

# first_complaint I: REPLY = the first specific complaint ("rsync: ...") of
# target I's last rsync, else its summary line.
first_complaint() {
	local -n t=T$1
	local line last='' k=0
	# (its first 50 lines: read here, never through a substitution)
	while ((k++ < 50)) && IFS= read -r line; do
		case $line in
		'rsync: '*)
			last=$line
			break
			;;
		'') ;;
		*) [[ $last == 'rsync error: '* ]] || last=$line ;;
		esac
	done 2>/dev/null <"${t[out]}" || true
	REPLY=${last:-no message}
}

# retry_set I PATH...: R$I = PATHs (deduplicated) and what of R$I lies
# below one of them; the others that left it reached the target at last.
retry_set() {
	local -n t=T$1 r=R$1 w=W$1
	local p q
	local -a below=()
	local -A keep=()
	shift
	for p; do
		keep[$p]=1
	done
	for p in "${r[@]}"; do
		[[ -z ${keep[$p]+x} ]] || continue
		q=$p
		while [[ $q == */* ]]; do
			q=${q%/*}
			[[ -z ${keep[$q]+x} ]] && continue
			below+=("$p")
			continue 2
		done
		[[ -n ${w[$p]+x} ]] || continue
		quote "$p"
		log info "target ${t[num]}: $REPLY reached the target at last"
		unset 'w[$p]'
	done
	for p in "${below[@]}"; do
		keep[$p]=1
	done
	set -- "$@" "${below[@]}"
	r=()
	for p; do
		[[ ${keep[$p]} == 1 ]] || continue
		keep[$p]=2
		r+=("$p")
	done
}

# push_reached I: what every push that reached target I settles: the
# queued paths it covered (and renames), the full sync it was, the
# target's backoff.
push_reached() {
	local -n t=T$1 q=Q$1 m=M$1
	((t["jobn"] > 0)) && q=("${q[@]:${t[jobn]}}")
	((t["jobmoves"] == 0)) || m=("${m[@]:${t[jobmoves]}}")
	if [[ ${t[job]} == full ]]; then
		m=() # a full sync covers them
	fi
	if [[ ${t[job]} == full ]] && ((t["full"] == t["jobfull"])); then
		t["full"]=0
		full_mark "$1"
	fi
	note_data "$1"
	t["backoff"]=$RETRY_US
	t["next"]=0
	iso_time
	t["lastok"]=$REPLY
	try_write "${t[okfile]}" "$REPLY"$'\n' || true
	if ((t["failing"])); then
		log info "target ${t[num]}: reachable again"
		t["failing"]=0
	fi
}

# --on-push: after each push that reached a target, COMMAND runs with the
# target as $1 and the pushed paths (relative to SOURCE, "." for a full
# sync) NUL-separated on its stdin.  It runs beside the syncing, one at a
# time per target: what is pushed meanwhile waits for the next run.

# hook_queue I [FAILED...]: the paths the push to target I just brought,
# but the FAILED ones, wait for the --on-push command.
hook_queue() {
	local -n t=T$1 h=H$1 jl=JL$1
	local i=$1 p
	local -A failed=()
	[[ -n $ON_PUSH ]] || return 0
	shift
	for p; do
		failed[$p]=1
	done
	if [[ ${t[job]} == full ]]; then
		h+=(.)
	else
		for p in "${jl[@]}"; do
			[[ -n ${failed[$p]+x} ]] || h+=("$p")
		done
	fi
	hook_start "$i"
}

# hook_start I: run the --on-push command for target I if it has paths
# waiting and none runs.
hook_start() {
	local -n t=T$1 h=H$1
	[[ -z ${t[hook]} ]] && ((${#h[@]})) || return 0
	(
		[[ -n $EV_FD ]] && exec {EV_FD}<&-
		exec {IDLE_FD}<&-
		umask "$ORIG_UMASK"
		exec /bin/sh -c "$ON_PUSH" "$PROG" "${t[dest]}"
	) < <(printf '%s\0' "${h[@]}") >"${t[hookout]}" 2>&1 & # (in its subshell)
	t["hook"]=$!
	log debug "target ${t[num]}: --on-push command started for ${#h[@]} path(s)"
	h=()
}

# reap_hook I: collect target I's --on-push command if it has exited.
reap_hook() {
	local -n t=T$1
	local rc=0 line=''
	[[ -n ${t[hook]} ]] || return 0
	kill -0 "${t[hook]}" 2>/dev/null && return 0
	wait "${t[hook]}" || rc=$?
	t["hook"]=
	if ((rc)); then
		IFS= read -r line <"${t[hookout]}" 2>/dev/null || true
		quote "$line"
		log warn "target ${t[num]}: the --on-push command failed (status $rc)${line:+: $REPLY}"
	fi
	hook_start "$1"
}

# job_ok I: rsync exit status 0 or 24 (files vanished meanwhile).
job_ok() {
	local -n t=T$1 r=R$1
	case ${t[job]} in
	full)
		t["rfull"]=0
		retry_set "$1"
		;;
	retry)
		retry_set "$1" "${r[@]:${t[jobn]}}"
		t["rbackoff"]=$RETRY_US
		t["jobn"]=0
		;;
	esac
	push_reached "$1"
	hook_queue "$1"
	journal_write "$1"
}

# job_partial I: rsync exit status 23 (some paths could not be pushed):
# everything else reached target I; the paths rsync named are retried on
# their own with their own backoff, so new changes keep being pushed on
# time.  A directory rsync could not list also kept it from deleting in
# the other directories of that run: those are queued again at once (for
# a full sync, the full sync is retried with the failing paths).
job_partial() {
	local -n t=T$1 r=R$1 w=W$1 jl=JL$1
	local i=$1 p d kind=${t[job]} dirs=0 was=${#r[@]}
	local -a fail again=() rest=("${r[@]}")
	failed_paths "$i"
	fail=("${FAILED[@]}")
	if ((${#fail[@]} == 0)); then
		log warn "target ${t[num]}: rsync status 23 without naming a path: the whole push is retried on its own"
		case $kind in
		full) t["rfull"]=1 ;;
		inc) fail=("${jl[@]}") ;;
		retry) fail=("${r[@]:0:${t[jobn]}}") ;;
		esac
	fi
	for p in "${fail[@]}"; do
		[[ -d $SRC_ABS/$p && ! -L $SRC_ABS/$p ]] && dirs=1
		[[ -z ${w[$p]+x} ]] || continue
		w["$p"]=1
		quote "$p"
		log warn "target ${t[num]}: rsync could not push $REPLY (${FAILMSG[$p]:-status 23}); it is retried on its own"
	done
	if ((dirs)) && [[ $kind == full ]]; then
		t["rfull"]=1
	elif ((dirs)); then
		for p in "${jl[@]}"; do
			for d in "${fail[@]}"; do
				[[ $d == "$p" || $d == "$p/"* ]] && continue 2
			done
			again+=("$p")
		done
	fi
	if [[ $kind == retry ]]; then
		rest=("${r[@]:${t[jobn]}}")
		t["jobn"]=0
		t["rbackoff"]=$((t["rbackoff"] * 2))
		((t["rbackoff"] > MAXRETRY_US)) && t["rbackoff"]=$MAXRETRY_US
		t["rnext"]=$((NOW + t["rbackoff"]))
	elif ((was == 0)); then
		t["rbackoff"]=$RETRY_US
		t["rnext"]=$((NOW + RETRY_US))
	fi
	retry_set "$i" "${rest[@]}" "${fail[@]}"
	push_reached "$i"
	hook_queue "$i" "${fail[@]}"
	((${#again[@]} == 0)) || journal_append "$i" "${again[@]}"
	journal_write "$i"
	iso_time
	t["lasterr"]="$REPLY rsync status 23: ${#r[@]} path(s) not pushed, retried on their own"
}

# job_failed I RC WHAT TOOK: the push did not reach target I: everything
# stays queued and the target is retried with backoff.
job_failed() {
	local -n t=T$1
	first_complaint "$1"
	local last=$REPLY
	iso_time
	t["lasterr"]="$REPLY rsync status $2: $last"
	t["next"]=$((NOW + t["backoff"]))
	short_secs "${t[backoff]}"
	local backoff=$REPLY
	quote "${t[dest]}"
	log warn "target ${t[num]} ($REPLY): $3 failed after $4s (rsync status $2: $last); retry in ${backoff}s"
	t["backoff"]=$((t["backoff"] * 2))
	((t["backoff"] > MAXRETRY_US)) && t["backoff"]=$MAXRETRY_US
	t["failing"]=1
}

# job_done I STATUS: bookkeeping after target I's rsync exited with STATUS.
job_done() {
	local -n t=T$1
	local i=$1 rc=$2 what
	now
	short_secs $((NOW - t["jobstart"]))
	local took=$REPLY
	rm -f -- "${t[pidfile]}" 2>/dev/null || true
	case ${t[job]} in
	full) what='full sync' ;;
	retry) what="retry of ${t[jobpaths]} failing path(s)" ;;
	*) what="push of ${t[jobpaths]} path(s)" ;;
	esac
	case $rc in
	0 | 24)
		job_ok "$i"
		log info "target ${t[num]}: $what done in ${took}s (rsync status $rc)"
		;;
	23)
		job_partial "$i"
		log info "target ${t[num]}: $what done in ${took}s, but for ${#FAILED[@]} path(s) (rsync status 23)"
		;;
	*) job_failed "$i" "$rc" "$what" "$took" ;;
	esac
	if ((t["initial"])); then
		t["initial"]=0
		INITIAL_LEFT=$((INITIAL_LEFT - 1))
		((rc == 0 || rc == 23 || rc == 24)) && INITIAL_OK=$((INITIAL_OK + 1))
		if ((INITIAL_LEFT == 0)); then
			log info "initial sync done ($INITIAL_OK of ${#TARGETS[@]} target(s) ok)"
		fi
	fi
	STATUS_DIRTY=1
}

# reap_job I: collect target I's rsync if it has exited.
reap_job() {
	local -n t=T$1
	local rc=0 pid=${t[pid]}
	[[ -n $pid ]] || return 0
	kill -0 "$pid" 2>/dev/null && return 0
	wait "$pid" || rc=$?
	t["pid"]=
	job_done "$1" "$rc"
}

reap_jobs() {
	local i
	for i in "${TARGETS[@]}"; do
		reap_job "$i"
		reap_hook "$i"
	done
}

# jobs_running: true if some rsync job or --on-push command still runs.
jobs_running() {
	local i
	for i in "${TARGETS[@]}"; do
		local -n t=T$i
		[[ -n ${t[pid]}${t[hook]} ]] && return 0
		unset -n t
	done
	return 1
}

# job_due I: REPLY = the kind of job target I should start now, if any.
job_due() {
	local -n t=T$1 q=Q$1 r=R$1
	[[ -z ${t[pid]} ]] || return 1
	((NOW >= t["next"])) || return 1
	if ((t["full"])); then
		((NOW >= t["guardnext"])) || return 1
		REPLY=full
	elif ((${#q[@]})); then
		REPLY=inc
	elif ((t["rfull"] || ${#r[@]})) && ((NOW >= t["rnext"])); then
		REPLY=retry
	else
		return 1
	fi
}

# schedule: start a job for every idle target with work due, if SOURCE
# still is what it was (checked right before).
schedule() {
	local i due=0
	for i in "${TARGETS[@]}"; do
		job_due "$i" && due=1
	done
	((due)) || return 0
	SRC_NEXT_CHECK=0
	src_check
	((SRC_OK)) || return 0
	for i in "${TARGETS[@]}"; do
		job_due "$i" || continue
		start_job "$i" "$REPLY"
	done
}

# ---------------------------------------------------------------- batches

# The watcher does the batching (inotifywait --batch DELAY,MAX): it prints
# each changed path of a batch once, "EVENTS\0PATH\0OLDPATH\0", then an
# empty record; the script only decides what each target gets.

# read_batch: read one whole batch from the watcher (once its first byte
# is there the rest follows at once: it writes a batch in one go) and hand
# it to the targets; fails once the watcher's pipe is closed.  A record is
# "EVENTS\0PATH\0FROM\0" (FROM: the old path of a rename), a batch ends
# with an empty EVENTS.  This loop is the only work done a path.
read_batch() {
	local ev p from
	while IFS= read -r -d '' -u "$EV_FD" ev; do
		if [[ -z $ev ]]; then
			flush_batch
			return 0
		fi
		{ IFS= read -r -d '' -u "$EV_FD" p && IFS= read -r -d '' -u "$EV_FD" from; } || break
		if [[ $ev == *Q_OVERFLOW* ]]; then
			log warn "inotify event queue overflowed: full sync"
			BATCH_FULL=1
		fi
		# SOURCE itself (what it names is checked by src_check) and what
		# lies outside it are not paths to push
		[[ $p == "$SRC_ABS"/?* ]] || continue
		p=${p#"$SRC_ABS"/}
		p=${p%/}
		# a file written while open (--push-open): at most every PUSH_OPEN_US
		[[ $ev != MODIFY ]] || open_due "$p" || continue
		if ((VERBOSITY >= 2)); then
			quote "$p"
			log debug "event $ev $REPLY"
		fi
		((BATCH_FULL == 0)) || continue
		if [[ -z ${BATCH_SEEN[$p]+x} ]]; then
			BATCH_SEEN[$p]=1
			BATCH+=("$p")
		fi
		if [[ -n $from && $ev == *MOVED_TO* && $from == "$SRC_ABS"/?* ]]; then
			batch_move "$from" "$p"
		fi
		((${#BATCH[@]} <= MAX_BATCH)) || batch_too_big
	done
	watcher_gone
	return 1
}

# batch_move FROM REL: a rename from the absolute path FROM to REL.
batch_move() {
	local from=${1#"$SRC_ABS"/}
	from=${from%/}
	if [[ -z ${BATCH_SEEN[$from]+x} ]]; then
		BATCH_SEEN[$from]=1
		BATCH+=("$from")
	fi
	BATCH_MOVES+=("$from" "$2")
}

# batch_too_big: the batch in hand becomes a full sync.
batch_too_big() {
	log info "batch holds more than $MAX_BATCH paths: full sync"
	BATCH_FULL=1
	BATCH=()
	BATCH_SEEN=()
	BATCH_MOVES=()
}

# open_due PATH: a file written while it stays open (MODIFY without its
# CLOSE_WRITE yet, --push-open) is pushed at most every PUSH_OPEN_US.
open_due() {
	local last=${OPEN_PUSHED[$1]:-}
	[[ -n $last ]] && ((NOW - last < PUSH_OPEN_US)) && return 1
	if ((${#OPEN_PUSHED[@]} > 10000)); then
		OPEN_PUSHED=()
	fi
	OPEN_PUSHED[$1]=$NOW
}

# flush_batch: hand the batch in hand to every target's queue.
flush_batch() {
	local i
	if ((BATCH_FULL)); then
		full_all "batch"
	elif ((${#BATCH[@]})); then
		log info "batch: ${#BATCH[@]} path(s)"
		for i in "${TARGETS[@]}"; do
			queue_batch "$i"
		done
	fi
	BATCH_FULL=0
	BATCH=()
	BATCH_SEEN=()
	BATCH_MOVES=()
	STATUS_DIRTY=1
}

# queue_batch I: the batch in hand joins target I's queue, unless the next
# job of the target is a full sync that will cover it anyway; its renames
# are kept to be made on the target first (--moves).
queue_batch() {
	local -n t=T$1 q=Q$1 m=M$1
	if ((t["full"])) && [[ -z ${t[pid]} || ${t[job]} != full ]]; then
		return 0
	fi
	journal_append "$1" "${BATCH[@]}"
	((${#BATCH_MOVES[@]} == 0 || ${#t[mover]} == 0)) || m+=("${BATCH_MOVES[@]}")
	if ((${#q[@]} > 4 * MAX_BATCH && t["full"] == 0)); then
		log info "target ${t[num]}: more than $((4 * MAX_BATCH)) paths queued: full sync"
		request_full "$1"
	fi
}

# ---------------------------------------------------------------- watcher

# start_watcher: run inotifywait on SOURCE and wait until it is ready.
start_watcher() {
	local line='' rc=0
	local -a errs=() cmd=("${IW_CMD[@]}" ${BACKEND:+"$BACKEND"} -m -r
		--batch "$BATCH_ARG" --batch-notify 3 --format '%e%0%w%f%0%F%0'
		--no-newline -e "$EVENTS")
	((MOVES == 0)) || cmd+=(--rename-records)
	[[ -n $WATCH_RE ]] && cmd+=(--exclude "$WATCH_RE")
	# the whole filesystem is watched (-S): what lies outside SOURCE (the
	# state dir, a local target there) is dropped by the watcher itself
	[[ $BACKEND != -S ]] || cmd+=(--include "^$SRC_RE(/|\$)")
	# An absolute path, and not watching "." from inside: a process whose
	# working directory is SOURCE would keep it alive after its deletion.
	cmd+=(-- "$SRC_ABS")
	rm -f -- "$W_OUT" "$W_ERR"
	mkfifo -m 600 -- "$W_OUT" "$W_ERR"
	# each batch written, it pokes the idle FIFO (fd 3): the main loop
	# sleeps there, so it never polls the watcher's pipe
	(
		exec {IDLE_FD}<&-
		exec "${cmd[@]}"
	) </dev/null >"$W_OUT" 2>"$W_ERR" 3>"$IDLE_FIFO" &
	W_PID=$!
	if proc_start "$W_PID"; then
		try_write "$W_PIDFILE" "$W_PID $REPLY" || true
	fi
	exec {EV_FD}<"$W_OUT"
	exec {ER_FD}<"$W_ERR"
	while ((STOP == 0)); do
		if ! input_ready "$ER_FD"; then
			idle_wait 20000
			continue
		fi
		line=
		IFS= read -r -u "$ER_FD" line || rc=$?
		((rc == 0)) || break
		[[ $line == 'Watches established.' ]] && break
		[[ $line == 'Setting up watches.'* ]] || errs+=("$line")
	done
	if [[ $line != 'Watches established.' ]]; then
		[[ -z $line ]] || errs+=("$line")
		kill -TERM "$W_PID" 2>/dev/null || true
		exec {EV_FD}<&- {ER_FD}<&-
		EV_FD=
		rc=0
		wait "$W_PID" || rc=$?
		W_PID=
		rm -f -- "$W_OUT" "$W_ERR" "$W_PIDFILE"
		WATCH_ERROR="${errs[*]:-inotifywait exited with status $rc}"
		return 1
	fi
	start_pump
	now
	W_STARTED=$NOW
	W_BACKOFF=$RETRY_US
	log debug "watcher ready (pid $W_PID)"
	STATUS_DIRTY=1
	return 0
}

# start_pump: from now on the watcher's stderr only carries warnings: log
# them from a helper; a directory it could not watch means a full sync.
start_pump() {
	(
		exec {EV_FD}<&- {IDLE_FD}<&-
		while IFS= read -r line; do
			case $line in
			'Warning: the kernel event queue overflowed'*) log info "inotifywait: $line" ;;
			"Couldn't watch"* | 'Failed to watch'* | *'upper limit on inotify watches'*)
				log error "inotifywait: $line"
				kill -USR2 "$MAIN_PID" 2>/dev/null || true
				;;
			*) log warn "inotifywait: $line" ;;
			esac
		done
	) <&"$ER_FD" &
	PUMP_PID=$!
	exec {ER_FD}<&-
}

# stop_watcher: stop inotifywait (it prints the batch in hand first) and
# handle what it wrote.
stop_watcher() {
	[[ -n $W_PID ]] || return 0
	kill -TERM "$W_PID" 2>/dev/null || true
	now
	DEADLINE=$((NOW + 2000000))
	W_STOPPING=1
	while [[ -n $EV_FD ]] && read_events; do
		now
		((NOW < DEADLINE)) && continue
		kill -KILL "$W_PID" 2>/dev/null || true
		break
	done
	W_STOPPING=0
	if [[ -n $EV_FD ]]; then
		exec {EV_FD}<&-
		EV_FD=
	fi
	wait "$W_PID" 2>/dev/null || true
	W_PID=
	reap_pump
	rm -f -- "$W_OUT" "$W_ERR" "$W_PIDFILE"
	flush_batch
}

# reap_pump: collect the stderr logger once the watcher is gone; it ends at
# end of file, unless something else still holds the pipe (a wrapper's
# child): then it is stopped after a second.
reap_pump() {
	local n
	[[ -n $PUMP_PID ]] || return 0
	for ((n = 0; n < 50; n++)); do
		kill -0 "$PUMP_PID" 2>/dev/null || break
		idle_wait 20000
	done
	kill -TERM "$PUMP_PID" 2>/dev/null || true
	wait "$PUMP_PID" 2>/dev/null || true
	PUMP_PID=
}

# watcher_gone: the watcher's pipe reached end of file: what it wrote is
# handed on, with a full sync once it is restarted.
watcher_gone() {
	local rc=0
	exec {EV_FD}<&-
	EV_FD=
	wait "$W_PID" || rc=$?
	W_PID=
	rm -f -- "$W_PIDFILE"
	reap_pump
	flush_batch
	((STOP)) && return 0
	now
	if ((NOW - W_STARTED < 10000000)); then
		W_NEXT=$((NOW + W_BACKOFF))
		W_BACKOFF=$((W_BACKOFF * 2))
		((W_BACKOFF > MAXRETRY_US)) && W_BACKOFF=$MAXRETRY_US
	else
		W_NEXT=$NOW
	fi
	log warn "inotifywait exited (status $rc): restarting it, then full sync"
	STATUS_DIRTY=1
}

# input_ready FD: FD has something to read (data or end of file); nothing
# is consumed.  The watcher's pipe is never read with a timeout: when bash's
# read -t times out in the middle of a record it can lose what it read
# (measured: 31 of 200,000 records lost or merged at a 0.5 ms timeout), so
# it is read only when ready.
input_ready() {
	read -r -t 0 -u "$1" 2>/dev/null
}

# read_events: hand on the watcher's batches until DEADLINE, sleeping in
# idle_wait in between (the next timer: the rsync runs are reaped every
# 50 ms while they run, SOURCE is checked every second) unless the
# watcher's poke wakes it.  Fails once the watcher's pipe is closed.
read_events() {
	while ((STOP == 0 || W_STOPPING)); do
		if input_ready "$EV_FD"; then
			read_batch || return 1
			return 0
		fi
		now
		((NOW < DEADLINE)) || return 0
		idle_wait $((DEADLINE - NOW))
	done
}

# ---------------------------------------------------------------- main loop

# deadline_min US: DEADLINE = US if that is sooner.
deadline_min() {
	(($1 < DEADLINE)) && DEADLINE=$1
	return 0
}

# target_deadline I: bring DEADLINE forward to target I's next work.
target_deadline() {
	local -n t=T$1 q=Q$1 r=R$1
	if [[ -n ${t[pid]} ]]; then
		deadline_min $((NOW + 50000))
	elif ((t["full"])); then
		deadline_min $((t["next"] > t["guardnext"] ? t["next"] : t["guardnext"]))
	elif ((${#q[@]})); then
		deadline_min "${t[next]}"
	elif ((t["rfull"] || ${#r[@]})); then
		deadline_min $((t["next"] > t["rnext"] ? t["next"] : t["rnext"]))
	fi
}

# compute_deadline: DEADLINE = when the main loop next has work to do.
compute_deadline() {
	local i
	# SOURCE is looked at every second (src_check)
	DEADLINE=$((NOW + 1000000))
	for i in "${TARGETS[@]}"; do
		target_deadline "$i"
	done
	((FULL_EVERY_US == 0)) || deadline_min "$NEXT_FULL"
	[[ -n $W_PID ]] || deadline_min "$W_NEXT"
	return 0
}

# restart_watcher: start the watcher again (then a full sync), or plan the
# next attempt.
restart_watcher() {
	if start_watcher; then
		log info "inotifywait restarted"
		full_all "watcher restarted"
	else
		W_NEXT=$((NOW + W_BACKOFF))
		short_secs "$W_BACKOFF"
		log error "cannot restart inotifywait: $WATCH_ERROR; next try in ${REPLY}s"
		W_BACKOFF=$((W_BACKOFF * 2))
		((W_BACKOFF > MAXRETRY_US)) && W_BACKOFF=$MAXRETRY_US
	fi
}

# full_all WHY: a full sync of every target.
full_all() {
	local i
	log info "$1: full sync of every target"
	for i in "${TARGETS[@]}"; do
		request_full "$i"
	done
}

# service: everything but reading events.
service() {
	now
	reap_jobs
	src_check
	state_retry
	if ((HUP_SEEN)); then
		HUP_SEEN=0
		log info "SIGHUP: log file reopened"
	fi
	if [[ -z $W_PID ]] && ((STOP == 0 && SRC_OK && NOW >= W_NEXT)); then
		restart_watcher
	fi
	if ((FULL_EVERY_US)) && ((NOW >= NEXT_FULL)); then
		full_all "periodic full sync"
		NEXT_FULL=$((NOW + FULL_EVERY_US))
	fi
	if ((WANT_FULL)); then
		WANT_FULL=0
		full_all "SIGUSR1"
	fi
	if ((WATCH_LOST)); then
		WATCH_LOST=0
		log warn "the watcher could not watch some directory: full sync"
		full_all "watch failure"
	fi
	schedule
	if ((STATUS_DIRTY)); then
		write_status
	fi
}

idle_wait() { # MICROSECONDS
	local rc=0
	secs "$1"
	read -r -t "$REPLY" -u "$IDLE_FD" _ || rc=$?
	return 0
}

main_loop() {
	local wait_us
	while ((STOP == 0)); do
		service
		compute_deadline
		if [[ -n $W_PID && -n $EV_FD ]]; then
			read_events || true
		else
			wait_us=$((DEADLINE - NOW))
			((wait_us < 1000)) && wait_us=1000
			idle_wait "$wait_us"
		fi
	done
}

# kill_jobs SIGNAL: send SIGNAL to every rsync job in progress.
kill_jobs() {
	local i
	for i in "${TARGETS[@]}"; do
		local -n t=T$i
		[[ -z ${t[pid]} ]] || kill "-$1" "${t[pid]}" 2>/dev/null || true
		[[ -z ${t[hook]} ]] || kill "-$1" "${t[hook]}" 2>/dev/null || true
		unset -n t
	done
}

# push_in_hand I: at a stop, push target I's queue once more if it is idle,
# not waiting for a retry and not due for a full sync.
push_in_hand() {
	local -n t=T$1 q=Q$1
	[[ -z ${t[pid]} && ${t[stoppush]:-} != 1 ]] || return 0
	((t["full"] == 0 && ${#q[@]} > 0 && NOW >= t["next"] && SRC_OK)) || return 0
	t["stoppush"]=1
	start_job "$1" inc
}

# wait_jobs [push]: wait until no rsync job runs, at most until STOP_BY:
# then they are stopped (their queues keep what they were pushing), as
# after a second signal.  With "push", every idle target gets one more
# push of its queue (the batch in hand at a stop).
wait_jobs() {
	local i killed=0
	while :; do
		now
		reap_jobs
		if [[ ${1:-} == push ]] && ((killed == 0)); then
			for i in "${TARGETS[@]}"; do
				push_in_hand "$i"
			done
		fi
		jobs_running || break
		if ((killed == 0 && (STOP >= 2 || NOW >= STOP_BY))); then
			if ((STOP >= 2)); then
				log warn "second signal: stopping the rsync runs in progress"
			else
				log warn "rsync runs still in progress after $((STOP_GRACE_US / 1000000))s: stopping them"
			fi
			kill_jobs TERM
			killed=1
			STOP_BY=$((NOW + 2000000))
		elif ((killed == 1 && NOW >= STOP_BY)); then
			kill_jobs KILL
			killed=2
		fi
		idle_wait 50000
	done
	((STATUS_DIRTY)) && write_status
	return 0
}

# shutdown: the clean stop after SIGINT/SIGTERM.
shutdown() {
	local i
	log info "stopping"
	RUN_STATE=stopping
	now
	STOP_BY=$((NOW + STOP_GRACE_US))
	stop_watcher
	now
	reap_jobs
	flush_batch
	# Push the batch in hand to every target that is not known to be down;
	# pending full syncs wait for the next start (their markers stay).
	wait_jobs push
	for i in "${TARGETS[@]}"; do
		local -n t=T$i
		((t["rfull"])) && request_full "$i"
		unset -n t
	done
	ssh_mux_exit
	RUN_STATE=stopped
	write_status
	NOW=0
	state_retry
	if ((STATE_UNSAVED)); then
		log error "the state dir could not be written: the lock stays, so that the next start makes a full sync"
	else
		CLEAN_EXIT=1
		release_lock
	fi
	log info "stopped"
}

# The trap handlers are only ever called by the shell.
# shellcheck disable=SC2317
on_signal() {
	STOP=$((STOP + 1))
}

# shellcheck disable=SC2317
on_hup() {
	HUP_SEEN=1
}

# shellcheck disable=SC2317
on_usr1() {
	WANT_FULL=1
}

# shellcheck disable=SC2317
on_usr2() {
	WATCH_LOST=1
}

# on_exit: last resort for an unexpected exit; the clean paths have already
# stopped everything.  After an unexpected exit the batch in hand is lost:
# every target is marked for a full sync at the next start (and the lock,
# left behind, says so too).
# shellcheck disable=SC2317
on_exit() {
	local i
	if ((LOCKED && CLEAN_EXIT == 0)); then
		for i in "${TARGETS[@]}"; do
			local -n t=T$i
			: >"${t[mark]}" 2>/dev/null || true
			unset -n t
		done
	fi
	if [[ -n ${W_PID:-} ]]; then
		kill -TERM "$W_PID" 2>/dev/null || true
	fi
	kill_jobs TERM
	release_pairs
	((STATE_UNSAVED)) || release_lock
	return 0
}

# ---------------------------------------------------------------- locking

# lock_dir DIR TEXT: create DIR holding "pid" = "PID START" and "info" =
# TEXT, atomically; REPLY = "" when taken, else the pid and info of the
# live instance holding it.  A lock of a dead process is taken over (the
# caller is told by STALE=1).
lock_dir() {
	local lock=$1 tmp=$1.$$ pid start attempt info
	STALE=0
	REPLY=
	rm -rf -- "$tmp"
	mkdir -- "$tmp" 2>/dev/null || return 1
	printf '%s %s\n' "$$" "$MY_START" >"$tmp/pid" 2>/dev/null || true
	printf '%s\n' "$2" >"$tmp/info" 2>/dev/null || true
	for attempt in 1 2 3; do
		if mv -T -- "$tmp" "$lock" 2>/dev/null; then
			return 0
		fi
		pid='' start='' info=''
		read -r pid start <"$lock/pid" 2>/dev/null || true
		IFS= read -r info <"$lock/info" 2>/dev/null || true
		if same_process "$pid" "$start"; then
			rm -rf -- "$tmp"
			REPLY="$pid $info"
			return 0
		fi
		STALE=1
		STALE_PID=$pid
		rm -rf -- "$lock"
		: "$attempt"
	done
	rm -rf -- "$tmp"
	return 1
}

acquire_lock() {
	lock_dir "$STATE_DIR/lock" "$STATE_DIR" || die "cannot lock state dir $STATE_DIR"
	if [[ -n $REPLY ]]; then
		die "state dir $STATE_DIR is locked by another instance (pid ${REPLY%% *}); stop it first or use another --state-dir"
	fi
	LOCKED=1
	if ((STALE)); then
		log warn "previous instance${STALE_PID:+ (pid $STALE_PID)} did not stop cleanly: removing its lock, full sync follows"
		UNCLEAN=1
	fi
}

# release_lock: remove the FIFOs and the lock (only if it is ours).
release_lock() {
	local pid='' rest=''
	((LOCKED)) || return 0
	rm -f -- "$W_OUT" "$W_ERR" "$IDLE_FIFO"
	read -r pid rest <"$STATE_DIR/lock/pid" 2>/dev/null || true
	: "$rest"
	if [[ $pid == "$$" ]]; then
		rm -rf -- "$STATE_DIR/lock"
	fi
	LOCKED=0
}

# ---------------------------------------------------------------- ssh

# An ssh target keeps one connection (an ssh master, ControlMaster) for all
# its rsync runs, so a push costs no new handshake: rsync's remote shell
# (the -e of --rsync-opt, else RSYNC_RSH, else ssh) gets the options of a
# private control socket in the state dir.  Options given there first win
# (-o ControlMaster=no turns it off); a remote shell that is not ssh is
# left alone.

# user_rsh: RSH = the remote shell rsync would use.
user_rsh() {
	local k o
	RSH=${RSYNC_RSH:-ssh}
	for ((k = 0; k < ${#RSYNC_OPTS[@]}; k++)); do
		o=${RSYNC_OPTS[k]}
		case $o in
		-e | --rsh) RSH=${RSYNC_OPTS[k + 1]:-$RSH} ;;
		--rsh=*) RSH=${o#--rsh=} ;;
		-e?*) RSH=${o#-e} ;;
		esac
	done
}

# ssh_mux I: if target I is reached by a remote shell, its host (t[host])
# and the shell (t[rsh]), with a control socket (t[sock]) if it is ssh.
ssh_mux() {
	local -n t=T$1
	local dir=$STATE_DIR cmd
	is_local_dest "${t["dest"]}" || is_daemon_dest "${t["dest"]}" && return 0
	t["host"]=${t["dest"]%%:*}
	t["rsh"]=$RSH
	read -r cmd _ <<<"$RSH"
	[[ ${cmd##*/} == ssh ]] || return 0
	# a socket path must stay short (108 bytes) and free of spaces
	if ((${#dir} > 80)) || [[ $dir == *[[:space:]]* ]]; then
		run_dir || return 0
		dir=$REPLY
		((${#dir} <= 80)) && [[ $dir != *[[:space:]]* ]] || return 0
	fi
	t["sock"]=$dir/ssh-${t["id"]}
	t["rsh"]="$RSH -o ControlMaster=auto -o ControlPath=${t["sock"]} -o ControlPersist=60"
}

# ssh_mux_exit: close the ssh masters of every target.
ssh_mux_exit() {
	local i cmd
	read -r cmd _ <<<"$RSH"
	for i in "${TARGETS[@]}"; do
		local -n t=T$i
		if [[ -n ${t[sock]:-} && -S ${t[sock]} ]]; then
			timeout 5 "$cmd" -o ControlPath="${t[sock]}" -O exit "${t[host]}" \
				</dev/null >/dev/null 2>&1 || true
		fi
		unset -n t
	done
}

# run_dir: REPLY = where this user's instances record which SOURCE they
# sync to which DEST (whatever their state dirs), or fails.
run_dir() {
	if ((EUID == 0)); then
		REPLY=/run/inotify-rsync
	else
		REPLY=${TMPDIR:-/tmp}/inotify-rsync-$EUID
	fi
	[[ -d $REPLY ]] || mkdir -m 700 -- "$REPLY" 2>/dev/null || true
	[[ -d $REPLY && ! -L $REPLY && -O $REPLY && -w $REPLY ]]
}

# lock_pairs: claim every (SOURCE, DEST) pair, so that a second instance
# with another state dir cannot push the same tree to the same target.
lock_pairs() {
	local i dir key dest
	run_dir || {
		log debug "no directory for instance records: a second instance on other state dirs is not detected"
		return 0
	}
	dir=$REPLY
	for i in "${TARGETS[@]}"; do
		local -n t=T$i
		dest=${t[dest]}
		while [[ $dest == */ && $dest != / ]]; do
			dest=${dest%/}
		done
		sha16 "$SRC_ABS"$'\n'"$dest"
		key=$dir/pair-$REPLY
		lock_dir "$key" "$STATE_DIR" || continue
		if [[ -n $REPLY ]]; then
			local holder=$REPLY
			quote "${t[dest]}"
			die "SOURCE is already synced to DEST $REPLY by another instance (pid ${holder%% *}, state dir ${holder#* })"
		fi
		PAIRS+=("$key")
		unset -n t
	done
}

release_pairs() {
	local key pid rest
	for key in "${PAIRS[@]}"; do
		read -r pid rest <"$key/pid" 2>/dev/null || true
		[[ $pid != "$$" ]] || rm -rf -- "$key"
	done
	PAIRS=()
}

# stop_leftovers: end the watcher and the rsync runs that a predecessor
# killed with SIGKILL may have left running (recorded as "PID START").
stop_leftovers() {
	local f pid start
	for f in "$STATE_DIR"/*.pid; do
		pid='' start=''
		read -r pid start <"$f" 2>/dev/null || true
		if same_process "$pid" "$start"; then
			log warn "stopping process $pid left running by the previous instance"
			kill -TERM "$pid" 2>/dev/null || true
		fi
		rm -f -- "$f"
	done
}
# ---------------------------------------------------------------- programs

# find_program NAME GIVEN DEFAULT_BESIDE: REPLY = absolute path, or exit 2.
find_program() {
	local name=$1 given=$2 beside=$3 p
	if [[ -n $given ]]; then
		p=$given
		if [[ $p != */* ]]; then
			p=$(type -P -- "$p") || die_prog "$name '$given' not found" # (before the traps)
		fi
	elif [[ -n $beside && -f $beside && -x $beside ]]; then
		p=$beside
	else
		p=$(type -P -- "$name") || die_prog "$name not found (use --$name PATH)" # (before the traps)
	fi
	[[ -f $p && -x $p ]] || die_prog "$name '$p' not found or not executable"
	[[ $p == /* ]] || p=$PWD/$p
	REPLY=$p
}

# ---------------------------------------------------------------- options

VERBOSITY=1
DELAY_US=1000000
MAXDELAY_US=
RETRY_US=5000000
MAXRETRY_US=300000000
FULL_EVERY_US=0
TIMEOUT_S=60
MAX_BATCH=10000
MAX_DELETE=
MOVES_MODE=auto
PUSH_OPEN_US=0
BACKEND=
ON_PUSH=
DELETE_MODE=always
ALLOW_NEW=0
STATE_DIR=
LOG_FILE=
SYSLOG=0
IW_GIVEN=
RSYNC_GIVEN=
ONCE=0
INITIAL=1
COMPLEX_RULES=0
RULES=()
RSYNC_OPTS=()
RSH=
ARGS=()

# The options, one row each: name, kind, and what the value sets.  Kinds:
# secs (seconds, fractions allowed: microseconds into VAR; "secs+": more
# than 0), count (VAR), path and text (VAR, not empty), enum (VAR, one of
# the words after it), flag (VAR=VALUE, no value), list (appended to the
# array VAR), call (the function VAR, given the value).
OPTIONS='
exclude call add_rule
exclude-from call read_exclude_from
delay secs DELAY_US
max-delay secs MAXDELAY_US
retry secs+ RETRY_US
max-retry secs+ MAXRETRY_US
full-every secs FULL_EVERY_US
push-open secs+ PUSH_OPEN_US
timeout call set_timeout
max-batch count MAX_BATCH
max-delete count MAX_DELETE
delete enum DELETE_MODE always startup running never
moves enum MOVES_MODE auto off
on-push text ON_PUSH
allow-new-source flag ALLOW_NEW=1
state-dir path STATE_DIR
rsync-opt list RSYNC_OPTS
log path LOG_FILE
syslog flag SYSLOG=1
fanotify flag BACKEND=-F
filesystem flag BACKEND=-S
inotifywait text IW_GIVEN
rsync text RSYNC_GIVEN
once flag ONCE=1
no-initial-sync flag INITIAL=0
quiet flag VERBOSITY=0
verbose flag VERBOSITY=2
config call skip_value
'
declare -A OPT_KIND=() OPT_ARG=()
while read -r name kind arg; do
	[[ -n $name ]] || continue
	OPT_KIND[$name]=$kind
	OPT_ARG[$name]=$arg
done <<<"$OPTIONS"
unset name kind arg

set_timeout() {
	parse_seconds --timeout "$1"
	TIMEOUT_S=$(((REPLY + 999999) / 1000000))
}

skip_value() { :; }

# set_option NAME VALUE: --NAME VALUE (a flag's VALUE is ignored).
set_option() {
	local kind=${OPT_KIND[$1]} arg=${OPT_ARG[$1]} opt=--$1
	case $kind in
	secs | secs+)
		parse_seconds "$opt" "$2"
		if [[ $kind == secs+ ]] && ((REPLY == 0)); then
			die "$opt: '$2' is not a valid number of seconds (must be more than 0)"
		fi
		printf -v "$arg" '%s' "$REPLY"
		;;
	count)
		parse_count "$opt" "$2"
		printf -v "$arg" '%s' "$REPLY"
		;;
	path | text)
		[[ -n $2 ]] || die "$opt: empty ${kind/text/value}"
		printf -v "$arg" '%s' "$2"
		;;
	enum)
		local words=${arg#* }
		[[ " $words " == *" $2 "* ]] || die "$opt: '$2' is not one of ${words// /, }"
		printf -v "${arg%% *}" '%s' "$2"
		;;
	flag) printf -v "${arg%%=*}" '%s' "${arg#*=}" ;;
	list)
		local -n list=$arg
		list+=("$2")
		;;
	call) "$arg" "$2" ;;
	esac
}

# read_config FILE: CONF_ARGS = the options of FILE as command-line words,
# CONF_POS = its source and dest lines; exit 1 on anything else.
read_config() {
	local file=$1 line name value n=0 fd
	if [[ -d $file ]] || ! { exec {fd}<"$file"; } 2>/dev/null; then
		die "--config: cannot read '$file'"
	fi
	while IFS= read -r -u "$fd" line || [[ -n $line ]]; do
		n=$((n + 1))
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		[[ $line =~ ^[[:space:]]*([^[:space:]]+)[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]]
		name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
		case $name in
		source | dest)
			[[ -n $value ]] || die "$file:$n: '$name' needs a value"
			CONF_POS+=("$value")
			[[ $name == dest || ${#CONF_POS[@]} == 1 ]] ||
				die "$file:$n: 'source' must come before every 'dest'"
			;;
		config | '') die "$file:$n: unknown option '$name'" ;;
		*)
			[[ -n ${OPT_KIND[$name]:-} ]] || die "$file:$n: unknown option '$name'"
			if [[ ${OPT_KIND[$name]} != flag ]]; then
				[[ -n $value ]] || die "$file:$n: '$name' needs a value"
				CONF_ARGS+=("--$name" "$value")
				continue
			fi
			case ${value:-yes} in
			yes | true | on | 1) CONF_ARGS+=("--$name") ;;
			no | false | off | 0) ;;
			*) die "$file:$n: '$name' takes yes or no, not '$value'" ;;
			esac
			;;
		esac
	done
	exec {fd}<&-
}

# --config FILE (its first occurrence) supplies options before those of
# the command line, which therefore win; SOURCE and DEST come from it only
# when the command line names none.
CONF_ARGS=()
CONF_POS=()
for ((i = 1; i <= $#; i++)); do
	case ${!i} in
	--) break ;;
	--config=*)
		read_config "${!i#--config=}"
		break
		;;
	--config)
		((i < $#)) || die "option --config needs a value"
		j=$((i + 1))
		read_config "${!j}"
		break
		;;
	esac
done
unset i j
set -- "${CONF_ARGS[@]}" "$@"

while (($#)); do
	opt=$1
	case $opt in
	-h | --help)
		usage
		exit 0
		;;
	--version)
		printf '%s %s\n' "$PROG" "$VERSION"
		exit 0
		;;
	-q) opt=--quiet ;;
	-v) opt=--verbose ;;
	--)
		shift
		ARGS+=("$@")
		break
		;;
	--*) ;;
	-?*) die "unknown option '$opt' (see --help)" ;;
	*)
		ARGS+=("$opt")
		shift
		continue
		;;
	esac
	name=${opt#--}
	name=${name%%=*}
	[[ -n ${OPT_KIND[$name]:-} ]] || die "unknown option '$opt' (see --help)"
	if [[ ${OPT_KIND[$name]} == flag ]]; then
		[[ $opt != *=* ]] || die "option --$name does not take a value"
		set_option "$name" ''
		shift
	elif [[ $opt == *=* ]]; then
		set_option "$name" "${opt#*=}"
		shift
	else
		(($# >= 2)) || die "option --$name needs a value"
		set_option "$name" "$2"
		shift 2
	fi
done
unset opt name
((${#ARGS[@]})) || ARGS=("${CONF_POS[@]}")
[[ -n $MAXDELAY_US ]] || MAXDELAY_US=$DELAY_US
((MAXDELAY_US >= DELAY_US)) || MAXDELAY_US=$DELAY_US
# The watcher's batches: --delay quiet, at most --max-delay after the first
# change.
secs "$DELAY_US"
BATCH_ARG=$REPLY
secs "$MAXDELAY_US"
BATCH_ARG+=,$REPLY
# Renames are made on the targets where the old name may go (--delete).
MOVES=0
if [[ $MOVES_MODE == auto && ($DELETE_MODE == always || $DELETE_MODE == running) ]]; then
	MOVES=1
fi

# ---------------------------------------------------------------- checks

for tool in cat head mkdir mkfifo mv realpath rm sha256sum stat timeout find xargs; do
	type -P -- "$tool" >/dev/null || die_prog "$tool (coreutils, findutils) not found"
done
unset tool
((SYSLOG == 0)) || type -P logger >/dev/null || die_prog "--syslog: logger (util-linux) not found"

((${#ARGS[@]} >= 1)) || die "missing SOURCE and DEST (see --help)"
((${#ARGS[@]} >= 2)) || die "no DEST given (see --help)"
SOURCE=${ARGS[0]}
DESTS=("${ARGS[@]:1}")
[[ -n $SOURCE ]] || die "empty SOURCE"
[[ -e $SOURCE ]] || die "SOURCE '$SOURCE' does not exist"
[[ -d $SOURCE ]] || die "SOURCE '$SOURCE' is not a directory"
# SOURCE_PATH keeps the symbolic links SOURCE goes through (a release link
# that is switched is followed); SRC_ABS is where they lead now.
resolve "$SOURCE" -s || die "cannot resolve SOURCE '$SOURCE'"
SOURCE_PATH=$REPLY
resolve "$SOURCE" || die "cannot resolve SOURCE '$SOURCE'"
SRC_ABS=$REPLY

declare -A seen_dest=()
for idx in "${!DESTS[@]}"; do
	d=${DESTS[idx]}
	[[ -n $d ]] || die "empty DEST"
	if is_local_dest "$d"; then
		# the script works from /: a relative DEST is made absolute first
		[[ $d == /* ]] || DESTS[idx]=$PWD/$d
		resolve "$d" || die "cannot resolve DEST '$d'"
		if inside "$REPLY" "$SRC_ABS"; then
			die "DEST '$d' is inside SOURCE '$SOURCE'"
		fi
		if inside "$SRC_ABS" "$REPLY"; then
			die "SOURCE '$SOURCE' is inside DEST '$d'"
		fi
	fi
	[[ -z ${seen_dest[${DESTS[idx]}]+x} ]] || die "DEST '$d' given twice"
	seen_dest[${DESTS[idx]}]=1
done
unset seen_dest d idx

if ((MAXRETRY_US < RETRY_US)); then
	MAXRETRY_US=$RETRY_US
fi

if [[ -z $STATE_DIR ]]; then
	if [[ -n ${XDG_STATE_HOME:-} ]]; then
		base=$XDG_STATE_HOME
	elif [[ -n ${HOME:-} ]]; then
		base=$HOME/.local/state
	else
		die "no --state-dir given and neither XDG_STATE_HOME nor HOME is set"
	fi
	sha16 "$SRC_ABS"
	STATE_DIR=$base/inotify-rsync/$REPLY
	unset base
fi
resolve "$STATE_DIR" || die "cannot resolve --state-dir '$STATE_DIR'"
STATE_DIR=$REPLY
inside "$STATE_DIR" "$SRC_ABS" && die "--state-dir '$STATE_DIR' is inside SOURCE"
if [[ -n $LOG_FILE ]]; then
	resolve "$LOG_FILE" || die "cannot resolve --log '$LOG_FILE'"
	LOG_FILE=$REPLY
	inside "$LOG_FILE" "$SRC_ABS" && die "--log '$LOG_FILE' is inside SOURCE"
fi

((BASH_VERSINFO[0] >= 5)) || die_prog "bash 5 or later is needed (this is $BASH_VERSION)"

find_program rsync "$RSYNC_GIVEN" ''
RSYNC=$REPLY
rsync_help=$("$RSYNC" --help 2>&1) || true # (before the traps)
[[ $rsync_help == *--from0* && ($rsync_help == *--protect-args* || $rsync_help == *--secluded-args*) ]] ||
	die_prog "rsync '$RSYNC' is too old (needs --from0 and --protect-args)"
USE_FILES_FROM=0
if [[ $rsync_help == *--delete-missing-args* && ${INOTIFY_RSYNC_FORCE_FILTER:-0} != 1 ]] && ((COMPLEX_RULES == 0)); then
	USE_FILES_FROM=1
fi
unset rsync_help
# A file rewritten within the same second with the same size passes rsync's
# quick check (size and whole-second mtime) unless nanoseconds are compared,
# which rsync >= 3.1.3 does with a negative --modify-window.
RSYNC_BASE=(-a -s --from0)
rsync_version=$("$RSYNC" --version 2>/dev/null | head -n 1) || true # (before the traps)
if [[ $rsync_version =~ version\ ([0-9]+)\.([0-9]+)\.([0-9]+) ]] &&
	((BASH_REMATCH[1] * 1000000 + BASH_REMATCH[2] * 1000 + BASH_REMATCH[3] >= 3001003)); then
	RSYNC_BASE+=(--modify-window=-1)
fi
unset rsync_version
((TIMEOUT_S == 0)) || RSYNC_BASE+=(--timeout="$TIMEOUT_S")
[[ -z $MAX_DELETE ]] || RSYNC_BASE+=(--max-delete="$MAX_DELETE")
# --delete: which runs delete on the targets.  Incremental pushes that must
# not delete ignore the listed paths that no longer exist.
FULL_DELETE=() INC_DELETE=()
case $DELETE_MODE in
always | startup) FULL_DELETE=(--delete) ;;
esac
case $DELETE_MODE in
always | running)
	INC_DELETE=(--delete)
	((USE_FILES_FROM == 0)) || INC_DELETE+=(--delete-missing-args)
	;;
*) ((USE_FILES_FROM == 0)) || INC_DELETE=(--ignore-missing-args) ;;
esac

# Children end with the script whatever kills it: rsync (and an
# inotifywait without --exit-with-parent) through setpriv's parent-death
# signal, where util-linux provides it.
PDEATH=()
setpriv_help=$(setpriv --help 2>/dev/null) || true # (before the traps)
[[ $setpriv_help != *--pdeathsig* ]] || PDEATH=(setpriv --pdeathsig TERM --)
unset setpriv_help

IW_CMD=()
if ((ONCE == 0)); then
	beside=
	[[ $0 == */* ]] && beside=${0%/*}/inotifywait
	find_program inotifywait "$IW_GIVEN" "$beside"
	IW=$REPLY
	unset beside
	iw_help=$("$IW" --help 2>&1) || true # (before the traps)
	[[ $iw_help == *--no-newline* && $iw_help == *--batch-notify* && $iw_help == *--rename-records* ]] ||
		die_prog "inotifywait '$IW' is too old (needs --batch; this project's inotifywait has it)"
	if [[ $iw_help == *--exit-with-parent* ]]; then
		IW_CMD=("$IW" --exit-with-parent)
	else
		IW_CMD=("${PDEATH[@]}" "$IW")
	fi
	unset iw_help
fi

# Nothing of ours may keep SOURCE's filesystem busy (it must stay
# unmountable): from here on the script works from /, with absolute paths.
cd /

# ---------------------------------------------------------------- setup

ORIG_UMASK=$(umask) # (before the traps)
umask 077

if [[ -n $LOG_FILE ]]; then
	{ : >>"$LOG_FILE"; } 2>/dev/null || die "--log: cannot open '$LOG_FILE'"
fi

mkdir -p -- "$STATE_DIR" 2>/dev/null || die "--state-dir: cannot create '$STATE_DIR'"
[[ -d $STATE_DIR && -w $STATE_DIR ]] || die "--state-dir: '$STATE_DIR' is not a writable directory"

STOP=0
STOP_BY=0
STOP_GRACE_US=5000000
CLEAN_EXIT=0
WANT_FULL=0
WATCH_LOST=0
HUP_SEEN=0
MAIN_PID=$$
proc_start $$ || REPLY=0
MY_START=$REPLY
LOCKED=0
UNCLEAN=0
STALE=0
STALE_PID=
PAIRS=()
W_PID=
PUMP_PID=
EV_FD=
ER_FD=
W_OUT=$STATE_DIR/watch.out
W_ERR=$STATE_DIR/watch.err
W_PIDFILE=$STATE_DIR/watcher.pid
IDLE_FIFO=$STATE_DIR/idle
F_FULL=$STATE_DIR/filters
F_INC=$STATE_DIR/filters.files-from
STATUS=$STATE_DIR/status
SRC_FILE=$STATE_DIR/source
RUN_STATE=starting
STATUS_DIRTY=1
STATE_UNSAVED=0
STATE_WARNED=0
NEXT_SAVE=0
FULL_SEQ=0
INITIAL_LEFT=0
INITIAL_OK=0
# (no move_self: with it, our inotifywait holds back its output after a
# directory is moved out of the tree until the next event arrives)
EVENTS=close_write,create,delete,moved_from,moved_to,attrib
((PUSH_OPEN_US == 0)) || EVENTS+=,modify
declare -A OPEN_PUSHED=()
BATCH=()
declare -A BATCH_SEEN=() FAILMSG=()
FAILED=()
BATCH_FULL=0
BATCH_MOVES=()
W_STOPPING=0
LIST=()
TEXT=
WATCH_RE=
SRC_RE=
WATCH_ERROR=
W_STARTED=0
W_NEXT=0
W_BACKOFF=$RETRY_US
NOW=0
DEADLINE=0
NEXT_FULL=0
SRC_OK=1
SRC_ERR=
SRC_ID=
SRC_NEXT_CHECK=0
SRC_NOW='' SRC_NOW_ID='' SRC_NOW_MNT='' SRC_NOW_FS='' SRC_WHY=''
PROBE_KEY='' PROBE_PATH='' PROBE_FS=''
REC_ID='' REC_FS='' REC_MNT=''
TARGETS=()
shopt -s nullglob

trap on_signal INT TERM
trap on_hup HUP
trap on_usr1 USR1
trap on_usr2 USR2
trap on_exit EXIT

acquire_lock
stop_leftovers
# Anything a SIGKILLed predecessor may have left behind.
rm -f -- "$W_OUT" "$W_ERR" "$IDLE_FIFO" "$STATE_DIR"/*.tmp
mkfifo -m 600 -- "$IDLE_FIFO"
exec {IDLE_FD}<>"$IDLE_FIFO"

# The options given to rsync are checked once, on two empty directories.
mkdir -p -- "$STATE_DIR/probe/a" "$STATE_DIR/probe/b"
if ! "$RSYNC" "${RSYNC_BASE[@]}" "${RSYNC_OPTS[@]}" --dry-run -- \
	"$STATE_DIR/probe/a/" "$STATE_DIR/probe/b/" 2>&1 </dev/null | mapfile -t probe_out; then
	rm -rf -- "$STATE_DIR/probe"
	die "rsync rejects the options given: ${probe_out[0]:-rsync failed}"
fi
rm -rf -- "$STATE_DIR/probe"
unset probe_out

build_filters

# target_init I DEST: set up target I, from what its files say.
target_init() {
	local i=$1 id base
	sha16 "$2"
	id=$REPLY
	base=$STATE_DIR/t-$id
	declare -gA "T$i=()"
	declare -ga "Q$i=()" "R$i=()" "JL$i=()" "H$i=()" "M$i=()"
	declare -gA "W$i=()"
	local -n t=T$i q=Q$i
	t=([dest]=$2 [num]=$((i + 1)) [id]=$id [journal]=$base.journal [mark]=$base.full
		[out]=$base.rsync-output [okfile]=$base.last-success [pidfile]=$base.rsync.pid
		[full]=0 [marked]=1 [saved]=1 [pid]="" [job]="" [jobn]=0 [jobfull]=0 [jobpaths]=0
		[jobstart]=0 [next]=0 [backoff]=$RETRY_US [failing]=0 [rnext]=0
		[rbackoff]=$RETRY_US [rfull]=0 [lastok]="" [lasterr]="" [runs]=0 [initial]=0
		[guard]="" [guardnext]=0 [conn]="" [hasdatafile]=$base.has-data [hasdata]=0
		[hook]="" [hookout]=$base.on-push-output [sock]="" [host]="" [rsh]=""
		[mover]="" [jobmoves]=0)
	[[ ! -e ${t["hasdatafile"]} ]] || t["hasdata"]=1
	if ((TIMEOUT_S)) && is_daemon_dest "$2"; then
		t["conn"]=--contimeout=$TIMEOUT_S
	fi
	ssh_mux "$i"
	if ((MOVES)); then
		if is_local_dest "$2"; then
			t["mover"]=local
		elif [[ -n ${t[host]} ]]; then
			t["mover"]=ssh
		fi
	fi
	try_write "$base.dest" "$2"$'\n' || true
	if [[ -s ${t[okfile]} ]]; then
		IFS= read -r 't[lastok]' <"${t[okfile]}" || true
	fi
	journal_load "$i"
	if [[ -e ${t[mark]} ]]; then
		FULL_SEQ=$((FULL_SEQ + 1))
		t["full"]=$FULL_SEQ
	fi
	if ((t["full"])); then
		log info "target ${t[num]}: pending from a previous run: full sync"
	elif ((${#q[@]})); then
		log info "target ${t[num]}: pending from a previous run: ${#q[@]} path(s)"
	fi
	TARGETS+=("$i")
}

user_rsh
for idx in "${!DESTS[@]}"; do
	target_init "$idx" "${DESTS[idx]}"
done
unset idx
lock_pairs

quote "$SOURCE_PATH"
log info "$PROG $VERSION: source $REPLY, ${#TARGETS[@]} target(s), state dir $STATE_DIR"
if ((USE_FILES_FROM == 0)); then
	log info "incremental pushes use include chains (rsync without --delete-missing-args, or include rules)"
fi

# source_start: check SOURCE against the record before the first sync.
source_start() {
	src_load
	if src_trouble; then
		if ((ALLOW_NEW)) && src_probe; then
			log warn "$SRC_WHY: accepted (--allow-new-source)"
		else
			SRC_OK=0
			SRC_ERR=$SRC_WHY
			log error "$SRC_WHY: nothing is pushed until it is back (or give --allow-new-source once)"
			return 0
		fi
	fi
	SRC_ABS=$SRC_NOW
	SRC_ID=$SRC_NOW_ID
	[[ $SRC_NOW_MNT == "$REC_MNT" && $SRC_NOW_FS == "$REC_FS" && $SRC_NOW_ID == "$REC_ID" ]] || src_record
	build_filters
	now
	SRC_NEXT_CHECK=$((NOW + 1000000))
}

# run_once: --once: one full sync of every target; exit 0, or 3 if one
# failed.
run_once() {
	local i failed=0
	RUN_STATE=once
	for i in "${TARGETS[@]}"; do
		request_full "$i"
	done
	now
	if ((SRC_OK)); then
		for i in "${TARGETS[@]}"; do
			job_due "$i" && start_job "$i" "$REPLY"
		done
	fi
	write_status
	while jobs_running; do
		if ((STOP)); then
			log warn "interrupted"
			STOP=2
		fi
		STOP_BY=$((NOW + 3600000000))
		wait_jobs
	done
	for i in "${TARGETS[@]}"; do
		local -n t=T$i r=R$i
		if ((t["full"])); then
			failed=$((failed + 1))
		elif ((t["rfull"] || ${#r[@]})); then
			failed=$((failed + 1))
			log error "--once: target ${t[num]}: ${#r[@]} path(s) could not be pushed (see the status file)"
		fi
		unset -n t r
	done
	ssh_mux_exit
	RUN_STATE=stopped
	write_status
	CLEAN_EXIT=1
	release_pairs
	release_lock
	if ((failed)); then
		log error "--once: $failed of ${#TARGETS[@]} target(s) failed"
		exit 3
	fi
	log info "--once: every target is in step"
	exit 0
}

# main: watch, sync, and keep syncing until a signal.
main() {
	local i
	source_start
	((ONCE == 0)) || run_once
	RUN_STATE=starting
	if ((SRC_OK)); then
		if ! start_watcher; then
			if ((STOP)); then
				CLEAN_EXIT=1
				release_pairs
				release_lock
				exit 0
			fi
			printf '%s: cannot watch %s: %s\n' "$PROG" "$SOURCE" "$WATCH_ERROR" >&2
			[[ -z $LOG_FILE ]] || log error "cannot watch: $WATCH_ERROR"
			exit 1
		fi
	fi
	RUN_STATE=running
	now
	((FULL_EVERY_US == 0)) || NEXT_FULL=$((NOW + FULL_EVERY_US))
	if ((INITIAL || UNCLEAN)); then
		((INITIAL)) || log info "unclean previous stop: full sync despite --no-initial-sync"
		for i in "${TARGETS[@]}"; do
			request_full "$i"
			local -n t=T$i
			t["initial"]=1
			unset -n t
		done
		INITIAL_LEFT=${#TARGETS[@]}
		((SRC_OK)) && log info "watcher ready: initial sync of ${#TARGETS[@]} target(s)"
	else
		((SRC_OK)) && log info "watcher ready: no initial sync"
	fi
	main_loop
	shutdown
	exit 0
}

main
