# limit_reflect.sh — limit_synack_dest keeps synguardd from reflecting a
# spoofed flood at its victim.
# Gateway lab, IPv4, mode always, limit_prefix4 = 24. A spoofed flood whose
# sources are all in one victim /24 (VICTIM, inside 198.18.0.0/15) makes the
# daemon answer with cookie SYN+ACKs that go to the victim; the lab routes
# them into the attacker ns, where a counter rule in front of the silencing
# DROP counts them on the wire.
#   1. limit_synack_dest = RATE/s burst BURST: the SYN+ACKs that reached the
#      victim stay within BURST + RATE x the flood's time (+ drain slack), the
#      rest of the SYNs are counted in limited_synack_dest and dropped
#      unanswered; no spoofed SYN reaches the server.
#   2. The same flood with limit_synack_dest = off: the victim gets (nearly)
#      one SYN+ACK per SYN, many times the bound, so the limit is what bounds 1.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
RATE=100
BURST=100
FLOOD_S=5
FLOOD_PPS=${FLOOD_PPS:-5000}	# a rate the sanitizer build answers in full (phase 2)
VICTIM=198.18.7.0/24

# Counter only (no target), ahead of lib.sh's raw PREROUTING DROP: every
# SYN+ACK that reached the victim's network.
lab_exec "$LAB_A" iptables -w -t raw -I PREROUTING 1 -p tcp -s "$SERVER4" --sport "$PORT" \
	-d "$VICTIM" --tcp-flags SYN,ACK,RST,FIN SYN,ACK -m comment --comment sg-reflected
reflected() {
	local v
	v=$(lab_exec "$LAB_A" iptables -w -t raw -nvxL PREROUTING |
		awk 'index($0, "/* sg-reflected */") { print $1; exit }')
	[ -n "$v" ] || fail "no sg-reflected counter in the attacker ns"
	echo "$v"
}
lab_server_start "$PORT"

# phase NAME LIMIT: one daemon run under one flood; sets SENT FSECS EMITTED
# CHALLENGES LIMITED SYNS.
phase() {
	local conf s0 c0 l0 y0 spoof0 sum
	conf=$(sg_conf "$1" "mode = always" "limit_prefix4 = 24" "limit_synack_dest = $2")
	sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
	sg_start "$LAB_G" "$conf"
	s0=$(reflected)
	spoof0=$(lab_server_count_spoofed 4)
	c0=$(sg_stat challenges_sent)
	l0=$(sg_stat limited_synack_dest)
	y0=$(sg_stat syn)
	lab_flood 4 "$PORT" "$FLOOD_S" "$FLOOD_PPS" -s "$VICTIM"
	lab_flood_wait >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
	sleep 0.5	# the daemon drains its queue
	sum=$(cat "$LAB_TMP/flood.sum")
	SENT=$(lab_flood_field "$sum" sent)
	FSECS=$(lab_flood_field "$sum" seconds)
	EMITTED=$(($(reflected) - s0))
	CHALLENGES=$(($(sg_stat challenges_sent) - c0))
	LIMITED=$(($(sg_stat limited_synack_dest) - l0))
	SYNS=$(($(sg_stat syn) - y0))
	SPOOFED=$(($(lab_server_count_spoofed 4) - spoof0))
	"$SG_BIN/synguardctl" -s "$SG_SOCK" stats >"$LAB_TMP/stats.$1.txt"
	lab_log "$1 (limit_synack_dest = $2): $sum; daemon saw $SYNS SYNs, sent $CHALLENGES" \
		"challenges, limited $LIMITED; $EMITTED SYN+ACKs reached $VICTIM; server saw $SPOOFED spoofed SYNs"
	[ "$(sg_stat challenges_failed)" = 0 ] || fail "$1: challenges failed to send"
	[ "$SPOOFED" = 0 ] || fail "$1: $SPOOFED spoofed SYNs reached the server"
	lab_num "$SENT" ">=" "$((FLOOD_PPS * FLOOD_S * 9 / 10))" || fail "$1: flood sent only $SENT SYNs"
	# The wire and the daemon agree (a veth loses nothing at this rate; a
	# little slack for a backlog overflow on a busy machine).
	lab_num "$EMITTED" "<=" "$CHALLENGES" || fail "$1: $EMITTED SYN+ACKs on the wire, $CHALLENGES sent"
	lab_num "$EMITTED" ">=" "$((CHALLENGES * 98 / 100))" ||
		fail "$1: $EMITTED SYN+ACKs on the wire, $CHALLENGES sent"
	sg_stop
	sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
}

phase limited "$RATE/s burst $BURST"
# The bucket is taken from the first to the last SYN the daemon handles:
# within the flood's time plus the drain of its queue (0.5 s: generous, the
# daemon keeps up with this flood, see phase 2).
bound=$(awk -v r="$RATE" -v b="$BURST" -v t="$FSECS" 'BEGIN { printf "%d", b + r * (t + 0.5) + 5 }')
floor=$(awk -v r="$RATE" -v t="$FSECS" 'BEGIN { printf "%d", r * t / 2 }')
lab_log "limited: $EMITTED SYN+ACKs to the victim in ${FSECS}s, bound $bound, floor $floor"
lab_num "$EMITTED" "<=" "$bound" || fail "$EMITTED SYN+ACKs reached the victim, limit allows $bound"
lab_num "$EMITTED" ">=" "$floor" || fail "only $EMITTED SYN+ACKs: the limit is far below $RATE/s"
lab_num "$SYNS" ">=" "$((SENT * 9 / 10))" || fail "the daemon saw only $SYNS of $SENT SYNs"
# Every SYN the daemon saw was either answered or refused by this limit.
[ "$((CHALLENGES + LIMITED))" = "$SYNS" ] ||
	fail "challenges $CHALLENGES + limited $LIMITED != $SYNS SYNs"
limited_emitted=$EMITTED

phase unlimited off
lab_num "$SYNS" ">=" "$((SENT * 9 / 10))" || fail "the daemon saw only $SYNS of $SENT SYNs"
[ "$LIMITED" = 0 ] || fail "limit_synack_dest = off still limited $LIMITED SYNs"
lab_num "$EMITTED" ">=" "$((SYNS * 9 / 10))" || fail "unlimited: only $EMITTED SYN+ACKs for $SYNS SYNs"
lab_num "$EMITTED" ">=" "$((10 * bound))" ||
	fail "unlimited: $EMITTED SYN+ACKs, not far above the limited run's bound $bound"
lab_log "the limit cut the SYN+ACKs to the victim from $EMITTED to $limited_emitted"
echo "PASS: limit_synack_dest"
