# Full SYN proxy, data path: what crosses a proxied connection arrives intact,
# the daemon sees only its handshake, and the client sees the server's window.
# Gateway lab, mode = always, challenge = proxy, IPv4 and IPv6.
# (c) K proxied connections (no flood) cost the daemon at most 4 queued packets
#     each plus the early data it held; every one is handed over (proxy_completed).
# (b) during a moderate spoofed flood: 2 MiB downloads and uploads through
#     proxied connections are byte-identical (xfer checks every byte), also with
#     2 % of the data segments dropped on the gateway in both directions; after
#     learning, both sides agree on each other's window scale.
# (d) a server whose window scale is not the default: after the daemon learned
#     it from one handshake, the next client's view of the server's window
#     (window scale and scaled window) is the server's own.
# Over the whole run no proxied attempt failed, timed out or was started twice.
# Findings about the daemon are collected (PROBLEM lines) and fail the test at
# the end, so that one run reports all of them.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
XFER=$LAB_TOOLS/xfer
[ -x "$XFER" ] || fail "$XFER not built (make check builds it)"
lab_up
PORT=$LAB_PORT			# a server with the default receive buffer
PORT2=$((LAB_PORT + 1))		# a server with a small one: another window scale
SMALL_RCVBUF=131072		# measured on 6.18: window scale 2
MIB2=2097152
K=${K:-20}
FLOOD_PPS=${FLOOD_PPS:-20000}
LOSS=0.02

# One segment per skb on every hop: a dropped "segment" is one MSS of data,
# not a 64 KiB TSO burst.
for nsif in "$LAB_C:$IF_C" "$LAB_S:$IF_S" "$LAB_G:$IF_GC" "$LAB_G:$IF_GS"; do
	ip -n "${nsif%%:*}" link set dev "${nsif#*:}" gso_max_segs 1
done

# Daemon-side findings do not stop the run: every part runs and reports, and
# the test fails at the end with all of them.
PROBLEMS=()
problem() {
	lab_log "PROBLEM: $*"
	PROBLEMS+=("$*")
}

# xfer_server PORT [RCVBUF]: dual-stack xfer server in the server ns.
xfer_server() {
	local port=$1 out=$LAB_TMP/xfer.$1.out pid
	ip netns exec "$LAB_S" "$XFER" -l :: -p "$port" -t 300 ${2:+-w "$2"} >"$out" 2>&1 &
	pid=$!
	lab_track_pid "$pid"
	lab_wait_until 5 grep -q '^xfer: listening' "$out" || { cat "$out" >&2; fail "xfer server on $port did not start"; }
	lab_log "xfer server pid $pid: $(head -n1 "$out")"
}

# xfer_client FAMILY PORT ARGS...: echoes the client's summary line.
xfer_client() {
	local family=$1 port=$2 dst line rc=0
	shift 2
	dst=$(lab_addr server "$family")
	line=$(lab_exec "$LAB_C" "$XFER" -d "$dst" -p "$port" "$@") || rc=$?
	case $rc:$line in
	[01]:"xfer: n="*) echo "$line" ;;
	*) fail "xfer client failed (status $rc): $line" ;;
	esac
}

# xfer_peer PORT LINE: the server's line for the client connection of LINE.
xfer_peer() {
	local out=$LAB_TMP/xfer.$1.out lport
	lport=$(lab_field "$2" lport)
	lab_wait_until 3 grep -q "^xfer-server: peer_port=$lport " "$out" ||
		fail "no server line for client port $lport"
	grep "^xfer-server: peer_port=$lport " "$out" | tail -n1
}

# xfer_ok LABEL LINE COUNT BYTES: every transfer complete and byte-identical.
xfer_ok() {
	if [ "$(lab_field "$2" ok)" != "$3" ] || [ "$(lab_field "$2" fail)" != 0 ]; then
		fail "$1: transfers failed or differed: $2"
	fi
	[ "$(lab_field "$2" bytes)" = $(($3 * $4)) ] || fail "$1: short transfer: $2"
}

