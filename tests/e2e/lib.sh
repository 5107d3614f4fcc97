# lib.sh — network namespace lab for synguard's end-to-end tests (sourced by bash).
#
#   client ns (LAB_C) ──┐
#                        ├── gateway ns (LAB_G) ── server ns (LAB_S, tcpserver)
#   attacker ns (LAB_A) ─┘
#
# Only documentation ranges inside namespaces this file creates; spoofed sources
# from 198.18.0.0/15 and 2001:db8:ff00::/40, silenced in the attacker ns. The root
# namespace is never touched (veths are created inside the namespaces). Teardown
# runs from an EXIT trap, also after failures and signals.
#
# Usage: set -eu; . "$top_srcdir/tests/e2e/lib.sh"; lab_require_root; lab_up; ...
# Functions that echo a value are meant for line=$(f ...); keep such assignments
# out of `local x=$(...)`, which would hide a failure from set -e. Functions that
# start processes (lab_up, lab_server_start, lab_flood) must run in the main shell.
# lab_up installs the EXIT trap (chained after any existing one): do not set
# an EXIT trap after lab_up, register extra cleanup with lab_at_exit instead.
# Background processes of your own: start them as `ip netns exec NS tool &`
# (not through a shell function, so $! is the tool) and lab_track_pid $!.

export PATH="$PATH:/usr/sbin:/sbin"

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${LAB_TOOLS:=$top_builddir/tests/tools}"
# The unprotected server: no syncookies, and a SYN queue bounded by the listen
# backlog (it holds backlog+1 requests). tcp_max_syn_backlog must stay above
# 4/3 of the backlog: once the queue holds 3/4 of tcp_max_syn_backlog, the
# kernel (tcp_conn_request) drops SYNs of peers not "proven" by tcp_metrics
# before the queue-full check. Those drops count only as ListenDrops, never as
# TCPReqQFullDrop, and a client that connected once before the flood is then
# immune to it (measured: 30/30 connects at once under a 200 kpps flood with
# backlog 128 and tcp_max_syn_backlog 128). tcp_no_metrics_save=1 removes that
# history dependence for any backlog.
: "${LAB_SERVER_SYNCOOKIES:=0}"
: "${LAB_SERVER_MAX_SYN_BACKLOG:=256}"
: "${LAB_SERVER_BACKLOG:=128}"
: "${LAB_PORT:=8080}"

LAB_PIDS=""
LAB_NSS=""
LAB_AT_EXIT=()
LAB_UP=""

lab_log() {
	local t=${EPOCHREALTIME/,/.}
	local us=${t#*.}
	printf '%(%H:%M:%S)T.%s %s\n' "${t%.*}" "${us:0:3}" "$*" >&2
}

fail() {
	lab_log "FAIL: $*"
	exit 1
}

# Skip (77) without root or tools; in CI a skip would hide an untested change,
# so there it is a failure.
lab_require_root() {
	local why="" c
	[ "$(id -u)" -eq 0 ] || why="not root"
	for c in ip iptables ip6tables ss sysctl awk; do
		command -v "$c" >/dev/null 2>&1 || why="${why:+$why; }missing command $c"
	done
	[ -n "$why" ] || return 0
	if [ "${CI:-}" = true ]; then
		echo "FAIL: cannot run namespace test: $why (CI=true turns this skip into a failure)" >&2
		exit 1
	fi
	echo "SKIP: cannot run namespace test: $why" >&2
	exit 77
}

lab_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

lab_sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

lab_track_pid() {
	LAB_PIDS="$LAB_PIDS $1"
}

lab_untrack_pid() {
	local p keep=""
	for p in $LAB_PIDS; do
		[ "$p" = "$1" ] || keep="$keep $p"
	done
	LAB_PIDS=$keep
}

# True if PID is still a child of the lab's shell: a pid reaped elsewhere
# (e.g. in a command substitution) may have been reused by a stranger.
_lab_is_our_child() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	[ "$2" = "${LAB_MAIN_PID:-$$}" ]
}

# Stops one process we started: TERM, up to 2 s of grace, then KILL; reaps it.
lab_stop_pid() {
	local pid=$1 i
	if _lab_is_our_child "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 20); do
			_lab_alive "$pid" || break
			sleep 0.1
		done
		! _lab_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	lab_untrack_pid "$pid"
}

