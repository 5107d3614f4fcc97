# The anti-reflection limits in the kernel fast path hold while two CPUs run
# the program at once.  Two floods, each from a generator pinned to its own
# CPU (a veth delivers in the sender's softirq, so each CPU runs the program
# for its own flood; /proc/net/softnet_stat shows it), share one
# limit_synack_total bucket, then one victim prefix's limit_synack_dest
# bucket.  SYN+ACKs are counted where they land, in the attacker ns:
#   - over the whole flood they stay within burst + rate x its time;
#   - over a window inside the flood their rate is within 10 % of the limit
#     (at most 1.1 x: the bound; at least 0.8 x: the CPUs' races on the
#     bucket do not starve it);
#   - every SYN is answered or held back by the limit, none reaches the server.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs, this machine has $(nproc)"
TOTAL_RATE=20000 TOTAL_BURST=1000
DEST_RATE=2000 DEST_BURST=200
FLOOD_S=${FLOOD_S:-10}
FLOOD_PPS=${FLOOD_PPS:-60000}	# each generator: 3x the total limit
VICTIM=198.18.7.0/24

lab_exec "$LAB_A" iptables -w -t raw -I PREROUTING 1 -p tcp -s "$SERVER4" --sport "$PORT" \
	-d "$VICTIM" --tcp-flags SYN,ACK,RST,FIN SYN,ACK -m comment --comment sg-victim
victim_synacks() {
	lab_exec "$LAB_A" iptables -w -t raw -nvxL PREROUTING |
		awk 'index($0, "/* sg-victim */") { print $1; f = 1; exit } END { if (!f) print "none" }'
}
all_synacks() { lab_attacker_count_synacks 4; }
all_synacks >/dev/null	# installs the counter
now() { echo "${EPOCHREALTIME/,/.}"; }
# The packets each CPU's softirq processed (softnet_stat's first column, hex).
softnet() {
	local p rest
	while read -r p rest; do printf '%d ' "$((16#$p))"; done </proc/net/softnet_stat
}

lab_server_start "$PORT"
SG_ACCEL_EXTRA=("limit_prefix4 = 24" "limit_synack_total = $TOTAL_RATE/s burst $TOTAL_BURST"
	"limit_synack_dest = $DEST_RATE/s burst $DEST_BURST")
sg_accel_start xdp-generic "$IF_GC" "$IF_GA"

# phase NAME COUNTER RATE BURST [synflood args]: two pinned floods; the
# SYN+ACKs COUNTER counts against RATE and BURST (accel_limited: the SYNs
# the program's limits held back).
phase() {
	local name=$1 counter=$2 rate=$3 burst=$4 n0 n1 w0 w1 t0 t1 l0 c0 cpu0 cpu1 start span
	local sent=0 secs=0 line f pid out i win total answered held
	shift 4
	n0=$($counter)
	l0=$(sg_stat accel_limited)
	c0=$(sg_stat accel_challenges)
	read -r -a cpu0 <<<"$(softnet)"
	pid=() out=()
	start=$(now)
	for i in 0 1; do
		LAB_FLOOD_CPU=$i lab_flood 4 "$PORT" "$FLOOD_S" "$FLOOD_PPS" "$@"
		pid+=("$LAB_FLOOD_PID") out+=("$LAB_FLOOD_OUT")
	done
	sleep 2
	t0=$(now)
	w0=$($counter)
	sleep 5
	t1=$(now)
	w1=$($counter)
	for i in 0 1; do
		LAB_FLOOD_PID=${pid[$i]} LAB_FLOOD_OUT=${out[$i]}
		lab_flood_running || fail "$name: flood $i ended before the window did (raise FLOOD_S)"
	done
	read -r -a cpu1 <<<"$(softnet)"
	for i in 0 1; do
		LAB_FLOOD_PID=${pid[$i]} LAB_FLOOD_OUT=${out[$i]}
		line=$(lab_flood_wait)
		lab_log "$name: CPU $i: $line; softirq processed $((cpu1[i] - cpu0[i])) packets on it"
		f=$(lab_flood_field "$line" sent)
		sent=$((sent + f))
		# Each generator's SYNs are received on its own CPU: the program
		# ran on both at once.
		lab_num "$((cpu1[i] - cpu0[i]))" ">=" "$((f / 2))" ||
			fail "$name: CPU $i processed $((cpu1[i] - cpu0[i])) packets for its flood's $f"
		secs=$(awk -v a="$secs" -v b="$(lab_flood_field "$line" seconds)" 'BEGIN { print (b > a) ? b : a }')
	done
	# Every SYN+ACK left between start and now: the bound's time.
	span=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
	sleep 1.2	# a daemon tick: the program's counters folded into its stats
	n1=$($counter)
	total=$((n1 - n0))
	held=$(($(sg_stat accel_limited) - l0))
	answered=$(($(sg_stat accel_challenges) - c0))
	win=$(awk -v n="$((w1 - w0))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
	lab_log "$name: $sent SYNs in ${secs}s from 2 CPUs; $total SYN+ACKs landed (bound" \
		"$burst + $rate/s x ${span}s), $win/s in the window (limit $rate/s);" \
		"program: $answered answered, $held held back"
	lab_num "$total" "<=" "$(awk -v b="$burst" -v r="$rate" -v s="$span" 'BEGIN { printf "%d", b + r * s }')" ||
		fail "$name: $total SYN+ACKs in ${span}s: above $burst + $rate/s"
	# Every SYN+ACK that landed is the program's (none from elsewhere), and
	# (nearly) every one it sent landed: a few may be lost on the way back
	# in a receive backlog the floods keep busy.
	lab_num "$total" "<=" "$answered" || fail "$name: $total SYN+ACKs landed, the program sent $answered"
	lab_num "$total" ">=" "$((answered * 98 / 100))" ||
		fail "$name: the program answered $answered SYNs, only $total SYN+ACKs landed"
	lab_num "$win" "<=" "$((rate * 110 / 100))" || fail "$name: $win SYN+ACKs/s in the window, limit $rate/s"
	lab_num "$win" ">=" "$((rate * 80 / 100))" || fail "$name: only $win SYN+ACKs/s in the window, limit $rate/s"
	lab_num "$held" ">=" "$((sent / 2))" || fail "$name: the limit held back only $held of $sent SYNs"
	lab_num "$((answered + held))" ">=" "$((sent * 95 / 100))" ||
		fail "$name: of $sent SYNs the program answered $answered and held back $held"
}

phase total all_synacks "$TOTAL_RATE" "$TOTAL_BURST"
phase dest victim_synacks "$DEST_RATE" "$DEST_BURST" -s "$VICTIM"
[ "$(lab_server_count_spoofed 4)" = 0 ] || sg_die "spoofed SYNs reached the server"
[ "$(sg_stat accel_errors)" = 0 ] || sg_die "the program failed to build SYN+ACKs (or had no keys)"
sg_stop
echo "PASS: the fast path's anti-reflection limits across two CPUs"
