# Connection-state census: real connections held through the gateway in
# known states (holdconns), conntrack's own view of them checked first, then
# `synguardctl census` must count exactly those per service and state.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
[ -x "$LAB_TOOLS/holdconns" ] || fail "$LAB_TOOLS/holdconns not built (make check builds it)"
lab_up
PORT=$LAB_PORT
OTHER_PORT=$((LAB_PORT + 1))
STATES="syn_sent syn_recv established fin_wait close_wait last_ack time_wait close"

# holdconns server: the first byte of each connection picks its fate.
hold_server() {
	ip netns exec "$LAB_S" "$LAB_TOOLS/holdconns" -l :: -p "$1" -t 300 >"$LAB_TMP/hold-srv.$1" 2>&1 &
	lab_track_pid $!
	lab_wait_until 5 _lab_listening "$1" || fail "holdconns did not listen on port $1"
}

# hold NAME ADDR PORT E W T: E established, W close_wait, T time_wait (as a
# gateway's conntrack sees them); waits for "ready".
hold() {
	local out=$LAB_TMP/hold.$1
	ip netns exec "$LAB_C" "$LAB_TOOLS/holdconns" -d "$2" -p "$3" -e "$4" -w "$5" -T "$6" -t 300 \
		>"$out" 2>&1 &
	lab_track_pid $!
	lab_wait_until 20 grep -qsx ready "$out" || { cat "$out" >&2; fail "holdconns $1 not ready"; }
	lab_log "holdconns $1: [$2]:$3 established=$4 close_wait=$5 time_wait=$6"
}

# 2001:db8:3::2 -> 2001:0db8:0003:0000:0000:0000:0000:0002 (/proc's spelling).
ip6_expand() {
	local head=${1%%::*} tail="" groups=() g out="" n
	case $1 in *::*) tail=${1#*::} ;; esac
	IFS=: read -r -a groups <<<"$head"
	if [ "$head" != "$1" ]; then
		local rest=()
		[ -z "$tail" ] || IFS=: read -r -a rest <<<"$tail"
		n=$((8 - ${#groups[@]} - ${#rest[@]}))
		while [ "$n" -gt 0 ]; do groups+=(0); n=$((n - 1)); done
		groups+=("${rest[@]}")
	fi
	for g in "${groups[@]}"; do out="$out:$(printf '%04x' "0x${g:-0}")"; done
	echo "${out#:}"
}

# conntrack's own table in the gateway: /proc/net/nf_conntrack, else the
# conntrack CLI if installed; nothing when neither exists (then the counts
# this test created are the expectation on their own).
ct_view() {
	if lab_exec "$LAB_G" test -r /proc/net/nf_conntrack; then
		lab_exec "$LAB_G" cat /proc/net/nf_conntrack
	elif command -v conntrack >/dev/null 2>&1; then
		lab_exec "$LAB_G" conntrack -L 2>/dev/null
	else
		return 1
	fi
}

# ct_view_count ADDR PORT STATE: TCP entries whose original destination is
# ADDR:PORT in conntrack STATE (upper case, as conntrack prints it).
ct_view_count() {
	local long=$1
	case $1 in *:*) long=$(ip6_expand "$1") ;; esac
	ct_view | awk -v a="$1" -v b="$long" -v port="$2" -v st="$3" '
		{ tcp = 0; state = ""; dst = ""; dport = "" }
		{ for (i = 1; i <= NF; i++) {
			if ($i == "tcp") tcp = 1
			else if ($i ~ /^[A-Z_]+$/ && state == "") state = $i
			else if ($i ~ /^dst=/ && dst == "") dst = substr($i, 5)
			else if ($i ~ /^dport=/ && dport == "") dport = substr($i, 7)
		} }
		tcp && (dst == a || dst == b) && dport == port && state == st { n++ }
		END { print n + 0 }'
}

# expect_ct_view ADDR PORT E W T: conntrack shows exactly E ESTABLISHED,
# W CLOSE_WAIT and T TIME_WAIT entries to ADDR:PORT (waits a little: the
# last ACKs may still be crossing the gateway).
ct_view_is() {
	[ "$(ct_view_count "$1" "$2" ESTABLISHED)" = "$3" ] &&
		[ "$(ct_view_count "$1" "$2" CLOSE_WAIT)" = "$4" ] &&
		[ "$(ct_view_count "$1" "$2" TIME_WAIT)" = "$5" ]
}

expect_ct_view() {
	lab_wait_until 5 ct_view_is "$@" || {
		ct_view >&2 || true
		sg_die "conntrack does not show [$1]:$2 as established=$3 close_wait=$4 time_wait=$5"
	}
}

# census_value OUT SERVICE STATE: the count from synguardctl census (a state
# the daemon does not print counts as 0).
census_value() {
	awk -v want="census{service=\"$2\",state=\"$3\"}" '$1 == want { v = $2 } END { print v + 0 }' "$1"
}

# census_field OUT KEY: a plain value (synguardctl aligns its columns).
census_field() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

expect_census() {
	local out=$1 svc=$2 e=$3 w=$4 t=$5 s want got
	for s in $STATES; do
		case $s in established) want=$e ;; close_wait) want=$w ;; time_wait) want=$t ;; *) want=0 ;; esac
		got=$(census_value "$out" "$svc" "$s")
		[ "$got" = "$want" ] || { cat "$out" >&2; fail "census: service $svc state $s is $got, expected $want"; }
	done
}

