# Fault: the queue's netlink socket overflows for real (ENOBUFS).  The
# smallest receive buffer the config allows (rcvbuf = 64Ki) and a queue
# that never fills (queue_maxlen = 100000); under a SYN flood the daemon is
# stopped (SIGSTOP) for a second, so the kernel's messages pile up in the
# socket until it is full, then continued.  The kernel numbers a packet
# (id_sequence) before it tries the socket; a packet whose message does not
# fit is not queued: dropped (user_dropped) or, with fail_open, accepted.
# So once a later packet on each queue has closed the gap:
#     id_sequence (both queues) == packets + nfq_lost
# and, closed, nfq_lost == user_dropped.  Asserted: ENOBUFS counted
# (nfq_overruns), the kernel's user_dropped > 0 and what the daemon reports
# (queue_socket_dropped), nothing left queued once the flood ends, no
# spoofed SYN at the server, a verified and a new client connect after the
# overrun, the ids reconcile.  Then the same with fail_open = yes: the
# overflow goes to the server, the kernel counts no drop, the ids still
# reconcile.
set -eu
LAB_SERVER_SYNCOOKIES=1	# with fail_open the flood reaches it: clients still get through
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
conf=$(sg_conf ov "mode = always" "rcvbuf = 64Ki" "queue_maxlen = 100000")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
connects_ok "$(lab_connect 4 "$PORT" 1 -T 5000)" "client before the flood"	# verified

# kq FIELD: the kernel's figure for both queues (0 and 1) summed: total
# (column 3, queued now), dropped (6, queue full), user (7, socket full),
# ids (8, id_sequence: the last id assigned).
kq() {
	local col
	case $1 in total) col=3 ;; dropped) col=6 ;; user) col=7 ;; ids) col=8 ;; esac
	# shellcheck disable=SC2016 # awk's fields
	lab_exec "$LAB_G" awk -v c="$col" '$1 == 0 || $1 == 1 { s += $c } END { print s + 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}

# overrun: a flood, the daemon stopped for a second under it and continued;
# the flood stopped once the daemon has caught up.
overrun() {
	lab_flood 4 "$PORT" 30 "$LAB_FLOOD_PPS"
	sleep 1
	kill -STOP "$SG_PID"
	sleep 1
	kill -CONT "$SG_PID"
	sleep 1
	lab_flood_running || sg_die "the flood ended before the daemon was continued; raise its 30 s"
	lab_flood_stop >"$LAB_TMP/flood.sum"
	lab_log "flood: $(cat "$LAB_TMP/flood.sum")"
	sleep 0.5
}

# reconcile WHAT: after the flood, one SYN on each queue closes the id gaps
# (a new client's on queue 0, a verified one's on queue 1), then the ids
# the kernel assigned must be the packets the daemon read plus the ids it
# saw missing.  Sets IDS PKTS LOST USER (the kernel's and daemon's figures).
reconcile() {
	local verified new
	verified=$(lab_connect 4 "$PORT" 20 -T 5000)
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$(lab_addr client 4)" >/dev/null
	new=$(lab_connect 4 "$PORT" 1 -T 10000)
	connects_ok "$verified" "$1: verified client after the overrun"
	connects_ok "$new" "$1: new client after the overrun"
	connects_ok "$(lab_connect 4 "$PORT" 5 -T 5000)" "$1: the new client, now verified"
	sleep 1.5	# a tick or more: the kernel's figures read
	IDS=$(kq ids) PKTS=$(sg_stat packets) LOST=$(sg_stat nfq_lost) USER=$(kq user)
	lab_log "$1: verified $verified; new $new"
	lab_log "$1: kernel ids $IDS, daemon packets $PKTS + nfq_lost $LOST = $((PKTS + LOST));" \
		"user_dropped $USER (daemon's queue_socket_dropped $(sg_stat queue_socket_dropped))," \
		"nfq_overruns $(sg_stat nfq_overruns), queued now $(kq total)" \
		"(queue_waiting $(sg_stat queue_waiting))"
	[ "$(kq total)" = 0 ] || sg_die "$1: $(kq total) packets still queued after the flood"
	[ "$(sg_stat queue_waiting)" = 0 ] || sg_die "$1: the daemon reports packets still queued"
	[ "$IDS" = "$((PKTS + LOST))" ] ||
		sg_die "$1: the kernel assigned $IDS ids, the daemon read $PKTS and missed $LOST"
	[ "$(sg_stat queue_socket_dropped)" = "$USER" ] ||
		sg_die "$1: the kernel dropped $USER (socket full), the daemon reports $(sg_stat queue_socket_dropped)"
}

s0=$(lab_server_count_spoofed 4)
overrun
reconcile closed
o1=$(sg_stat nfq_overruns) s1=$(lab_server_count_spoofed 4)
lab_num "$o1" ">" 0 || sg_die "no ENOBUFS counted (nfq_overruns 0) with a 64Ki buffer and the daemon stopped"
lab_num "$USER" ">" 0 || sg_die "the kernel dropped nothing for a full socket (user_dropped 0)"
[ "$LOST" = "$USER" ] || sg_die "closed: nfq_lost $LOST, but the kernel dropped $USER for a full socket"
[ "$(kq dropped)" = 0 ] || sg_die "the queue itself filled ($(kq dropped) dropped): not the socket's overrun"
[ "$s1" = "$s0" ] || sg_die "closed: $((s1 - s0)) spoofed SYNs reached the server"
lost1=$LOST user1=$USER
sg_wait_log 'receive buffer overrun \(ENOBUFS\)' 1 >/dev/null
lab_log "closed: overruns $o1, user_dropped $user1, nfq_lost $lost1; log lines:" \
	"$(grep -c 'receive buffer overrun' "$SG_LOG") overrun, $(grep -c 'were lost in a socket' "$SG_LOG") lost"

sed -i '$a fail_open = yes' "$conf"
"$SG_BIN/synguardctl" -s "$SG_SOCK" reload >/dev/null || sg_die "reload to fail_open refused"
s2=$(lab_server_count_spoofed 4)
overrun
reconcile open
o3=$(sg_stat nfq_overruns) s3=$(lab_server_count_spoofed 4)
lab_log "open: overruns $o1 -> $o3, nfq_lost $lost1 -> $LOST, user_dropped $user1 -> $USER," \
	"spoofed SYNs at the server +$((s3 - s2))"
lab_num "$o3" ">" "$o1" || sg_die "fail_open: no ENOBUFS counted"
lab_num "$LOST" ">" "$lost1" || sg_die "fail_open: no id gap seen"
[ "$USER" = "$user1" ] || sg_die "fail_open: the kernel still dropped $((USER - user1)) packets"
lab_num "$((s3 - s2))" ">=" "$((LOST - lost1))" ||
	sg_die "fail_open: $((LOST - lost1)) packets missed the socket, only $((s3 - s2)) reached the server"
# One line per kind, however many overruns and gaps: both phases ran within a minute.
[ "$(grep -c 'receive buffer overrun' "$SG_LOG")" = 1 ] || sg_die "overruns logged more than once"
[ "$(grep -c 'were lost in a socket' "$SG_LOG")" = 1 ] || sg_die "id gaps logged more than once"
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: a socket overrun: ENOBUFS counted, ids reconcile, nothing left queued, closed and open"
