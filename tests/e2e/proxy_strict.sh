# Strict clients through the full SYN proxy during a spoofed flood, IPv4 and
# IPv6, gateway mode, mode = always.  The client ns drops
# everything conntrack calls INVALID (as firewalld and ufw do); the proxy's
# cookie SYN+ACK is valid and reaches it.
# - challenge = proxy: N back-to-back connects per family, every one proxied.
# - challenge = auto: "first" connects, each from an unverified source
#   (synguardctl unverify before each: every one is proxied, and each
#   completed proxy verifies the source again), then N "later" connects of the
#   verified source, which go straight to the server (nothing proxied).
# - challenge = auth, the comparison: AUTH_N connects per family of the same
#   strict client, each from an unverified source.  About 1 s each when the
#   client's conntrack calls the wrong SYN+ACK INVALID (the retransmitted SYN
#   is let in by the fallback), ~15 ms when it does not and the client answers
#   with a RST.  Logged only.
# Each measurement runs under a flood of MOD_PPS that the daemon keeps up
# with.  Not at full rate: there the generator's core outruns the daemon's
# (ASan build: it answers 65-75 % of the SYNs), a client's SYN finds the
# queue full as a spoofed one does, and whether 100 connects finish within a
# bound is luck, not a property of the proxy (the kernel fast path is the
# answer to that).  The client retries its SYN every second
# (tcp_syn_linear_timeouts 30 instead of the kernel's 4 before exponential
# backoff): a SYN lost for a reason that is the machine's costs 1 s, not 7.
# Asserted: every connect succeeds (all modes), proxy and auto-first
# connects were proxied and auto-later ones were not, the flood ran at the
# rate asked; p99 connect time <= P99_MS.  tcpconnect's connect time
# runs from the SYN to the SYN+ACK (for a proxied connection, synguardd's
# cookie SYN+ACK); a connect only counts once the server's greeting arrived
# through the connection.  Over a thousand connects per family, the client
# uses some ports again while the gateway still tracks their last use.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
N=${N:-100}		# connects per family and mode
AUTH_N=${AUTH_N:-5}	# auth comparison: about 1 s each
MOD_PPS=${MOD_PPS:-$LAB_FLOOD_PPS}	# measured: the ASan daemon uses ~30-50 % of a core
# A connect whose SYN was lost takes its retransmission (1 s): a p99 under
# P99_MS proves none was, on a busy machine too.  The times themselves are
# figures (logged here; scripts/bench measures them), not a pass mark.
P99_MS=${P99_MS:-100}
FLOOD_MAX_S=${FLOOD_MAX_S:-60}	# bound of each flood; stopped when its clients are done
CT=5000			# per-connect timeout (nothing is lost at MOD_PPS)
lab_server_start "$PORT"
lab_sysctl "$LAB_C" net.ipv4.tcp_syn_linear_timeouts=30 net.ipv4.tcp_syn_retries=30
lab_exec "$LAB_C" iptables -w -A INPUT -m conntrack --ctstate INVALID -j DROP
lab_exec "$LAB_C" ip6tables -w -A INPUT -m conntrack --ctstate INVALID -j DROP

SUMMARY=$LAB_TMP/summary
: >"$SUMMARY"
record() {	# one result line, logged now and again at the end
	lab_log "$*"
	echo "$*" >>"$SUMMARY"
}

lab_at_exit sg_dump_proxy

start_daemon() {	# start_daemon CHALLENGE
	local conf
	conf=$(sg_conf "$1" "mode = always" "challenge = $1")
	sg_start "$LAB_G" "$conf"
}

# flood_begin FAMILY PPS: the flood, given a second to reach the daemon
# before the clients start.
flood_begin() {
	FLOOD_ANSWERED0=$(sg_stat challenges_sent)
	FLOOD_QDROP0=$(lab_queue_dropped "$LAB_G" 0)
	FLOOD_PDROP0=$(lab_queue_dropped "$LAB_G" 1)
	FLOOD_CPU0=$(sg_cpu_s)
	FLOOD_T0=${EPOCHREALTIME/,/.}
	lab_flood "$1" "$PORT" "$FLOOD_MAX_S" "$2"
	sleep 1
}

