# Soak: SOAK_S seconds (180 here, in CI; scripts/soak runs 1 800) of mixed
# floods at the generator's full rate at a gateway whose synguardd runs
# the kernel fast path (generic XDP on both client-side interfaces), in
# segments of SEG_S seconds, IPv4 and IPv6 in turn:
#   - random-source segments of every kind in turn: SYN, ACK, RST, RST+ACK,
#     FIN+ACK, SYN+ACK (the ACKs and RSTs are guesses at cookies: random
#     sequence and acknowledgment numbers), SYNs with a bad checksum, SYNs
#     whose header runs past the segment, SYNs in two IP fragments;
#   - alongside, one fixed source's SYNs (FIXED_PPS): per-source limits;
#   - legit clients in every segment: a verified one (N connects: their
#     p50/p99 are the latency series), a new one (unverified just before:
#     challenged, its RST verifies it) and a strict one (new too, its ns
#     drops what conntrack calls INVALID: it gets in by retransmitting);
#   - a reload every RELOAD_S seconds, alternating two configs.
# Every SAMPLE: the daemon's RSS, open descriptors, the verified client's
# connect p50/p99, the daemon's CPU share, to $SOAK_OUT/soak.csv (scripts/soak
# plots it).  Asserted: every client connect succeeds and every reload is
# applied; after the warm-up (WARM_S) the RSS stays within 5 % of its first
# value and the descriptors stay what they were; no spoofed segment reaches
# the server; and, once the floods are over, the counters add up: every
# packet the kernel queued (its id_sequence, per queue) is one the daemon
# read (packets) or one whose message was lost (nfq_lost), each got one
# verdict (verdicts_accept + verdicts_drop), each is counted under exactly
# one reason (packets_by_reason), the reasons agree with the finer
# counters; and the fast path's SYN counts add up (every pure SYN it saw
# was answered, held back by a limit, or passed on for one reason).
# The daemon runs with a small ASan quarantine: freed memory (a reload's
# old config) sits in the default 256 MiB quarantine and would read as
# growth; a real leak still grows.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
SOAK_S=${SOAK_S:-180}
SEG_S=${SEG_S:-20}
RELOAD_S=${RELOAD_S:-60}
WARM_S=${WARM_S:-60}
FIXED_PPS=${FIXED_PPS:-5000}
N=${N:-50}
SOAK_OUT=${SOAK_OUT:-$LAB_TMP}
KINDS=syn,ack,rst,rstack,fin,synack,badsum,short,frag
FIXED4=198.18.7.7 FIXED6=2001:db8:ff00::7
mkdir -p "$SOAK_OUT"
CSV=$SOAK_OUT/soak.csv
lab_server_start "$PORT"
# Every TCP segment from the spoofed ranges the server's stack gets.
lab_exec "$LAB_S" iptables -w -t security -A INPUT -p tcp -s "$SPOOF4" -m comment --comment sg-any
lab_exec "$LAB_S" ip6tables -w -t security -A INPUT -p tcp -s "$SPOOF6" -m comment --comment sg-any
reached_server() {
	local n4 n6
	n4=$(lab_exec "$LAB_S" iptables -w -t security -nvxL INPUT | awk 'index($0, "/* sg-any */") { print $1; exit }')
	n6=$(lab_exec "$LAB_S" ip6tables -w -t security -nvxL INPUT | awk 'index($0, "/* sg-any */") { print $1; exit }')
	echo $((n4 + n6))
}
strict() {	# strict on|off: the client ns drops ctstate INVALID
	local op=-I
	[ "$1" = off ] && op=-D
	lab_exec "$LAB_C" iptables -w "$op" INPUT -m conntrack --ctstate INVALID -j DROP
	lab_exec "$LAB_C" ip6tables -w "$op" INPUT -m conntrack --ctstate INVALID -j DROP
}
unverify() {	# unverify FAMILY: the client's source is new again
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$(lab_addr client "$1")" >/dev/null 2>&1 || true
}
lab_sysctl "$LAB_C" net.ipv4.tcp_syn_linear_timeouts=30
SG_ENV=${SOAK_ENV:-ASAN_OPTIONS=quarantine_size_mb=16}
SG_ACCEL_EXTRA=("limit_syn_source = 2000/s burst 2000")
sg_accel_start xdp-generic "$IF_GC" "$IF_GA"
CONF_A=$ACCEL_CONF CONF_B=$LAB_TMP/accel-b.conf
sed 's|^limit_syn_source = .*|limit_syn_source = 3000/s burst 3000|' "$CONF_A" >"$CONF_B"
cp "$CONF_A" "$LAB_TMP/accel-a.conf"
"$SG_BIN/synguardd" -t -c "$CONF_B" >/dev/null || fail "config B rejected"
fds() { find "/proc/$SG_PID/fd" -mindepth 1 | wc -l; }
lab_connect 4 "$PORT" 1 -T 5000 >/dev/null	# verified from now on
lab_connect 6 "$PORT" 1 -T 5000 >/dev/null
echo "t_s,rss_kb,fds,p50_ms,p99_ms,cpu_pct,family,flood_pps,reloads" >"$CSV"
RELOAD_EVERY=$(( RELOAD_S / SEG_S > 0 ? RELOAD_S / SEG_S : 1 ))	# segments
t_start=$SECONDS reloads=0 seg=0 which=B spoof0=$(reached_server)
while ((SECONDS - t_start < SOAK_S)); do
	fam=$((seg % 2 == 0 ? 4 : 6))
	fixed=$FIXED4
	[ "$fam" = 6 ] && fixed=$FIXED6
	cpu0=$(sg_cpu_s) t0=$(lab_now_s) s0=$SECONDS
	lab_flood "$fam" "$PORT" "$((SEG_S + 30))" 0 -f "$KINDS"
	ip netns exec "$LAB_A" "$LAB_TOOLS/synflood" -d "$(lab_addr server "$fam")" -p "$PORT" \
		-s "$fixed/$((fam == 4 ? 32 : 128))" -t "$((SEG_S + 30))" -r "$FIXED_PPS" \
		>"$LAB_TMP/fixed.out" 2>&1 &
	fixed_pid=$!
	lab_track_pid "$fixed_pid"
	sleep 1
	ver=$(lab_connect "$fam" "$PORT" "$N" -T 5000)
	connects_ok "$ver" "segment $seg: verified IPv$fam client"
	# New clients may wait for a retransmission or two: at the
	# generator's full rate the gateway's receive backlog drops some of
	# everything, theirs too (the lab's limit, not the defence's).
	unverify "$fam"
	new=$(lab_connect "$fam" "$PORT" 1 -T 10000)
	connects_ok "$new" "segment $seg: new IPv$fam client"
	# Once the fast path's word that it verified the client (its RST) has
	# reached the daemon: unverified before that, it would be verified again.
	sleep 1
	unverify "$fam"
	strict on
	str=$(lab_connect "$fam" "$PORT" 1 -T 10000)
	strict off
	connects_ok "$str" "segment $seg: new strict IPv$fam client"
	if (((seg + 1) % RELOAD_EVERY == 0)); then
		cp "$LAB_TMP/accel-$(echo "$which" | tr AB ab).conf" "$CONF_A"
		out=$("$SG_BIN/synguardctl" -s "$SG_SOCK" reload 2>&1) ||
			sg_die "segment $seg: reload to config $which failed: $out"
		lab_log "reload to config $which: $out"
		reloads=$((reloads + 1))
		[ "$which" = B ] && which=A || which=B
	fi
	while ((SECONDS - s0 < SEG_S)); do sleep 0.5; done
	lab_flood_running || sg_die "segment $seg: the flood ended before its clients; raise its length"
	kill -TERM "$fixed_pid" 2>/dev/null || true
	wait "$fixed_pid" 2>/dev/null || true
	lab_untrack_pid "$fixed_pid"
	fl=$(lab_flood_stop)
	cpu=$(awk -v a="$cpu0" -v b="$(sg_cpu_s)" -v t0="$t0" -v t1="$(lab_now_s)" \
		'BEGIN { printf "%.0f", 100 * (b - a) / (t1 - t0) }')
	line="$((SECONDS - t_start)),$(sg_rss_kb),$(fds),$(lab_field "$ver" p50_ms),$(lab_field "$ver" p99_ms),$cpu,$fam,$(lab_flood_field "$fl" pps),$reloads"
	echo "$line" >>"$CSV"
	lab_log "segment $seg: $line; new $(lab_field "$new" p50_ms) ms, strict $(lab_field "$str" p50_ms) ms; $fl; $(cat "$LAB_TMP/fixed.out")"
	seg=$((seg + 1))
