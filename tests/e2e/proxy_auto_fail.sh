# The full SYN proxy's hand-over decisions and its failure paths, IPv4 and
# IPv6, gateway mode, no flood.
# (f) A proxied service whose server refuses (nothing listens: RST) and one
#     whose server stays silent (its SYNs dropped in the server ns): the
#     client, whose handshake the proxy already completed, gets a RST
#     (tcpconnect: "Connection reset by peer") -- at once for the refusal,
#     after proxy_timeout (1 s; expiries are swept once a second, so 1-2 s)
#     for the silence -- and proxy_failed_refused / proxy_failed_timeout say
#     why.  A failed proxy attempt verifies nobody.
# (e) challenge = auto: the first connection of an unverified source is
#     proxied (proxy_started and proxy_completed +1, its conntrack entry
#     carries a sequence adjustment while it is open) and verifies the
#     source; the source's second connection goes straight to the server
#     (proxy_started unchanged, its conntrack entry has no seqadj).
# (g) A client port used again while the gateway still tracks the previous
#     connection on that 4-tuple (TIME_WAIT): proxied after proxied (1.5 s
#     later, when the daemon has forgotten the first, and at once, when it
#     still remembers its hand-over), direct after proxied and proxied after
#     direct all connect.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
for t in holdconns ctseqadj; do
	[ -x "$LAB_TOOLS/$t" ] || fail "$LAB_TOOLS/$t not built (make check builds it)"
done
lab_up
PORT=$LAB_PORT		# tcpserver: the greeting proves a connection works (g)
HPORT=8081		# holdconns: connections that stay open
RPORT=8082		# nothing listens: the server refuses
SPORT=8083		# the server ns drops SYNs: the server is silent
lab_server_start "$PORT"
ip netns exec "$LAB_S" "$LAB_TOOLS/holdconns" -l :: -p "$HPORT" -t 300 >"$LAB_TMP/holdsrv.out" 2>&1 &
lab_track_pid $!
lab_wait_until 5 _lab_listening "$HPORT" || fail "holdconns server did not listen on $HPORT"
for cmd in iptables ip6tables; do
	lab_exec "$LAB_S" "$cmd" -w -I INPUT -p tcp --syn --dport "$SPORT" -j DROP
done

conf=$(sg_conf gw "mode = always" "challenge = auto" "proxy_timeout = 1s" \
	"service = refuse4 $SERVER4:$RPORT challenge=proxy" \
	"service = refuse6 [$SERVER6]:$RPORT challenge=proxy" \
	"service = silent4 $SERVER4:$SPORT challenge=proxy" \
	"service = silent6 [$SERVER6]:$SPORT challenge=proxy")
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$HPORT,$RPORT,$SPORT" -P -c "$conf"
sg_start "$LAB_G" "$conf"
lab_at_exit sg_dump_proxy

stat_delta() {	# stat_delta NAME BEFORE
	echo $(($(sg_stat "$1") - $2))
}

# one_connect FAMILY PORT: one tcpconnect attempt; echoes "ELAPSED_MS ERROR"
# (ERROR "ok" on success), the elapsed time measured around the whole run.
one_connect() {
	local dst t0 t1 err
	dst=$(lab_addr server "$1")
	t0=${EPOCHREALTIME/,/.}
	err=$(lab_exec "$LAB_C" "$LAB_TOOLS/tcpconnect" -d "$dst" -p "$2" -n 1 -T 5000 2>&1 >/dev/null) || true
	t1=${EPOCHREALTIME/,/.}
	awk -v a="$t0" -v b="$t1" -v e="${err:-ok}" 'BEGIN { printf "%.0f %s\n", (b - a) * 1000, e }'
}

