# The kernel fast path in adaptive mode (XDP generic on the gateway's client
# and attacker sides, IPv4), with the lab's unprotected server (no
# syncookies, a SYN queue of 128):
# 1. No flood: nothing is challenged; the client is verified passively.
# 2. A flood at the generator's full rate: the program's tripwire (the
#    service's budget of unverified SYNs, attack_synrate_high per second
#    with a tenth of a second's burst) turns the service to challenging
#    after its burst, in the kernel, and the daemon logs the attack start
#    from it: at most a few hundred spoofed SYNs reach the server, its SYN
#    queue never overflows, and the verified client connecting meanwhile
#    never waits more than 20 ms.
# 3. The flood stops: the daemon's detector ends the attack after
#    attack_hold, and the program passes new sources again (not challenged).
# 4. A second flood, at a second service, trips that one.  (Each round has
#    a service of its own: the spoofed SYNs a round lets by stay in the
#    unprotected server's SYN queue for a minute, and two bursts would
#    overflow its 128.)
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
command -v ethtool >/dev/null || fail "ethtool missing (scripts/deps installs it)"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}
OBJ=$top_builddir/src/bpf/synguard.bpf.o
# A burst of 50 (a tenth of the rate): far below the server's SYN queue.
RATE_HIGH=500 RATE_LOW=200 HOLD_S=2
SPOOF_MAX=100
PORT2=$((PORT + 1))
lab_server_start "$PORT"
lab_server_start "$PORT2"

conf=$(sg_conf accel_adaptive "mode = adaptive" "service = web $SERVER4:$PORT" \
	"service = web2 $SERVER4:$PORT2" \
	"attack_synrate_high = $RATE_HIGH" "attack_synrate_low = $RATE_LOW" \
	"attack_hold = ${HOLD_S}s" "halfopen_timeout = 3s" \
	"accel_interfaces = $IF_GC $IF_GA" "accel_mode = xdp-generic" "accel_object = $OBJ")
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$PORT2" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\)" 5 >/dev/null

# --- 1. no flood ---------------------------------------------------------------
line=$(lab_connect 4 "$PORT" 20 -T 3000)
connects_ok "$line" "passive"
sleep 1.2
[ "$(sg_stat accel_challenges)" = 0 ] && [ "$(sg_stat challenges_sent)" = 0 ] ||
	sg_die "passive: challenges without an attack"
lab_num "$(sg_stat verified_sources)" ">=" 1 || sg_die "passive: the client was not verified"

# --- 2. a full-rate flood: tripped in the kernel ---------------------------------
flood_trips() {	# flood_trips ROUND SERVICE PORT: one flood, its figures asserted
	local svc=$2 port=$3 spoof0 qfull0 spoof qfull line flood
	spoof0=$(lab_server_count_spoofed 4)
	qfull0=$(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop)
	lab_flood 4 "$port" "$FLOOD_MAX_S" 0
	sg_wait_log "attack start: service $svc $SERVER4:$port: unverified SYNs above $RATE_HIGH/s, seen by the kernel fast path's tripwire" \
		5 >/dev/null
	line=$(lab_connect 4 "$port" 100 -T 3000 -i 10)
	lab_flood_running || sg_die "round $1: the client outlasted the flood"
	lab_flood_stop >"$LAB_TMP/flood.sum"
	flood=$(cat "$LAB_TMP/flood.sum")
	spoof=$(( $(lab_server_count_spoofed 4) - spoof0 ))
	qfull=$(( $(ns_netstat "$LAB_S" TcpExtTCPReqQFullDrop) - qfull0 ))
	sleep 1.2
	lab_log "round $1: $flood; $spoof spoofed SYNs reached the server (TCPReqQFullDrop +$qfull);" \
		"verified client $line; kernel trips $(sg_stat accel_trips)"
	lab_num "$(lab_flood_field "$flood" pps)" ">=" 100000 || sg_die "round $1: not a full-rate flood"
	connects_ok "$line" "round $1: verified client"
	lab_num "$(lab_field "$line" max_ms)" "<=" 20 || sg_die "round $1: the verified client waited: $line"
	lab_num "$spoof" "<=" "$SPOOF_MAX" || sg_die "round $1: $spoof spoofed SYNs reached the server"
	[ "$qfull" = 0 ] || sg_die "round $1: the server's SYN queue overflowed ($qfull drops)"
	lab_num "$(sg_stat accel_trips)" ">=" "$1" || sg_die "round $1: the tripwire did not trip"
	[ "$(sg_svc_stat "$svc" attack)" = 1 ] || sg_die "round $1: the daemon does not see the attack"
}
flood_trips 1 web "$PORT"

# --- 3. the flood over: the detector ends it, the program passes again -------------
sg_wait_log "attack end: service web $SERVER4:$PORT: " $((HOLD_S + 15)) >/dev/null
ch=$(sg_stat accel_challenges) passed=$(sg_stat accel_syn_passed)
lab_exec "$LAB_C" ethtool -K "$IF_C" tx off >/dev/null	# SYNs the program judges itself
lab_from_source 192.0.2.3
line=$(lab_connect 4 "$PORT" 3 -T 3000)
lab_from_source ""
connects_ok "$line" "after the attack"
sleep 1.2
[ "$(sg_stat accel_challenges)" = "$ch" ] || sg_die "a new source was challenged after the attack"
lab_num "$(sg_stat accel_syn_passed)" ">" "$passed" || sg_die "the program did not pass the new source"
lab_exec "$LAB_C" ethtool -K "$IF_C" tx on >/dev/null

# --- 4. again -------------------------------------------------------------------
flood_trips 2 web2 "$PORT2"
[ "$(sg_stat attacks_started)" = 2 ] || sg_die "attacks_started $(sg_stat attacks_started), expected 2"
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -p "$PORT,$PORT2" -c "$conf"
echo "PASS: the kernel fast path's tripwire in adaptive mode"
