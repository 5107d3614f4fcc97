# gateway_flood.sh — body of gateway_v4.sh / gateway_v6.sh (sourced, FAMILY set).
# 1. Protected: the shipped gateway rules + synguardd (mode always), a spoofed
#    flood (LAB_FLOOD_PPS, which the daemon answers in full), and >= 100 real
#    client connects during it: every one succeeds, no spoofed SYN reaches the
#    server, the stats show challenges and valid cookies.  Then the same at
#    full rate, where the queue overflows: the verified client, whose SYNs
#    bypass the queue through the kernel set, still connects every time, and
#    still no spoofed SYN reaches the server.
# 2. Baseline: the same flood without synguardd floods the server's SYN queue
#    (asserted on its counters), so the flood is real and synguardd is what
#    made the difference.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}	# bound of each flood; stopped once its clients are done
CONNECTS=${CONNECTS:-150}
lab_server_start "$PORT"

# --- protected --------------------------------------------------------------
conf=$(sg_conf gw "mode = always")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -"$FAMILY" -c "$conf"
sg_start "$LAB_G" "$conf"
spoof0=$(lab_server_count_spoofed "$FAMILY")
client0=$(lab_server_count_client "$FAMILY")
cpu0=$(sg_cpu_s)
lab_flood "$FAMILY" "$PORT" "$FLOOD_MAX_S" "$LAB_FLOOD_PPS"
sleep 1
# The first connect is challenged: its SYN retransmission (1 s) completes it.
prot=$(lab_connect "$FAMILY" "$PORT" "$CONNECTS" -T 10000)
lab_log "protected IPv$FAMILY: client $prot"
lab_flood_running || { cat "$SG_LOG" >&2; "$SG_BIN/synguardctl" -s "$SG_SOCK" stats >&2;
	fail "the client run outlasted the flood; raise FLOOD_MAX_S"; }
lab_flood_stop >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
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
lab_num "$pps" ">=" $((LAB_FLOOD_PPS * 9 / 10)) || fail "flood only reached $pps pps (asked $LAB_FLOOD_PPS)"
connects_ok "$prot" "protected IPv$FAMILY, under flood"
lab_num "$(lab_field "$prot" ok)" ">=" 100 || fail "fewer than 100 connects: $prot"
[ "$spoof" = 0 ] || fail "$spoof spoofed SYNs reached the server"
lab_num "$client" ">=" "$CONNECTS" || fail "server saw only $client client SYNs"
lab_num "$(sg_stat challenges_sent)" ">" 10000 || fail "too few challenges sent"
lab_num "$(sg_stat cookies_valid)" ">=" 1 || fail "the client never answered a cookie"
lab_num "$(sg_stat verified_sources)" ">=" 1 || fail "no verified source"
# Once verified, the client's SYNs bypass the queue through the kernel set.
lab_num "$(sg_stat ipset_adds)" ">=" 1 || fail "the verified client was not put in the fast-path set"

# --- protected, full rate: the queue overflows, the verified client does not care
spoof0=$(lab_server_count_spoofed "$FAMILY")
qdrop0=$(lab_queue_dropped "$LAB_G" 0)
lab_flood "$FAMILY" "$PORT" "$FLOOD_MAX_S" 0
sleep 1
full=$(lab_connect "$FAMILY" "$PORT" 50 -T 3000)
lab_flood_running || fail "full rate: the client run outlasted the flood; raise FLOOD_MAX_S"
lab_flood_stop >"$LAB_TMP/flood.sum"
fflood=$(cat "$LAB_TMP/flood.sum")
sleep 0.5	# the last spoofed SYNs cross the gateway
spoof=$(( $(lab_server_count_spoofed "$FAMILY") - spoof0 ))
qdrop=$(( $(lab_queue_dropped "$LAB_G" 0) - qdrop0 ))
lab_log "protected IPv$FAMILY full rate: $fflood; queue 0 dropped $qdrop; verified client $full"
connects_ok "$full" "full rate, the verified client"
[ "$spoof" = 0 ] || fail "full rate: $spoof spoofed SYNs reached the server"
# The verdict latency, from the queue's own timestamps: the floods' packets
# were stamped and measured (a p99 below the median would be a broken
# histogram; one of an hour a broken clock).
lat50=$(sg_stat verdict_latency_p50_us) lat99=$(sg_stat verdict_latency_p99_us)
latn=$(sg_stat verdict_latency_samples)
lab_log "verdict latency: p50 $lat50 us, p99 $lat99 us over $latn packets"
lab_num "$latn" ">=" 10000 || fail "only $latn packets with a verdict latency (no queue timestamps?)"
lab_num "$lat50" ">" 0 && lab_num "$lat99" ">=" "$lat50" && lab_num "$lat99" "<" 3600000000 ||
	fail "verdict latency p50 $lat50 us, p99 $lat99 us"
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
