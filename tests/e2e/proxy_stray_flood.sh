# Spoofed segments of no connection (ACK, FIN+ACK, RST+ACK) flooding a
# service behind the full SYN proxy, without the kernel fast path, IPv4 and
# IPv6, gateway mode, challenge = proxy, mode = always.  The proxy rules
# (synguard-rules -P) queue every segment conntrack does not know; the
# daemon drops those that are no proxied handshake's and carry no valid
# proxy cookie (proxy_invalid), as SYNPROXY drops them.  Per vector and
# family, during the flood:
#   - none of it reaches the server (a counter there, on the spoofed range);
#   - the daemon dropped at least 90 % of what was sent (the rest: the
#     kernel queue's own drops, counted; the flood runs at a rate the ASan
#     daemon keeps up with, so there are few);
#   - N proxied client connects all succeed, each handed over to the server.
# The baseline first: in mode = monitor (counts, drops nothing) the same
# ACK flood reaches the server, and the daemon counts it as it would drop it.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
N=${N:-20}
PPS=${PPS:-$LAB_FLOOD_PPS}
FLOOD_MAX_S=${FLOOD_MAX_S:-60}
lab_server_start "$PORT"
for fam in 4 6; do
	cmd=iptables spoof=$SPOOF4
	[ "$fam" = 6 ] && cmd=ip6tables spoof=$SPOOF6
	lab_exec "$LAB_S" "$cmd" -w -I INPUT 1 -p tcp ! --syn -s "$spoof" -m comment --comment sg-stray
done
conf=$(sg_conf proxy "mode = always" "challenge = proxy")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -P -c "$conf"

# --- baseline: monitor mode lets the flood through ------------------------------
sg_start "$LAB_G" "$(sg_conf monitor "mode = monitor" "challenge = proxy")"
stray0=$(_lab_counter 4 sg-stray)
lab_flood 4 "$PORT" 2 "$PPS" -f ack
line=$(lab_flood_wait)
sleep 0.5
sent=$(lab_flood_field "$line" sent)
stray=$(($(_lab_counter 4 sg-stray) - stray0))
lab_log "monitor: $line; $stray reached the server, proxy_invalid $(sg_stat proxy_invalid)"
lab_num "$stray" ">=" "$((sent * 90 / 100))" || sg_die "monitor: only $stray of $sent ACKs reached the server"
lab_num "$(sg_stat proxy_invalid)" ">=" "$((sent * 90 / 100))" || sg_die "monitor: the ACKs were not counted"
sg_stop

sg_start "$LAB_G" "$conf"

for fam in 4 6; do
	for kind in ack fin rstack; do
		inv0=$(sg_stat proxy_invalid)
		done0=$(sg_stat proxy_completed)
		stray0=$(_lab_counter "$fam" sg-stray)
		qd0=$(lab_queue_dropped "$LAB_G" 1)
		sg_connect_during_flood "$fam" "$PORT" "$PPS" "$N" 5000 -f "$kind"
		sent=$(lab_flood_field "$FLOOD_LINE" sent)
		inv=$(($(sg_stat proxy_invalid) - inv0))
		done=$(($(sg_stat proxy_completed) - done0))
		stray=$(($(_lab_counter "$fam" sg-stray) - stray0))
		qd=$(($(lab_queue_dropped "$LAB_G" 1) - qd0))
		lab_log "IPv$fam $kind: $FLOOD_LINE; the daemon dropped $inv as proxy_invalid, the" \
			"queue $qd; $stray reached the server; clients $CONNECT_LINE, $done proxied"
		connects_ok "$CONNECT_LINE" "IPv$fam client during a spoofed $kind flood"
		lab_num "$done" ">=" "$N" || sg_die "IPv$fam $kind: only $done of $N connects were proxied"
		[ "$stray" = 0 ] || sg_die "IPv$fam $kind: $stray spoofed segments reached the server"
		lab_num "$inv" ">=" "$((sent * 90 / 100))" ||
			sg_die "IPv$fam $kind: the daemon dropped $inv of $sent spoofed segments"
	done
done
sg_stop
sg_rules "$LAB_G" remove -m gateway -P -c "$conf"
echo "PASS: spoofed ACK, FIN and RST+ACK floods stopped at the proxy"
