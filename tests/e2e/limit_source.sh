# limit_source.sh — limit_syn_source holds one real source to its rate, and
# only that source.
# Gateway lab, IPv4, mode always, limit_syn_source = RATE/s burst BURST per /32.
# Two real (non-spoofed) client addresses in the client ns, both verified by a
# cookie first. During the same few seconds:
#   - the hammer: CLIENT4 runs HAMMERS parallel tcpconnects with a short
#     timeout, far above RATE connects/s;
#   - the modest client: a second address, CLIENT4B, connects at half of RATE.
# Asserted: the SYNs of CLIENT4 that reached the server (and so its successful
# connects) stay within BURST + RATE x elapsed (+ slack), yet not far below it
# (the limiter is not a wall); every attempt's one SYN either reached the
# server or was counted in limited_syn_source; every connect of CLIENT4B
# succeeds at its first SYN.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
RATE=20
BURST=20
HAMMERS=${HAMMERS:-4}	# parallel tcpconnects from CLIENT4
HAMMER_N=${HAMMER_N:-250}	# attempts each; a refused one costs HAMMER_T ms
HAMMER_T=20	# ms: far below the 1 s SYN retransmission, so one SYN per attempt
MODEST_N=25	# connects of CLIENT4B, one every 100 ms: half of RATE
CLIENT4B=192.0.2.3

ip -n "$LAB_C" addr add "$CLIENT4B/24" dev "$IF_C"
lab_exec "$LAB_S" iptables -w -A INPUT -p tcp --syn -s "$CLIENT4B" -m comment --comment sg-client-b
client_b_syns() {
	lab_exec "$LAB_S" iptables -w -nvxL INPUT | awk 'index($0, "/* sg-client-b */") { print $1; exit }'
}
lab_server_start "$PORT"

conf=$(sg_conf lim "mode = always" "limit_prefix4 = 32" \
	"limit_syn_source = $RATE/s burst $BURST" "service = web $SERVER4:$PORT")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"

# Both sources answer a cookie once (verified), then wait for full buckets.
for src in "$CLIENT4" "$CLIENT4B"; do
	line=$(lab_connect 4 "$PORT" 1 -s "$src" -T 3000)
	connects_ok "$line" "warm-up from $src"
done
lab_num "$(sg_stat cookies_valid)" ">=" 2 || fail "the two sources were not verified by cookie"
sleep $(((BURST + RATE - 1) / RATE + 1))

limited0=$(sg_stat limited_syn_source)
a0=$(lab_server_count_client 4)
b0=$(client_b_syns)
t0=${EPOCHREALTIME/,/.}
pids=""
for i in $(seq "$HAMMERS"); do
	ip netns exec "$LAB_C" "$LAB_TOOLS/tcpconnect" -d "$SERVER4" -p "$PORT" -n "$HAMMER_N" \
		-T "$HAMMER_T" -q >"$LAB_TMP/hammer.$i.out" 2>&1 &
	lab_track_pid $!
	pids="$pids $!"
done
modest=$(lab_connect 4 "$PORT" "$MODEST_N" -s "$CLIENT4B" -i 100 -T 3000)
alive=0
for p in $pids; do ! _lab_alive "$p" || alive=$((alive + 1)); done
for p in $pids; do
	wait "$p" || true	# status 1: some attempts failed, as they should
	lab_untrack_pid "$p"
done
t1=${EPOCHREALTIME/,/.}
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

ok=0 tries=0
for i in $(seq "$HAMMERS"); do
	line=$(grep '^tcpconnect: n=' "$LAB_TMP/hammer.$i.out") || {
		cat "$LAB_TMP/hammer.$i.out" >&2
		fail "hammer $i printed no summary"
	}
	ok=$((ok + $(lab_field "$line" ok)))
	tries=$((tries + $(lab_field "$line" n)))
done
refused=$((tries - ok))
limited=$(($(sg_stat limited_syn_source) - limited0))
a_syns=$(($(lab_server_count_client 4) - a0))
b_syns=$(($(client_b_syns) - b0))
bound=$(awk -v r="$RATE" -v b="$BURST" -v t="$elapsed" 'BEGIN { printf "%d", b + r * t + 3 }')
floor=$(awk -v r="$RATE" -v t="$elapsed" 'BEGIN { printf "%d", r * t / 2 }')
"$SG_BIN/synguardctl" -s "$SG_SOCK" stats >"$LAB_TMP/stats.txt"
lab_log "hammer: $HAMMERS x $HAMMER_N attempts in ${elapsed}s: $ok connected, $refused refused" \
	"($(awk -v n="$tries" -v t="$elapsed" 'BEGIN { printf "%.0f", n / t }') attempts/s," \
	"$(awk -v n="$ok" -v t="$elapsed" 'BEGIN { printf "%.1f", n / t }') connects/s);" \
	"server saw $a_syns SYNs from $CLIENT4 (bound $bound, floor $floor); limited_syn_source +$limited"
lab_log "modest: $modest; server saw $b_syns SYNs from $CLIENT4B"

[ "$alive" = "$HAMMERS" ] || fail "only $alive of $HAMMERS hammers outlived the modest client: raise HAMMER_N"
lab_num "$tries" ">=" "$((4 * bound))" || fail "the hammer was not far above the limit ($tries attempts)"
lab_num "$a_syns" "<=" "$bound" || fail "$a_syns SYNs of $CLIENT4 reached the server, limit allows $bound"
lab_num "$ok" "<=" "$bound" || fail "$ok connects of $CLIENT4 succeeded, limit allows $bound"
lab_num "$a_syns" ">=" "$floor" || fail "only $a_syns SYNs of $CLIENT4 passed: the limit is far below $RATE/s"
# A SYN let through fails only if its handshake takes over HAMMER_T ms.
lab_num "$ok" ">=" "$((a_syns / 2))" || fail "only $ok of $a_syns SYNs let through connected"
# Each attempt sent one SYN: the limit dropped it (counted) or it passed.
[ "$((limited + a_syns))" = "$tries" ] ||
	fail "limited_syn_source +$limited and $a_syns passed SYNs, but $tries attempts"
lab_num "$(sg_svc_stat web syns_limited)" ">=" "$limited" || fail "svc_syns_limited does not count the limit"
connects_ok "$modest" "the modest source"
[ "$b_syns" = "$MODEST_N" ] || fail "the modest source needed $b_syns SYNs for $MODEST_N connects"
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: limit_syn_source"