# --- (f) server refusing, server silent ---------------------------------------
for fam in 4 6; do
	client=$(lab_addr client "$fam")
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$client" >/dev/null 2>&1 || true

	refused0=$(sg_stat proxy_failed_refused)
	started0=$(sg_stat proxy_started)
	r=$(one_connect "$fam" "$RPORT")
	lab_log "(f) IPv$fam refusing server: ${r%% *} ms: ${r#* }"
	case ${r#* } in
	*"Connection reset by peer"*|*"Connection refused"*) ;;
	*) fail "(f) IPv$fam: refusing server: the client got no RST: ${r#* }" ;;
	esac
	lab_num "${r%% *}" "<" 900 || fail "(f) IPv$fam: the RST for a refusal took ${r%% *} ms"
	[ "$(stat_delta proxy_started "$started0")" = 1 ] ||
		fail "(f) IPv$fam: the refused connect was not proxied (proxy_started +$(stat_delta proxy_started "$started0"))"
	[ "$(stat_delta proxy_failed_refused "$refused0")" = 1 ] ||
		fail "(f) IPv$fam: proxy_failed_refused +$(stat_delta proxy_failed_refused "$refused0"), expected +1"

	timeout0=$(sg_stat proxy_failed_timeout)
	started0=$(sg_stat proxy_started)
	r=$(one_connect "$fam" "$SPORT")
	lab_log "(f) IPv$fam silent server: ${r%% *} ms: ${r#* }"
	case ${r#* } in
	*"Connection reset by peer"*|*"Connection refused"*) ;;
	*) fail "(f) IPv$fam: silent server: the client got no RST: ${r#* }" ;;
	esac
	# proxy_timeout = 1s; the daemon sweeps expiries once a second.
	lab_num "${r%% *}" ">=" 900 || fail "(f) IPv$fam: the RST came before proxy_timeout (${r%% *} ms)"
	lab_num "${r%% *}" "<=" 3000 || fail "(f) IPv$fam: the RST came ${r%% *} ms late"
	[ "$(stat_delta proxy_started "$started0")" = 1 ] ||
		fail "(f) IPv$fam: the silent-server connect was not proxied"
	[ "$(stat_delta proxy_failed_timeout "$timeout0")" = 1 ] ||
		fail "(f) IPv$fam: proxy_failed_timeout +$(stat_delta proxy_failed_timeout "$timeout0"), expected +1"
	# A failed attempt proves nothing: the source stays unverified.
	! "$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$client" >/dev/null 2>&1 ||
		fail "(f) IPv$fam: a failed proxy attempt verified the source"
done
[ "$(sg_stat proxy_completed)" = 0 ] || fail "(f) a failed attempt counted as completed"
[ "$(sg_stat verified_sources)" = 0 ] || fail "(f) sources verified by failed attempts"

# --- (e) auto: the first connection proxied, the second direct ---------------
# hold FAMILY NAME: one connection held open by holdconns in the background
# (its pid in HOLD_PID_NAME), returning once it is established.
hold() {
	local dst out
	dst=$(lab_addr server "$1")
	out=$LAB_TMP/hold.$2.out
	ip netns exec "$LAB_C" "$LAB_TOOLS/holdconns" -d "$dst" -p "$HPORT" -e 1 -t 60 >"$out" 2>&1 &
	lab_track_pid $!
	eval "HOLD_PID_$2=$!"
	lab_wait_until 6 grep -q '^ready' "$out" || { cat "$out" >&2; fail "(e) holdconns $2 not ready"; }
}

# Client ports of the established connections to HPORT, one a line.
client_ports() {
	lab_exec "$LAB_C" ss -Htn state established "( dport = :$HPORT )" |
		awk '{ n = split($3, a, ":"); print a[n] }' | sort -n
}

# seqadj FAMILY CPORT: ctseqadj's verdict for the connection, in the gateway.
seqadj() {
	lab_exec "$LAB_G" "$LAB_TOOLS/ctseqadj" -"$1" "$(lab_addr client "$1")" \
		"$(lab_addr server "$1")" "$2" "$HPORT" || true
}

seqadj_is() {	# seqadj_is FAMILY CPORT PATTERN
	case $(seqadj "$1" "$2") in $3) return 0 ;; esac
	return 1
}

server_has() {	# server_has CPORT: the server end of the connection is established
	lab_exec "$LAB_S" ss -Htn state established "( sport = :$HPORT and dport = :$1 )" | grep -q .
}