# Polls a command every 0.1 s for at most SECONDS; status of the last try.
lab_wait_until() {
	local secs=$1 i
	shift
	for i in $(seq "$((secs * 10))"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# lab_at_exit CMD...: run CMD (e.g. a log dump) at exit, before the teardown.
lab_at_exit() {
	LAB_AT_EXIT+=("$(printf '%q ' "$@")")
}

_lab_exit() {
	local i
	# A forked child can run this trap in the instant before it execs; only
	# the shell that built the lab may tear it down.
	[ "${BASHPID:-$$}" = "${LAB_MAIN_PID:-}" ] || return 0
	for ((i = ${#LAB_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${LAB_AT_EXIT[i]}" || true
	done
	LAB_AT_EXIT=()
	lab_down
	eval "${LAB_PREV_EXIT_TRAP:-}"
}

_lab_install_traps() {
	local sig
	eval "set -- $(trap -p EXIT)"
	LAB_PREV_EXIT_TRAP=${3:-}
	case $LAB_PREV_EXIT_TRAP in *_lab_exit*) LAB_PREV_EXIT_TRAP="" ;; esac
	LAB_MAIN_PID=$BASHPID
	trap _lab_exit EXIT
	# Turn fatal signals into a normal exit so the EXIT trap runs.
	for sig in INT TERM HUP; do
		[ -n "$(trap -p "$sig")" ] ||
			trap "lab_log 'interrupted by SIG$sig'; exit $((128 + $(kill -l "$sig")))" "$sig"
	done
}

lab_down() {
	local p ns
	[ -n "${LAB_UP:-}${LAB_NSS:-}${LAB_PIDS:-}" ] || return 0
	for p in $LAB_PIDS; do
		! _lab_is_our_child "$p" || kill -TERM "$p" 2>/dev/null || true
	done
	for p in $LAB_PIDS; do
		lab_stop_pid "$p"
	done
	# Anything still running inside our namespaces was started by this test
	# (untracked helpers): end it by pid so the namespaces can really go.
	for ns in $LAB_NSS; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
	done
	for ns in $LAB_NSS; do
		ip netns del "$ns" 2>/dev/null || lab_log "warning: could not delete netns $ns"
	done
	LAB_NSS=""
	if [ -n "${LAB_TMP:-}" ] && [ -d "$LAB_TMP" ]; then
		if [ -n "${LAB_KEEP_TMP:-}" ]; then
			lab_log "keeping $LAB_TMP"
		else
			rm -rf "$LAB_TMP"
		fi
	fi
	LAB_TMP=""
	LAB_UP=""
}

# Namespaces of lab runs that were SIGKILLed (their shell is gone, nothing runs
# inside any more) are deleted; anything still in use is left alone.
_lab_gc_stale() {
	local ns owner
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ $ns =~ ^sg([0-9]+)-[0-9a-f]{4}-[cags]$ ]] || continue
		owner=${BASH_REMATCH[1]}
		[ ! -d "/proc/$owner" ] && [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
		lab_log "deleting stale namespace $ns (its test, pid $owner, is gone)"
		ip netns del "$ns" 2>/dev/null || true
	done
}

_lab_ns_add() {
	ip netns add "$1"
	LAB_NSS="$LAB_NSS $1"
	ip -n "$1" link set lo up
	# No duplicate address detection: IPv6 addresses are usable at once.
	lab_sysctl "$1" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# _lab_link NS_A IF_A ADDR4_A ADDR6_A NS_B IF_B ADDR4_B ADDR6_B (prefixes /24, /64)
_lab_link() {
	ip -n "$1" link add "$2" type veth peer name "$6" netns "$5"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" addr add "$4/64" dev "$2" nodad
	ip -n "$5" addr add "$7/24" dev "$6"
	ip -n "$5" addr add "$8/64" dev "$6" nodad
	ip -n "$1" link set "$2" up
	ip -n "$5" link set "$6" up
}

lab_up() {
	[ -z "${LAB_UP:-}" ] || fail "lab_up: lab already up"
	local t
	for t in synflood tcpconnect tcpserver; do
		[ -x "$LAB_TOOLS/$t" ] || fail "lab_up: $LAB_TOOLS/$t not built (make check builds it)"
	done
	_lab_install_traps
	LAB_UP=1
	_lab_gc_stale
	LAB_ID=sg$$-$(printf '%04x' "$RANDOM")
	LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_ID.XXXXXX")
	export LAB_ID LAB_TMP
	export LAB_C=$LAB_ID-c LAB_A=$LAB_ID-a LAB_G=$LAB_ID-g LAB_S=$LAB_ID-s
	export CLIENT4=192.0.2.2 GW_C4=192.0.2.1 CLIENT6=2001:db8:1::2 GW_C6=2001:db8:1::1
	export ATTACKER4=198.51.100.2 GW_A4=198.51.100.1 ATTACKER6=2001:db8:2::2 GW_A6=2001:db8:2::1
	export SERVER4=203.0.113.2 GW_S4=203.0.113.1 SERVER6=2001:db8:3::2 GW_S6=2001:db8:3::1
	export SPOOF4=198.18.0.0/15 SPOOF6=2001:db8:ff00::/40
	# Interface names, each inside its own namespace.
	export IF_C=c-gw IF_GC=gw-c IF_A=a-gw IF_GA=gw-a IF_S=s-gw IF_GS=gw-s

	lab_log "lab $LAB_ID: creating namespaces"
	for t in "$LAB_C" "$LAB_A" "$LAB_G" "$LAB_S"; do
		_lab_ns_add "$t"
	done
	_lab_link "$LAB_G" "$IF_GC" "$GW_C4" "$GW_C6" "$LAB_C" "$IF_C" "$CLIENT4" "$CLIENT6"
	_lab_link "$LAB_G" "$IF_GA" "$GW_A4" "$GW_A6" "$LAB_A" "$IF_A" "$ATTACKER4" "$ATTACKER6"
	_lab_link "$LAB_G" "$IF_GS" "$GW_S4" "$GW_S6" "$LAB_S" "$IF_S" "$SERVER4" "$SERVER6"

	lab_sysctl "$LAB_G" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$LAB_G" route add "$SPOOF4" via "$ATTACKER4"
	ip -n "$LAB_G" -6 route add "$SPOOF6" via "$ATTACKER6"
	ip -n "$LAB_C" route add default via "$GW_C4"
	ip -n "$LAB_C" -6 route add default via "$GW_C6"
	ip -n "$LAB_S" route add default via "$GW_S4"
	ip -n "$LAB_S" -6 route add default via "$GW_S6"
	ip -n "$LAB_A" route add default via "$GW_A4"
	ip -n "$LAB_A" -6 route add default via "$GW_A6"

	_lab_attacker_silence
	_lab_server_setup
	lab_log "lab $LAB_ID: up (tmp $LAB_TMP)"
}

# Spoofed hosts do not exist: what the server sends them must vanish in the
# attacker ns without any answer (no RST, no ICMP).
_lab_attacker_silence() {
	lab_sysctl "$LAB_A" net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
	lab_exec "$LAB_A" iptables -w -t raw -A PREROUTING -d "$SPOOF4" -j DROP
	lab_exec "$LAB_A" iptables -w -A INPUT -d "$SPOOF4" -j DROP
	lab_exec "$LAB_A" iptables -w -A FORWARD -j DROP
	lab_exec "$LAB_A" ip6tables -w -t raw -A PREROUTING -d "$SPOOF6" -j DROP
	lab_exec "$LAB_A" ip6tables -w -A INPUT -d "$SPOOF6" -j DROP
	lab_exec "$LAB_A" ip6tables -w -A FORWARD -j DROP
}

_lab_server_setup() {
	lab_sysctl "$LAB_S" net.ipv4.tcp_syncookies="$LAB_SERVER_SYNCOOKIES" \
		net.ipv4.tcp_max_syn_backlog="$LAB_SERVER_MAX_SYN_BACKLOG" \
		net.ipv4.tcp_no_metrics_save=1
	# Counter-only rules (no target, no conntrack): SYNs that reached the server.
	lab_exec "$LAB_S" iptables -w -A INPUT -p tcp --syn -s "$SPOOF4" -m comment --comment sg-spoofed
	lab_exec "$LAB_S" iptables -w -A INPUT -p tcp --syn -s "$CLIENT4" -m comment --comment sg-client
	lab_exec "$LAB_S" ip6tables -w -A INPUT -p tcp --syn -s "$SPOOF6" -m comment --comment sg-spoofed
	lab_exec "$LAB_S" ip6tables -w -A INPUT -p tcp --syn -s "$CLIENT6" -m comment --comment sg-client
}

# lab_addr ROLE FAMILY: address of client|server|attacker for family 4|6.
lab_addr() {
	case $1$2 in
	client4) echo "$CLIENT4" ;; client6) echo "$CLIENT6" ;;
	server4) echo "$SERVER4" ;; server6) echo "$SERVER6" ;;
	attacker4) echo "$ATTACKER4" ;; attacker6) echo "$ATTACKER6" ;;
	*) fail "lab_addr: bad role/family '$1' '$2'" ;;
	esac
}

