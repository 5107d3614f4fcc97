# The kernel fast path with exactly what the systemd unit gives synguardd:
# a user that is not root (DynamicUser), the capabilities of its
# CapabilityBoundingSet and AmbientCapabilities (read from
# systemd/synguardd.service.in), NoNewPrivileges, a pin directory made for
# that user on a bpffs (the unit's ExecStartPre).  Without systemd as PID 1
# here, setpriv gives the daemon those credentials.
# 1. The program loads, attaches (generic XDP) and is pinned; it answers a
#    client and verifies it by its RST; a full-rate flood is answered in the
#    kernel.
# 2. kill -9 (the unit restarts it): the restarted daemon knows the program
#    left attached as its own by the pin and replaces it, with the verified
#    sources (opening a program by id takes CAP_SYS_ADMIN, which the unit
#    does not grant: measured EPERM).
# 3. A clean stop detaches and unpins (the directory stays, empty).
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
command -v setpriv >/dev/null || fail "setpriv (util-linux) missing"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}
UNIT=$top_srcdir/systemd/synguardd.service.in
UID_SG=61999	# in systemd's DynamicUser range

# unit_caps KEY: the unit's capability list for KEY, as setpriv writes it
# (net_admin,bpf,...).
unit_caps() {
	sed -n "s/^$1=//p" "$UNIT" | tr ' ' '\n' | sed -n 's/^CAP_//p' | tr 'A-Z' 'a-z' | paste -sd, -
}
ambient=$(unit_caps AmbientCapabilities)
bounding=$(unit_caps CapabilityBoundingSet)
[ -n "$ambient" ] && [ -n "$bounding" ] || fail "no capabilities found in $UNIT"
grep -q '^NoNewPrivileges=yes' "$UNIT" || fail "$UNIT: NoNewPrivileges is not set"
grep -q '^DynamicUser=yes' "$UNIT" || fail "$UNIT: DynamicUser is not set"
lab_log "the unit's capabilities: ambient $ambient, bounding set $bounding"
SG_WRAP=(setpriv --reuid "$UID_SG" --regid "$UID_SG" --clear-groups
	--inh-caps="-all,+${ambient//,/,+}" --ambient-caps="-all,+${ambient//,/,+}"
	--bounding-set="-all,+${bounding//,/,+}" --no-new-privs)

# Its state and socket in a directory of its own (StateDirectory,
# RuntimeDirectory); the pins' bpffs the test's own, the directory made as
# ExecStartPre makes it.
chmod o+x "$LAB_TMP"
DIR=$LAB_TMP/unit
install -d -m 0700 -o "$UID_SG" -g "$UID_SG" "$DIR"
BPFFS=$LAB_TMP/bpffs
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS" || fail "cannot mount a bpffs on $BPFFS"
lab_at_exit umount "$BPFFS"
PINS=$BPFFS/synguard
install -d -m 0700 -o "$UID_SG" -g "$UID_SG" "$PINS"
conf=$LAB_TMP/unit.conf
cat >"$conf" <<EOF
socket = $DIR/synguard.sock
state_file = $DIR/state
mode = always
accel_interfaces = $IF_GC $IF_GA
accel_mode = xdp-generic
accel_object = $top_builddir/src/bpf/synguard.bpf.o
accel_ports = $PORT
accel_pin_dir = $PINS
EOF
chmod 0644 "$conf"
"$SG_BIN/synguardd" -t -c "$conf" >/dev/null || fail "config $conf rejected"
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -c "$conf"
lab_server_start "$PORT"

started() {	# started: what the daemon said about its fast path
	local i
	for i in "$IF_GC" "$IF_GA"; do
		sg_wait_log "kernel fast path on $i \(xdp-generic\)" 5 >/dev/null
	done
	! grep -E "kernel fast path.*(not|cannot|refused|error|failed|foreign|Operation not permitted)" "$SG_LOG" ||
		sg_die "the fast path did not come up cleanly with the unit's capabilities"
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$SG_PID/status")" = "$UID_SG" ] ||
		sg_die "synguardd does not run as uid $UID_SG"
}

# --- 1. start ---------------------------------------------------------------------
sg_start "$LAB_G" "$conf"
started
for f in sg_xdp sg_verified4 sg_retrans; do
	[ -e "$PINS/$f" ] || sg_die "$f is not pinned in $PINS: $(ls "$PINS")"
done
sg_accel_answers_client
"$SG_BIN/synguardctl" -s "$SG_SOCK" verify "$CLIENT4" >/dev/null || sg_die "verify $CLIENT4 failed"
sg_accel_flood 4 "$PORT"
lab_log "with the unit's capabilities: $ACCEL_ANSWERED of $ACCEL_SENT SYNs answered in the kernel"

# --- 2. kill -9, restart: the pinned program is its own ---------------------------
before=$(lab_exec "$LAB_G" ip -d link show dev "$IF_GA" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
sg_kill9
sg_start "$LAB_G" "$conf"
for i in "$IF_GC" "$IF_GA"; do
	sg_wait_log "kernel fast path on $i \(xdp-generic\), replacing the one a stopped synguardd left" 5 \
		>/dev/null
done
started
after=$(lab_exec "$LAB_G" ip -d link show dev "$IF_GA" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
[ -n "$after" ] && [ "$after" != "$before" ] || sg_die "the program was not replaced ($before, $after)"
"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null ||
	sg_die "the verified client was forgotten across kill -9"
sg_accel_answers_client

# --- 3. stop ----------------------------------------------------------------------
sg_stop
for i in "$IF_GC" "$IF_GA"; do
	! lab_exec "$LAB_G" ip -d link show dev "$i" | grep -q "prog/xdp" ||
		fail "the XDP program is still on $i after the stop"
done
# The directory stays (the unit's user may not remove it from the bpffs'
# root; ExecStartPre makes it anyway), empty.
[ -z "$(ls -A "$PINS")" ] || fail "pins are left after a clean stop: $(ls "$PINS")"
sg_rules "$LAB_G" remove -m gateway -c "$conf"
echo "PASS: the fast path with the systemd unit's credentials"
