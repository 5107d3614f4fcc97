# The wall clock stepped under a SYN flood, the daemon challenging: its
# clock only (tests/tools/clockshift.so preloaded: CLOCK_REALTIME, time()
# and gettimeofday() plus an offset from a file; the machine's clock is
# never touched).  Cookie epochs follow the wall clock (gateways sharing a
# secret agree on them); every timeout and table expiry is monotonic.
# Designed outcomes asserted, on the daemon path, then with the kernel fast
# path (its keys and parity come from the daemon):
# - the shim is in effect: the daemon's epoch moves by the offset;
# - a step of hours, forward or back, is one rotation (key_rotations + 1,
#   key_epoch_steps + 1), no burst of keys; rotation goes on after a
#   backward step;
# - a cookie issued just before such a step is refused after it (the
#   source is not verified); that client's retransmitted SYN still passes
#   (retransmission rule, monotonic): it connects at its first
#   retransmission, as without a step;
# - a small step back across an epoch boundary keeps the cookies of the
#   epoch left valid (cookie_set_epoch), in the daemon and the program;
# - new clients are challenged, verified and connect after every step;
# - a source verified before a +3 h step is still verified after it, and
#   one past its verified_ttl (counted from its last completed handshake,
#   which renews it) expires despite a -6 h step;
# - the control socket answers after every step (its accept pacing ran on
#   libev's wall-clock ev_now: 6 h back, it refused connections for 6 h).
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
OBJ=$top_builddir/src/bpf/synguard.bpf.o
PROBE=$LAB_TOOLS/cookieprobe
SHIM=$top_builddir/tests/tools/clockshift.so
MARK=0xc00c1e	# cookieprobe's SO_MARK
PERIOD=4	# key_rotate
TTL=12		# verified_ttl
[ -f "$SHIM" ] || fail "no $SHIM (make check builds it)"
lab_server_start "$PORT"
# The client's stack answers the SYN+ACKs of cookieprobe's SYNs (source
# ports 20000-20999) with RSTs of its own: only cookieprobe's may leave.
# tcpconnect's ports are ephemeral (32768 and up), its RSTs leave.
lab_exec "$LAB_C" iptables -w -A OUTPUT -p tcp --sport 20000:20999 --tcp-flags RST RST \
	-m mark ! --mark "$MARK" -j DROP

OFF=$LAB_TMP/clock.offset APPLIED=$LAB_TMP/clock.applied
echo 0 >"$OFF"
SG_ENV="LD_PRELOAD=$SHIM CLOCKSHIFT_FILE=$OFF CLOCKSHIFT_COUNT=$APPLIED"
SG_ENV="$SG_ENV ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
offset=0
sport=20000

