# Handshake tracking: synguardd sees exactly the handshake packets of the
# connections it lets through -- the SYN, the server's SYN+ACK, the client's
# completing ACK -- and nothing after: established and closing traffic
# bypasses userspace through the done bit in the conntrack mark.  Host mode
# gets the same check through its INPUT/OUTPUT chains.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
N=40
lab_server_start "$PORT"

check_run() {	# check_run LABEL: N connects, then the packet accounting
	local label=$1 line p0 c0 r0 packets completed
	p0=$(sg_stat packets) r0=$(sg_stat rst_established)
	c0=$(sg_stat handshakes_completed)
	line=$(lab_connect 4 "$PORT" "$N" -T 3000)
	sleep 0.5
	# A client's RST closing a connection is queued as a RST of a connection
	# conntrack follows (rst_established): not handshake tracking's.
	packets=$(( $(sg_stat packets) - p0 - ($(sg_stat rst_established) - r0) ))
	completed=$(( $(sg_stat handshakes_completed) - c0 ))
	lab_log "$label: client $line; daemon saw $packets packets, $completed handshakes completed"
	connects_ok "$line" "$label"
	[ "$completed" = "$N" ] || fail "$label: $completed handshakes completed, expected $N"
	# 3 per connection (SYN, SYN+ACK, ACK); the closing FINs and ACKs never come.
	[ "$packets" = $((3 * N)) ] || fail "$label: daemon saw $packets packets for $N connections, expected $((3 * N))"
	lab_num "$(sg_stat passive_verified)" ">=" 1 || fail "$label: the client was not verified by its handshakes"
}

# --- gateway ------------------------------------------------------------------
conf=$(sg_conf gw "mode = adaptive" "service = web $SERVER4:$PORT")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
check_run gateway
[ "$(sg_stat halfopen_entries)" = 0 ] || fail "gateway: half-open entries left: $(sg_stat halfopen_entries)"
[ "$(sg_stat challenges_sent)" = 0 ] || fail "gateway: passive mode challenged"
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"

# --- host (synguardd on the server itself) ------------------------------------
conf=$(sg_conf host "mode = adaptive" "service = web $SERVER4:$PORT")
sg_rules "$LAB_S" apply -m host -p "$PORT" -4 -c "$conf"
sg_start "$LAB_S" "$conf"
check_run host
[ "$(sg_stat halfopen_entries)" = 0 ] || fail "host: half-open entries left: $(sg_stat halfopen_entries)"
sg_stop
sg_rules "$LAB_S" remove -m host -4 -c "$conf"
echo "PASS: tracking bypass"
