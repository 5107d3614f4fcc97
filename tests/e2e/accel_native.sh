# The kernel fast path in native XDP (accel_mode = xdp) on a gateway's
# client and attacker sides.  On veth, native XDP_TX delivers only if the
# PEER veth has an XDP program too (any, an XDP_PASS one here): the
# test shows both halves of that.
# 1. The client's peer has tests/tools/xdp_pass.bpf.o, the attacker's not:
#    the program answers a bounded flood (its challenges count) but no
#    SYN+ACK reaches the attacker's side (veth counts XDP_TX errors).
# 2. The attacker's peer gets the program too: a spoofed flood at the
#    generator's full rate, IPv4 and IPv6, is answered in the kernel and the
#    answers arrive; nothing reaches the queue or the server; 50 of 50 new
#    clients connect.
# 3. A client with full checksums (transmit offload off) is answered by the
#    program itself, through its own peer's program, and verified by its RST.
# 4. kill -9, and a daemon restarted in generic XDP: it replaces the
#    native program the killed one left (across modes) and keeps answering.
# 5. At stop the program is detached.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
command -v ethtool >/dev/null || fail "ethtool missing (scripts/deps installs it)"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}
PASS_OBJ=$top_builddir/tests/tools/xdp_pass.bpf.o
lab_server_start "$PORT"

xdp_prog() {	# xdp_prog IFACE: the id of the XDP program on IFACE in the gateway, or ""
	lab_exec "$LAB_G" ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}
tx_errors() {	# tx_errors: the XDP_TX errors of the gateway's attacker side
	lab_exec "$LAB_G" ethtool -S "$IF_GA" | awk '/xdp_tx_errors/ { n += $2 } END { print n + 0 }'
}

lab_exec "$LAB_C" ip link set dev "$IF_C" xdpdrv obj "$PASS_OBJ" sec xdp
sg_accel_start xdp "$IF_GC" "$IF_GA"
lab_exec "$LAB_G" ip -d link show dev "$IF_GA" | grep -q "xdp id" ||
	sg_die "not attached natively to $IF_GA"

# --- 1. no program on the attacker's peer: answered, never delivered -----------
ch0=$(sg_stat accel_challenges)
rx0=$(lab_attacker_received 4)
txerr0=$(tx_errors)
lab_flood 4 "$PORT" 2 "$LAB_FLOOD_PPS"
flood=$(lab_flood_wait)
sleep 1.2	# the daemon folds the program's counters once a second
answered=$(( $(sg_stat accel_challenges) - ch0 ))
received=$(( $(lab_attacker_received 4) - rx0 ))
txerr=$(( $(tx_errors) - txerr0 ))
lab_log "without a peer program: $flood; the program answered $answered, $received reached" \
	"the attacker, XDP_TX errors +$txerr"
lab_num "$answered" ">=" "$(( $(lab_flood_field "$flood" sent) * 90 / 100 ))" ||
	sg_die "without a peer program: the program answered only $answered SYNs"
lab_num "$received" "<=" "$((answered / 100))" ||
	sg_die "without a peer program $received of $answered SYN+ACKs arrived: the peer rule changed?"

# --- 2. with it: full-rate floods answered in the kernel -------------------------
lab_exec "$LAB_A" ip link set dev "$IF_A" xdpdrv obj "$PASS_OBJ" sec xdp
for fam in 4 6; do
	sg_accel_flood "$fam" "$PORT"
	lab_num "$ACCEL_RECEIVED" ">=" "$((ACCEL_ANSWERED * 50 / 100))" ||
		sg_die "IPv$fam: $ACCEL_RECEIVED of $ACCEL_ANSWERED SYN+ACKs reached the attacker"
done

# --- 3. a client the program answers itself ------------------------------------
sg_accel_answers_client

# --- 4. kill -9, restarted in the other XDP mode ---------------------------------
native=$(xdp_prog "$IF_GA")
sg_kill9
[ "$(xdp_prog "$IF_GA")" = "$native" ] || fail "the native program went with the killed daemon"
sg_accel_start xdp-generic "$IF_GC" "$IF_GA"
sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\), replacing the one a stopped synguardd left" 5 \
	>/dev/null
lab_exec "$LAB_G" ip -d link show dev "$IF_GA" | grep -q "xdpgeneric" ||
	sg_die "not attached generically to $IF_GA after the restart"
[ "$(xdp_prog "$IF_GA")" != "$native" ] || sg_die "the native program is still there"
sg_accel_flood 4 "$PORT"

# --- 5. stop ------------------------------------------------------------------------
sg_stop
[ -z "$(xdp_prog "$IF_GA")" ] && [ -z "$(xdp_prog "$IF_GC")" ] ||
	fail "the program is still attached after the stop"
sg_rules "$LAB_G" remove -m gateway -c "$ACCEL_CONF"
echo "PASS: kernel fast path in native XDP on a gateway"
