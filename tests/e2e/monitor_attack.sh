# mode = monitor with one declared service and low attack marks, IPv4
# gateway: under a spoofed flood nothing is challenged or dropped (every
# spoofed SYN reaches the server, the client keeps connecting), yet the
# detector logs "attack start" with the monitor-mode action, counts what
# adaptive would have challenged, and logs "attack end" once the flood is
# over and attack_hold has passed.
set -eu
LAB_SERVER_SYNCOOKIES=1	# the flood reaches the server here: let it cope on its own
. "$top_srcdir/tests/e2e/prelude.sh"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}	# bound of the flood; stopped once the client is done
FLOOD_PPS=${FLOOD_PPS:-20000}
RATE_HIGH=1000 RATE_LOW=200 HO_HIGH=1000 HO_LOW=200
HOLD_S=3 HO_TIMEOUT_S=3
# After the flood the half-open gauge must fall below its low mark (the
# handshakes expire after halfopen_timeout; the default table is swept whole
# every tick), then the calm must last attack_hold.
END_MAX_S=$((HO_TIMEOUT_S + HOLD_S + 5))
lab_server_start "$PORT"

conf=$(sg_conf monattack "mode = monitor" "service = web $SERVER4:$PORT" \
	"attack_synrate_high = $RATE_HIGH" "attack_synrate_low = $RATE_LOW" \
	"attack_halfopen_high = $HO_HIGH" "attack_halfopen_low = $HO_LOW" \
	"attack_hold = ${HOLD_S}s" "halfopen_timeout = ${HO_TIMEOUT_S}s")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"


line=$(lab_connect 4 "$PORT" 5 -T 3000)
connects_ok "$line" "before the flood"
! grep -q "attack start" "$SG_LOG" || sg_die "attack logged without a flood"

spoof0=$(lab_server_count_spoofed 4)
qdrop0=$(lab_queue_dropped "$LAB_G" 0)
t_flood=$(lab_now_s)
lab_flood 4 "$PORT" "$FLOOD_MAX_S" "$FLOOD_PPS"
t_start=$(sg_wait_log "attack start: service web $SERVER4:$PORT: .*; monitor mode: adaptive would challenge unverified sources, nothing enforced" 5)
detect_s=$(lab_elapsed "$t_flood" "$t_start")
lab_log "monitor: attack logged after ${detect_s}s: $(grep -m1 'attack start' "$SG_LOG")"
[ "$(sg_svc_stat web attack)" = 1 ] || sg_die "attack logged but svc_attack is not 1"
[ "$(sg_svc_stat web challenging)" = 0 ] || sg_die "monitor mode challenging"
# The client keeps connecting through the flood (40 connects, 50 ms apart).
line=$(lab_connect 4 "$PORT" 40 -i 50 -T 3000)
lab_log "monitor: client under flood $line"
lab_flood_running || sg_die "the client run outlasted the flood; raise FLOOD_MAX_S"
[ "$(sg_svc_stat web attack)" = 1 ] || sg_die "attack ended while the flood ran"
lab_flood_stop >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
flood=$(cat "$LAB_TMP/flood.sum")
t_stop=$(awk -v a="$t_flood" -v s="$(lab_flood_field "$flood" seconds)" \
	'BEGIN { printf "%.6f", a + s }')
sent=$(lab_flood_field "$flood" sent)
sleep 0.5	# the last spoofed SYNs cross the gateway
spoof=$(( $(lab_server_count_spoofed 4) - spoof0 ))
qdrop=$(( $(lab_queue_dropped "$LAB_G" 0) - qdrop0 ))
lab_log "monitor: $flood; $spoof reached the server; queue 0 dropped $qdrop when full"

connects_ok "$line" "under flood"
[ "$(sg_stat challenges_sent)" = 0 ] || sg_die "monitor mode sent challenges"
[ "$(sg_stat verdicts_drop)" = 0 ] || sg_die "monitor mode dropped packets"
# Every spoofed SYN that the daemon saw went on to the server: those that
# did not reach it are exactly the ones the kernel queue had no room for.
lab_num "$spoof" ">=" $((sent * 9 / 10)) || sg_die "only $spoof of $sent spoofed SYNs reached the server"
lab_num "$((spoof + qdrop))" ">=" "$sent" || sg_die "$((sent - spoof - qdrop)) spoofed SYNs lost"
# All but the SYNs before detection (the rate mark) would have been challenged.
wc=$(sg_stat would_challenge)
lab_num "$wc" ">=" $((sent - qdrop - 2 * RATE_HIGH)) || sg_die "would_challenge $wc for $sent spoofed SYNs"
lab_num "$wc" "<=" "$sent" || sg_die "would_challenge $wc for $sent spoofed SYNs"

t_end=$(sg_wait_log "attack end: service web $SERVER4:$PORT: " $((END_MAX_S + 5)))
end_s=$(lab_elapsed "$t_stop" "$t_end")
lab_log "monitor: attack end ${end_s}s after the flood: $(grep -m1 'attack end' "$SG_LOG")"
lab_num "$end_s" ">=" "$HOLD_S" || sg_die "attack ended ${end_s}s after the flood, before attack_hold"
lab_num "$end_s" "<=" "$END_MAX_S" || sg_die "attack ended only ${end_s}s after the flood"
[ "$(sg_svc_stat web attack)" = 0 ] || sg_die "attack end logged but svc_attack is not 0"
[ "$(sg_stat attacks_started)" = 1 ] || sg_die "attacks_started $(sg_stat attacks_started), expected 1"
[ "$(sg_stat attacks_ended)" = 1 ] || sg_die "attacks_ended $(sg_stat attacks_ended), expected 1"
[ "$(sg_stat challenges_sent)" = 0 ] || sg_die "monitor mode sent challenges"
[ "$(sg_stat verdicts_drop)" = 0 ] || sg_die "monitor mode dropped packets"
lab_log "figures: monitor: attack start ${detect_s}s after the flood began, end ${end_s}s after it stopped (hold ${HOLD_S}s, halfopen_timeout" \
	"${HO_TIMEOUT_S}s); client under flood ok=$(lab_field "$line" ok)/40" \
	"p50 $(lab_field "$line" p50_ms) ms p99 $(lab_field "$line" p99_ms) ms;" \
	"would_challenge $(sg_stat would_challenge) of $sent spoofed SYNs"
"$SG_BIN/synguardctl" -s "$SG_SOCK" stats | sed 's/^/    /' >&2
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: monitor attack"
