# Host mode: synguardd on the server itself (INPUT rules), IPv4.  Protected
# run first, then the unprotected baseline with the same flood (LAB_FLOOD_PPS,
# which the daemon answers in full).
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"

conf=$(sg_conf host "mode = always")
sg_rules "$LAB_S" apply -m host -p "$PORT" -4 -c "$conf"
sg_start "$LAB_S" "$conf"
qfull0=$(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop)
lab_flood 4 "$PORT" 60 "$LAB_FLOOD_PPS"
sleep 1
# -T 10000: the first connect is challenged; a slow machine may take its SYN
# retransmission (1 s) and the next (3 s).
prot=$(lab_connect 4 "$PORT" 100 -T 10000)
lab_flood_running || fail "the client run outlasted the flood"
lab_flood_stop >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
flood=$(cat "$LAB_TMP/flood.sum")
qfull=$(( $(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop) - qfull0 ))
lab_log "host IPv4 protected: $flood"
lab_log "host IPv4 protected: client $prot; TCPReqQFullDrop +$qfull"
connects_ok "$prot" "protected, under flood"
[ "$(lab_server_count_spoofed 4)" = 0 ] || fail "spoofed SYNs reached the listener"
[ "$qfull" = 0 ] || fail "the SYN queue overflowed under protection (+$qfull)"
lab_num "$(sg_stat challenges_sent)" ">" 10000 || fail "too few challenges"
lab_num "$(sg_stat cookies_valid)" ">=" 1 || fail "no valid cookie"
sg_stop
sg_rules "$LAB_S" remove -m host -4 -c "$conf"

qfull0=$(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop)
lab_flood 4 "$PORT" 4 "$LAB_FLOOD_PPS"
sleep 1
base=$(lab_connect 4 "$PORT" 30 -q -T 3000)
lab_flood_wait >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
flood=$(cat "$LAB_TMP/flood.sum")
qfull=$(( $(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop) - qfull0 ))
lab_log "host IPv4 baseline: $flood; client $base; TCPReqQFullDrop +$qfull"
lab_num "$qfull" ">" 1000 || fail "baseline: SYN queue not flooded (+$qfull)"
echo "PASS: host IPv4"
