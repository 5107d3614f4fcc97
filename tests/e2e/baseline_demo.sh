# baseline_demo.sh — proves the lab: an unprotected server under a real spoofed
# SYN flood, IPv4 then IPv6, with a legit client measuring connects during it.
# Asserts that the flood is real (the server's SYN queue overflows, spoofed SYNs
# arrive) and that every connect ran under the flood; it asserts nothing about
# the client's fate, which is the baseline a defence has to beat.
#
# The flood lasts at least DEMO_FLOOD_SECS and until the connects are done
# (synflood's own 120 s bound caps it): connects that fail take their whole
# timeout, so a fixed short flood would let most of them run after it ended.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

: "${DEMO_FLOOD_SECS:=6}"
: "${DEMO_CONNECTS:=100}"
: "${DEMO_TIMEOUT_MS:=1000}"

lab_require_root
lab_up
lab_server_start "$LAB_PORT"

for fam in 4 6; do
	lab_log "=== IPv$fam: flood at max rate, $DEMO_CONNECTS connects (timeout ${DEMO_TIMEOUT_MS} ms) during it"
	line=$(lab_connect "$fam" "$LAB_PORT" 5)
	[ "$(lab_field "$line" ok)" = 5 ] || fail "IPv$fam: server unreachable before the flood: $line"
	qfull0=$(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop)
	ldrop0=$(ns_netstat "$LAB_S" TcpExtListenDrops)
	spoof0=$(lab_server_count_spoofed "$fam")
	csyn0=$(lab_server_count_client "$fam")
	t0=$EPOCHREALTIME
	lab_flood "$fam" "$LAB_PORT" 120
	sleep 1 # let the flood fill the SYN queue first
	conn=$(lab_connect "$fam" "$LAB_PORT" "$DEMO_CONNECTS" -T "$DEMO_TIMEOUT_MS" -q)
	lab_flood_running || fail "IPv$fam: the flood ended before the connects did"
	left=$(awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$DEMO_FLOOD_SECS" 'BEGIN { l = m - (b - a); print (l > 0 ? l : 0) }')
	sleep "$left"
	flood=$(lab_flood_stop)
	qfull=$(($(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop) - qfull0))
	ldrop=$(($(ns_netstat "$LAB_S" TcpExtListenDrops) - ldrop0))
	spoof=$(($(lab_server_count_spoofed "$fam") - spoof0))
	csyn=$(($(lab_server_count_client "$fam") - csyn0))
	lab_log "IPv$fam flood:  $flood"
	lab_log "IPv$fam client: $conn"
	lab_log "IPv$fam server: TCPReqQFullDrop +$qfull, ListenDrops +$ldrop, spoofed SYNs seen $spoof, client SYNs seen $csyn"
	lab_num "$qfull" ">" 10000 || fail "IPv$fam: TCPReqQFullDrop grew by only $qfull: the flood is not real"
	lab_num "$spoof" ">" 0 || fail "IPv$fam: the server saw no spoofed SYNs"
	# The queue holds backlog+1 requests; pruned ones go in ~3-7 s, so the
	# next family's flood meets an emptier queue after this pause.
	sleep 8
done
lab_log "PASS"
