# gateway_flood.sh — body of gateway_v4.sh / gateway_v6.sh (sourced, FAMILY set).
# 1. Protected: the shipped gateway rules + synguardd (mode always), a spoofed
#    flood at full rate, and >= 100 real client connects during it: every one
#    succeeds, no spoofed SYN reaches the server, the stats show challenges
#    and valid cookies.
# 2. Baseline: the same flood without synguardd floods the server's SYN queue
#    (asserted on its counters), so the flood is real and synguardd is what
#    made the difference.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
lab_up
PORT=$LAB_PORT
FLOOD_S=${FLOOD_S:-10}
CONNECTS=${CONNECTS:-150}
lab_server_start "$PORT"

# --- protected --------------------------------------------------------------
conf=$(sg_conf gw "mode = always")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -"$FAMILY" -c "$conf"
sg_start "$LAB_G" "$conf"
spoof0=$(lab_server_count_spoofed "$FAMILY")
client0=$(lab_server_count_client "$FAMILY")
cpu0=$(sg_cpu_s)
lab_flood "$FAMILY" "$PORT" "$FLOOD_S"
sleep 1
# The first connect must get its SYN into a queue that the flood keeps full
# (the machine floods faster than one core can answer): a dropped SYN costs
# the client a retransmission (1 s, 3 s, ...), hence the long timeout.
prot=$(lab_connect "$FAMILY" "$PORT" "$CONNECTS" -T 10000)
lab_log "protected IPv$FAMILY: client $prot"
lab_flood_running || { cat "$SG_LOG" >&2; "$SG_BIN/synguardctl" -s "$SG_SOCK" stats >&2;
	fail "the client run outlasted the flood; raise FLOOD_S"; }
lab_flood_wait >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
pflood=$(cat "$LAB_TMP/flood.sum")
cpu=$(awk -v a="$(sg_cpu_s)" -v b="$cpu0" 'BEGIN { printf "%.2f", a - b }')
spoof=$(( $(lab_server_count_spoofed "$FAMILY") - spoof0 ))
client=$(( $(lab_server_count_client "$FAMILY") - client0 ))
syn=$(sg_stat syn)
"$SG_BIN/synguardctl" -s "$SG_SOCK" stats >"$LAB_TMP/stats.txt"
lab_log "protected IPv$FAMILY: $pflood"
lab_log "protected IPv$FAMILY: server saw $spoof spoofed SYNs, $client client SYNs"
lab_log "protected IPv$FAMILY: daemon CPU ${cpu}s for $syn SYNs: $(awk -v c="$cpu" -v n="$syn" \
	'BEGIN { printf "%.2f", n ? c / n * 1e6 : 0 }') CPU-s per million SYNs"
sed 's/^/    /' "$LAB_TMP/stats.txt" >&2

pps=$(lab_flood_field "$pflood" pps)
lab_num "$pps" ">=" 50000 || fail "flood only reached $pps pps (< 50 kpps): not a real flood"
[ "$(lab_field "$prot" fail)" = 0 ] || fail "client connections failed under flood: $prot"
lab_num "$(lab_field "$prot" ok)" ">=" 100 || fail "fewer than 100 connects: $prot"
[ "$spoof" = 0 ] || fail "$spoof spoofed SYNs reached the server"
lab_num "$client" ">=" "$CONNECTS" || fail "server saw only $client client SYNs"
lab_num "$(sg_stat challenges_sent)" ">" 10000 || fail "too few challenges sent"
lab_num "$(sg_stat cookies_valid)" ">=" 1 || fail "the client never answered a cookie"
lab_num "$(sg_stat verified_sources)" ">=" 1 || fail "no verified source"
# Once verified, the client's SYNs bypass the queue through the kernel set.
lab_num "$(sg_stat ipset_adds)" ">=" 1 || fail "the verified client was not put in the fast-path set"
sg_stop
sg_rules "$LAB_G" remove -m gateway -"$FAMILY" -c "$conf"

# --- baseline (after the protected run: its half-open leftovers would keep the
# server's SYN queue full for a minute) ----------------------------------------
qfull0=$(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop)
spoof0=$(lab_server_count_spoofed "$FAMILY")
lab_flood "$FAMILY" "$PORT" 5
sleep 1
base=$(lab_connect "$FAMILY" "$PORT" 50 -q -T 3000)
lab_flood_wait >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
bflood=$(cat "$LAB_TMP/flood.sum")
qfull=$(( $(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop) - qfull0 ))
spoof=$(( $(lab_server_count_spoofed "$FAMILY") - spoof0 ))
lab_log "baseline IPv$FAMILY: $bflood"
lab_log "baseline IPv$FAMILY: client $base; server TCPReqQFullDrop +$qfull, spoofed SYNs +$spoof"
lab_num "$spoof" ">" 10000 || fail "baseline: the flood did not reach the server ($spoof SYNs)"
lab_num "$qfull" ">" 1000 || fail "baseline: the server's SYN queue was not flooded (+$qfull drops)"

echo "PASS: gateway IPv$FAMILY"