_lab_listening() {
	lab_exec "$LAB_S" ss -Hltn "sport = :$1" | grep -q LISTEN
}

# lab_server_start [PORT] [BACKLOG]: dual-stack tcpserver on :: in the server ns.
lab_server_start() {
	local port=${1:-$LAB_PORT} backlog=${2:-$LAB_SERVER_BACKLOG} pid out
	out=$LAB_TMP/tcpserver.$port.out
	# Background jobs run `ip netns exec` itself (it execs the tool), never a
	# shell function, so that $! is the tool's own pid and signals reach it.
	ip netns exec "$LAB_S" "$LAB_TOOLS/tcpserver" -l :: -p "$port" -b "$backlog" >"$out" 2>&1 &
	pid=$!
	lab_track_pid "$pid"
	LAB_SERVER_PID=$pid
	lab_wait_until 5 _lab_listening "$port" || {
		cat "$out" >&2
		fail "tcpserver did not listen on port $port"
	}
	lab_log "tcpserver pid $pid listening on [::]:$port backlog $backlog"
}

# LAB_FLOOD_PPS: the rate of the floods under which a test asserts that every
# new client connects.  The slow path answers every SYN only while the daemon
# keeps up; past that the kernel queue overflows and drops SYNs, a client's
# as well as the flood's (the fast path is the answer to that).  Measured on a
# 2-core machine, sanitizer build: every SYN answered up to 100 kpps at ~70 %
# of a core (and ~115 kpps at saturation), so 40 kpps leaves 2.5x headroom
# for a slow or busy machine.  A full-rate flood (PPS 0) is only for what
# holds when the queue overflows: verified sources bypass it, spoofed SYNs
# never reach the server, the daemon stops in time.
: "${LAB_FLOOD_PPS:=40000}"

