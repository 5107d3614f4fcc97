# Control socket security: mode 0660 and socket_group; read-only commands for
# the group, state-changing ones only for root and admin_group members (the
# kernel's SO_PEERCRED, not what the client says); no access for others; a
# second instance refuses to start; a stale socket of a killed one is replaced.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
command -v setpriv >/dev/null || fail "setpriv (util-linux) missing"
lab_up
chmod 755 "$LAB_TMP"	# let the unprivileged test users reach the socket
conf=$(sg_conf sp "socket_group = 4242" "admin_group = 4243")
sg_start "$LAB_G" "$conf"
perm=$(stat -c '%a %g' "$SG_SOCK")
[ "$perm" = "660 4242" ] || fail "socket mode/group is '$perm', expected '660 4242'"
as() {	# as UID GID GROUPS cmd...: run synguardctl as another user
	local uid=$1 gid=$2 groups=$3
	shift 3
	setpriv --reuid "$uid" --regid "$gid" --groups "$groups" \
		"$SG_BIN/synguardctl" -s "$SG_SOCK" "$@"
}
as 65534 4242 4242 stats >/dev/null || fail "socket_group member cannot read stats"
rc=0
as 65534 4242 4242 reload 2>"$LAB_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "only root and members of admin_group" "$LAB_TMP/err" ||
	fail "read-only user could reload (status $rc: $(cat "$LAB_TMP/err"))"
rc=0
as 65534 4242 4242 clear-counters 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "read-only user could clear counters"
as 65534 4242 4242,4243 reload >/dev/null || fail "admin_group member cannot reload"
as 65534 4242 4242,4243 verify 192.0.2.77 >/dev/null || fail "admin cannot verify a source"
[ "$(sg_stat verified_sources)" = 1 ] || fail "verify did not add a source"
rc=0
as 65534 65534 65534 stats 2>"$LAB_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -qi "permission denied" "$LAB_TMP/err" || fail "outsider reached the socket"

# A second instance on the same socket refuses to start, clearly.
rc=0
lab_exec "$LAB_G" timeout 10 "$SG_BIN/synguardd" -c "$conf" 2>"$LAB_TMP/second" || rc=$?
[ "$rc" = 1 ] || fail "second instance: status $rc"
grep -q "another synguardd is running" "$LAB_TMP/second" || fail "no clear message: $(cat "$LAB_TMP/second")"
sg_ctl ping || fail "the first instance was disturbed"
# kill -9 leaves a stale socket file; the next start replaces it.
kill -KILL "$SG_PID"
wait "$SG_PID" 2>/dev/null || true
lab_untrack_pid "$SG_PID"
[ -S "$SG_SOCK" ] || fail "expected a stale socket after kill -9"
sg_start "$LAB_G" "$conf"
sg_stop
echo "PASS: socket permissions"
