# baseline_demo.sh — proves the lab: an unprotected server under a real spoofed
# SYN flood, IPv4 then IPv6, with a legit client measuring connects during it.
# Asserts that the flood is real (the server's SYN queue overflows, spoofed SYNs
# arrive); it asserts nothing about the client, which is the baseline to beat.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

: "${DEMO_FLOOD_SECS:=6}"
: "${DEMO_CONNECTS:=100}"

lab_require_root
lab_up
lab_server_start "$LAB_PORT"

for fam in 4 6; do
	lab_log "=== IPv$fam: ${DEMO_FLOOD_SECS}s flood at max rate, $DEMO_CONNECTS connects during it"
	qfull0=$(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop)
	ldrop0=$(ns_netstat "$LAB_S" TcpExtListenDrops)
	spoof0=$(lab_server_count_spoofed "$fam")
	lab_flood "$fam" "$LAB_PORT" "$DEMO_FLOOD_SECS"
	sleep 1 # let the flood fill the SYN queue first
	# Spread the connects over the flood (40 ms apart), each bounded by 3 s.
	conn=$(lab_connect "$fam" "$LAB_PORT" "$DEMO_CONNECTS" -i 40 -T 3000 -q)
	flood=$(lab_flood_wait)
	qfull=$(($(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop) - qfull0))
	ldrop=$(($(ns_netstat "$LAB_S" TcpExtListenDrops) - ldrop0))
	spoof=$(($(lab_server_count_spoofed "$fam") - spoof0))
	lab_log "IPv$fam flood:  $flood"
	lab_log "IPv$fam client: $conn"
	lab_log "IPv$fam server: TCPReqQFullDrop +$qfull, ListenDrops +$ldrop, spoofed SYNs seen $spoof"
	lab_num "$qfull" ">" 10000 || fail "IPv$fam: TCPReqQFullDrop grew by only $qfull: the flood is not real"
	lab_num "$spoof" ">" 0 || fail "IPv$fam: the server saw no spoofed SYNs"
	sleep 8 # let the half-open requests of this flood expire before the next
done
lab_log "PASS"