# lab_from_source ADDR: the client ns's IPv4 connects to the server leave
# from ADDR (a second address on its link, chosen by a host route's
# preferred source); lab_from_source "" goes back to the client's own.
lab_from_source() {
	if [ -z "$1" ]; then
		ip -n "$LAB_C" route del "$SERVER4/32" 2>/dev/null || true
		return 0
	fi
	ip -n "$LAB_C" addr show dev "$IF_C" | grep -q "inet $1/" ||
		ip -n "$LAB_C" addr add "$1/24" dev "$IF_C"
	ip -n "$LAB_C" route replace "$SERVER4/32" via "$GW_C4" src "$1"
}

# lab_queue_dropped NS NUM: packets NFQUEUE NUM in namespace NS lost in the
# kernel, because the queue was full (column 6) or the daemon's socket could
# not take them (user_dropped, column 7); 0 while no process is bound to it.
lab_queue_dropped() {
	# shellcheck disable=SC2016 # awk's fields, not the shell's
	lab_exec "$1" awk -v q="$2" '$1 == q { print $6 + $7; f = 1 } END { if (!f) print 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}

# lab_flood FAMILY PORT SECONDS [PPS [synflood args...]]: background flood from
# the attacker ns at the server (on CPU LAB_FLOOD_CPU if set). lab_flood_wait
# reaps it and echoes its summary.
lab_flood() {
	local family=$1 port=$2 secs=$3 pps=${4:-0} dst
	shift $(($# < 4 ? $# : 4))
	dst=$(lab_addr server "$family")
	LAB_FLOOD_N=$((${LAB_FLOOD_N:-0} + 1))
	LAB_FLOOD_OUT=$LAB_TMP/synflood.$LAB_FLOOD_N.out
	ip netns exec "$LAB_A" ${LAB_FLOOD_CPU:+taskset -c "$LAB_FLOOD_CPU"} \
		"$LAB_TOOLS/synflood" -d "$dst" -p "$port" -t "$secs" -r "$pps" "$@" >"$LAB_FLOOD_OUT" 2>&1 &
	LAB_FLOOD_PID=$!
	lab_track_pid "$LAB_FLOOD_PID"
	lab_log "flood pid $LAB_FLOOD_PID: IPv$family -> [$dst]:$port for ${secs}s at ${pps} pps (0 = max)"
}

# Usable as line=$(lab_flood_wait): a command substitution's subshell cannot
# wait(2) for its parent's child, so this polls for the summary line (printed
# only on success, at exit) and the process's end, then reaps if it can.
lab_flood_wait() {
	local pid=${LAB_FLOOD_PID:?lab_flood_wait without lab_flood} line="" i
	for i in $(seq 1300); do # synflood runs at most 120 s
		line=$(grep '^synflood: sent ' "$LAB_FLOOD_OUT" || true)
		[ -z "$line" ] && _lab_alive "$pid" || break
		sleep 0.1
	done
	[ -n "$line" ] || line=$(grep '^synflood: sent ' "$LAB_FLOOD_OUT" || true)
	wait "$pid" 2>/dev/null || true
	lab_untrack_pid "$pid"
	if [ -z "$line" ]; then
		cat "$LAB_FLOOD_OUT" >&2
		fail "synflood failed or did not finish (pid $pid)"
	fi
	echo "$line"
}

# True while PID runs (a zombie, dead but not reaped, does not count).
_lab_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# True while the last flood runs: were the measurements taken under flood?
# (synflood's stdout is a file, so its summary appears only when it ends.)
lab_flood_running() {
	[ -n "${LAB_FLOOD_PID:-}" ] && _lab_alive "$LAB_FLOOD_PID" &&
		! grep -q '^synflood: sent ' "$LAB_FLOOD_OUT"
}

# Ends the last flood early (synflood stops on SIGTERM and still prints its
# summary) and echoes the summary line.
lab_flood_stop() {
	! _lab_is_our_child "${LAB_FLOOD_PID:?lab_flood_stop without lab_flood}" ||
		kill -TERM "$LAB_FLOOD_PID" 2>/dev/null || true
	lab_flood_wait
}

# lab_flood_field LINE sent|seconds|pps|errors
lab_flood_field() {
	local re='^synflood: sent ([0-9]+) packets in ([0-9.]+) s \(([0-9]+) pps\), ([0-9]+) send errors$'
	[[ $1 =~ $re ]] || fail "not a synflood summary: '$1'"
	case $2 in
	sent) echo "${BASH_REMATCH[1]}" ;;
	seconds) echo "${BASH_REMATCH[2]}" ;;
	pps) echo "${BASH_REMATCH[3]}" ;;
	errors) echo "${BASH_REMATCH[4]}" ;;
	*) fail "lab_flood_field: unknown field '$2'" ;;
	esac
}

