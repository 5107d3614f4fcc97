# The kernel fast path at TC ingress (accel_mode = tc: a filter in the
# clsact qdisc, for drivers without XDP) on a gateway, IPv4 and IPv6:
# 1. A foreign filter at synguard's handle and priority (the server side
#    here) is left alone, with one log line; a clsact qdisc that is already
#    there (the attacker side) is used as it is; the client side gets one.
# 2. A spoofed flood at the generator's full rate: the program answers it in
#    the kernel, nothing of it reaches the queue or the server, the
#    SYN+ACKs reach the attacker's side, 50 of 50 new clients connect.
# 3. At stop our filters go, the qdisc we made goes, the one we found stays
#    and so does the foreign filter.
# 4. kill -9: the filter stays; the restarted daemon replaces it (a program
#    named sg_tc is taken for a stopped synguardd's).  Killed again and
#    restarted in XDP mode, the daemon removes the filter left behind and
#    takes over its verified sources, and removes the clsact qdisc the
#    killed one made (a pinned map says so), not the one the test made; the
#    stop detaches everything.
# 5. accel_mode = auto on an interface whose driver has no XDP (a bridge) uses
#    TC, and says so.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
command -v tc >/dev/null || fail "tc missing (iproute2)"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}
HANDLE=0x5347 PRIO=7	# accel.h's ACCEL_TC_HANDLE and ACCEL_TC_PRIORITY
lab_server_start "$PORT"

tc_filters() {	# tc_filters IFACE: the ingress filters on IFACE in the gateway
	lab_exec "$LAB_G" tc filter show dev "$1" ingress
}
has_clsact() {	# has_clsact IFACE
	lab_exec "$LAB_G" tc qdisc show dev "$1" | grep -q '^qdisc clsact'
}
ours_on() {	# ours_on IFACE: our program's filter id on IFACE, or ""
	tc_filters "$1" | sed -n "s/.*pref $PRIO bpf .*handle $HANDLE sg_tc.* id \([0-9]*\).*/\1/p"
}

# --- 1. what is already there --------------------------------------------------
lab_exec "$LAB_G" tc qdisc add dev "$IF_GS" clsact
# A classic BPF filter (it matches nothing) at our slot: not ours.
lab_exec "$LAB_G" tc filter add dev "$IF_GS" ingress pref "$PRIO" handle "$HANDLE" \
	bpf bytecode '1,6 0 0 0,'
foreign=$(tc_filters "$IF_GS")
[ -n "$foreign" ] || fail "could not put a foreign filter on $IF_GS"
lab_exec "$LAB_G" tc qdisc add dev "$IF_GA" clsact
# The pins' bpffs (what a killed daemon leaves for the next): the test's own.
BPFFS=$LAB_TMP/bpffs
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS" || fail "cannot mount a bpffs on $BPFFS"
lab_at_exit umount "$BPFFS"
SG_ACCEL_EXTRA=("accel_pin_dir = $BPFFS/synguard")
sg_accel_start tc "$IF_GC" "$IF_GA" "$IF_GS"
conf=$ACCEL_CONF
sg_wait_log "kernel fast path: $IF_GS already has a TC ingress filter at synguard's handle" 5 >/dev/null
[ "$(tc_filters "$IF_GS")" = "$foreign" ] || sg_die "the foreign filter on $IF_GS was changed"
[ -n "$(ours_on "$IF_GC")" ] && [ -n "$(ours_on "$IF_GA")" ] || sg_die "our filter is missing"

# --- 2. full-rate floods: answered in the kernel --------------------------------
for fam in 4 6; do
	sg_accel_flood "$fam" "$PORT"
	# What the program redirected went back out to the attacker's side
	# (some are lost in its receive backlog at this rate).
	lab_num "$ACCEL_RECEIVED" ">=" "$((ACCEL_ANSWERED * 50 / 100))" ||
		sg_die "IPv$fam: $ACCEL_RECEIVED of $ACCEL_ANSWERED SYN+ACKs reached the attacker"
done

# --- 3. stop: ours gone, the rest as it was ---------------------------------------
sg_stop
[ -z "$(ours_on "$IF_GC")" ] && [ -z "$(ours_on "$IF_GA")" ] ||
	fail "our filter is still attached after the stop"
! has_clsact "$IF_GC" || fail "the clsact qdisc the daemon made on $IF_GC is still there"
has_clsact "$IF_GA" || fail "the clsact qdisc the test made on $IF_GA is gone"
[ "$(tc_filters "$IF_GS")" = "$foreign" ] || fail "the foreign filter on $IF_GS is gone"

# --- 4. kill -9, restart, stop ---------------------------------------------------
sg_start "$LAB_G" "$conf"
[ -n "$(ours_on "$IF_GA")" ] || sg_die "not attached again"
ours=$(ours_on "$IF_GA")
sg_kill9
[ "$(ours_on "$IF_GA")" = "$ours" ] || fail "the filter went with the killed daemon"
sg_start "$LAB_G" "$conf"
sg_wait_log "kernel fast path on $IF_GA \(tc\), replacing the one a stopped synguardd left" 5 \
	>/dev/null
now=$(ours_on "$IF_GA")
[ -n "$now" ] && [ "$now" != "$ours" ] || sg_die "the restarted daemon did not take over ($ours, $now)"
# Killed again, restarted in another mode: the filter left behind would go
# on answering with maps nobody updates; it goes, its sources taken over.
"$SG_BIN/synguardctl" -s "$SG_SOCK" verify "$CLIENT4" >/dev/null || sg_die "verify $CLIENT4 failed"
sg_kill9
sed -i 's/^accel_mode = tc$/accel_mode = xdp-generic/' "$conf"
sg_start "$LAB_G" "$conf"
sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\), replacing the one a stopped synguardd left" 5 \
	>/dev/null
[ -z "$(ours_on "$IF_GC")" ] && [ -z "$(ours_on "$IF_GA")" ] ||
	sg_die "the filter a killed daemon left is still there under the XDP program"
sg_wait_log "kernel fast path: [1-9][0-9]* verified sources taken over" 5 >/dev/null
sg_stop
lab_exec "$LAB_G" ip -d link show dev "$IF_GA" | grep -q "prog/xdp" &&
	fail "the XDP program is still attached after the stop"
[ "$(tc_filters "$IF_GS")" = "$foreign" ] || fail "the foreign filter on $IF_GS is gone"
! has_clsact "$IF_GC" || fail "the clsact qdisc a killed daemon made on $IF_GC is still there"
has_clsact "$IF_GA" || fail "the clsact qdisc the test made on $IF_GA is gone"
sg_rules "$LAB_G" remove -m gateway -c "$conf"

# --- 5. auto on a driver without XDP (a bridge): TC, said in the log -------------
lab_exec "$LAB_G" ip link add sg-nox type bridge
lab_exec "$LAB_G" ip link set dev sg-nox up
auto=$(sg_conf auto "mode = always" "accel_interfaces = sg-nox" "accel_mode = auto" \
	"accel_object = $top_builddir/src/bpf/synguard.bpf.o")
sg_start "$LAB_G" "$auto"
sg_wait_log "kernel fast path on sg-nox \(tc\)" 5 >/dev/null
[ -n "$(ours_on sg-nox)" ] || sg_die "auto: no filter on sg-nox"
sg_stop
[ -z "$(ours_on sg-nox)" ] && ! has_clsact sg-nox || fail "auto: sg-nox not cleaned up"
echo "PASS: kernel fast path at TC ingress on a gateway"
