# daemon.sh — run synguardd inside a lab namespace (sourced after lib.sh).
# The daemon, its rules helper and its CLI are the installed-to-be binaries
# from the build tree; the rules come from conf/ through scripts/synguard-rules,
# exactly as the README tells operators to apply them.

: "${SG_BIN:=$top_builddir/src}"
SG_RULES="$top_srcdir/scripts/synguard-rules"
export SYNGUARDD="$SG_BIN/synguardd"	# the rules helper creates the fast-path sets with it
SG_PID=""

# sg_conf NAME [key=value ...]: write $LAB_TMP/NAME.conf with a per-lab socket.
sg_conf() {
	local name=$1 f
	shift
	f=$LAB_TMP/$name.conf
	{
		echo "# written by $(basename "$0")"
		echo "socket = $LAB_TMP/$name.sock"
		# Never the machine's own state file: tests must not leak into each other.
		case " $* " in *" state_file ="*|*" state_file="*) ;; *) echo "state_file = $LAB_TMP/$name.state" ;; esac
		for kv in "$@"; do echo "$kv"; done
	} >"$f"
	"$SG_BIN/synguardd" -t -c "$f" >/dev/null || fail "config $f rejected"
	echo "$f"
}

# sg_start NS CONF: start synguardd in NS, wait until its socket answers.
sg_start() {
	local ns=$1 conf=$2 sock
	sock=$(sed -n 's/^socket = //p' "$conf")
	SG_SOCK=$sock
	SG_LOG=$LAB_TMP/synguardd.$(basename "$conf" .conf).log
	# ip netns exec and env exec the daemon: $! is synguardd itself (a
	# shell function in the background would put a subshell in between).
	# shellcheck disable=SC2086 # SG_ENV holds VAR=value words for env
	# SG_WRAP: words that exec it with other credentials (setpriv).
	ip netns exec "$ns" ${SG_WRAP[@]+"${SG_WRAP[@]}"} env ${SG_ENV:-} "$SG_BIN/synguardd" -c "$conf" \
		>>"$SG_LOG" 2>&1 &
	SG_PID=$!
	lab_track_pid "$SG_PID"
	lab_wait_until 5 sg_ctl ping || { cat "$SG_LOG" >&2; fail "synguardd did not come up"; }
	lab_log "synguardd pid $SG_PID up in $ns (socket $sock)"
}

sg_ctl() {
	"$SG_BIN/synguardctl" -s "$SG_SOCK" "$@" >/dev/null 2>&1
}

# sg_stat NAME: one counter from the running daemon.
sg_stat() {
	local v
	v=$("$SG_BIN/synguardctl" -s "$SG_SOCK" stats | awk -v k="$1" '$1 == k { print $2 }')
	[ -n "$v" ] || fail "no stat '$1'"
	echo "$v"
}

# CPU seconds (user + system) the daemon has used so far.
sg_cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$SG_PID/stat"
}

# sg_stop: SIGTERM, expect a clean exit 0 within 5 s.
sg_stop() {
	local rc=0
	[ -n "$SG_PID" ] || return 0
	kill -TERM "$SG_PID"
	lab_wait_until 5 sg_gone || fail "synguardd did not stop on SIGTERM"
	wait "$SG_PID" || rc=$?
	lab_untrack_pid "$SG_PID"
	SG_PID=""
	[ "$rc" -eq 0 ] || { cat "$SG_LOG" >&2; fail "synguardd exited with status $rc"; }
}

sg_gone() {
	! kill -0 "$SG_PID" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$SG_PID/stat" 2>/dev/null)" = Z ]
}

# sg_rules NS ACTION ARGS...: the shipped helper, inside NS.
sg_rules() {
	local ns=$1
	shift
	lab_exec "$ns" "$SG_RULES" "$@"
}

# sg_svc_stat SERVICE NAME: one per-service figure, the line
# svc_NAME{service="SERVICE"} VALUE of the stats reply (e.g. sg_svc_stat web attack).
sg_svc_stat() {
	local v
	v=$("$SG_BIN/synguardctl" -s "$SG_SOCK" stats |
		awk -v k="svc_$2{service=\"$1\"}" '$1 == k { print $2 }')
	[ -n "$v" ] || fail "no stat svc_$2 for service '$1'"
	echo "$v"
}

# sg_dump: what the daemon said and counted (for failure messages).
sg_dump() {
	lab_log "daemon log:"
	sed 's/^/    /' "$SG_LOG" >&2
	lab_log "stats:"
	"$SG_BIN/synguardctl" -s "$SG_SOCK" stats 2>&1 | sed 's/^/    /' >&2 || true
}