# lab_connect FAMILY PORT COUNT [tcpconnect args...]: echoes the summary line;
# failures per connection go to stderr (use -q to silence them).
lab_connect() {
	local family=$1 port=$2 count=$3 dst line rc=0
	shift 3
	dst=$(lab_addr server "$family")
	line=$(lab_exec "$LAB_C" "$LAB_TOOLS/tcpconnect" -d "$dst" -p "$port" -n "$count" "$@") || rc=$?
	case $rc:$line in
	[01]:"tcpconnect: n="*) echo "$line" ;;
	*) fail "tcpconnect failed (status $rc): $line" ;;
	esac
}

# lab_field LINE KEY: value of KEY=VALUE in a summary line (ok, fail, p99_ms ...).
lab_field() {
	local w words
	read -r -a words <<<"$1"
	for w in "${words[@]}"; do
		case $w in "$2="*) echo "${w#*=}"; return 0 ;; esac
	done
	fail "no field '$2' in '$1'"
}

# lab_num A OP B: numeric comparison (OP one of < <= > >= == !=) that fails
# the test on a non-number (e.g. p99_ms=nan when nothing connected).
lab_num() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		num = "^-?[0-9]+([.][0-9]+)?$"
		if (a !~ num || b !~ num) exit 2
		a += 0; b += 0
		if (op == "<") r = a < b; else if (op == "<=") r = a <= b
		else if (op == ">") r = a > b; else if (op == ">=") r = a >= b
		else if (op == "==") r = a == b; else if (op == "!=") r = a != b
		else exit 2
		exit !r }' || {
		[ $? -eq 1 ] && return 1
		fail "lab_num: cannot compare '$1' $2 '$3'"
	}
}

