# Segments of no connection to an auth service (challenge = auth, gateway,
# mode = always), IPv4 and IPv6: spoofed ACK, FIN+ACK, RST+ACK and SYN+ACK
# floods, and all kinds at once (SYNs and cookie-guessing RSTs too).
#   1. With synguard-rules -L (no screen) an ACK flood reaches the server:
#      the baseline that shows the rule is what stops it.
#   2. The shipped rules without the fast path: the screen rule drops them
#      in filter FORWARD; none reaches the server.
#   3. With the fast path (generic XDP on the client and attacker sides):
#      the program drops them (accel_ack_invalid); none reaches the server.
# In 2 and 3, during the all-at-once flood, N clients connect and 2 MiB
# transfers over established connections to a screened port stay complete
# and byte-identical (established traffic is never screened).
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
N=${N:-10}
PPS=${PPS:-$LAB_FLOOD_PPS}
FLOOD_S=2
XPORT=8089		# the xfer server's port, screened too
XFER=$LAB_TOOLS/xfer
OBJ=$top_builddir/src/bpf/synguard.bpf.o
[ -x "$XFER" ] || fail "$XFER not built (make check builds it)"
lab_server_start "$PORT"
ip netns exec "$LAB_S" "$XFER" -l :: -p "$XPORT" -t 300 >"$LAB_TMP/xfer.out" 2>&1 &
lab_track_pid $!
lab_wait_until 5 grep -q '^xfer: listening' "$LAB_TMP/xfer.out" || fail "xfer server did not start"
# Every TCP segment from the spoofed ranges that reaches the server.
lab_exec "$LAB_S" iptables -w -I INPUT 1 -p tcp -s "$SPOOF4" -m comment --comment sg-any
lab_exec "$LAB_S" ip6tables -w -I INPUT 1 -p tcp -s "$SPOOF6" -m comment --comment sg-any

# round FAMILY KIND: a FLOOD_S flood of one kind; echoes "SENT REACHED".
round() {
	local r0 line
	r0=$(_lab_counter "$1" sg-any)
	lab_flood "$1" "$PORT" "$FLOOD_S" "$PPS" -f "$2"
	line=$(lab_flood_wait)
	sleep 0.5
	echo "$(lab_flood_field "$line" sent) $(($(_lab_counter "$1" sg-any) - r0))"
}

# screened PHASE: every kind, each family: nothing reaches the server; the
# all-at-once flood with clients and transfers.
screened() {
	local fam kind sent reached inv0 xline line r0
	for fam in 4 6; do
		for kind in ack fin rstack synack; do
			inv0=$(sg_stat accel_ack_invalid)
			read -r sent reached <<<"$(round "$fam" "$kind")"
			sleep 0.7	# the program's counters folded
			lab_log "$1: IPv$fam $kind: sent $sent, $reached at the server," \
				"the program dropped $(($(sg_stat accel_ack_invalid) - inv0))"
			lab_num "$sent" ">" 1000 || sg_die "$1: IPv$fam $kind: the flood sent only $sent"
			[ "$reached" = 0 ] || sg_die "$1: IPv$fam $kind: $reached spoofed segments reached the server"
			if [ "$1" = fast ]; then
				lab_num "$(($(sg_stat accel_ack_invalid) - inv0))" ">=" "$((sent * 90 / 100))" ||
					sg_die "$1: IPv$fam $kind: the program did not drop the flood"
			fi
		done
		# All kinds at once, for longer than the clients and transfers take.
		r0=$(_lab_counter "$fam" sg-any)
		lab_flood "$fam" "$PORT" 60 "$PPS" -f all
		sleep 0.5
		line=$(lab_connect "$fam" "$PORT" "$N" -T 5000)
		xline=$(lab_exec "$LAB_C" "$XFER" -d "$(lab_addr server "$fam")" -p "$XPORT" \
			-D 2097152 -n 3 -T 10000) || sg_die "$1: IPv$fam: transfers failed: $xline"
		sleep 1.5	# a few seconds of the mix in all, also after the clients
		lab_flood_running || sg_die "$1: IPv$fam: the flood ended before the clients did"
		lab_flood_stop >"$LAB_TMP/flood.sum"
		sleep 0.5
		reached=$(($(_lab_counter "$fam" sg-any) - r0))
		lab_log "$1: IPv$fam all at once: $(cat "$LAB_TMP/flood.sum"); $reached at the server;" \
			"clients $line; transfers $xline"
		connects_ok "$line" "$1: IPv$fam clients during the all-kinds flood"
		[ "$(lab_field "$xline" ok)" = 3 ] && [ "$(lab_field "$xline" fail)" = 0 ] &&
			[ "$(lab_field "$xline" bytes)" = $((3 * 2097152)) ] ||
			sg_die "$1: IPv$fam: transfers incomplete or different: $xline"
		[ "$reached" = 0 ] || sg_die "$1: IPv$fam: $reached spoofed segments of the mix reached the server"
	done
}

# --- 1. -L: the baseline ------------------------------------------------------------
conf=$(sg_conf screen "mode = always")
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$XPORT" -L -c "$conf"
sg_start "$LAB_G" "$conf"
for fam in 4 6; do
	read -r sent reached <<<"$(round "$fam" ack)"
	lab_log "-L: IPv$fam ack: sent $sent, $reached at the server"
	lab_num "$reached" ">=" "$((sent / 2))" || sg_die "-L: only $reached of $sent ACKs reached the server"
done
sg_stop
sg_rules "$LAB_G" remove -m gateway -c "$conf"

# --- 2. the screen rule ---------------------------------------------------------------
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$XPORT" -c "$conf"
sg_start "$LAB_G" "$conf"
lab_connect 4 "$PORT" 1 -T 5000 >/dev/null	# the client verified: its transfers go direct
lab_connect 6 "$PORT" 1 -T 5000 >/dev/null
screened slow
sg_stop
sg_rules "$LAB_G" remove -m gateway -c "$conf"

# --- 3. the fast path -------------------------------------------------------------------
conf=$(sg_conf screen-xdp "mode = always" "accel_interfaces = $IF_GC $IF_GA" \
	"accel_mode = xdp-generic" "accel_object = $OBJ" "accel_ports = $PORT,$XPORT")
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$XPORT" -c "$conf"
sg_start "$LAB_G" "$conf"
sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\)" 5 >/dev/null
lab_connect 4 "$PORT" 1 -T 5000 >/dev/null
lab_connect 6 "$PORT" 1 -T 5000 >/dev/null
screened fast
sg_stop
sg_rules "$LAB_G" remove -m gateway -c "$conf"
echo "PASS: segments of no connection to an auth service stopped, established traffic intact"
