# mode = monitor: nothing is challenged or dropped, what would have been
# challenged is counted; the control socket answers a bad request with an
# error reply and keeps serving.
set -eu
LAB_SERVER_SYNCOOKIES=1	# the flood reaches the server here: let it cope on its own
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
conf=$(sg_conf mon "mode = monitor")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
spoof0=$(lab_server_count_spoofed 4)
lab_flood 4 "$PORT" 60 20000
sleep 1	# 20 k spoofed SYNs before the client starts
line=$(lab_connect 4 "$PORT" 20 -T 3000)
lab_flood_running || fail "the client run outlasted the flood"
lab_flood_stop >"$LAB_TMP/flood.sum"
sleep 0.5	# the last spoofed SYNs cross the gateway
lab_log "monitor: $(cat "$LAB_TMP/flood.sum"); client $line"
connects_ok "$line" "monitor mode, under flood"
spoof=$(( $(lab_server_count_spoofed 4) - spoof0 ))
lab_num "$spoof" ">" 10000 || fail "monitor mode kept spoofed SYNs from the server ($spoof passed)"
lab_num "$(sg_stat would_challenge)" ">" 10000 || fail "would_challenge not counted"
[ "$(sg_stat challenges_sent)" = 0 ] || fail "monitor mode sent challenges"
[ "$(sg_stat verdicts_drop)" = 0 ] || fail "monitor mode dropped packets"
lab_num "$(sg_stat verdicts_accept)" ">" 10000 || fail "no accept verdicts"
# A bad request gets an error reply, and the daemon keeps answering.
rc=0
"$SG_BIN/synguardctl" -s "$SG_SOCK" no-such-command 2>"$LAB_TMP/err" || rc=$?
[ "$rc" = 1 ] || fail "bad command: exit status $rc, expected 1"
grep -q "unknown command 'no-such-command'" "$LAB_TMP/err" || fail "no error reply: $(cat "$LAB_TMP/err")"
"$SG_BIN/synguardctl" -s "$SG_SOCK" stats --json | grep -q '"mode":"monitor"' || fail "no JSON stats"
prom=$("$SG_BIN/synguardctl" -s "$SG_SOCK" stats --prometheus)
grep -q '^# TYPE synguard_packets_total counter$' <<<"$prom" || fail "no Prometheus counter type"
grep -Eq '^synguard_would_challenge_total [1-9][0-9]*$' <<<"$prom" || fail "no Prometheus sample"
grep -q '^synguard_mode{mode="monitor"} 1$' <<<"$prom" || fail "no mode label"
sg_stop
echo "PASS: monitor mode"