# ns_netstat NS FIELD: a counter of NS by its nstat name, e.g. TcpExtListenDrops,
# TcpExtTCPReqQFullDrop, TcpActiveOpens, Ip6InReceives.
ns_netstat() {
	local v
	v=$(lab_exec "$1" cat /proc/net/netstat /proc/net/snmp /proc/net/snmp6 | awk -v want="$2" '
		$1 !~ /:$/ { if ($1 == want) { print $2; exit } next }
		$1 == hdr {
			pfx = substr(hdr, 1, length(hdr) - 1)
			for (i = 2; i <= NF; i++) if (pfx name[i] == want) { print $i; exit }
			hdr = ""; next
		}
		{ hdr = $1; for (i = 2; i <= NF; i++) name[i] = $i }')
	[ -n "$v" ] || fail "ns_netstat: no counter '$2' in namespace $1"
	echo "$v"
}

_lab_counter() {
	local cmd=iptables v
	[ "$1" = 6 ] && cmd=ip6tables
	v=$(lab_exec "$LAB_S" "$cmd" -w -nvxL INPUT | awk -v tag="/* $2 */" 'index($0, tag) { print $1; exit }')
	[ -n "$v" ] || fail "no $2 counter rule for IPv$1 in the server ns"
	echo "$v"
}

# SYNs that reached the server's INPUT from the spoofed range / from the client.
lab_server_count_spoofed() {
	_lab_counter "$1" sg-spoofed
}

lab_server_count_client() {
	_lab_counter "$1" sg-client
}

# lab_attacker_received FAMILY: packets to the spoofed range that reached
# the attacker ns (and were dropped there, silent): the SYN+ACKs a flood got.
lab_attacker_received() {
	local cmd=iptables spoof=$SPOOF4 v
	[ "$1" = 6 ] && cmd=ip6tables spoof=$SPOOF6
	v=$(lab_exec "$LAB_A" "$cmd" -w -t raw -nvxL PREROUTING |
		awk -v d="$spoof" '$3 == "DROP" && index($0, d) { print $1; exit }')
	[ -n "$v" ] || fail "no drop rule for $spoof in the attacker ns"
	echo "$v"
}

# lab_attacker_count_synacks FAMILY: SYN+ACKs that arrived in the attacker ns
# for the spoofed range (whoever sent them: the server, a SYNPROXY, synguardd
# or its kernel fast path). The counter-only rule goes in front of the
# silencing DROP on the first call, which echoes 0.
lab_attacker_count_synacks() {
	local cmd=iptables spoof=$SPOOF4 rule v
	[ "$1" = 6 ] && cmd=ip6tables spoof=$SPOOF6
	rule=(-p tcp --tcp-flags SYN,ACK SYN,ACK -d "$spoof" -m comment --comment sg-synack)
	if ! lab_exec "$LAB_A" "$cmd" -w -t raw -C PREROUTING "${rule[@]}" 2>/dev/null; then
		lab_exec "$LAB_A" "$cmd" -w -t raw -I PREROUTING 1 "${rule[@]}"
		echo 0
		return 0
	fi
	v=$(lab_exec "$LAB_A" "$cmd" -w -t raw -nvxL PREROUTING |
		awk 'index($0, "/* sg-synack */") { print $1; exit }')
	[ -n "$v" ] || fail "no sg-synack counter rule for IPv$1 in the attacker ns"
	echo "$v"
}