# sides_agree LABEL CLIENT_LINE SERVER_LINE: each side's send scale is the
# other's receive scale (the client's was announced by our SYN+ACK, the
# server's comes from our cookie); no timestamps (the kernel would not
# rewrite them), SACK on both ends (both stacks offer it).
sides_agree() {
	local csnd crcv ssnd srcv
	csnd=$(lab_field "$2" snd_wscale)
	crcv=$(lab_field "$2" rcv_wscale)
	ssnd=$(lab_field "$3" snd_wscale)
	srcv=$(lab_field "$3" rcv_wscale)
	lab_log "$1: client wscale snd $csnd rcv $crcv; server snd $ssnd rcv $srcv"
	[ "$csnd" = "$srcv" ] || fail "$1: the client scales the server's window by $csnd, the server by $srcv"
	[ "$crcv" = "$ssnd" ] || fail "$1: the server scales the client's window by $ssnd, the client by $crcv"
	[ "$(lab_field "$2" ts)$(lab_field "$3" ts)" = 00 ] || fail "$1: a proxied connection with timestamps"
	[ "$(lab_field "$2" sack)$(lab_field "$3" sack)" = 11 ] || fail "$1: SACK not negotiated on both ends"
}

# loss_rule -I|-D CMD PORT: the random drop of data segments on the gateway.
loss_rule() {
	lab_exec "$LAB_G" "$2" -w "$1" FORWARD -p tcp -m multiport --ports "$3" \
		-m length --length 200:65535 -m statistic --mode random --probability "$LOSS" \
		-m comment --comment sg-loss -j DROP
}

loss_count() {
	lab_exec "$LAB_G" "$1" -w -nvxL FORWARD | awk '/sg-loss/ { print $1; exit }'
}

xfer_server "$PORT"
xfer_server "$PORT2" "$SMALL_RCVBUF"
conf=$(sg_conf gw "mode = always" "challenge = proxy" \
	"service = web $SERVER4:$PORT" "service = web6 [$SERVER6]:$PORT" \
	"service = small $SERVER4:$PORT2" "service = small6 [$SERVER6]:$PORT2")
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$PORT2" -P -c "$conf"
sg_start "$LAB_G" "$conf"
PASSED=""
dump_on_failure() { [ -n "$PASSED" ] || sg_dump; }
lab_at_exit dump_on_failure

# --- (c) queued packets per proxied connection (no flood) ----------------------
# Small uploads: the command and the data leave right behind the client's ACK,
# so some connections have early data for the daemon to hold.
for fam in 4 6; do
	p0=$(sg_stat packets)
	c0=$(sg_stat proxy_completed)
	s0=$(sg_stat proxy_started)
	h0=$(sg_stat proxy_early_held)
	o0=$(sg_stat tcp_other)
	f0=$(sg_stat proxy_forwarded)
	line=$(xfer_client "$fam" "$PORT" -U 3000 -n "$K" -T 5000)
	sleep 0.5
	packets=$(( $(sg_stat packets) - p0 ))
	completed=$(( $(sg_stat proxy_completed) - c0 ))
	started=$(( $(sg_stat proxy_started) - s0 ))
	held=$(( $(sg_stat proxy_early_held) - h0 ))
	other=$(( $(sg_stat tcp_other) - o0 ))
	# Early data the daemon read only after the handover is passed on, not held.
	fwd=$(( $(sg_stat proxy_forwarded) - f0 ))
	lab_log "(c) IPv$fam: $line"
	lab_log "(c) IPv$fam: $K connections: daemon saw $packets packets, started $started," \
		"completed $completed, held $held early packets, passed on $fwd read after" \
		"their handover, $other unknown (tcp_other)"
	xfer_ok "(c) IPv$fam" "$line" "$K" 3000
	[ "$completed" = "$K" ] || problem "(c) IPv$fam: proxy_completed +$completed, expected $K"
	# More starts than connections: a client segment that reached the daemon
	# after the handover passed the cookie check again.
	[ "$started" = "$K" ] || problem "(c) IPv$fam: proxy_started +$started for $K connections"
	[ "$other" = 0 ] || problem "(c) IPv$fam: $other client packets matched no attempt (tcp_other)"
	lab_num "$packets" "<=" $((4 * K + held + fwd)) ||
		problem "(c) IPv$fam: $packets queued packets for $K connections (> 4 each + $held + $fwd early)"
	# And at least the three handshake packets of each: they were proxied.
	lab_num "$packets" ">=" $((3 * K)) || fail "(c) IPv$fam: only $packets packets: not proxied?"
done