# flood_end LABEL: asserts the flood outlasted the measurement, stops it;
# FLOOD_DESC says how fast it was, how much of one core the daemon used
# while it ran, and what share of the flood's SYNs it answered
# (with a cookie SYN+ACK: the rest were lost in the full queue).
flood_end() {
	local t1 cpu1 sum sent answered qdrop pdrop
	lab_flood_running || fail "$1: the clients outlasted the flood; raise FLOOD_MAX_S"
	cpu1=$(sg_cpu_s)
	t1=${EPOCHREALTIME/,/.}
	lab_flood_stop >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
	sum=$(cat "$LAB_TMP/flood.sum")
	sent=$(lab_flood_field "$sum" sent)
	FLOOD_PPS=$(lab_flood_field "$sum" pps)
	sleep 0.2	# the queue drains
	answered=$(($(sg_stat challenges_sent) - FLOOD_ANSWERED0))
	qdrop=$(($(lab_queue_dropped "$LAB_G" 0) - FLOOD_QDROP0))
	pdrop=$(($(lab_queue_dropped "$LAB_G" 1) - FLOOD_PDROP0))
	FLOOD_CPU=$(awk -v c0="$FLOOD_CPU0" -v c1="$cpu1" -v t0="$FLOOD_T0" -v t1="$t1" \
		'BEGIN { printf "%.0f%%", (c1 - c0) / (t1 - t0) * 100 }')
	FLOOD_DESC="$FLOOD_PPS pps, daemon CPU $FLOOD_CPU, $(awk -v a="$answered" -v s="$sent" \
		'BEGIN { printf "%.0f", s ? a / s * 100 : 0 }')% of flood SYNs answered, queue drops: SYN $qdrop, priority $pdrop"
}

# first_connects FAMILY COUNT TIMEOUT_MS: COUNT single connects, each from an
# unverified source; echoes a tcpconnect-style summary plus unverified=K, the
# number of times the source had been verified (by the connect before).
first_connects() {
	local fam=$1 count=$2 ct=$3 client i t ms line ok=0 nfail=0 unv=0 times=$LAB_TMP/first.times
	client=$(lab_addr client "$fam")
	: >"$times"
	for i in $(seq "$count"); do
		! "$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$client" >/dev/null 2>&1 || unv=$((unv + 1))
		t=${EPOCHREALTIME/,/.}
		line=$(lab_connect "$fam" "$PORT" 1 -T "$ct")
		if [ "$(lab_field "$line" ok)" = 1 ]; then
			ok=$((ok + 1))
			ms=$(lab_field "$line" p50_ms)
			echo "$ms" >>"$times"
			! lab_num "$ms" ">" "$P99_MS" ||
				printf '  slow connect #%d at %(%T)T.%s: %s ms\n' "$i" "${t%.*}" "${t#*.}" "$ms" >&2
		else
			nfail=$((nfail + 1))
		fi
	done
	# Nearest-rank percentiles, as tcpconnect computes them.
	sort -g "$times" | awk -v n="$count" -v ok="$ok" -v f="$nfail" -v u="$unv" '
		{ v[NR] = $1 }
		function pct(p,  r) { r = int((p * NR + 99) / 100); if (r < 1) r = 1; return v[r] }
		END {
			if (NR) printf "tcpconnect: n=%d ok=%d fail=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f unverified=%d\n",
				n, ok, f, pct(50), pct(99), v[NR], u
			else printf "tcpconnect: n=%d ok=0 fail=%d p50_ms=nan p99_ms=nan max_ms=nan unverified=%d\n", n, f, u
		}'
}

