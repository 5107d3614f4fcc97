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
	ip netns exec "$ns" env ${SG_ENV:-} "$SG_BIN/synguardd" -c "$conf" >>"$SG_LOG" 2>&1 &
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

# sg_connect_during_flood FAMILY PORT PPS COUNT TIMEOUT_MS: a flood at PPS
# (0 = full rate), COUNT client connects once it runs, the flood stopped;
# sets CONNECT_LINE and FLOOD_LINE (their summaries), and waits until the
# daemon folded the kernel fast path's counters (once a second).
sg_connect_during_flood() {
	lab_flood "$1" "$2" "${FLOOD_MAX_S:-60}" "$3"
	sleep 1
	CONNECT_LINE=$(lab_connect "$1" "$2" "$4" -T "$5")
	lab_flood_running || sg_die "IPv$1: the clients outlasted the flood; raise FLOOD_MAX_S"
	lab_flood_stop >"$LAB_TMP/flood.sum"	# main shell: it reaps the flood
	FLOOD_LINE=$(cat "$LAB_TMP/flood.sum")
	sleep 1.2
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
