#!/usr/bin/env bash
# inotify-rsync.sh - keep one or more rsync targets in step with a local
# directory tree, driven by inotifywait.
#
# Part of inotify-tools (this reimplementation); GPL-2.0-or-later, see COPYING.
#
# Design in one paragraph: inotifywait (-m -r) runs as a child and writes
# NUL-separated records "EVENTS\0PATH\0" into a FIFO.  The main loop collects
# the paths into a batch until the stream has been quiet for --delay (or
# --max-delay after the first change), then appends the batch to one
# append-only journal per target (a NUL list under --state-dir).  Every target
# has its own rsync job, started asynchronously from its journal, so a slow or
# dead target never holds up the others; a failed push stays in the journal
# and is retried with exponential backoff.  Anything that may have lost
# events (queue overflow, watcher death, a huge batch, an unclean previous
# stop) turns into a full sync.  Requires bash >= 5, coreutils and rsync.

set -euo pipefail

VERSION=4.26.0.0
PROG=${0##*/}

# Byte semantics for string lengths, pattern matching and regular
# expressions (file names need not be valid UTF-8), '.' as decimal point.
export LC_ALL=C

usage() {
	cat <<EOF
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
  --delay SECONDS       settle window: push once quiet this long (default 1)
  --max-delay SECONDS   push at the latest this long after the first change
                        of a batch (default 10)
  --retry SECONDS       first retry of a failed push; doubles (default 5)
  --max-retry SECONDS   ceiling of the retry backoff (default 300)
  --full-every SECONDS  periodic full sync, 0 = never (default 0)
  --max-batch N         a batch of more than N paths becomes a full sync
                        (default 10000)
  --state-dir DIR       journals, lock and status file (default
                        \$XDG_STATE_HOME/inotify-rsync/<hash of SOURCE>,
                        else ~/.local/state/inotify-rsync/<hash of SOURCE>)
  --rsync-opt OPT       extra rsync argument, repeatable
  --once                one full sync of every target, then exit
  --no-initial-sync     do not start with a full sync
  --log FILE            append log lines to FILE instead of stderr
  --inotifywait PATH    inotifywait to run (default: beside this script,
                        else from \$PATH)
  --rsync PATH          rsync to run (default: from \$PATH)
  -q                    log warnings and errors only
  -v                    log debugging details too
  -h, --help            show this help and exit
  --version             show the version and exit

Exit status: 0 clean stop (SIGINT/SIGTERM) or successful --once; 1 bad usage
or configuration; 2 a required program is missing or too old; 3 --once ran
but some target failed.
EOF
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

# now: NOW = current time in microseconds since the epoch.
now() {
	local t=${EPOCHREALTIME//[!0-9]/}
	NOW=$((10#$t))
}

# iso_time: REPLY = current time, ISO 8601 with milliseconds.
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

# log LEVEL MESSAGE...: one line "ISO-time level message" on the log.
log() {
	local level=$1
	shift
	case $level in
	debug) ((VERBOSITY >= 2)) || return 0 ;;
	info) ((VERBOSITY >= 1)) || return 0 ;;
	esac
	iso_time
	printf '%s %s %s\n' "$REPLY" "$level" "$*" >&"$LOG_FD" || true
}

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

# sha16 STRING: REPLY = the first 16 hex digits of the SHA-256 of STRING.
sha16() {
	local sum rest
	read -r sum rest < <(printf '%s' "$1" | sha256sum)
	: "$rest"
	REPLY=${sum:0:16}
}

# resolve PATH: REPLY = absolute PATH with symlinks resolved (components
# need not exist); fails if realpath does.
resolve() {
	REPLY=
	IFS= read -r -d '' REPLY < <(realpath -m -z -- "$1") || true
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

# ---------------------------------------------------------------- journals

# target_files I: set the per-target file names for target I.
target_files() {
	local base=$STATE_DIR/t-${T_ID[$1]}
	T_JOURNAL[$1]=$base.journal
	T_MARK[$1]=$base.full
	T_LIST[$1]=$base.list
	T_OUT[$1]=$base.rsync-output
	T_OKFILE[$1]=$base.last-success
}

# load_journal I: count the records of target I's journal; a torn last
# record (crash during an append) or an invalid one is dropped and a full
# sync requested instead.
load_journal() {
	local i=$1 j=${T_JOURNAL[$1]} p n=0 bytes=0 bad=0
	local -a keep=()
	T_JBYTES[i]=0
	T_JCOUNT[i]=0
	[[ -s $j ]] || return 0
	while IFS= read -r -d '' p; do
		if valid_rel "$p"; then
			n=$((n + 1))
			bytes=$((bytes + ${#p} + 1))
			keep+=("$p")
		else
			bad=1
		fi
	done <"$j"
	[[ -n $p ]] && bad=1
	if ((bad)); then
		log warn "target ${T_NUM[i]}: damaged journal repaired; a full sync follows"
		: >"$j.tmp"
		((n == 0)) || printf '%s\0' "${keep[@]}" >"$j.tmp"
		mv -f -- "$j.tmp" "$j"
		request_full "$i"
	fi
	T_JBYTES[i]=$bytes
	T_JCOUNT[i]=$n
}

# valid_rel PATH: a relative path without empty, "." or ".." components.
valid_rel() {
	case /$1/ in
	// | *//* | */./* | */../*) return 1 ;;
	esac
	[[ $1 != /* ]]
}

# request_full I: target I needs a full sync (remembered in a marker file).
request_full() {
	FULL_SEQ=$((FULL_SEQ + 1))
	T_FULL[$1]=$FULL_SEQ
	: >"${T_MARK[$1]}"
	STATUS_DIRTY=1
}

# ack_journal I BYTES COUNT: the first BYTES bytes (COUNT records) of target
# I's journal have reached the target; drop them.
ack_journal() {
	local i=$1 b=$2 c=$3 j=${T_JOURNAL[$1]}
	((b > 0)) || return 0
	if ((T_JBYTES[i] <= b)); then
		: >"$j"
		T_JBYTES[i]=0
		T_JCOUNT[i]=0
	else
		tail -c "+$((b + 1))" -- "$j" >"$j.tmp"
		mv -f -- "$j.tmp" "$j"
		T_JBYTES[i]=$((T_JBYTES[i] - b))
		T_JCOUNT[i]=$((T_JCOUNT[i] - c))
	fi
}

# ------------------------------------------------------------- status file

write_status() {
	local i tmp=$STATUS.tmp state full watcher=down
	STATUS_DIRTY=0
	[[ -n $W_PID ]] && watcher=running
	iso_time
	{
		printf '# %s %s status\n' "$PROG" "$VERSION"
		printf 'updated %s\n' "$REPLY"
		quote "$SRC_ABS"
		printf 'source %s\n' "$REPLY"
		printf 'pid %s\n' "$$"
		printf 'state %s\n' "$RUN_STATE"
		printf 'watcher %s\n' "$watcher"
		for i in "${!T_DEST[@]}"; do
			quote "${T_DEST[i]}"
			printf 'target %d dest %s\n' "${T_NUM[i]}" "$REPLY"
			printf 'target %d last_success %s\n' "${T_NUM[i]}" "${T_LASTOK[i]:-never}"
			printf 'target %d pending %d\n' "${T_NUM[i]}" "${T_JCOUNT[i]}"
			full=no
			((T_FULL[i])) && full=yes
			printf 'target %d full_sync_pending %s\n' "${T_NUM[i]}" "$full"
			if [[ -n ${T_PID[i]} ]]; then
				state=running
			elif ((T_NEXT[i] > NOW)); then
				short_secs $((T_NEXT[i] - NOW))
				state="retry in ${REPLY}s"
			elif ((T_FULL[i] || T_JBYTES[i])); then
				state=queued
			else
				state=idle
			fi
			printf 'target %d state %s\n' "${T_NUM[i]}" "$state"
			printf 'target %d last_error %s\n' "${T_NUM[i]}" "${T_LASTERR[i]:-none}"
			printf 'target %d rsync_runs %d\n' "${T_NUM[i]}" "${T_RUNS[i]}"
		done
	} >"$tmp"
	mv -f -- "$tmp" "$STATUS"
}

# ------------------------------------------------------------- rsync jobs

# build_list I BYTES: LIST = the paths to push to target I from the first
# BYTES bytes of its journal: deduplicated, a path whose parent is no longer
# a directory (vanished, or now a file or a symlink) replaced by its topmost
# such parent, and paths below another listed path dropped (a listed
# directory is synced recursively, a vanished one deleted whole).
build_list() {
	local i=$1 b=$2 j=${T_JOURNAL[$1]} p q rest c keep
	local -A seen=() isdir=()
	local -a paths=()
	LIST=()
	while IFS= read -r -d '' p; do
		valid_rel "$p" || continue
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
	done < <(if ((b >= T_JBYTES[i])); then cat -- "$j"; else head -c "$b" -- "$j"; fi)
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

# write_chain FILE: the include chain for LIST (rsync without
# --delete-missing-args, or rules with includes): every parent directory,
# each path and everything below it.
write_chain() {
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
	printf '%s\0' "${rules[@]}" >"$1"
}

# start_job I: start an rsync for target I (full or incremental).
start_job() {
	local i=$1 kind=inc b=${T_JBYTES[$1]} c=${T_JCOUNT[$1]} n=0
	local -a args=("${RSYNC_BASE[@]}")
	if ((T_FULL[i] == 0)); then
		build_list "$i" "$b"
		n=${#LIST[@]}
		if ((n == 0)); then
			ack_journal "$i" "$b" "$c"
			STATUS_DIRTY=1
			return 0
		fi
		if ((n > MAX_BATCH)); then
			log info "target ${T_NUM[i]}: $n paths queued (more than $MAX_BATCH): full sync"
			request_full "$i"
		fi
	fi
	if ((T_FULL[i])); then
		kind=full
		args+=(--exclude-from="$F_FULL")
	elif ((USE_FILES_FROM)); then
		# "./" keeps names starting with '#' or ';' from being comments
		printf './%s\0' "${LIST[@]}" >"${T_LIST[i]}"
		args+=(-r --delete-missing-args --files-from="${T_LIST[i]}" --exclude-from="$F_INC")
	else
		write_chain "${T_LIST[i]}"
		args+=(--exclude-from="$F_FULL" --include-from="${T_LIST[i]}")
	fi
	args+=("${RSYNC_OPTS[@]}" -- "$SRC_ABS/" "${T_DEST[i]}")
	(
		[[ -n $EV_FD ]] && exec {EV_FD}<&-
		[[ $LOG_FD == 2 ]] || exec {LOG_FD}>&-
		[[ -z $SRC_FD ]] || exec {SRC_FD}<&-
		exec {IDLE_FD}<&-
		umask "$ORIG_UMASK"
		exec "$RSYNC" "${args[@]}"
	) </dev/null >"${T_OUT[i]}" 2>&1 &
	T_PID[i]=$!
	T_JOBKIND[i]=$kind
	T_JOBBYTES[i]=$b
	T_JOBCOUNT[i]=$c
	T_JOBFULL[i]=${T_FULL[i]}
	T_JOBPATHS[i]=$n
	now
	T_JOBSTART[i]=$NOW
	T_RUNS[i]=$((T_RUNS[i] + 1))
	if [[ $kind == full ]]; then
		log info "target ${T_NUM[i]}: rsync #${T_RUNS[i]}: full sync"
	else
		log info "target ${T_NUM[i]}: rsync #${T_RUNS[i]}: $n path(s)"
	fi
	STATUS_DIRTY=1
}

# job_done I STATUS: bookkeeping after target I's rsync exited with STATUS.
job_done() {
	local i=$1 rc=$2 line last='' what
	now
	short_secs $((NOW - T_JOBSTART[i]))
	local took=$REPLY
	if [[ ${T_JOBKIND[i]} == full ]]; then what='full sync'; else what="push of ${T_JOBPATHS[i]} path(s)"; fi
	if ((rc == 0 || rc == 24)); then
		ack_journal "$i" "${T_JOBBYTES[i]}" "${T_JOBCOUNT[i]}"
		if [[ ${T_JOBKIND[i]} == full ]] && ((T_FULL[i] == T_JOBFULL[i])); then
			T_FULL[i]=0
			rm -f -- "${T_MARK[i]}"
		fi
		T_BACKOFF[i]=$RETRY_US
		T_NEXT[i]=0
		iso_time
		T_LASTOK[i]=$REPLY
		printf '%s\n' "$REPLY" >"${T_OKFILE[i]}"
		if ((T_FAILING[i])); then
			log info "target ${T_NUM[i]}: reachable again"
			T_FAILING[i]=0
		fi
		log info "target ${T_NUM[i]}: $what done in ${took}s (rsync status $rc)"
	else
		# the first specific complaint ("rsync: ..."), else the summary
		while IFS= read -r line; do
			case $line in
			'rsync: '*)
				last=$line
				break
				;;
			'') ;;
			*) [[ $last == 'rsync error: '* ]] || last=$line ;;
			esac
		done < <(head -n 50 -- "${T_OUT[i]}" 2>/dev/null)
		iso_time
		T_LASTERR[i]="$REPLY rsync status $rc: ${last:-no message}"
		T_NEXT[i]=$((NOW + T_BACKOFF[i]))
		short_secs "${T_BACKOFF[i]}"
		local backoff=$REPLY
		quote "${T_DEST[i]}"
		log warn "target ${T_NUM[i]} ($REPLY): $what failed after ${took}s (rsync status $rc: ${last:-no message}); retry in ${backoff}s"
		T_BACKOFF[i]=$((T_BACKOFF[i] * 2))
		((T_BACKOFF[i] > MAXRETRY_US)) && T_BACKOFF[i]=$MAXRETRY_US
		T_FAILING[i]=1
	fi
	if ((T_INITIAL[i])); then
		T_INITIAL[i]=0
		INITIAL_LEFT=$((INITIAL_LEFT - 1))
		((rc == 0 || rc == 24)) && INITIAL_OK=$((INITIAL_OK + 1))
		if ((INITIAL_LEFT == 0)); then
			log info "initial sync done ($INITIAL_OK of ${#T_DEST[@]} target(s) ok)"
		fi
	fi
	STATUS_DIRTY=1
}

# reap_jobs: collect the rsync jobs that have exited.
reap_jobs() {
	local i pid rc
	for i in "${!T_DEST[@]}"; do
		pid=${T_PID[i]}
		[[ -n $pid ]] || continue
		kill -0 "$pid" 2>/dev/null && continue
		rc=0
		wait "$pid" || rc=$?
		T_PID[i]=
		job_done "$i" "$rc"
	done
}

# jobs_running: true if some rsync job is still running.
jobs_running() {
	local i
	for i in "${!T_DEST[@]}"; do
		[[ -n ${T_PID[i]} ]] && return 0
	done
	return 1
}

# schedule: start a job for every idle target with work due.
schedule() {
	local i
	for i in "${!T_DEST[@]}"; do
		[[ -z ${T_PID[i]} ]] || continue
		((T_FULL[i] || T_JBYTES[i])) || continue
		((NOW >= T_NEXT[i])) || continue
		start_job "$i"
	done
}

# ---------------------------------------------------------------- batches

# mark_batch: an event arrived: start or extend the batch in hand.
mark_batch() {
	if ((BATCH_ACTIVE == 0)); then
		BATCH_ACTIVE=1
		BATCH_FIRST=$NOW
		((NOW + DELAY_US < DEADLINE)) && DEADLINE=$((NOW + DELAY_US))
	fi
	BATCH_LAST=$NOW
}

# handle_event EVENTS PATH: one record from the watcher.
handle_event() {
	local ev=$1 rel
	if [[ $ev == *Q_OVERFLOW* ]]; then
		log warn "inotify event queue overflowed: full sync"
		mark_batch
		BATCH_FULL=1
		return 0
	fi
	[[ $2 == "$SRC_ABS"/* ]] || return 0
	rel=${2#"$SRC_ABS"/}
	while [[ $rel == */ ]]; do
		rel=${rel%/}
	done
	# SOURCE itself (its replacement is noticed by check_source)
	[[ -n $rel ]] || return 0
	if ((VERBOSITY >= 2)); then
		quote "$rel"
		log debug "event $ev $REPLY"
	fi
	mark_batch
	((BATCH_FULL)) && return 0
	if [[ -z ${BATCH_SEEN[$rel]+x} ]]; then
		BATCH_SEEN[$rel]=1
		BATCH+=("$rel")
		BATCH_BYTES=$((BATCH_BYTES + ${#rel} + 1))
		if ((${#BATCH[@]} > MAX_BATCH)); then
			log info "batch holds more than $MAX_BATCH paths: full sync"
			BATCH_FULL=1
			BATCH=()
			BATCH_SEEN=()
			BATCH_BYTES=0
		fi
	fi
}

# flush_batch: hand the batch in hand to every target's journal.
flush_batch() {
	local i
	((BATCH_ACTIVE)) || return 0
	if ((BATCH_FULL)); then
		log info "batch: full sync of every target"
		for i in "${!T_DEST[@]}"; do
			request_full "$i"
		done
	elif ((${#BATCH[@]})); then
		log info "batch: ${#BATCH[@]} path(s)"
		for i in "${!T_DEST[@]}"; do
			# The next job of a target due for a full sync covers this
			# batch, unless that full sync is already running.
			if ((T_FULL[i])) && [[ -z ${T_PID[i]} || ${T_JOBKIND[i]} != full ]]; then
				continue
			fi
			printf '%s\0' "${BATCH[@]}" >>"${T_JOURNAL[i]}"
			T_JBYTES[i]=$((T_JBYTES[i] + BATCH_BYTES))
			T_JCOUNT[i]=$((T_JCOUNT[i] + ${#BATCH[@]}))
			if ((T_JCOUNT[i] > 4 * MAX_BATCH && T_FULL[i] == 0)); then
				log info "target ${T_NUM[i]}: more than $((4 * MAX_BATCH)) paths queued: full sync"
				request_full "$i"
			fi
		done
	fi
	BATCH_ACTIVE=0
	BATCH_FULL=0
	BATCH=()
	BATCH_SEEN=()
	BATCH_BYTES=0
	STATUS_DIRTY=1
}

# batch_due: the batch in hand is quiet or old enough to be pushed.
batch_due() {
	((BATCH_ACTIVE)) || return 1
	((NOW - BATCH_LAST >= DELAY_US || NOW - BATCH_FIRST >= MAXDELAY_US))
}

# ---------------------------------------------------------------- watcher

# start_watcher: run inotifywait on SOURCE and wait until it is ready.
start_watcher() {
	local line ready=0 rc=0
	local -a errs=() cmd=("$IW" -m -r --format '%e%0%w%f%0' --no-newline -e "$EVENTS")
	[[ -n $WATCH_RE ]] && cmd+=(--exclude "$WATCH_RE")
	# An absolute path, and not watching "." from inside: a process whose
	# working directory is SOURCE would keep it alive after its deletion.
	cmd+=(-- "$SRC_ABS")
	rm -f -- "$W_OUT" "$W_ERR"
	mkfifo -m 600 -- "$W_OUT" "$W_ERR"
	(
		exec {IDLE_FD}<&-
		[[ $LOG_FD == 2 ]] || exec {LOG_FD}>&-
		[[ -z $SRC_FD ]] || exec {SRC_FD}<&-
		exec "${cmd[@]}"
	) </dev/null >"$W_OUT" 2>"$W_ERR" &
	W_PID=$!
	exec {EV_FD}<"$W_OUT"
	exec {ER_FD}<"$W_ERR"
	while ((STOP == 0)); do
		if ! input_ready "$ER_FD"; then
			idle_wait 20000
			continue
		fi
		line=
		if ! IFS= read -r -u "$ER_FD" line; then
			[[ -n $line ]] && errs+=("$line")
			break
		fi
		if [[ $line == 'Watches established.' ]]; then
			ready=1
			break
		fi
		[[ $line == 'Setting up watches.'* ]] || errs+=("$line")
	done
	if ((ready == 0)); then
		kill -TERM "$W_PID" 2>/dev/null || true
		exec {EV_FD}<&- {ER_FD}<&-
		EV_FD=
		rc=0
		wait "$W_PID" || rc=$?
		W_PID=
		rm -f -- "$W_OUT" "$W_ERR"
		WATCH_ERROR="${errs[*]:-inotifywait exited with status $rc}"
		return 1
	fi
	# From now on stderr only carries warnings: log them from a helper.
	(
		exec {EV_FD}<&- {IDLE_FD}<&-
		[[ -z $SRC_FD ]] || exec {SRC_FD}<&-
		while IFS= read -r line; do
			case $line in
			'Warning: the kernel event queue overflowed'*) log info "inotifywait: $line" ;;
			"Couldn't watch"* | 'Failed to watch'* | *'upper limit on inotify watches'*)
				# a directory is not watched: what happens there is
				# only seen by full syncs; ask for one now
				log error "inotifywait: $line"
				kill -USR1 "$MAIN_PID" 2>/dev/null || true
				;;
			*) log warn "inotifywait: $line" ;;
			esac
		done
	) <&"$ER_FD" &
	PUMP_PID=$!
	exec {ER_FD}<&-
	# What is watched is this directory, whatever SOURCE names later.
	[[ -z $SRC_FD ]] || exec {SRC_FD}<&-
	SRC_FD=
	exec {SRC_FD}<"$SRC_ABS" || SRC_FD=
	HAVE_EV=0
	now
	W_STARTED=$NOW
	W_BACKOFF=$RETRY_US
	log debug "watcher ready (pid $W_PID)"
	STATUS_DIRTY=1
	return 0
}

# stop_watcher: stop inotifywait and handle what it had already written.
stop_watcher() {
	local give_up
	[[ -n $W_PID ]] || return 0
	kill -TERM "$W_PID" 2>/dev/null || true
	now
	give_up=$((NOW + 2000000))
	while [[ -n $EV_FD ]]; do
		if input_ready "$EV_FD"; then
			IFS= read -r -d '' -u "$EV_FD" FIELD || break
			got_field
			continue
		fi
		now
		if ((NOW >= give_up)); then
			kill -KILL "$W_PID" 2>/dev/null || true
			break
		fi
		idle_wait 10000
	done
	if [[ -n $EV_FD ]]; then
		exec {EV_FD}<&-
		EV_FD=
	fi
	wait "$W_PID" 2>/dev/null || true
	W_PID=
	reap_pump
	rm -f -- "$W_OUT" "$W_ERR"
}

# check_source: if SOURCE no longer names the directory being watched
# (moved away, replaced, deleted), stop the watcher: it is restarted on
# what SOURCE names now, followed by a full sync.
check_source() {
	((NOW >= NEXT_SRC_CHECK)) || return 0
	NEXT_SRC_CHECK=$((NOW + 1000000))
	[[ -n $W_PID && -n $SRC_FD ]] || return 0
	[[ /dev/fd/$SRC_FD -ef $SRC_ABS ]] && return 0
	log warn "SOURCE itself was moved, replaced or deleted"
	exec {SRC_FD}<&-
	SRC_FD=
	kill -TERM "$W_PID" 2>/dev/null || true
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

# watcher_gone: the watcher's pipe reached end of file.
watcher_gone() {
	local rc=0
	exec {EV_FD}<&-
	EV_FD=
	wait "$W_PID" || rc=$?
	W_PID=
	reap_pump
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
	BATCH_FULL=1
	mark_batch
	STATUS_DIRTY=1
}

# input_ready FD: FD has something to read (data or end of file); nothing
# is consumed.  The watcher's pipes are never read with a timeout: bash's
# read -t can drop the byte it was reading when the timeout strikes (records
# would merge), so they are polled with -t 0 and read only when ready; the
# writer always completes the record at once.
input_ready() {
	read -r -t 0 -u "$1" 2>/dev/null
}

# got_field: FIELD completes an event name or a path.
got_field() {
	if ((HAVE_EV)); then
		HAVE_EV=0
		handle_event "$EV_NAME" "$FIELD"
	else
		EV_NAME=$FIELD
		HAVE_EV=1
	fi
}

# read_events: handle watcher records until DEADLINE; between records the
# pipe is polled every 20 ms (100 ms after 2 s without input).
read_events() {
	local t
	while :; do
		if input_ready "$EV_FD"; then
			if ! IFS= read -r -d '' -u "$EV_FD" FIELD; then
				watcher_gone
				return 0
			fi
			now
			LAST_INPUT=$NOW
			got_field
			((STOP == 0 && NOW < DEADLINE)) || return 0
			continue
		fi
		now
		((STOP == 0 && NOW < DEADLINE)) || return 0
		t=20000
		((NOW - LAST_INPUT > 2000000)) && t=100000
		((DEADLINE - NOW < t)) && t=$((DEADLINE - NOW))
		idle_wait "$t"
	done
}

# ---------------------------------------------------------------- main loop

# compute_deadline: DEADLINE = when the main loop next has work to do.
compute_deadline() {
	local i d
	DEADLINE=$((NOW + 500000))
	if ((BATCH_ACTIVE)) && [[ -n $W_PID ]]; then
		d=$((BATCH_LAST + DELAY_US))
		((BATCH_FIRST + MAXDELAY_US < d)) && d=$((BATCH_FIRST + MAXDELAY_US))
		((d < DEADLINE)) && DEADLINE=$d
	fi
	for i in "${!T_DEST[@]}"; do
		if [[ -n ${T_PID[i]} ]]; then
			d=$((NOW + 50000))
		elif ((T_FULL[i] || T_JBYTES[i])); then
			d=${T_NEXT[i]}
		else
			continue
		fi
		((d < DEADLINE)) && DEADLINE=$d
	done
	if ((FULL_EVERY_US)) && ((NEXT_FULL < DEADLINE)); then
		DEADLINE=$NEXT_FULL
	fi
	if [[ -z $W_PID ]] && ((W_NEXT < DEADLINE)); then
		DEADLINE=$W_NEXT
	fi
	return 0
}

# service: everything but reading events.
service() {
	local i
	now
	reap_jobs
	check_source
	if [[ -z $W_PID ]] && ((ONCE == 0 && STOP == 0 && NOW >= W_NEXT)); then
		if start_watcher; then
			log info "inotifywait restarted"
			now
			BATCH_FULL=1
			mark_batch
			BATCH_FIRST=0
		else
			W_NEXT=$((NOW + W_BACKOFF))
			short_secs "$W_BACKOFF"
			log error "cannot restart inotifywait: $WATCH_ERROR; next try in ${REPLY}s"
			W_BACKOFF=$((W_BACKOFF * 2))
			((W_BACKOFF > MAXRETRY_US)) && W_BACKOFF=$MAXRETRY_US
		fi
	fi
	if ((FULL_EVERY_US)) && ((NOW >= NEXT_FULL)); then
		log info "periodic full sync"
		for i in "${!T_DEST[@]}"; do
			request_full "$i"
		done
		NEXT_FULL=$((NOW + FULL_EVERY_US))
	fi
	if ((WANT_FULL)); then
		WANT_FULL=0
		log warn "the watcher could not watch some directory: full sync"
		BATCH_FULL=1
		mark_batch
	fi
	if [[ -n $W_PID ]] && batch_due; then
		flush_batch
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
			read_events
		else
			wait_us=$((DEADLINE - NOW))
			((wait_us < 1000)) && wait_us=1000
			idle_wait "$wait_us"
		fi
	done
}

# wait_jobs [push]: wait until no rsync job runs; a second signal kills
# them (the journals keep what they were pushing).  With "push", every
# target with queued paths, no pending full sync and no retry due later
# gets one more push once it is idle (the batch in hand at a stop).
wait_jobs() {
	local i killed=0
	local -A pushed=()
	while :; do
		reap_jobs
		if [[ ${1:-} == push ]] && ((killed == 0)); then
			now
			for i in "${!T_DEST[@]}"; do
				[[ -z ${T_PID[i]} && -z ${pushed[$i]:-} ]] || continue
				((T_FULL[i] == 0 && T_JBYTES[i] > 0 && NOW >= T_NEXT[i])) || continue
				pushed[$i]=1
				start_job "$i"
			done
		fi
		jobs_running || break
		if ((STOP >= 2 && killed == 0)); then
			log warn "second signal: stopping the rsync jobs in progress"
			for i in "${!T_DEST[@]}"; do
				[[ -n ${T_PID[i]} ]] && kill -TERM "${T_PID[i]}" 2>/dev/null
			done
			killed=1
		fi
		idle_wait 50000
	done
	((STATUS_DIRTY)) && write_status
	return 0
}

# shutdown: the clean stop after SIGINT/SIGTERM/SIGHUP.
shutdown() {
	log info "stopping"
	RUN_STATE=stopping
	stop_watcher
	now
	reap_jobs
	flush_batch
	# Push the batch in hand to every target that is not known to be down;
	# pending full syncs wait for the next start (their markers stay).
	wait_jobs push
	RUN_STATE=stopped
	write_status
	CLEAN_EXIT=1
	release_lock
	log info "stopped"
}

# The two trap handlers are only ever called by the shell.
# shellcheck disable=SC2317
on_signal() {
	STOP=$((STOP + 1))
}

# shellcheck disable=SC2317
on_usr1() {
	WANT_FULL=1
}

# on_exit: last resort for an unexpected exit; the clean paths have already
# stopped everything.  After an unexpected exit the batch in hand is lost:
# every target is marked for a full sync at the next start.
# shellcheck disable=SC2317
on_exit() {
	local i
	if ((LOCKED && CLEAN_EXIT == 0)); then
		for i in "${!T_MARK[@]}"; do
			: >"${T_MARK[i]}" 2>/dev/null || true
		done
	fi
	if [[ -n ${W_PID:-} ]]; then
		kill -TERM "$W_PID" 2>/dev/null || true
	fi
	for i in "${!T_PID[@]}"; do
		[[ -n ${T_PID[i]} ]] && kill -TERM "${T_PID[i]}" 2>/dev/null
	done
	release_lock
	return 0
}

# ---------------------------------------------------------------- locking

acquire_lock() {
	local lock=$STATE_DIR/lock tmp=$STATE_DIR/lock.$$ pid start attempt
	proc_start $$ || REPLY=0
	local mine=$REPLY
	rm -rf -- "$tmp"
	mkdir -- "$tmp"
	printf '%s %s\n' "$$" "$mine" >"$tmp/pid"
	for attempt in 1 2 3; do
		if mv -T -- "$tmp" "$lock" 2>/dev/null; then
			LOCKED=1
			return 0
		fi
		pid='' start=''
		read -r pid start <"$lock/pid" 2>/dev/null || true
		if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
			proc_start "$pid" && [[ $REPLY == "$start" ]]; then
			rm -rf -- "$tmp"
			die "state dir $STATE_DIR is locked by another instance (pid $pid); stop it first or use another --state-dir"
		fi
		log warn "previous instance${pid:+ (pid $pid)} did not stop cleanly: removing its lock, full sync follows (attempt $attempt)"
		UNCLEAN=1
		rm -rf -- "$lock"
	done
	rm -rf -- "$tmp"
	die "cannot lock state dir $STATE_DIR"
}

# release_lock: remove the FIFOs and the lock (only if it is ours).
release_lock() {
	local pid='' rest=''
	((LOCKED)) || return 0
	rm -f -- "$W_OUT" "$W_ERR" "$IDLE_FIFO"
	read -r pid rest <"$STATE_DIR/lock/pid" 2>/dev/null || true
	: "$rest"
	if [[ $pid == "$$" ]]; then
		rm -f -- "$STATE_DIR/lock/pid"
		rmdir -- "$STATE_DIR/lock" 2>/dev/null || true
	fi
	LOCKED=0
}

# ---------------------------------------------------------------- programs

# find_program NAME GIVEN DEFAULT_BESIDE: REPLY = absolute path, or exit 2.
find_program() {
	local name=$1 given=$2 beside=$3 p
	if [[ -n $given ]]; then
		p=$given
		if [[ $p != */* ]]; then
			p=$(type -P -- "$p") || die_prog "$name '$given' not found"
		fi
	elif [[ -n $beside && -f $beside && -x $beside ]]; then
		p=$beside
	else
		p=$(type -P -- "$name") || die_prog "$name not found (use --$name PATH)"
	fi
	[[ -f $p && -x $p ]] || die_prog "$name '$p' not found or not executable"
	[[ $p == /* ]] || p=$PWD/$p
	REPLY=$p
}

# ---------------------------------------------------------------- options

VERBOSITY=1
DELAY_US=1000000
MAXDELAY_US=10000000
RETRY_US=5000000
MAXRETRY_US=300000000
FULL_EVERY_US=0
MAX_BATCH=10000
STATE_DIR=
LOG_FILE=
IW_GIVEN=
RSYNC_GIVEN=
ONCE=0
INITIAL=1
COMPLEX_RULES=0
RULES=()
RSYNC_OPTS=()
ARGS=()

# need_value OPTION COUNT: the option needs a value.
need_value() {
	(($2 >= 2)) || die "option $1 needs a value"
}

while (($#)); do
	opt=$1
	val=
	case $opt in
	--*=*)
		val=${opt#*=}
		opt=${opt%%=*}
		set -- "$opt" "$val" "${@:2}"
		case $opt in
		--exclude | --exclude-from | --delay | --max-delay | --retry | --max-retry | \
			--full-every | --max-batch | --state-dir | --rsync-opt | --log | \
			--inotifywait | --rsync) ;;
		*) die "option $opt does not take a value" ;;
		esac
		;;
	esac
	case $opt in
	--exclude)
		need_value "$opt" $#
		add_rule "$2"
		shift 2
		;;
	--exclude-from)
		need_value "$opt" $#
		read_exclude_from "$2"
		shift 2
		;;
	--delay | --max-delay | --retry | --max-retry | --full-every)
		need_value "$opt" $#
		parse_seconds "$opt" "$2"
		case $opt in
		--delay) DELAY_US=$REPLY ;;
		--max-delay) MAXDELAY_US=$REPLY ;;
		--retry) RETRY_US=$REPLY ;;
		--max-retry) MAXRETRY_US=$REPLY ;;
		--full-every) FULL_EVERY_US=$REPLY ;;
		esac
		if [[ $opt == --retry || $opt == --max-retry ]] && ((REPLY == 0)); then
			die "$opt: '$2' is not a valid number of seconds (must be more than 0)"
		fi
		shift 2
		;;
	--max-batch)
		need_value "$opt" $#
		if ! [[ $2 =~ ^[0-9]{1,9}$ ]] || ((10#$2 == 0)); then
			die "$opt: '$2' is not a valid count"
		fi
		MAX_BATCH=$((10#$2))
		shift 2
		;;
	--state-dir)
		need_value "$opt" $#
		[[ -n $2 ]] || die "$opt: empty path"
		STATE_DIR=$2
		shift 2
		;;
	--rsync-opt)
		need_value "$opt" $#
		RSYNC_OPTS+=("$2")
		shift 2
		;;
	--log)
		need_value "$opt" $#
		[[ -n $2 ]] || die "$opt: empty path"
		LOG_FILE=$2
		shift 2
		;;
	--inotifywait)
		need_value "$opt" $#
		IW_GIVEN=$2
		shift 2
		;;
	--rsync)
		need_value "$opt" $#
		RSYNC_GIVEN=$2
		shift 2
		;;
	--once)
		ONCE=1
		shift
		;;
	--no-initial-sync)
		INITIAL=0
		shift
		;;
	-q)
		VERBOSITY=0
		shift
		;;
	-v)
		VERBOSITY=2
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	--version)
		printf '%s %s\n' "$PROG" "$VERSION"
		exit 0
		;;
	--)
		shift
		ARGS+=("$@")
		break
		;;
	-?*) die "unknown option '$opt' (see --help)" ;;
	*)
		ARGS+=("$opt")
		shift
		;;
	esac
done
unset opt val

# ---------------------------------------------------------------- checks

for tool in cat head mkdir mkfifo mv realpath rm sha256sum tail; do
	type -P -- "$tool" >/dev/null || die_prog "$tool (coreutils) not found"
done
unset tool

((${#ARGS[@]} >= 1)) || die "missing SOURCE and DEST (see --help)"
((${#ARGS[@]} >= 2)) || die "no DEST given (see --help)"
SOURCE=${ARGS[0]}
DESTS=("${ARGS[@]:1}")
[[ -n $SOURCE ]] || die "empty SOURCE"
[[ -e $SOURCE ]] || die "SOURCE '$SOURCE' does not exist"
[[ -d $SOURCE ]] || die "SOURCE '$SOURCE' is not a directory"
resolve "$SOURCE" || die "cannot resolve SOURCE '$SOURCE'"
SRC_ABS=$REPLY

declare -A seen_dest=()
for d in "${DESTS[@]}"; do
	[[ -n $d ]] || die "empty DEST"
	[[ -z ${seen_dest[$d]+x} ]] || die "DEST '$d' given twice"
	seen_dest[$d]=1
	if is_local_dest "$d"; then
		resolve "$d" || die "cannot resolve DEST '$d'"
		if inside "$REPLY" "$SRC_ABS"; then
			die "DEST '$d' is inside SOURCE '$SOURCE'"
		fi
		if inside "$SRC_ABS" "$REPLY"; then
			die "SOURCE '$SOURCE' is inside DEST '$d'"
		fi
	fi
done
unset seen_dest d

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
	inside "$REPLY" "$SRC_ABS" && die "--log '$LOG_FILE' is inside SOURCE"
fi

((BASH_VERSINFO[0] >= 5)) || die_prog "bash 5 or later is needed (this is $BASH_VERSION)"

find_program rsync "$RSYNC_GIVEN" ''
RSYNC=$REPLY
rsync_help=$("$RSYNC" --help 2>&1) || true
[[ $rsync_help == *--from0* && ( $rsync_help == *--protect-args* || $rsync_help == *--secluded-args* ) ]] ||
	die_prog "rsync '$RSYNC' is too old (needs --from0 and --protect-args)"
USE_FILES_FROM=0
if [[ $rsync_help == *--delete-missing-args* && ${INOTIFY_RSYNC_FORCE_FILTER:-0} != 1 ]] && ((COMPLEX_RULES == 0)); then
	USE_FILES_FROM=1
fi
unset rsync_help
# A file rewritten within the same second with the same size passes rsync's
# quick check (size and whole-second mtime) unless nanoseconds are compared,
# which rsync >= 3.1.3 does with a negative --modify-window.
RSYNC_BASE=(-a -s --delete --from0)
rsync_version=$("$RSYNC" --version 2>/dev/null | head -n 1) || true
if [[ $rsync_version =~ version\ ([0-9]+)\.([0-9]+)\.([0-9]+) ]] &&
	((BASH_REMATCH[1] * 1000000 + BASH_REMATCH[2] * 1000 + BASH_REMATCH[3] >= 3001003)); then
	RSYNC_BASE+=(--modify-window=-1)
fi
unset rsync_version

IW=
if ((ONCE == 0)); then
	beside=
	[[ $0 == */* ]] && beside=${0%/*}/inotifywait
	find_program inotifywait "$IW_GIVEN" "$beside"
	IW=$REPLY
	unset beside
	iw_help=$("$IW" --help 2>&1) || true
	[[ $iw_help == *--no-newline* ]] || die_prog "inotifywait '$IW' is too old (needs --no-newline)"
	unset iw_help
fi

# ---------------------------------------------------------------- setup

ORIG_UMASK=$(umask)
umask 077

LOG_FD=2
if [[ -n $LOG_FILE ]]; then
	{ exec {LOG_FD}>>"$LOG_FILE"; } 2>/dev/null || die "--log: cannot open '$LOG_FILE'"
fi

mkdir -p -- "$STATE_DIR" 2>/dev/null || die "--state-dir: cannot create '$STATE_DIR'"
[[ -d $STATE_DIR && -w $STATE_DIR ]] || die "--state-dir: '$STATE_DIR' is not a writable directory"

STOP=0
CLEAN_EXIT=0
T_MARK=()
WANT_FULL=0
MAIN_PID=$$
LOCKED=0
UNCLEAN=0
W_PID=
PUMP_PID=
EV_FD=
ER_FD=
W_OUT=$STATE_DIR/watch.out
W_ERR=$STATE_DIR/watch.err
IDLE_FIFO=$STATE_DIR/idle
F_FULL=$STATE_DIR/filters
F_INC=$STATE_DIR/filters.files-from
STATUS=$STATE_DIR/status
RUN_STATE=starting
STATUS_DIRTY=1
FULL_SEQ=0
INITIAL_LEFT=0
INITIAL_OK=0
# (no move_self: with it, our inotifywait holds back its output after a
# directory is moved out of the tree until the next event arrives)
EVENTS=close_write,create,delete,moved_from,moved_to,attrib
BATCH=()
declare -A BATCH_SEEN=()
BATCH_BYTES=0
BATCH_ACTIVE=0
BATCH_FULL=0
BATCH_FIRST=0
BATCH_LAST=0
HAVE_EV=0
LAST_INPUT=0
SRC_FD=
NEXT_SRC_CHECK=0
EV_NAME=
FIELD=
LIST=()
WATCH_RE=
SRC_RE=
WATCH_ERROR=
W_STARTED=0
W_NEXT=0
W_BACKOFF=$RETRY_US
NOW=0
DEADLINE=0

trap on_signal INT TERM HUP
trap on_usr1 USR1
trap on_exit EXIT

acquire_lock
# Anything a SIGKILLed predecessor may have left behind.
rm -f -- "$W_OUT" "$W_ERR" "$IDLE_FIFO" "$STATE_DIR"/*.tmp
mkfifo -m 600 -- "$IDLE_FIFO"
exec {IDLE_FD}<>"$IDLE_FIFO"

build_filters

declare -a T_DEST=() T_NUM=() T_ID=() T_JOURNAL=() T_LIST=() T_OUT=() \
	T_OKFILE=() T_JBYTES=() T_JCOUNT=() T_FULL=() T_PID=() T_NEXT=() T_BACKOFF=() \
	T_LASTOK=() T_LASTERR=() T_RUNS=() T_FAILING=() T_INITIAL=() T_JOBKIND=() \
	T_JOBBYTES=() T_JOBCOUNT=() T_JOBFULL=() T_JOBPATHS=() T_JOBSTART=()
for idx in "${!DESTS[@]}"; do
	T_DEST[idx]=${DESTS[idx]}
	T_NUM[idx]=$((idx + 1))
	sha16 "${DESTS[idx]}"
	T_ID[idx]=$REPLY
	target_files "$idx"
	T_FULL[idx]=0
	T_PID[idx]=
	T_NEXT[idx]=0
	T_BACKOFF[idx]=$RETRY_US
	T_LASTOK[idx]=
	T_LASTERR[idx]=
	T_RUNS[idx]=0
	T_FAILING[idx]=0
	T_INITIAL[idx]=0
	printf '%s\n' "${DESTS[idx]}" >"$STATE_DIR/t-${T_ID[idx]}.dest"
	if [[ -s ${T_OKFILE[idx]} ]]; then
		IFS= read -r 'T_LASTOK[idx]' <"${T_OKFILE[idx]}" || true
	fi
	[[ -e ${T_JOURNAL[idx]} ]] || : >"${T_JOURNAL[idx]}"
	load_journal "$idx"
	if [[ -e ${T_MARK[idx]} ]]; then
		FULL_SEQ=$((FULL_SEQ + 1))
		T_FULL[idx]=$FULL_SEQ
	fi
	if ((T_FULL[idx])); then
		log info "target ${T_NUM[idx]}: pending from a previous run: full sync"
	elif ((T_JBYTES[idx])); then
		log info "target ${T_NUM[idx]}: pending from a previous run: ${T_JCOUNT[idx]} path(s)"
	fi
done
unset idx

quote "$SRC_ABS"
log info "$PROG $VERSION: source $REPLY, ${#T_DEST[@]} target(s), state dir $STATE_DIR"
if ((USE_FILES_FROM == 0)); then
	log info "incremental pushes use include chains (rsync without --delete-missing-args, or include rules)"
fi

if ((ONCE)); then
	RUN_STATE=once
	for idx in "${!T_DEST[@]}"; do
		request_full "$idx"
	done
	now
	schedule
	write_status
	failed=0
	while jobs_running; do
		if ((STOP)); then
			log warn "interrupted"
			STOP=2
		fi
		wait_jobs
	done
	for idx in "${!T_DEST[@]}"; do
		if ((T_FULL[idx])); then
			failed=$((failed + 1))
		fi
	done
	RUN_STATE=stopped
	write_status
	CLEAN_EXIT=1
	release_lock
	if ((failed)); then
		log error "--once: $failed of ${#T_DEST[@]} target(s) failed"
		exit 3
	fi
	log info "--once: every target is in step"
	exit 0
fi

RUN_STATE=starting
if ! start_watcher; then
	if ((STOP)); then
		CLEAN_EXIT=1
		release_lock
		exit 0
	fi
	printf '%s: cannot watch %s: %s\n' "$PROG" "$SOURCE" "$WATCH_ERROR" >&2
	[[ $LOG_FD == 2 ]] || log error "cannot watch: $WATCH_ERROR"
	exit 1
fi
RUN_STATE=running
now
if ((FULL_EVERY_US)); then
	NEXT_FULL=$((NOW + FULL_EVERY_US))
else
	NEXT_FULL=0
fi
if ((INITIAL || UNCLEAN)); then
	((INITIAL)) || log info "unclean previous stop: full sync despite --no-initial-sync"
	for idx in "${!T_DEST[@]}"; do
		request_full "$idx"
		T_INITIAL[idx]=1
	done
	INITIAL_LEFT=${#T_DEST[@]}
	log info "watcher ready: initial sync of ${#T_DEST[@]} target(s)"
else
	log info "watcher ready: no initial sync"
fi
unset idx

main_loop
shutdown
exit 0
