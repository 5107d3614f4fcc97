# halfopen_counts.sh — the handshake tracker counts exactly what happened.
# Gateway lab, IPv4, mode adaptive with thresholds no test traffic reaches
# (passive: nothing challenged), halfopen_timeout = 3s, two declared services:
# web (the listener) and refused (a port nothing listens on).
#   1. N handshakes completed from CLIENT4, then M abandoned ones from a second
#      address, CLIENT4B, whose SYN+ACKs the client ns drops (its tcpconnect
#      gives up after 100 ms, long before its SYN retransmission, and sends
#      nothing more). Right after: completed == N, half-open == M, the
#      completion ratio (after a tick) is exactly 1 (only completions yet).
#   2. After the timeout and a sweep (no sooner than the timeout, and within
#      a tick or two after it): expired == M, half-open == 0, and the
#      completion ratio is below N/(N+M) (the expiries fall in later one-second
#      windows than the completions, and a later window weighs more in the
#      decaying average, src/watch.c) but no lower than that weighting allows
#      for the time that actually passed.
#   3. K connects to the refused port: the server's RSTs count as K resets of
#      that service.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
CLOSED_PORT=$((LAB_PORT + 1))
N=20
M=7
K=3
TIMEOUT_S=3
CLIENT4B=192.0.2.3

ip -n "$LAB_C" addr add "$CLIENT4B/24" dev "$IF_C"
# The abandoning client never sees the server's SYN+ACK (nor its
# retransmissions), so it never answers: no ACK, no RST.
lab_exec "$LAB_C" iptables -w -A INPUT -p tcp -s "$SERVER4" --sport "$PORT" -d "$CLIENT4B" \
	--tcp-flags SYN,ACK,RST,FIN SYN,ACK -j DROP
lab_server_start "$PORT"
# No SYN+ACK retransmissions: a retransmission looked up after the timeout
# would reclaim its entry on the spot; here only the sweep does, on time.
lab_sysctl "$LAB_S" net.ipv4.tcp_synack_retries=0
lab_exec "$LAB_S" ss -Hltn "sport = :$CLOSED_PORT" | grep -q . && fail "port $CLOSED_PORT is in use"

# The default halfopen_max (256Ki) is swept whole at every tick, so every
# expired entry is reclaimed within a second of its timeout.
conf=$(sg_conf ho "mode = adaptive" "halfopen_timeout = ${TIMEOUT_S}s" \
	"attack_halfopen_high = 100000" "attack_halfopen_low = 50000" \
	"attack_synrate_high = 100000" "attack_synrate_low = 50000" \
	"service = web $SERVER4:$PORT" "service = refused $SERVER4:$CLOSED_PORT")
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$CLOSED_PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"

# snap: one stats reply, so that the figures compared are from one moment;
# v KEY / sv SERVICE NAME read it.
snap() {
	"$SG_BIN/synguardctl" -s "$SG_SOCK" stats >"$LAB_TMP/snap" || fail "stats failed"
}
v() {
	local x
	x=$(awk -v k="$1" '$1 == k { print $2; exit }' "$LAB_TMP/snap")
	[ -n "$x" ] || { sed 's/^/    /' "$LAB_TMP/snap" >&2; fail "no stat '$1'"; }
	echo "$x"
}
sv() {
	v "svc_$2{service=\"$1\"}"
}
now() {
	echo "${EPOCHREALTIME/,/.}"
}
since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}
ratio_seen() {
	snap
	grep -q '^svc_completion_ratio{service="web"} ' "$LAB_TMP/snap"
}
ratio_changed() {
	snap
	[ "$(sv web completion_ratio)" != 1.0000 ]
}
expired_all() {
	snap
	[ "$(sv web handshakes_expired)" = "$M" ]
}

# --- 1. N completed, M abandoned ---------------------------------------------
t_c0=$(now)
line=$(lab_connect 4 "$PORT" "$N" -T 3000)
connects_ok "$line" "completed handshakes"
t_a0=$(now)
line=$(lab_connect 4 "$PORT" "$M" -s "$CLIENT4B" -T 100 -q)
[ "$(lab_field "$line" ok)" = 0 ] || fail "abandoned handshakes connected: $line"
t_a1=$(now)
snap
age=$(since "$t_a0")
lab_log "after $N completed and $M abandoned (${age}s after the first abandoned SYN):" \
	"completed $(sv web handshakes_completed), half-open $(sv web halfopen)," \
	"expired $(sv web handshakes_expired), SYN+ACKs seen $(v handshake_synacks)"
