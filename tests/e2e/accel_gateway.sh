# The kernel fast path on a gateway (XDP generic on the client and attacker
# sides, IPv4 and IPv6, mode = always):
# 1. A foreign XDP program already on one of the interfaces (the server
#    side here) is left alone, with one clear log line; the program goes on
#    the client and attacker sides.
# 2. A spoofed flood at the generator's full rate: the program answers it in
#    the kernel (accel_challenges plus what the SYN+ACK limits held back is
#    the flood), nothing of it reaches the queue or the server, and a new
#    client connects every time, IPv4 and IPv6.
# 3. A client whose SYNs carry full checksums (transmit offload off), so the
#    program answers them itself: its RST echoing the cookie is checked in
#    the kernel, which verifies it and tells the daemon; a strict client (its firewall drops the wrong SYN+ACK) gets in
#    through the retransmission fallback, passed by the program and accepted
#    by the daemon.
# 4. kill -9: the program stays and keeps answering the flood; a new client
#    gets in at once (the program checks its RST and verifies it: Linux
#    resends its SYN within milliseconds of answering a wrong SYN+ACK); the
#    restarted daemon replaces the program and takes over the verified
#    sources it pinned (a bpffs the test mounts), the one verified while no
#    daemon ran included: the client verified before the kill is not
#    challenged.
# 5. At stop the program is detached and the pins removed; the foreign
#    program stays.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
command -v ethtool >/dev/null || fail "ethtool missing (scripts/deps installs it)"
lab_up
PORT=$LAB_PORT
FLOOD_MAX_S=${FLOOD_MAX_S:-60}
FOREIGN=$top_builddir/tests/tools/xdp_pass.bpf.o
lab_server_start "$PORT"
# The pins' bpffs: a directory of the test's own, never the root's.
BPFFS=$LAB_TMP/bpffs
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS" || fail "cannot mount a bpffs on $BPFFS"
lab_at_exit umount "$BPFFS"
PINS=$BPFFS/synguard

