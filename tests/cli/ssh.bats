#!/usr/bin/env bats
# ssh.bats: scripts/inotify-rsync.sh pushing over ssh to a real sshd that
# each test starts on 127.0.0.1 (its own host key, an authorized key made
# for the test; root logs in to root, another user to itself).  Skipped,
# saying why, where openssh-server is not installed (./bootstrap installs
# it as root).

load common
load rsync

SSHD=${IT_SSHD:-/usr/sbin/sshd}

# sshd_start: an sshd on a free port of 127.0.0.1; SSH_PORT, SSH_LOG, and
# RSH = the remote shell command for rsync -e.
sshd_start() {
	local d=$IT_TMP/sshd tries
	[ -x "$SSHD" ] || skip "$SSHD is not installed (openssh-server)"
	command -v ssh >/dev/null || skip "ssh is not installed (openssh-client)"
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host" </dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$d/user" </dev/null
	cp "$d/user.pub" "$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	# privilege separation needs its directory when sshd runs as root
	[ "$(id -u)" != 0 ] || mkdir -p /run/sshd
	SSH_LOG=$d/log
	for ((tries = 0; tries < 10; tries++)); do
		SSH_PORT=$((20000 + RANDOM % 40000))
		cat >"$d/config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host
AuthorizedKeysFile $d/authorized_keys
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
LogLevel VERBOSE
CONF
		timeout -k 5 "$SYNC_TIMEOUT" "$SSHD" -D -e -f "$d/config" 2>>"$SSH_LOG" 3>&- &
		SSHD_PID=$!
		bg_track "$SSHD_PID"
		RSH="ssh -p $SSH_PORT -i $d/user -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
		if wait_until -t 5 -p "$SSHD_PID" -m "sshd on port $SSH_PORT" ssh_ok; then
			return 0
		fi
		kill "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
	done
	skip "no sshd could be started on 127.0.0.1"
}

ssh_ok() {
	# shellcheck disable=SC2086 # RSH is a command line
	$RSH 127.0.0.1 true </dev/null >/dev/null 2>&1
}

sshd_stop() {
	kill -TERM "$SSHD_PID" 2>/dev/null || true
	wait "$SSHD_PID" 2>/dev/null || true
}

# logins: how many times sshd let a key in.
logins() {
	grep -c 'Accepted publickey' "$SSH_LOG" || true
}

@test "ssh target: the initial sync and a mix of hostile names converge" {
	prepare
	populate "$SRC"
	sshd_start
	sync_started --delay 0.2 --rsync-opt="--rsh=$RSH" "$SRC" "127.0.0.1:$IT_TMP/dst"
	converge "$SRC" "$IT_TMP/dst" "ssh initial sync"
	mixed_ops "$SRC"
	converge "$SRC" "$IT_TMP/dst" "ssh mix, round 1"
	mixed_ops2 "$SRC"
	converge "$SRC" "$IT_TMP/dst" "ssh mix, round 2"
	[ ! -e "$TEST_DIR/pwned" ]
	sync_stop
	assert_status 0
}

@test "ssh target: one connection for every push (ControlMaster), closed at the stop" {
	prepare
	populate "$SRC"
	sshd_start
	local before k
	before=$(logins)
	RSYNC_RSH=$RSH sync_started --delay 0.2 "$SRC" "127.0.0.1:$IT_TMP/dst"
	for k in 1 2 3 4 5; do
		echo "$k" >"$SRC/push-$k"
		wait_until test -e "$IT_TMP/dst/push-$k"
	done
	wait_until status_is 1 state idle
	printf '# ssh logins for 6 rsync runs: %d\n' $(($(logins) - before)) >&3
	[ $(($(logins) - before)) = 1 ]
	[ -n "$(echo "$STATE"/ssh-*)" ]
	sync_stop
	assert_status 0
	# the master is gone with the script
	[ -z "$(procs_of ssh "ControlPath=$STATE/ssh-")" ]
}

@test "ssh target: sshd down, changes meanwhile, sshd back: it catches up by itself" {
	prepare
	populate "$SRC"
	sshd_start
	RSYNC_RSH="$RSH -o ControlMaster=no" sync_started --delay 0.2 --retry 0.3 --max-retry 1 \
		"$SRC" "127.0.0.1:$IT_TMP/dst"
	sshd_stop
	mixed_ops "$SRC"
	wait_until status_not 1 last_error none
	status_not 1 pending 0
	# the same port again
	timeout -k 5 "$SYNC_TIMEOUT" "$SSHD" -D -e -f "$IT_TMP/sshd/config" 2>>"$SSH_LOG" 3>&- &
	SSHD_PID=$!
	bg_track "$SSHD_PID"
	converge "$SRC" "$IT_TMP/dst" "ssh target back"
	wait_until status_is 1 pending 0
	sync_stop
	assert_status 0
}

@test "ssh target: a renamed tree is renamed there (one ssh command), not sent again" {
	prepare
	mkdir -p "$SRC/tree/sub"
	head -c 1048576 /dev/urandom >"$SRC/tree/sub/big"
	printf 'x\n' >"$SRC/"$'new\nline'
	sshd_start
	RSYNC_RSH=$RSH sync_started --delay 0.3 --rsync-opt=--stats "$SRC" "127.0.0.1:$IT_TMP/dst"
	local ino ino2
	ino=$(stat -c %i "$IT_TMP/dst/tree/sub/big")
	ino2=$(stat -c %i "$IT_TMP/dst/"$'new\nline')
	mv "$SRC/tree" "$SRC/tree renamed"
	mv "$SRC/"$'new\nline' "$SRC/tree renamed/-dash"
	converge "$SRC" "$IT_TMP/dst" "ssh: renames as moves"
	[ "$(stat -c %i "$IT_TMP/dst/tree renamed/sub/big")" = "$ino" ]
	[ "$(stat -c %i "$IT_TMP/dst/tree renamed/-dash")" = "$ino2" ]
	wait_until status_is 1 state idle
	grep -q 'Literal data: 0 bytes' "$STATE"/t-*.rsync-output
	sync_stop
	assert_status 0
}