lab_num "$age" "<" "$TIMEOUT_S" || fail "too slow: the first abandoned handshake may have expired"
[ "$(sv web handshakes_completed)" = "$N" ] || fail "completed $(sv web handshakes_completed), expected $N"
[ "$(sv web halfopen)" = "$M" ] || fail "half-open $(sv web halfopen), expected $M"
[ "$(v halfopen_entries)" = "$M" ] || fail "halfopen_entries $(v halfopen_entries), expected $M"
[ "$(sv web handshakes_expired)" = 0 ] || fail "expired before the timeout"
[ "$(sv web handshakes_reset)" = 0 ] || fail "resets counted: $(sv web handshakes_reset)"
[ "$(v handshakes_completed)" = "$N" ] || fail "handshakes_completed $(v handshakes_completed) != $N"
[ "$(v handshake_synacks)" = "$((N + M))" ] || fail "handshake_synacks $(v handshake_synacks) != $((N + M))"
[ "$(sv web syns_accepted)" = "$((N + M))" ] || fail "syns_accepted $(sv web syns_accepted) != $((N + M))"
[ "$(sv web attack)" = 0 ] || fail "the detector saw an attack"
# CLIENT4's first completed handshake verified it; CLIENT4B never completed.
[ "$(v passive_verified)" = 1 ] || fail "passive_verified $(v passive_verified), expected 1"
[ "$(v challenges_sent)" = 0 ] || fail "passive mode sent challenges"
# The ratio appears at the next one-second tick; before any expiry it is 1.
lab_wait_until 3 ratio_seen || fail "no completion ratio after a tick"
[ "$(sv web handshakes_expired)" = 0 ] || fail "expired within $(since "$t_a0")s of a ${TIMEOUT_S}s timeout"
[ "$(sv web completion_ratio)" = 1.0000 ] || fail "ratio $(sv web completion_ratio) with completions only"

# --- 2. timeout and sweep -----------------------------------------------------
lab_wait_until 15 expired_all || fail "expired $(sv web handshakes_expired) of $M after 15 s"
expiry=$(since "$t_a0")
# The last abandoned SYN expires TIMEOUT_S after it, the next tick's sweep
# reclaims it: at most 1 s later (+1 s for polling and scheduling).
latest=$(awk -v a="$t_a0" -v b="$t_a1" -v t="$TIMEOUT_S" 'BEGIN { printf "%.3f", b - a + t + 2 }')
lab_num "$expiry" ">=" "$TIMEOUT_S" || fail "all expired ${expiry}s after the first SYN, before the ${TIMEOUT_S}s timeout"
lab_num "$expiry" "<=" "$latest" || fail "all expired only ${expiry}s after the first SYN (latest $latest)"
[ "$(sv web halfopen)" = 0 ] || fail "half-open $(sv web halfopen) after all expired"
[ "$(v halfopen_entries)" = 0 ] || fail "halfopen_entries $(v halfopen_entries) after all expired"
[ "$(sv web handshakes_completed)" = "$N" ] || fail "completed changed: $(sv web handshakes_completed)"
lab_wait_until 3 ratio_changed || fail "the ratio did not take the expiries in"
ratio=$(sv web completion_ratio)
# A window weighs 1/0.9 more than the one before.  Completions fall in the
# windows closed after t_c0, expiries in those closed up to now: at most
# floor(now - t_c0) windows apart (+1 for tick jitter).
d=$(awk -v s="$(since "$t_c0")" 'BEGIN { printf "%d", int(s) + 1 }')
hi=$(awk -v n="$N" -v m="$M" 'BEGIN { printf "%.4f", n / (n + m) }')
lo=$(awk -v n="$N" -v m="$M" -v d="$d" 'BEGIN { printf "%.4f", n / (n + m / 0.9 ^ d) }')
lab_log "all $M expired ${expiry}s after the first abandoned SYN (timeout ${TIMEOUT_S}s);" \
	"completion ratio $ratio (N/(N+M) = $hi, floor for $d windows apart $lo)"
lab_num "$ratio" "<" "$hi" || fail "ratio $ratio not below $hi"
lab_num "$ratio" ">=" "$lo" || fail "ratio $ratio below $lo"

# --- 3. refused port: the server's RST resets the handshake ---------------------
snap
r0=$(v handshakes_reset)
line=$(lab_connect 4 "$CLOSED_PORT" "$K" -T 3000 -q)
[ "$(lab_field "$line" ok)" = 0 ] || fail "connects to the closed port succeeded: $line"
snap
lab_log "refused port: $line; handshakes_reset +$(($(v handshakes_reset) - r0))," \
	"refused: reset $(sv refused handshakes_reset), half-open $(sv refused halfopen)"
[ "$(($(v handshakes_reset) - r0))" = "$K" ] || fail "handshakes_reset +$(($(v handshakes_reset) - r0)), expected $K"
[ "$(sv refused handshakes_reset)" = "$K" ] || fail "refused: reset $(sv refused handshakes_reset), expected $K"
[ "$(sv refused halfopen)" = 0 ] || fail "refused: half-open $(sv refused halfopen) after the RSTs"
[ "$(sv refused handshakes_completed)" = 0 ] || fail "refused: completed handshakes"
[ "$(sv web handshakes_reset)" = 0 ] || fail "web: resets counted"
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: half-open counts"