xdp_prog() {	# xdp_prog IFACE: the id of the XDP program on IFACE in the gateway, or ""
	lab_exec "$LAB_G" ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

# --- 1. a foreign program on one interface ---------------------------------------
lab_exec "$LAB_G" ip link set dev "$IF_GS" xdpgeneric obj "$FOREIGN" sec xdp
foreign=$(xdp_prog "$IF_GS")
[ -n "$foreign" ] || fail "could not put a foreign XDP program on $IF_GS"
SG_ACCEL_EXTRA=("accel_pin_dir = $PINS")
sg_accel_start xdp-generic "$IF_GC" "$IF_GA" "$IF_GS"
conf=$ACCEL_CONF
sg_wait_log "kernel fast path: $IF_GS already has an XDP program; left as it is" 5 >/dev/null
[ "$(xdp_prog "$IF_GS")" = "$foreign" ] || sg_die "the foreign program on $IF_GS was replaced"
[ -n "$(xdp_prog "$IF_GC")" ] && [ -n "$(xdp_prog "$IF_GA")" ] || sg_die "our program is missing"

# A port nobody protects (no service, not in accel_ports) is not the
# program's: a client with full checksums reaches it unchallenged.
lab_server_start 8099
lab_exec "$LAB_C" ethtool -K "$IF_C" tx off >/dev/null
sleep 1.2
ch0=$(sg_stat accel_challenges) unp0=$(sg_stat accel_unprotected)
line=$(lab_connect 4 8099 3 -T 3000)
connects_ok "$line" "client of an unprotected port"
sleep 1.2
[ "$(sg_stat accel_challenges)" = "$ch0" ] || sg_die "the program challenged a port nobody protects"
lab_num "$(sg_stat accel_unprotected)" ">=" "$((unp0 + 3))" || sg_die "the unprotected SYNs were not counted"
lab_exec "$LAB_C" ethtool -K "$IF_C" tx on >/dev/null

# --- 2. full-rate floods: answered in the kernel --------------------------------
for fam in 4 6; do
	sg_accel_flood "$fam" "$PORT"
done

# --- 3. clients the program answers itself ------------------------------------
sg_accel_answers_client
# Strict: its firewall drops the wrong SYN+ACK, so it never answers the
# cookie; its SYN retransmission gets in.  As in strict_client.sh: conntrack
# does not call every cookie SYN+ACK INVALID, so the client drops exactly
# ours by their size (an MSS option only: 44 bytes over IPv4).
STRICT="INPUT -p tcp --tcp-flags SYN,ACK SYN,ACK -m length --length 44 -j DROP"
# shellcheck disable=SC2086 # the rule's words
lab_exec "$LAB_C" iptables -w -A $STRICT
"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null 2>&1 || true
rt0=$(sg_stat retransmit_accepted)
line=$(lab_connect 4 "$PORT" 2 -T 5000)
connects_ok "$line" "strict client"
sleep 1.2
lab_num "$(sg_stat accel_retransmits)" ">=" 1 || sg_die "the program passed no retransmission"
lab_num "$(( $(sg_stat retransmit_accepted) - rt0 ))" ">=" 1 ||
	sg_die "the daemon did not accept the passed retransmission"
# shellcheck disable=SC2086
lab_exec "$LAB_C" iptables -w -D $STRICT

# --- 4. kill -9 ---------------------------------------------------------------------
"$SG_BIN/synguardctl" -s "$SG_SOCK" verify "$CLIENT4" >/dev/null || sg_die "verify $CLIENT4 failed"
ours=$(xdp_prog "$IF_GA")
sg_kill9
[ "$(xdp_prog "$IF_GA")" = "$ours" ] || fail "the program went with the killed daemon"
[ -e "$PINS/sg_verified4" ] && [ -e "$PINS/sg_xdp" ] || fail "nothing pinned in $PINS: $(ls "$PINS" 2>&1)"
spoof0=$(lab_server_count_spoofed 4)
lab_flood 4 "$PORT" "$FLOOD_MAX_S" "$LAB_FLOOD_PPS"
sleep 1
# A source never verified: the program challenges it and verifies it by its
# RST, with no daemon.
lab_from_source 192.0.2.3
line=$(lab_connect 4 "$PORT" 2 -T 5000)
lab_from_source ""
lab_flood_running || fail "after kill -9: the client outlasted the flood"
lab_flood_stop >"$LAB_TMP/flood.sum"
spoof=$(( $(lab_server_count_spoofed 4) - spoof0 ))
lab_log "after kill -9: $(cat "$LAB_TMP/flood.sum"); client $line; $spoof spoofed SYNs at the server"
[ "$(lab_field "$line" fail)" = 0 ] || fail "after kill -9: connects failed: $line"
lab_num "$(lab_field "$line" max_ms)" "<" 900 ||
	fail "after kill -9: the new source waited for its retransmission fallback: $line"
[ "$spoof" = 0 ] || fail "after kill -9: $spoof spoofed SYNs reached the server"
sg_start "$LAB_G" "$conf"
sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\), replacing the one a stopped synguardd left" 5 \
	>/dev/null
[ "$(xdp_prog "$IF_GA")" != "$ours" ] || sg_die "the restarted daemon did not take over"
sg_wait_log "kernel fast path: [0-9]+ verified sources taken over" 5 >/dev/null
lab_num "$(sg_stat verified_sources)" ">=" 2 || sg_die "verified sources lost in the restart"
"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify 192.0.2.3 >/dev/null ||
	sg_die "the source the program verified with no daemon was not taken over"
ch0=$(sg_stat accel_challenges)
line=$(lab_connect 4 "$PORT" 2 -T 5000)
connects_ok "$line" "the verified client after the restart"
sleep 1.2
[ "$(sg_stat accel_challenges)" = "$ch0" ] || sg_die "the client verified before the kill was challenged"
lab_num "$(lab_field "$line" max_ms)" "<" 500 || sg_die "the verified client waited: $line"

# --- 5. stop: ours detached, the foreign one kept ---------------------------------
sg_stop
[ -z "$(xdp_prog "$IF_GA")" ] && [ -z "$(xdp_prog "$IF_GC")" ] ||
	fail "the program is still attached after the stop"
[ "$(xdp_prog "$IF_GS")" = "$foreign" ] || fail "the foreign program on $IF_GS is gone"
[ ! -e "$PINS" ] || fail "the pins are still there after a clean stop: $(ls "$PINS")"
lab_exec "$LAB_G" ip link set dev "$IF_GS" xdpgeneric off
sg_rules "$LAB_G" remove -m gateway -c "$conf"
echo "PASS: kernel fast path on a gateway"