for fam in 4 6; do
	client=$(lab_addr client "$fam")
	started0=$(sg_stat proxy_started)
	completed0=$(sg_stat proxy_completed)
	verified0=$(sg_stat verified_sources)
	hold "$fam" first
	p1=$(client_ports)
	[ "$(echo "$p1" | wc -w)" = 1 ] || fail "(e) IPv$fam: expected one held connection, got ports '$p1'"
	lab_wait_until 3 server_has "$p1" || fail "(e) IPv$fam: the proxied connection never reached the server"
	lab_wait_until 3 seqadj_is "$fam" "$p1" "seqadj *" ||
		fail "(e) IPv$fam: first connection (port $p1) has no seqadj: $(seqadj "$fam" "$p1")"
	lab_log "(e) IPv$fam first connection, client port $p1: $(seqadj "$fam" "$p1")"
	[ "$(stat_delta proxy_started "$started0")" = 1 ] ||
		fail "(e) IPv$fam: proxy_started +$(stat_delta proxy_started "$started0"), expected +1"
	[ "$(stat_delta proxy_completed "$completed0")" = 1 ] ||
		fail "(e) IPv$fam: proxy_completed +$(stat_delta proxy_completed "$completed0"), expected +1"
	[ "$(stat_delta verified_sources "$verified0")" = 1 ] ||
		fail "(e) IPv$fam: verified_sources +$(stat_delta verified_sources "$verified0"), expected +1"

	hold "$fam" second
	p2=$(client_ports | grep -vx "$p1" || true)
	[ "$(echo "$p2" | wc -w)" = 1 ] || fail "(e) IPv$fam: expected one new connection, got ports '$p2'"
	lab_wait_until 3 server_has "$p2" || fail "(e) IPv$fam: the second connection never reached the server"
	lab_log "(e) IPv$fam second connection, client port $p2: $(seqadj "$fam" "$p2")"
	seqadj_is "$fam" "$p2" no-seqadj ||
		fail "(e) IPv$fam: the second connection (port $p2) is not a plain conntrack entry: $(seqadj "$fam" "$p2")"
	[ "$(stat_delta proxy_started "$started0")" = 1 ] ||
		fail "(e) IPv$fam: the second connection was proxied (proxy_started +$(stat_delta proxy_started "$started0"))"
	# The first one is still open and still translated.
	seqadj_is "$fam" "$p1" "seqadj *" || fail "(e) IPv$fam: the first connection lost its seqadj"
	for h in first second; do
		eval "pid=\$HOLD_PID_$h"
		lab_stop_pid "$pid"
	done
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$client" >/dev/null ||
		fail "(e) IPv$fam: the source was not verified"
done

# --- (g) a 4-tuple used again while the gateway still tracks its last use ------
# A client that keeps no TIME_WAIT (the server closed first) may use the same
# port again at once, and busy clients and NATs do; the gateway's conntrack
# still holds the previous connection's entry (TIME_WAIT 120 s, CLOSE 10 s).
# The proxy's SYN to the server is untracked, so the server's SYN+ACK meets
# that entry instead of being INVALID: the connection must work all the
# same, after a proxied and after a direct predecessor.  One client port
# forces the reuse; no TIME_WAIT on the client (it may close first: it closes
# as soon as the greeting arrived) keeps that port free.
lab_sysctl "$LAB_C" net.ipv4.ip_local_port_range="40000 40000" net.ipv4.tcp_max_tw_buckets=0
CPORT=40000
tw_entry() {	# tw_entry FAMILY: ctseqadj's verdict for the reused tuple
	lab_exec "$LAB_G" "$LAB_TOOLS/ctseqadj" -"$1" "$(lab_addr client "$1")" \
		"$(lab_addr server "$1")" "$CPORT" "$PORT" || true
}
reuse_connect() {	# reuse_connect FAMILY WHAT
	local r
	r=$(one_connect "$1" "$PORT")
	lab_log "(g) IPv$1 $2: ${r%% *} ms: ${r#* }; gateway entry now: $(tw_entry "$1")"
	[ "${r#* }" = ok ] || fail "(g) IPv$1: $2 on a reused 4-tuple failed: ${r#* }"
}
unverify() {	# unverify FAMILY: the client must have been verified
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$(lab_addr client "$1")" >/dev/null ||
		fail "(g) IPv$1: the client was not verified"
}
for fam in 4 6; do
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$(lab_addr client "$fam")" >/dev/null 2>&1 || true
	started0=$(sg_stat proxy_started)
	reuse_connect "$fam" "first connection (proxied)"
	case $(tw_entry "$fam") in "seqadj "*) ;; *) fail "(g) IPv$fam: no entry left by the proxied connection: $(tw_entry "$fam")" ;; esac
	# After proxy_timeout the daemon has forgotten the first connection;
	# only the gateway's conntrack entry is left.
	unverify "$fam"
	sleep 1.5
	reuse_connect "$fam" "proxied connection 1.5 s after a proxied one"
	# At once: the daemon still remembers the last one (its hand-over).
	unverify "$fam"
	reuse_connect "$fam" "proxied connection at once after a proxied one"
	reuse_connect "$fam" "direct connection after a proxied one"
	[ "$(tw_entry "$fam")" = no-seqadj ] || fail "(g) IPv$fam: the direct connection's entry: $(tw_entry "$fam")"
	unverify "$fam"
	reuse_connect "$fam" "proxied connection after a direct one"
	[ "$(stat_delta proxy_started "$started0")" = 4 ] ||
		fail "(g) IPv$fam: proxy_started +$(stat_delta proxy_started "$started0"), expected +4"
done

for s in proxy_failed_ct proxy_aborted proxy_evicted proxy_send_errors; do
	[ "$(sg_stat "$s")" = 0 ] || fail "$s = $(sg_stat "$s")"
done
sg_stop
echo "PASS: proxy auto hand-over and failure resets"