# --- (b) 2 MiB each way under a flood, then with loss ---------------------------
for fam in 4 6; do
	cmd=iptables
	[ "$fam" = 6 ] && cmd=ip6tables
	c0=$(sg_stat proxy_completed)
	syn0=$(sg_stat proxy_synacks)
	spoof0=$(lab_server_count_spoofed "$fam")
	lab_flood "$fam" "$PORT" 60 "$FLOOD_PPS"
	sleep 1
	down=$(xfer_client "$fam" "$PORT" -D "$MIB2" -T 20000)
	up=$(xfer_client "$fam" "$PORT" -U "$MIB2" -T 20000)
	lab_log "(b) IPv$fam download: $down"
	lab_log "(b) IPv$fam upload:   $up"
	xfer_ok "(b) IPv$fam download" "$down" 1 "$MIB2"
	xfer_ok "(b) IPv$fam upload" "$up" 1 "$MIB2"
	# The download's handshake taught the daemon this server's options.
	sides_agree "(b) IPv$fam upload" "$up" "$(xfer_peer "$PORT" "$up")"

	loss_rule -I "$cmd" "$PORT"
	ldown=$(xfer_client "$fam" "$PORT" -D "$MIB2" -n 2 -T 30000)
	lup=$(xfer_client "$fam" "$PORT" -U "$MIB2" -n 2 -T 30000)
	dropped=$(loss_count "$cmd")
	loss_rule -D "$cmd" "$PORT"
	sretr=$(lab_field "$(xfer_peer "$PORT" "$ldown")" retrans)
	lab_log "(b) IPv$fam lossy download x2: $ldown (server retransmitted $sretr on the last)"
	lab_log "(b) IPv$fam lossy upload x2:   $lup"
	lab_log "(b) IPv$fam loss: the gateway dropped $dropped data segments (p=$LOSS)"
	xfer_ok "(b) IPv$fam lossy download" "$ldown" 2 "$MIB2"
	xfer_ok "(b) IPv$fam lossy upload" "$lup" 2 "$MIB2"
	lab_num "$dropped" ">" 20 || fail "(b) IPv$fam: only $dropped segments dropped: loss not injected"
	lab_num "$(lab_field "$lup" retrans)" ">" 0 || fail "(b) IPv$fam: the uploads never retransmitted"

	lab_flood_running || fail "(b) IPv$fam: the transfers outlasted the flood"
	lab_flood_stop >"$LAB_TMP/flood.sum"
	flood=$(cat "$LAB_TMP/flood.sum")
	completed=$(( $(sg_stat proxy_completed) - c0 ))
	synacks=$(( $(sg_stat proxy_synacks) - syn0 ))
	spoof=$(( $(lab_server_count_spoofed "$fam") - spoof0 ))
	lab_log "(b) IPv$fam: $flood; daemon sent $synacks proxy SYN+ACKs, completed $completed" \
		"proxied handshakes; $spoof spoofed SYNs reached the server"
	lab_num "$(lab_flood_field "$flood" pps)" ">=" $((FLOOD_PPS / 2)) || fail "(b) IPv$fam: flood too weak: $flood"
	lab_num "$synacks" ">=" $(($(lab_flood_field "$flood" sent) / 2)) ||
		fail "(b) IPv$fam: the daemon answered only $synacks of the flood's SYNs"
	[ "$completed" = 6 ] || fail "(b) IPv$fam: proxy_completed +$completed, expected 6 (every transfer proxied)"
	[ "$spoof" = 0 ] || fail "(b) IPv$fam: $spoof spoofed SYNs reached the server"
done

