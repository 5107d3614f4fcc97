# kill -9 under flood: with the shipped rules (--queue-bypass) traffic flows
# as soon as no process is bound to the queue.  The server runs with
# syncookies here, so after the kill every client connect must succeed and
# the flood must visibly reach the server (the queue is bypassed, not stuck).
set -eu
LAB_SERVER_SYNCOOKIES=1
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
conf=$(sg_conf gw "mode = always")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
lab_flood 4 "$PORT" 60 "$LAB_FLOOD_PPS"
sleep 1
before=$(lab_connect 4 "$PORT" 20 -T 10000)
lab_log "before kill: $before"
connects_ok "$before" "before the kill"
spoof0=$(lab_server_count_spoofed 4)
[ "$spoof0" = 0 ] || fail "spoofed SYNs reached the server while protected"
sg_kill9
sleep 0.5	# let the flood run unqueued for a while
after=$(lab_connect 4 "$PORT" 50 -T 3000)
lab_flood_running || fail "the flood ended before the check; raise its 60 s"
spoof=$(lab_server_count_spoofed 4)
lab_flood_stop >/dev/null
lab_log "after kill -9: $after; spoofed SYNs now reaching the server: $spoof"
connects_ok "$after" "after kill -9"
lab_num "$spoof" ">" 1000 || fail "the queue was not bypassed (server saw $spoof spoofed SYNs)"
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: kill -9 with queue bypass"