stat_d() { echo $(( $(sg_stat "$1") - $2 )); }
unverify() { "$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null 2>&1 || true; }
syn() {		# syn SPORT: the acknowledgment number of the SYN+ACK that answers it
	local out
	out=$(lab_exec "$LAB_C" "$PROBE" syn -s "$CLIENT4" -d "$SERVER4" -p "$PORT" -P "$1") ||
		sg_die "no SYN+ACK for source port $1"
	echo "${out#cookie=}"
}
rst() { lab_exec "$LAB_C" "$PROBE" rst -s "$CLIENT4" -d "$SERVER4" -p "$PORT" -P "$1" -c "$2"; }
# wait_stat NAME VALUE SECS: until the counter reaches VALUE.
wait_stat() {
	local i
	for i in $(seq $(($3 * 20))); do
		[ "$(sg_stat "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# step SECONDS: the daemon's wall clock moves by SECONDS (the offset file
# replaced); waits until the shim applied it and the daemon logged the
# epoch's move, and checks the move matches (the shim is in effect).
step() {
	local want=$(($1)) n0 line moved i
	n0=$(grep -c "wall clock stepped" "$SG_LOG" || true)
	offset=$((offset + want))
	echo "$offset" >"$OFF.new" && mv "$OFF.new" "$OFF"
	for i in $(seq 100); do
		[ "$(cat "$APPLIED" 2>/dev/null)" = "$offset" ] &&
			[ "$(grep -c "wall clock stepped" "$SG_LOG" || true)" -gt "$n0" ] && break
		sleep 0.02
	done
	[ "$(cat "$APPLIED" 2>/dev/null)" = "$offset" ] || sg_die "the shim did not apply offset $offset"
	line=$(grep "wall clock stepped" "$SG_LOG" | tail -1)
	[ "$(grep -c "wall clock stepped" "$SG_LOG")" -gt "$n0" ] || sg_die "no epoch step logged for $want s"
	moved=$(sed -n 's/.*(\([-+][0-9]*\) s).*/\1/p' <<<"$line")
	lab_num "$(( moved - want ))" "<=" "$PERIOD" && lab_num "$(( want - moved ))" "<=" "$PERIOD" ||
		sg_die "stepped $want s, the daemon's epoch moved $moved s: $line"
	sleep 0.1	# the keys reach the program in the same call
}
# align A: sleep until the daemon's wall time is A s into an epoch.
align() {
	awk -v now="$(lab_now_s)" -v off="$offset" -v p="$PERIOD" -v a="$1" 'BEGIN {
		f = (now + off) % p; d = a + 0.05 - f; if (d < 0) d += p; printf "%.3f\n", d }' |
		xargs sleep
}
# valid: the cookies real clients answered, in the daemon and the program
# (the flood's spoofed sources never answer theirs).
valid() { echo $(( $(sg_stat cookies_valid) + $(sg_stat accel_rst_valid) )); }
valid_since() { [ $(( $(valid) - $1 )) -ge 1 ]; }
# client WHAT: CLIENT4 unverified, connects: challenged and verified (its
# RST's cookie valid), every connect succeeds.
client() {
	local v0 line
	unverify
	v0=$(valid)
	line=$(lab_connect 4 "$PORT" 3 -T 5000)
	connects_ok "$line" "new client $1"
	# the program's counters reach the daemon's once a second
	lab_wait_until 3 valid_since "$v0" ||
		sg_die "new client $1 was not challenged and verified"
	CLIENT_LINE="$line, cookies valid +$(( $(valid) - v0 ))"
}
# big_step SECONDS WHAT: a probe's cookie issued just before a step of
# hours is refused after it; its retransmitted SYN passes (the server's
# SYN+ACK answers it: ack = ISN + 1); one rotation; a new client connects.
# $1 fast: the program checks the RST.
big_step() {
	local secs=$1 what=$2 fast=${3:-} c ack rot0 inv0 steps0 valid0
	sport=$((sport + 1))
	unverify
	c=$(syn "$sport")
	rot0=$(sg_stat key_rotations) steps0=$(sg_stat key_epoch_steps)
	inv0=$(sg_stat cookies_invalid) valid0=$(sg_stat cookies_valid)
	[ -n "$fast" ] && inv0=$(sg_stat accel_rst_invalid) valid0=$(sg_stat accel_rst_valid)
	step "$secs"
	rst "$sport" "$c"
	if [ -n "$fast" ]; then
		wait_stat accel_rst_invalid $((inv0 + 1)) 3 ||
			sg_die "$what: the program did not refuse the cookie issued before the step"
		[ "$(stat_d accel_rst_valid "$valid0")" = 0 ] || sg_die "$what: the program took a pre-step cookie"
	else
		wait_stat cookies_invalid $((inv0 + 1)) 3 ||
			sg_die "$what: the cookie issued before the step was not refused"
		[ "$(stat_d cookies_valid "$valid0")" = 0 ] || sg_die "$what: a pre-step cookie was valid"
	fi
	sleep 0.6	# retransmit_min is 500 ms
	ack=$(syn "$sport")	# the same SYN again (same ISN)
	[ "$ack" = $((0x5eed0001)) ] || sg_die "$what: the retransmitted SYN was challenged ($ack), not passed"
	lab_num "$(stat_d key_rotations "$rot0")" "<=" 2 ||
		sg_die "$what: $(stat_d key_rotations "$rot0") key rotations for one step"
	[ "$(stat_d key_epoch_steps "$steps0")" = 1 ] || sg_die "$what: key_epoch_steps not 1"
	client "after $what"
	lab_log "$what: pre-step cookie refused, its retransmission passed, key rotations +$(stat_d key_rotations "$rot0"); new client $CLIENT_LINE"
}
# small_back WHAT [fast]: a cookie issued 1.3 s after an epoch boundary stays
# valid after the clock steps 3 s back across it; a cookie issued back
# there is valid once the clock crosses the boundary again.
small_back() {
	local what=$1 fast=${2:-} c ctr v0
	ctr=cookies_valid
	[ -n "$fast" ] && ctr=accel_rst_valid
	# 1.3 s into an epoch: past the tick that rotated the keys (with the
	# fast path only the 1 s tick rotates them, no queued packet does).
	align 1.3
	sport=$((sport + 1))
	unverify
	c=$(syn "$sport")
	step -3
	v0=$(sg_stat "$ctr")
	rst "$sport" "$c"
	wait_stat "$ctr" $((v0 + 1)) 5 ||
		sg_die "$what: the cookie of the epoch left was refused after a 3 s step back ($ctr $v0 -> $(sg_stat "$ctr"), accel_packets $(sg_stat accel_packets))"
	lab_log "$what: a cookie issued 1.3 s after a boundary is valid after a 3 s step back across it ($ctr +1)"
	sport=$((sport + 1))
	unverify
	c=$(syn "$sport")
	align 1.3	# the daemon's clock crossed the boundary again, a tick since
	v0=$(sg_stat "$ctr")
	rst "$sport" "$c"
	wait_stat "$ctr" $((v0 + 1)) 3 || sg_die "$what: the cookie issued back in the earlier epoch was refused after it"
	client "after $what's step back"
	lab_log "$what: the cookie issued after the step back valid once the clock crossed the boundary again; new client $CLIENT_LINE"
}

# --- 1. the daemon path --------------------------------------------------------
conf=$(sg_conf clk "mode = always" "key_rotate = ${PERIOD}s" "verified_ttl = ${TTL}s")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -c "$conf"
sg_start "$LAB_G" "$conf"
lab_flood 4 "$PORT" 80 "$LAB_FLOOD_PPS"
sleep 1
# The IPv6 client: verified now, its TTL counted on the monotonic clock.
line=$(lab_connect 6 "$PORT" 1 -T 5000)
connects_ok "$line" "IPv6 client"
big_step 10800 "+3 h"
v0=$(valid) ok0=$(sg_stat syn_verified)
line=$(lab_connect 6 "$PORT" 2 -T 5000)
connects_ok "$line" "IPv6 client after +3 h"
sleep 0.2
[ "$(( $(valid) - v0 ))" = 0 ] || sg_die "the source verified before the +3 h step was challenged after it"
lab_num "$(stat_d syn_verified "$ok0")" ">=" 2 || sg_die "the IPv6 client's SYNs were not taken as verified"
# Its handshakes renew it (every completed one does): its TTL runs from now.
t_v6=$(lab_now_s)
lab_log "IPv6 source verified before +3 h still verified after it ($line)"
big_step -21600 "-6 h"
rot0=$(sg_stat key_rotations) t_rot=$(lab_now_s)
# Past the IPv6 source's TTL (monotonic) despite the clock 6 h back.
awk -v t="$t_v6" -v now="$(lab_now_s)" -v ttl="$TTL" 'BEGIN { d = t + ttl + 1.5 - now; printf "%.3f\n", (d > 0 ? d : 0) }' | xargs sleep
v0=$(valid)
line=$(lab_connect 6 "$PORT" 1 -T 5000)
connects_ok "$line" "IPv6 client past its TTL"
sleep 0.2
lab_num "$(( $(valid) - v0 ))" ">=" 1 || sg_die "the IPv6 source outlived its ${TTL} s TTL after a -6 h step"
rot=$(stat_d key_rotations "$rot0")
el=$(lab_elapsed "$t_rot" "$(lab_now_s)")
lab_log "IPv6 source expired after its TTL despite -6 h ($line); $rot rotations in $el s after the backward step"
lab_num "$rot" ">=" "$(awk -v e="$el" -v p="$PERIOD" 'BEGIN { print int(e / p) - 1 }')" ||
	sg_die "key rotation stalled after the backward step: $rot in $el s"
small_back "daemon"
[ "$(sg_stat halfopen_entries)" -le 20 ] || sg_die "half-open entries pile up: $(sg_stat halfopen_entries)"
lab_flood_running || sg_die "the flood ended before the checks; raise its 80 s"
lab_log "daemon path: key_rotations $(sg_stat key_rotations), key_epoch_steps $(sg_stat key_epoch_steps), cookies_valid $(sg_stat cookies_valid), cookies_invalid $(sg_stat cookies_invalid), challenges_sent $(sg_stat challenges_sent)"
spoof=$(lab_server_count_spoofed 4)
lab_flood_stop >/dev/null
[ "$spoof" = 0 ] || sg_die "$spoof spoofed SYNs reached the server"
sg_stop

# --- 2. the kernel fast path: its keys follow the daemon's epoch ---------------------
offset=0
echo 0 >"$OFF.new" && mv "$OFF.new" "$OFF"
conf=$(sg_conf clkf "mode = always" "key_rotate = ${PERIOD}s" "verified_ttl = ${TTL}s" \
	"accel_interfaces = $IF_GC $IF_GA" "accel_mode = xdp-generic" "accel_object = $OBJ" "accel_ports = $PORT")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -c "$conf"
sg_start "$LAB_G" "$conf"
sg_wait_log "kernel fast path on $IF_GC \(xdp-generic\)" 5 >/dev/null
sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\)" 5 >/dev/null
spoof0=$(lab_server_count_spoofed 4)
lab_flood 4 "$PORT" 60 "$LAB_FLOOD_PPS"
sleep 1
ach0=$(sg_stat accel_challenges)
small_back "fast path" fast
big_step 10800 "fast path +3 h" fast
big_step -21600 "fast path -6 h" fast
lab_num "$(stat_d accel_challenges "$ach0")" ">=" 4 || sg_die "the program did not answer the probes' SYNs"
lab_flood_running || sg_die "the flood ended before the checks; raise its 60 s"
spoof=$(( $(lab_server_count_spoofed 4) - spoof0 ))
lab_flood_stop >/dev/null
lab_log "fast path: accel_challenges $(sg_stat accel_challenges), accel_rst_valid $(sg_stat accel_rst_valid), accel_rst_invalid $(sg_stat accel_rst_invalid), key_rotations $(sg_stat key_rotations)"
[ "$spoof" = 0 ] || sg_die "$spoof spoofed SYNs reached the server"
sg_stop
echo "PASS: wall clock steps: one rotation each, cookies and TTLs as designed, clients connect"