# --- (d) a server with window scale 2 ---------------------------------------------
for fam in 4 6; do
	svc=small
	[ "$fam" = 6 ] && svc=small6
	first=$(xfer_client "$fam" "$PORT2" -U 262144 -T 20000)
	sfirst=$(xfer_peer "$PORT2" "$first")
	lab_log "(d) IPv$fam first (learning) connection: $first"
	lab_log "(d) IPv$fam first, server side: $sfirst"
	xfer_ok "(d) IPv$fam first" "$first" 1 262144
	sws=$(lab_field "$sfirst" rcv_wscale)
	[ "$sws" = 2 ] || fail "(d) IPv$fam: the server's window scale is $sws, expected 2 (rcvbuf $SMALL_RCVBUF)"
	learned=$(sg_svc_stat "$svc" server_wscale)
	lab_log "(d) IPv$fam: daemon learned svc_server_wscale{service=\"$svc\"} $learned"
	[ "$learned" = "$sws" ] || fail "(d) IPv$fam: the daemon learned window scale $learned, the server uses $sws"

	# The second connection stays open a moment after its upload: ss on both ends.
	out=$LAB_TMP/xfer.d$fam.out
	ip netns exec "$LAB_C" "$XFER" -d "$(lab_addr server "$fam")" -p "$PORT2" -U "$MIB2" -T 20000 -H 1500 \
		>"$out" 2>&1 &
	cpid=$!
	lab_track_pid "$cpid"
	sleep 0.7
	css=$(lab_exec "$LAB_C" ss -"$fam"tinH state established "( dport = :$PORT2 )" | tr -s ' \n' ' ')
	sss=$(lab_exec "$LAB_S" ss -tinH state established "( sport = :$PORT2 )" | tr -s ' \n' ' ')
	wait "$cpid" || { cat "$out" >&2; fail "(d) IPv$fam: second transfer failed"; }
	lab_untrack_pid "$cpid"
	second=$(grep '^xfer: n=' "$out")
	ssecond=$(xfer_peer "$PORT2" "$second")
	lab_log "(d) IPv$fam second connection: $second"
	lab_log "(d) IPv$fam second, server side: $ssecond"
	lab_log "(d) IPv$fam ss client: $(grep -o 'wscale:[0-9,]*\|snd_wnd:[0-9]*' <<<"$css" | tr '\n' ' ')"
	lab_log "(d) IPv$fam ss server: $(grep -o 'wscale:[0-9,]*\|rcv_ssthresh:[0-9]*' <<<"$sss" | tr '\n' ' ')"
	xfer_ok "(d) IPv$fam second" "$second" 1 "$MIB2"
	sides_agree "(d) IPv$fam second" "$second" "$ssecond"
	# ss shows wscale:SND,RCV: the client's SND is the server's RCV.
	cws=$(sed -n 's/.*wscale:\([0-9]*\),\([0-9]*\).*/\1/p' <<<"$css")
	srws=$(sed -n 's/.*wscale:\([0-9]*\),\([0-9]*\).*/\2/p' <<<"$sss")
	if [ -z "$cws" ] || [ "$cws" != "$srws" ] || [ "$cws" != "$sws" ]; then
		fail "(d) IPv$fam: ss: client scales the server's window by '$cws', server announced '$srws'"
	fi
	# The server's last segment (the upload's verdict byte) announced rcv_wnd;
	# the client, having read that byte, holds that as its send window, up to
	# the scale's rounding (a wrong scale would be off by a power of two).
	cwnd=$(lab_field "$second" snd_wnd)
	swnd=$(lab_field "$ssecond" rcv_wnd)
	lab_log "(d) IPv$fam: client's send window $cwnd, server's announced receive window $swnd"
	lab_num "$(( cwnd > swnd ? cwnd - swnd : swnd - cwnd ))" "<" $((1 << sws)) ||
		fail "(d) IPv$fam: the client sees a window of $cwnd, the server announced $swnd"
	# Before learning, the proxy announced its default scale: for the record.
	lab_log "(d) IPv$fam: before learning the client saw wscale $(lab_field "$first" snd_wscale)," \
		"window $(lab_field "$first" snd_wnd) for the server's $(lab_field "$sfirst" rcv_wnd)"
done

# Every proxied handshake of the run was a real connection that completed:
# nothing failed, timed out (a spurious attempt would, and reset its client).
sleep 3.5	# proxy_timeout (3 s) for any leftover attempt to show
"$SG_BIN/synguardctl" -s "$SG_SOCK" stats | grep -E '^(packets|tcp_other|proxy_|svc_server_)' |
	sed 's/^/    /' >&2
# proxy_invalid: no segment of these real connections (retransmissions and
# losses included) was taken for a stray and dropped.
for k in proxy_failed_refused proxy_failed_timeout proxy_failed_ct proxy_evicted proxy_send_errors \
	proxy_invalid; do
	[ "$(sg_stat "$k")" = 0 ] || problem "$k = $(sg_stat "$k")"
done
[ "$(sg_stat proxy_started)" = "$(sg_stat proxy_completed)" ] ||
	problem "proxy_started $(sg_stat proxy_started) != proxy_completed $(sg_stat proxy_completed)"
sg_stop
sg_rules "$LAB_G" remove -m gateway -c "$conf"
[ "${#PROBLEMS[@]}" = 0 ] || fail "${#PROBLEMS[@]} problem(s): $(printf '%s; ' "${PROBLEMS[@]}")"
PASSED=1
echo "PASS: proxy transfer"