done
sleep 2	# the queue drained, the program's counters folded
[ "$reloads" = "$((seg / RELOAD_EVERY))" ] || sg_die "$reloads reloads in $seg segments"
spoof=$(($(reached_server) - spoof0))
[ "$spoof" = 0 ] || sg_die "$spoof spoofed segments reached the server"

# Flat after the warm-up: RSS within 5 % of the first sample's, descriptors equal.
awk -F, -v warm="$WARM_S" 'NR > 1 && $1 > warm {
		if (!n++) { r0 = $2; f0 = $3 }
		if ($2 > r0 * 1.05 || $2 < r0 * 0.95) { print "RSS " $2 " kB at " $1 " s, " r0 " kB after the warm-up"; bad = 1 }
		if ($3 != f0) { print $3 " descriptors at " $1 " s, " f0 " after the warm-up"; bad = 1 }
	}
	END { if (n < 2) { print "fewer than 2 samples after the warm-up"; bad = 1 } exit bad }' "$CSV" >"$LAB_TMP/flat" ||
	sg_die "not flat: $(tr '\n' ';' <"$LAB_TMP/flat")"

# The counters add up.
"$SG_BIN/synguardctl" -s "$SG_SOCK" stats >"$LAB_TMP/stats"
stat() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$LAB_TMP/stats"; }
reason() { awk -v k="packets_by_reason{reason=\"$1\"}" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$LAB_TMP/stats"; }
packets=$(stat packets) lost=$(stat nfq_lost)
reasons=$(awk '$1 ~ /^packets_by_reason\{/ { n += $2 } END { print n + 0 }' "$LAB_TMP/stats")
kernel=$(ip netns exec "$LAB_G" cat /proc/net/netfilter/nfnetlink_queue | awk '{ n += $8 } END { print n + 0 }')
verdicts=$(($(stat verdicts_accept) + $(stat verdicts_drop)))
lab_log "accounting: kernel queued $kernel, daemon read $packets, lost $lost, verdicts $verdicts," \
	"reasons $reasons; $(awk '$1 ~ /^packets_by_reason\{/ && $2 > 0 { printf "%s %s, ", substr($1, 26, length($1) - 27), $2 }' "$LAB_TMP/stats")"
[ "$kernel" = "$((packets + lost))" ] ||
	sg_die "the kernel queued $kernel packets, the daemon read $packets and lost $lost"
[ "$verdicts" = "$((packets + lost))" ] || sg_die "$verdicts verdicts for $packets packets and $lost lost"
[ "$reasons" = "$packets" ] || sg_die "$reasons packets counted by reason, $packets read"
syn_reasons=$(awk '$1 ~ /^packets_by_reason\{reason="syn_/ { n += $2 } END { print n + 0 }' "$LAB_TMP/stats")
[ "$syn_reasons" = "$(stat syn)" ] || sg_die "$syn_reasons SYNs by reason, syn $(stat syn)"
for pair in malformed:malformed bad_checksum:bad_checksum fragments:fragment \
	cookies_valid:rst_cookie_valid cookies_invalid:rst_cookie_invalid tcp_other:other \
	handshakes_completed:handshake_ack rst_other:rst_ack; do
	[ "$(stat "${pair%%:*}")" = "$(reason "${pair#*:}")" ] ||
		sg_die "${pair%%:*} $(stat "${pair%%:*}") != reason ${pair#*:} $(reason "${pair#*:}")"
done
# The fast path: every pure SYN it saw answered, held back or passed on.
asyn=$(stat accel_syn)
aout=0
for c in accel_challenges accel_limited accel_syn_verified accel_syn_passed accel_syn_allowed \
	accel_syn_denied accel_retransmits accel_errors accel_syn_options; do
	aout=$((aout + $(stat "$c")))
done
lab_log "fast path: saw $(stat accel_packets) packets, $asyn pure SYNs, accounted for $aout;" \
	"rst valid $(stat accel_rst_valid) invalid $(stat accel_rst_invalid) limited $(stat accel_rst_limited)," \
	"malformed $(stat accel_malformed), bad checksum $(stat accel_bad_checksum)"
[ "$aout" = "$asyn" ] || sg_die "the fast path saw $asyn pure SYNs and accounted for $aout"
lab_log "soak: $seg segments, $reloads reloads, $(($(wc -l <"$CSV") - 1)) samples in $CSV"
sg_stop
