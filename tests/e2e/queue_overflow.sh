# Fault: a tiny queue (queue_maxlen = 16) under a SYN flood.  Closed
# (fail_open = no, the default): the kernel drops what does not fit, the
# daemon counts it (queue_full_dropped, from the kernel's own figures), no
# spoofed SYN reaches the server, and a verified client and a new one still
# connect (the verified one's SYNs take the priority queue; a new one's
# first SYN may be dropped and is retransmitted).  Then a reload to
# fail_open = yes: the overflow goes through to the server (availability
# over protection, as configured), the kernel stops counting drops, and
# the clients connect.
set -eu
LAB_SERVER_SYNCOOKIES=1	# with fail_open the flood reaches it: clients still get through
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
conf=$(sg_conf qo "mode = always" "queue_maxlen = 16")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
lab_connect 4 "$PORT" 1 -T 5000 >/dev/null	# the client verified
lab_flood 4 "$PORT" 90 "$LAB_FLOOD_PPS"
sleep 3
d0=$(sg_stat queue_full_dropped) s0=$(lab_server_count_spoofed 4)
verified=$(lab_connect 4 "$PORT" 20 -T 5000)
"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$(lab_addr client 4)" >/dev/null
new=$(lab_connect 4 "$PORT" 1 -T 10000)
sleep 1.5	# a tick or more: the kernel's figures read
d1=$(sg_stat queue_full_dropped) s1=$(lab_server_count_spoofed 4)
lab_log "closed: queue_full_dropped $d0 -> $d1, spoofed SYNs at the server +$((s1 - s0));" \
	"verified $verified; new $new"
lab_num "$d1" ">" "$d0" || fail "a 16-packet queue under $LAB_FLOOD_PPS SYN/s and no drop counted"
[ "$s1" = "$s0" ] || fail "the queue was full and closed, yet $((s1 - s0)) spoofed SYNs reached the server"
connects_ok "$verified" "verified client, queue full"
connects_ok "$new" "new client, queue full"

sed -i '$a fail_open = yes' "$conf"
"$SG_BIN/synguardctl" -s "$SG_SOCK" reload >/dev/null || fail "reload to fail_open refused"
sleep 1.5
d2=$(sg_stat queue_full_dropped) s2=$(lab_server_count_spoofed 4)
verified=$(lab_connect 4 "$PORT" 20 -T 5000)
sleep 1.5
d3=$(sg_stat queue_full_dropped) s3=$(lab_server_count_spoofed 4)
lab_flood_running || fail "the flood ended before the checks; raise its 90 s"
lab_flood_stop >/dev/null
lab_log "open: queue_full_dropped $d2 -> $d3, spoofed SYNs at the server +$((s3 - s2)); verified $verified"
lab_num "$((s3 - s2))" ">" 100 || fail "fail_open: the overflow did not reach the server (+$((s3 - s2)))"
[ "$d3" = "$d2" ] || fail "fail_open: the kernel still dropped $((d3 - d2)) packets"
connects_ok "$verified" "verified client, fail_open"
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: a full queue: closed drops counted and nothing through; open lets the overflow through"
