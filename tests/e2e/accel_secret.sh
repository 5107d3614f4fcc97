# Cookies across the kernel fast path and the daemon: synguardds sharing a
# secret_file (as the gateways of one site do, the SYN crossing one and the
# RST another) accept each other's cookies whichever path issued them.
# Modelled in turn on the lab's gateway (IPv4, mode = always), with SYNs and
# RSTs made by hand (tests/tools/cookieprobe; the client's own stack may not
# answer the SYN+ACKs itself):
# 1. A, with the fast path: its XDP program answers a SYN with a cookie.
# 2. B, without it, same secret: the RST echoing A's cookie is valid for the
#    daemon; B's daemon answers a second SYN with its own cookie.
# 3. A again: the RST echoing B's cookie is valid for the program.
# 4. C, another secret: both kinds of cookie are invalid for it, in the
#    program and in the daemon.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
OBJ=$top_builddir/src/bpf/synguard.bpf.o
PROBE=$LAB_TOOLS/cookieprobe
MARK=0xc00c1e	# cookieprobe's SO_MARK
lab_server_start "$PORT"
head -c 32 /dev/urandom >"$LAB_TMP/secret"
head -c 32 /dev/urandom >"$LAB_TMP/other"
# The client's stack answers a SYN+ACK it never asked for with a RST of its
# own; only cookieprobe's may leave.
lab_exec "$LAB_C" iptables -w -A OUTPUT -p tcp --tcp-flags RST RST -m mark ! --mark "$MARK" -j DROP

# daemon NAME SECRET [LINE...]: synguardd on the gateway with that secret.
daemon() {
	local name=$1 secret=$2 conf
	shift 2
	conf=$(sg_conf "$name" "mode = always" "secret_file = $LAB_TMP/$secret" "$@")
	sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
	sg_start "$LAB_G" "$conf"
}
fast=("accel_interfaces = $IF_GC" "accel_mode = xdp-generic" "accel_object = $OBJ"
	"accel_ports = $PORT")
syn() {		# syn SPORT: the cookie of the SYN+ACK that answers it
	local out
	out=$(lab_exec "$LAB_C" "$PROBE" syn -s "$CLIENT4" -d "$SERVER4" -p "$PORT" -P "$1") ||
		sg_die "no SYN+ACK for source port $1"
	echo "${out#cookie=}"
}
rst() { lab_exec "$LAB_C" "$PROBE" rst -s "$CLIENT4" -d "$SERVER4" -p "$PORT" -P "$1" -c "$2"; }
unverify() { "$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null 2>&1 || true; }

# --- 1. the program's cookie ------------------------------------------------------
daemon a secret "${fast[@]}"
sg_wait_log "kernel fast path on $IF_GC \(xdp-generic\)" 5 >/dev/null
unverify
c_kernel=$(syn 41001)
sleep 1.2
[ "$(sg_stat accel_challenges)" = 1 ] || sg_die "the program did not answer the SYN"
[ "$(sg_stat challenges_sent)" = 0 ] || sg_die "the daemon answered the SYN"
sg_stop

# --- 2. B checks it, and makes one of its own ------------------------------------------
daemon b secret
unverify
rst 41001 "$c_kernel"
lab_wait_until 3 sh -c "[ \"\$($SG_BIN/synguardctl -s $SG_SOCK stats | awk '\$1 == \"cookies_valid\" { print \$2 }')\" = 1 ]" ||
	sg_die "B did not accept the program's cookie (cookies_valid $(sg_stat cookies_valid))"
unverify
c_daemon=$(syn 41002)
[ "$(sg_stat challenges_sent)" = 1 ] || sg_die "B's daemon did not answer the second SYN"
sg_stop

# --- 3. the program checks B's --------------------------------------------------------
daemon a2 secret "${fast[@]}"
sg_wait_log "kernel fast path on $IF_GC \(xdp-generic\)" 5 >/dev/null
unverify
rst 41002 "$c_daemon"
sleep 1.2
[ "$(sg_stat accel_rst_valid)" = 1 ] || sg_die "the program did not accept B's cookie"
"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null ||
	sg_die "the source the program verified did not reach the daemon"
sg_stop

# --- 4. another secret: neither is valid ----------------------------------------------
daemon c other "${fast[@]}"
sg_wait_log "kernel fast path on $IF_GC \(xdp-generic\)" 5 >/dev/null
rst 41001 "$c_kernel"
rst 41002 "$c_daemon"
sleep 1.2
[ "$(sg_stat accel_rst_valid)" = 0 ] || sg_die "the program accepted a cookie of another secret"
[ "$(sg_stat accel_rst_invalid)" = 2 ] || sg_die "the program rejected $(sg_stat accel_rst_invalid) of 2 RSTs"
sg_stop
daemon d other
rst 41001 "$c_kernel"
rst 41002 "$c_daemon"
lab_wait_until 3 sh -c "[ \"\$($SG_BIN/synguardctl -s $SG_SOCK stats | awk '\$1 == \"cookies_invalid\" { print \$2 }')\" = 2 ]" ||
	sg_die "the daemon did not reject both cookies of another secret (cookies_invalid $(sg_stat cookies_invalid))"
[ "$(sg_stat cookies_valid)" = 0 ] || sg_die "the daemon accepted a cookie of another secret"
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$LAB_TMP/d.conf"
lab_log "cookies: the program's $c_kernel valid for B's daemon, the daemon's $c_daemon for A's program; another secret rejects both"
echo "PASS: cookies across the fast path and the daemon with a shared secret"