# sg_die MESSAGE: fail after dumping the daemon's log and stats.
sg_die() {
	sg_dump
	fail "$@"
}

# lab_now_s: wall time in seconds with microseconds; lab_elapsed A B: B - A.
lab_now_s() { echo "${EPOCHREALTIME/,/.}"; }
lab_elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# sg_dump_proxy: for lab_at_exit in the proxy tests: if a daemon still runs
# (the test failed), its proxy and verification counters, then the gateway's
# queues (num portid waiting mode range dropped user_dropped id 1) and links.
sg_dump_proxy() {
	[ -n "${SG_PID:-}" ] || return 0
	"$SG_BIN/synguardctl" -s "$SG_SOCK" stats |
		grep -E '^(proxy|verified_sources|cookies|challenges|retransmit|syn_verified)' >&2 || true
	lab_log "gateway queues and links:"
	lab_exec "$LAB_G" sh -c 'sed "s/^/    /" /proc/net/netfilter/nfnetlink_queue; ip -s link' >&2 || true
}

# sg_kill9: kill -9 the running daemon (nothing of its own cleanup runs) and
# reap it.
sg_kill9() {
	kill -KILL "$SG_PID"
	wait "$SG_PID" 2>/dev/null || true
	lab_untrack_pid "$SG_PID"
	SG_PID=""
}

# sg_connect_during_flood FAMILY PORT PPS COUNT TIMEOUT_MS [synflood args]:
# a flood at PPS (0 = full rate), COUNT client connects once it runs, the
# flood stopped; sets CONNECT_LINE and FLOOD_LINE (their summaries), and
# waits until the daemon folded the kernel fast path's counters (once a
# second).
sg_connect_during_flood() {
	local fam=$1 port=$2 pps=$3 n=$4 ms=$5
	shift 5
	lab_flood "$fam" "$port" "${FLOOD_MAX_S:-60}" "$pps" "$@"
	sleep 1
	CONNECT_LINE=$(lab_connect "$fam" "$port" "$n" -T "$ms")
	lab_flood_running || sg_die "IPv$fam: the clients outlasted the flood; raise FLOOD_MAX_S"
	lab_flood_stop >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
	FLOOD_LINE=$(cat "$LAB_TMP/flood.sum")
	sleep 1.2
}

# sg_accel_start MODE IFACE...: synguardd on the gateway (mode = always, the
# gateway rules for $PORT) with the kernel fast path in accel_mode MODE on
# the interfaces given; waits until it says it attached in MODE to the
# client and attacker sides.  Sets ACCEL_CONF (its config file).
sg_accel_start() {
	local mode=$1 ifs
	shift
	ifs="$*"
	ACCEL_CONF=$(sg_conf accel "mode = always" "accel_interfaces = $ifs" "accel_mode = $mode" \
		"accel_object = $top_builddir/src/bpf/synguard.bpf.o" "accel_ports = $PORT" \
		${SG_ACCEL_EXTRA[@]+"${SG_ACCEL_EXTRA[@]}"})
	sg_rules "$LAB_G" apply -m gateway -p "$PORT" -c "$ACCEL_CONF"
	sg_start "$LAB_G" "$ACCEL_CONF"
	sg_wait_log "kernel fast path on $IF_GC \($mode\)" 5 >/dev/null
	sg_wait_log "kernel fast path on $IF_GA \($mode\)" 5 >/dev/null
}

# sg_accel_answers_client: a client whose SYNs carry full checksums
# (transmit offload off), so the fast path answers them itself: it connects,
# the program answered it and its RST verified it in the daemon.
sg_accel_answers_client() {
	local ch0 valid0 dvalid0 line
	lab_exec "$LAB_C" ethtool -K "$IF_C" tx off >/dev/null
	ch0=$(sg_stat accel_challenges)
	valid0=$(sg_stat accel_rst_valid) dvalid0=$(sg_stat cookies_valid)
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null 2>&1 || true
	line=$(lab_connect 4 "$PORT" 5 -T 5000)
	connects_ok "$line" "client with full checksums"
	sleep 1.2
	lab_num "$(( $(sg_stat accel_challenges) - ch0 ))" ">=" 1 ||
		sg_die "the program did not answer the client's first SYN"
	# Its RST echoes the cookie: checked in the kernel, the source verified
	# there and handed to the daemon (its table, the set, the state file).
	lab_num "$(( $(sg_stat accel_rst_valid) - valid0 ))" ">=" 1 ||
		sg_die "the program did not verify the client's RST"
	[ "$(sg_stat cookies_valid)" = "$dvalid0" ] || sg_die "the client's RST reached the daemon"
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null ||
		sg_die "the daemon did not learn the source the program verified"
}

