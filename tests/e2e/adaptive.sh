# mode = adaptive with one declared service, IPv4 gateway:
# 1. No flood: nothing is challenged, no attack is logged, and the client
#    that completed handshakes through the daemon is verified passively.
# 2. A spoofed flood (LAB_FLOOD_PPS, which the daemon answers in full): the detector logs "attack start" within DETECT_MAX_S;
#    the client verified before keeps connecting (every connect succeeds, it
#    never answers a cookie), a new client source passes the challenge, and
#    only the flood's first SYNs (before detection) reach the server.
# 3. The flood stops: "attack end" comes no sooner than attack_hold and within
#    attack_hold + halfopen_timeout + 5 s; the service is passive again and a
#    new source's SYN is not challenged.
# The figures (time to detect, time to return, connect success and latency)
# are logged as "figures: ..." lines.
set -eu
# Before the detector fires, spoofed SYNs reach the server by design (that is
# adaptive mode's trade-off): give it the kernel's own syncookies, as a real
# server has.
LAB_SERVER_SYNCOOKIES=1
. "$top_srcdir/tests/e2e/prelude.sh"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}	# bound of the flood; stopped once its clients are done
CONNECTS=${CONNECTS:-150}
RATE_HIGH=2000 RATE_LOW=500 HO_HIGH=2000 HO_LOW=500
HOLD_S=5 HO_TIMEOUT_S=5
DETECT_MAX_S=3
RETURN_MAX_S=$((HOLD_S + HO_TIMEOUT_S + 5))
NEW_CLIENT4=192.0.2.3	# a second source in the client ns, never seen before the attack
LATE_CLIENT4=192.0.2.4	# a third one, first seen after the attack
lab_server_start "$PORT"

conf=$(sg_conf adaptive "mode = adaptive" "service = web $SERVER4:$PORT" \
	"attack_synrate_high = $RATE_HIGH" "attack_synrate_low = $RATE_LOW" \
	"attack_halfopen_high = $HO_HIGH" "attack_halfopen_low = $HO_LOW" \
	"attack_hold = ${HOLD_S}s" "halfopen_timeout = ${HO_TIMEOUT_S}s")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"


# --- 1. no flood: passive ------------------------------------------------------
line=$(lab_connect 4 "$PORT" 50 -T 3000)
lab_log "passive: client $line"
connects_ok "$line" "passive"
[ "$(lab_field "$line" ok)" = 50 ] || sg_die "passive: not 50 connects: $line"
[ "$(sg_stat challenges_sent)" = 0 ] || sg_die "passive: challenges sent without an attack"
[ "$(sg_svc_stat web attack)" = 0 ] || sg_die "passive: service web under attack without a flood"
! grep -q "attack start" "$SG_LOG" || sg_die "passive: attack logged without a flood"
lab_num "$(sg_stat syn_passive)" ">=" 1 || sg_die "passive: no SYN accepted passively"
lab_num "$(sg_stat handshakes_completed)" ">=" 50 || sg_die "passive: handshakes not followed"
lab_num "$(sg_stat passive_verified)" ">=" 1 || sg_die "passive: the client was not verified passively"
lab_num "$(sg_stat verified_sources)" ">=" 1 || sg_die "passive: no verified source"
lab_num "$(sg_svc_stat web handshakes_completed)" ">=" 50 || sg_die "passive: not counted under web"

# --- 2. flood: attack detected, verified client untouched, new client challenged
verified0=$(sg_stat syn_verified)
spoof0=$(lab_server_count_spoofed 4)
t_flood=$(lab_now_s)
lab_flood 4 "$PORT" "$FLOOD_MAX_S" "$LAB_FLOOD_PPS"
t_start=$(sg_wait_log "attack start: service web $SERVER4:$PORT: .*; challenging unverified sources" \
	$((DETECT_MAX_S + 5)))
detect_s=$(lab_elapsed "$t_flood" "$t_start")
lab_log "figures: time to detect ${detect_s}s ($(grep -m1 'attack start' "$SG_LOG"))"
lab_num "$detect_s" "<=" "$DETECT_MAX_S" || sg_die "attack detected only after ${detect_s}s"
[ "$(sg_svc_stat web attack)" = 1 ] || sg_die "attack logged but svc_attack is not 1"
[ "$(sg_svc_stat web challenging)" = 1 ] || sg_die "attack logged but web is not challenging"

