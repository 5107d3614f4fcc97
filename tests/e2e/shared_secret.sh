# Two gateways sharing secret_file accept each other's cookies (ECMP: the
# SYN may cross one gateway and the RST the other).  Modelled with two
# daemons in one gateway ns: SYNs go to queue 0 (daemon A, which issues the
# cookie), the client's RSTs to queue 1 (daemon B, which must validate it);
# A's RST queue (3) and B's SYN queue (2) stay empty.
# With a different secret, B must reject the same RSTs.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
head -c 32 /dev/urandom >"$LAB_TMP/secret"
head -c 32 /dev/urandom >"$LAB_TMP/other"
ipt() { lab_exec "$LAB_G" iptables -w "$@"; }
ipt -t raw -A PREROUTING -p tcp --syn --dport "$PORT" -j NFQUEUE --queue-num 0 --queue-bypass
ipt -t raw -A OUTPUT -m mark --mark 0x5347 -j CT --notrack
ipt -A FORWARD -p tcp --tcp-flags SYN,RST,ACK RST -m conntrack --ctstate INVALID \
	--dport "$PORT" -j NFQUEUE --queue-num 1 --queue-bypass

conf_a=$(sg_conf a "mode = always" "queue = 0" "rst_queue = 3" "secret_file = $LAB_TMP/secret")
sg_start "$LAB_G" "$conf_a"
SOCK_A=$SG_SOCK PID_A=$SG_PID

run_b() {	# run_b SECRETFILE: start B, connect, print B's valid/invalid counts
	local conf line
	conf=$(sg_conf "b$1" "mode = always" "queue = 2" "rst_queue = 1" "secret_file = $LAB_TMP/$1")
	sg_start "$LAB_G" "$conf"
	line=$(lab_connect 4 "$PORT" 3 -T 3000)
	lab_log "client with B using '$1': $line"
	B_VALID=$(sg_stat cookies_valid) B_INVALID=$(sg_stat cookies_invalid)
	sg_stop
}

run_b secret
lab_log "same secret: B cookies_valid=$B_VALID cookies_invalid=$B_INVALID"
lab_num "$B_VALID" ">=" 1 || fail "B rejected A's cookies although they share the secret"
[ "$B_INVALID" = 0 ] || fail "B called $B_INVALID of A's cookies invalid"
run_b other
lab_log "other secret: B cookies_valid=$B_VALID cookies_invalid=$B_INVALID"
[ "$B_VALID" = 0 ] || fail "B accepted cookies made with another secret"
lab_num "$B_INVALID" ">=" 1 || fail "B saw no RST to reject"
SG_SOCK=$SOCK_A SG_PID=$PID_A
lab_num "$(sg_stat challenges_sent)" ">=" 2 || fail "A sent no challenges"
sg_stop
echo "PASS: shared secret"