# sg_accel_flood FAMILY PORT: the kernel fast path on a gateway under a
# full-rate spoofed flood with 50 client connects during it.  Asserts what
# it promises on any machine: every client connects, the flood ran at
# >= 100 kpps, the program answered or held back (SYN+ACK limits) every SYN
# it saw and saw >= 70 % of the flood (the rest is lost before it, in the
# receiving device's backlog), <= 1000 SYNs reached the daemon, the queue dropped none, no
# spoofed SYN reached the server.  Sets ACCEL_SENT (the flood's SYNs),
# ACCEL_ANSWERED (the program's SYN+ACKs) and ACCEL_RECEIVED (SYN+ACKs that
# reached the attacker ns).
sg_accel_flood() {
	local fam=$1 port=$2 qdrop0 syn0 ch0 lim0 spoof0 rx0 seen0 seen limited queued qdrop spoof line flood
	qdrop0=$(lab_queue_dropped "$LAB_G" 0)
	seen0=$(sg_stat accel_syn)
	syn0=$(sg_stat syn)
	ch0=$(sg_stat accel_challenges)
	lim0=$(sg_stat accel_limited)
	spoof0=$(lab_server_count_spoofed "$fam")
	rx0=$(lab_attacker_received "$fam")
	sg_connect_during_flood "$fam" "$port" 0 50 5000
	line=$CONNECT_LINE flood=$FLOOD_LINE
	ACCEL_SENT=$(lab_flood_field "$flood" sent)
	ACCEL_ANSWERED=$(( $(sg_stat accel_challenges) - ch0 ))
	ACCEL_RECEIVED=$(( $(lab_attacker_received "$fam") - rx0 ))
	limited=$(( $(sg_stat accel_limited) - lim0 ))
	seen=$(( $(sg_stat accel_syn) - seen0 ))
	queued=$(( $(sg_stat syn) - syn0 ))
	qdrop=$(( $(lab_queue_dropped "$LAB_G" 0) - qdrop0 ))
	spoof=$(( $(lab_server_count_spoofed "$fam") - spoof0 ))
	lab_log "IPv$fam: $flood; the program saw $seen SYNs, answered $ACCEL_ANSWERED, held back $limited (SYN+ACK" \
		"limits), $ACCEL_RECEIVED SYN+ACKs reached the attacker; $queued SYNs reached the" \
		"daemon, queue drops $qdrop; client $line"
	connects_ok "$line" "IPv$fam client during a full-rate flood"
	lab_num "$(lab_flood_field "$flood" pps)" ">=" 100000 || sg_die "IPv$fam: not a full-rate flood: $flood"
	# Every SYN the program saw is answered or held back (a few of the
	# clients' own aside); some of the flood is lost before it, in the
	# receiving device's backlog, the more the faster the generator runs
	# (86-99 % reached it here at 400-550 kpps): the lab's limit, not the
	# defence's.
	lab_num "$((ACCEL_ANSWERED + limited))" ">=" "$((seen - 100))" ||
		sg_die "IPv$fam: the program handled $((ACCEL_ANSWERED + limited)) of the $seen SYNs it saw"
	lab_num "$seen" ">=" "$((ACCEL_SENT * 70 / 100))" ||
		sg_die "IPv$fam: only $seen of $ACCEL_SENT spoofed SYNs reached the program"
	lab_num "$queued" "<=" 1000 || sg_die "IPv$fam: $queued SYNs reached the daemon"
	[ "$qdrop" = 0 ] || sg_die "IPv$fam: the SYN queue dropped $qdrop packets"
	[ "$spoof" = 0 ] || sg_die "IPv$fam: $spoof spoofed SYNs reached the server"
}

# connects_ok LINE WHAT: fails the test (with the daemon's log and stats)
# unless every connect of a tcpconnect summary LINE succeeded.
connects_ok() {
	[ "$(lab_field "$1" fail)" = 0 ] || sg_die "$2: connects failed: $1"
}

# sg_wait_log ERE SECS: poll the daemon log every 20 ms for an extended
# regular expression; echoes the time it was first seen, dies after SECS.
sg_wait_log() {
	local i
	for i in $(seq "$(($2 * 50))"); do
		if grep -Eq "$1" "$SG_LOG"; then
			lab_now_s
			return 0
		fi
		sleep 0.02
	done
	sg_die "no '$1' in the daemon log within $2 s"
}

# sg_rss_kb: the running daemon's resident set (VmRSS, kB).
sg_rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$SG_PID/status"
}