hold_server "$PORT"
hold_server "$OTHER_PORT"
conf=$(sg_conf census "service = web $SERVER4:$PORT" "service = web6 [$SERVER6]:$PORT")
sg_rules "$LAB_G" apply -m gateway -p "$PORT,$OTHER_PORT" -c "$conf"
sg_start "$LAB_G" "$conf"

# All through the protecting gateway (each client is challenged once).
hold web "$SERVER4" "$PORT" 7 5 4
hold web6 "$SERVER6" "$PORT" 3 2 1
hold other "$SERVER4" "$OTHER_PORT" 2 1 0
# A UDP entry, which the census sees but does not count as TCP.
lab_exec "$LAB_C" bash -c "echo census >/dev/udp/$SERVER4/9999"

if ct_view >/dev/null; then
	expect_ct_view "$SERVER4" "$PORT" 7 5 4
	expect_ct_view "$SERVER6" "$PORT" 3 2 1
	expect_ct_view "$SERVER4" "$OTHER_PORT" 2 1 0
	lab_log "conntrack's own table agrees with the connections held"
else
	lab_log "no /proc/net/nf_conntrack and no conntrack CLI: expecting the counts created"
fi

out=$LAB_TMP/census.out
"$SG_BIN/synguardctl" -s "$SG_SOCK" census >"$out" 2>&1 || { cat "$out" >&2; fail "synguardctl census failed"; }
lab_log "census: $(tr '\n' ' ' <"$out")"
expect_census "$out" web 7 5 4
expect_census "$out" web6 3 2 1
expect_census "$out" other 2 1 0
[ "$(census_field "$out" census_truncated)" = 0 ] || { cat "$out" >&2; fail "census truncated or no census_truncated"; }
# Every TCP entry in the gateway is one this test holds; the UDP flow is one
# more entry of another protocol.
tcp=$((7 + 5 + 4 + 3 + 2 + 1 + 2 + 1))
entries=$(census_field "$out" census_entries)
lab_num "${entries:-x}" ">=" $((tcp + 1)) || fail "census_entries '$entries', expected at least $((tcp + 1))"
tcp_entries=$(census_field "$out" census_tcp_entries)
[ -z "$tcp_entries" ] || [ "$tcp_entries" = "$tcp" ] || fail "census_tcp_entries $tcp_entries, expected $tcp"
sg_stop
echo "PASS: census"