old=$(lab_connect 4 "$PORT" "$CONNECTS" -T 5000)
lab_log "attack: verified client $old"
cookies_old=$(sg_stat cookies_valid)
verified=$(( $(sg_stat syn_verified) - verified0 ))
lab_flood_running || sg_die "the verified client's run outlasted the flood; raise FLOOD_MAX_S"
# Its first connect answers a cookie.  Linux resends the SYN 2 ms after the
# cookie SYN+ACK; if that resend overtakes the verification it is challenged
# again and the connect costs the next SYN retransmission (1 s, then 3 s),
# hence the long timeout.
lab_from_source "$NEW_CLIENT4"
new=$(lab_connect 4 "$PORT" 20 -T 10000)
lab_from_source ""
lab_log "attack: new client $NEW_CLIENT4 $new"
lab_flood_running || sg_die "the new client's run outlasted the flood; raise FLOOD_MAX_S"
[ "$(sg_svc_stat web attack)" = 1 ] || sg_die "attack ended while the flood ran"
# The clients may be done within a second: the flood runs until it was
# challenged at length (10 s bound: 2.5 s of it at LAB_FLOOD_PPS).
challenged() { lab_num "$(sg_svc_stat web challenges)" ">" 100000; }
lab_wait_until 10 challenged || sg_die "the flood was not challenged"
lab_flood_running || sg_die "the flood ended before it was challenged; raise FLOOD_MAX_S"
lab_flood_stop >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
t_stop=$(awk -v a="$t_flood" -v s="$(lab_flood_field "$(cat "$LAB_TMP/flood.sum")" seconds)" \
	'BEGIN { printf "%.6f", a + s }')
flood=$(cat "$LAB_TMP/flood.sum")
spoof=$(( $(lab_server_count_spoofed 4) - spoof0 ))
lab_log "attack: $flood; $spoof spoofed SYNs reached the server"

connects_ok "$old" "attack, verified client"
lab_num "$(lab_field "$old" ok)" ">=" 100 || sg_die "fewer than 100 connects: $old"
[ "$cookies_old" = 0 ] || sg_die "the verified client answered $cookies_old cookies: it was challenged"
lab_num "$verified" ">=" "$CONNECTS" || sg_die "only $verified SYNs from verified sources for $CONNECTS connects"
connects_ok "$new" "attack, new client"
lab_num "$(sg_stat cookies_valid)" ">=" 1 || sg_die "the new client never answered a cookie"
pps=$(lab_flood_field "$flood" pps)
lab_num "$pps" ">=" $((LAB_FLOOD_PPS * 9 / 10)) || sg_die "flood only reached $pps pps (asked $LAB_FLOOD_PPS)"
# Only what came before detection (the rate mark, plus what was in flight)
# may reach the server; the rest of the flood, millions of SYNs, may not.
lab_num "$spoof" "<=" $((3 * RATE_HIGH)) || sg_die "$spoof spoofed SYNs reached the server"

# --- 3. flood over: back to passive -------------------------------------------
t_end=$(sg_wait_log "attack end: service web $SERVER4:$PORT: " $((RETURN_MAX_S + 5)))
return_s=$(lab_elapsed "$t_stop" "$t_end")
lab_log "figures: time to return ${return_s}s after the flood ($(grep -m1 'attack end' "$SG_LOG"))"
lab_num "$return_s" ">=" "$HOLD_S" || sg_die "attack ended ${return_s}s after the flood, before attack_hold"
lab_num "$return_s" "<=" "$RETURN_MAX_S" || sg_die "attack ended only ${return_s}s after the flood"
[ "$(sg_svc_stat web attack)" = 0 ] || sg_die "attack end logged but svc_attack is not 0"
[ "$(sg_svc_stat web challenging)" = 0 ] || sg_die "attack over but web still challenging"
[ "$(sg_stat attacks_started)" = 1 ] || sg_die "attacks_started $(sg_stat attacks_started), expected 1 (flapping?)"
[ "$(sg_stat attacks_ended)" = 1 ] || sg_die "attacks_ended $(sg_stat attacks_ended), expected 1"
challenges=$(sg_stat challenges_sent)
cookies=$(sg_stat cookies_valid)
passive=$(sg_stat syn_passive)
lab_from_source "$LATE_CLIENT4"
late=$(lab_connect 4 "$PORT" 5 -T 3000)
lab_from_source ""
lab_log "passive again: new client $LATE_CLIENT4 $late"
connects_ok "$late" "after the attack"
[ "$(sg_stat challenges_sent)" = "$challenges" ] || sg_die "a new source was challenged after the attack"
[ "$(sg_stat cookies_valid)" = "$cookies" ] || sg_die "a new source answered a cookie after the attack"
lab_num "$(sg_stat syn_passive)" ">" "$passive" || sg_die "the new source's SYN was not accepted passively"

lab_log "figures: detect ${detect_s}s; return ${return_s}s (hold ${HOLD_S}s, halfopen_timeout" \
	"${HO_TIMEOUT_S}s); verified client under flood ok=$(lab_field "$old" ok)/$CONNECTS" \
	"p50 $(lab_field "$old" p50_ms) ms p99 $(lab_field "$old" p99_ms) ms;" \
	"new client ok=$(lab_field "$new" ok)/20 p50 $(lab_field "$new" p50_ms) ms" \
	"p99 $(lab_field "$new" p99_ms) ms max $(lab_field "$new" max_ms) ms; flood $pps pps, $spoof spoofed SYNs reached the server"
"$SG_BIN/synguardctl" -s "$SG_SOCK" stats | sed 's/^/    /' >&2
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: adaptive"