all_ok() {	# all_ok LABEL LINE COUNT
	[ "$(lab_field "$2" fail)" = 0 ] && [ "$(lab_field "$2" ok)" = "$3" ] ||
		fail "$1: not every strict-client connect succeeded: $2"
}

p99_ok() {	# p99_ok LABEL LINE
	lab_num "$(lab_field "$2" p99_ms)" "<=" "$P99_MS" ||
		fail "$1: p99 connect time over $P99_MS ms ($FLOOD_DESC): $2"
}

conf=$(sg_conf rules "mode = always" "challenge = proxy")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -P -c "$conf"

# --- challenge = proxy ------------------------------------------------------------
start_daemon proxy
for fam in 4 6; do
	label="proxy IPv$fam flood $MOD_PPS"
	completed0=$(sg_stat proxy_completed)
	flood_begin "$fam" "$MOD_PPS"
	line=$(lab_connect "$fam" "$PORT" "$N" -T "$CT")
	flood_end "$label"
	record "$label ($FLOOD_DESC): $line"
	all_ok "$label" "$line" "$N"
	completed=$(($(sg_stat proxy_completed) - completed0))
	lab_num "$completed" ">=" "$N" || fail "$label: only $completed connects were proxied"
	p99_ok "$label" "$line"
	lab_num "$FLOOD_PPS" ">=" $((MOD_PPS * 9 / 10)) ||
		fail "$label: the flood only reached $FLOOD_PPS pps (asked $MOD_PPS)"
done
[ "$(sg_stat verified_sources)" = 0 ] || fail "challenge = proxy verified a source"
[ "$(sg_stat cookies_valid)" = 0 ] || fail "challenge = proxy sent SYN-authentication cookies"
sg_stop

# --- challenge = auto -------------------------------------------------------------
start_daemon auto
for fam in 4 6; do
	label="auto IPv$fam flood $MOD_PPS"
	completed0=$(sg_stat proxy_completed)
	flood_begin "$fam" "$MOD_PPS"
	first=$(first_connects "$fam" "$N" "$CT")
	completed=$(($(sg_stat proxy_completed) - completed0))
	started1=$(sg_stat proxy_started)
	later=$(lab_connect "$fam" "$PORT" "$N" -T "$CT")
	flood_end "$label"
	record "$label ($FLOOD_DESC): first (proxied) $first"
	record "$label ($FLOOD_DESC): later (direct) $later"
	all_ok "$label first" "$first" "$N"
	all_ok "$label later" "$later" "$N"
	lab_num "$completed" ">=" "$N" || fail "$label: only $completed first connects were proxied"
	# Every proxied connect verified the source (the next unverify found it).
	lab_num "$(lab_field "$first" unverified)" ">=" "$((N - 1))" ||
		fail "$label: completed proxies did not verify the source: $first"
	[ "$(sg_stat proxy_started)" = "$started1" ] ||
		fail "$label: a verified source's connect was proxied (proxy_started $started1 -> $(sg_stat proxy_started))"
	p99_ok "$label first" "$first"
	p99_ok "$label later" "$later"
done
sg_stop

# --- challenge = auth, the comparison ------------------------------------------------
start_daemon auth
for fam in 4 6; do
	label="auth IPv$fam flood $MOD_PPS"
	flood_begin "$fam" "$MOD_PPS"
	line=$(first_connects "$fam" "$AUTH_N" "$CT")
	flood_end "$label"
	record "$label ($FLOOD_DESC): $line"
	all_ok "$label" "$line" "$AUTH_N"
done
record "auth: cookies_valid $(sg_stat cookies_valid) (client RSTs), retransmit_accepted $(sg_stat retransmit_accepted) (SYN retransmissions)"
sg_stop

lab_log "summary (connect times in ms; N=$N, AUTH_N=$AUTH_N, p99 bound $P99_MS ms at $MOD_PPS pps):"
sed 's/^/    /' "$SUMMARY" >&2
echo "PASS: strict clients through the proxy (proxy, auto) under flood"
