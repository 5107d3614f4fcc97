# Fault: the kernel refuses the daemon's fast-path set updates, for real.
# First the set is gone (its rule deleted, the sets destroyed: every add is
# refused with ENOENT), then it is back but full (re-created with
# maxelem 64 and more prefixes verified than it holds: IPSET_ERR_HASH_FULL).
# Asserted: ipset_errors counts every refusal, the log holds one line per
# kind of refusal (not one per add), the daemon's verdicts go on (a client
# connects, through the queue, no spoofed SYN of the flood reaches the
# server), and once the rules helper has put the set back the daemon's new
# verified prefixes land in it again, without a restart (its SYNs match the
# set's rule).
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
conf=$(sg_conf ips "mode = always")
small=$(sg_conf ipsmall "mode = always" "verified_max = 64")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
client=$(lab_addr client 4)

# set_hits: SYNs that matched the fast-path set's rule (its members' SYNs).
set_hits() {
	local v
	v=$(lab_exec "$LAB_G" iptables -w -t raw -nvxL SYNGUARD-PRE |
		awk '/match-set synguard-v4/ { print $1; exit }')
	[ -n "$v" ] || sg_die "no fast-path set rule in SYNGUARD-PRE"
	echo "$v"
}
# reverify: the client forgotten, then verified anew (its prefix pushed to
# the set); then 5 connects, which go through the set if it holds it.
reverify() {
	"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$client" >/dev/null 2>&1 || true
	connects_ok "$(lab_connect 4 "$PORT" 1 -T 10000)" "$1: new client"
	connects_ok "$(lab_connect 4 "$PORT" 5 -T 5000)" "$1: verified client"
}
# verify_many FROM N: N more prefixes verified by hand (198.51.100.FROM..).
verify_many() {
	local i
	for i in $(seq "$1" "$(($1 + $2 - 1))"); do
		"$SG_BIN/synguardctl" -s "$SG_SOCK" verify "198.51.$((i / 250)).$((i % 250 + 1))" >/dev/null ||
			sg_die "synguardctl verify refused"
	done
}
log_lines() { grep -c "set update failed: $1" "$SG_LOG" || true; }

h0=$(set_hits)
reverify accepted
h1=$(set_hits) e1=$(sg_stat ipset_errors)
lab_log "accepted: the set's rule matched $((h1 - h0)) SYNs, ipset_errors $e1"
lab_num "$((h1 - h0))" ">=" 5 || sg_die "the verified client's SYNs did not match the set"
[ "$e1" = 0 ] || sg_die "ipset_errors $e1 before any refusal"

lab_flood 4 "$PORT" 50 "$LAB_FLOOD_PPS"
sleep 1
s0=$(lab_server_count_spoofed 4)

# 1. The set gone: its rule deleted (a referenced set cannot be destroyed), the sets destroyed.
rule=$(lab_exec "$LAB_G" iptables -w -t raw -S SYNGUARD-PRE | grep -- '--match-set synguard-v4')
# shellcheck disable=SC2086 # the rule's words
lab_exec "$LAB_G" iptables -w -t raw -D ${rule#-A }
lab_exec "$LAB_G" "$SG_BIN/synguardd" -D -c "$conf"
a0=$(sg_stat ipset_adds)
reverify gone
verify_many 0 40
sleep 0.2
e2=$(sg_stat ipset_errors) a2=$(sg_stat ipset_adds)
lab_log "set gone: ipset_adds +$((a2 - a0)), ipset_errors $e1 -> $e2, log lines" \
	"'No such file': $(log_lines 'No such file')"
lab_num "$((e2 - e1))" ">=" 41 || sg_die "41 adds to a destroyed set, $((e2 - e1)) refusals counted"
lab_num "$((e2 - e1))" "<=" "$((a2 - a0))" || sg_die "more refusals ($((e2 - e1))) than adds ($((a2 - a0)))"
[ "$(log_lines 'No such file')" = 1 ] || sg_die "$(log_lines 'No such file') log lines for one kind of refusal"

# 2. The set back, but full: maxelem 64 (the smallest verified_max), 80 prefixes verified.
lab_exec "$LAB_G" "$SG_BIN/synguardd" -S -c "$small"
verify_many 100 80
sleep 0.2
e3=$(sg_stat ipset_errors)
lab_log "set full: ipset_errors $e2 -> $e3, log lines 'set is full': $(log_lines 'the set is full')," \
	"all of them: $(grep -c 'set update failed' "$SG_LOG")"
lab_num "$((e3 - e2))" ">=" 16 || sg_die "80 adds to a 64-element set, $((e3 - e2)) refusals counted"
[ "$(log_lines 'the set is full')" = 1 ] || sg_die "$(log_lines 'the set is full') log lines for a full set"
[ "$(grep -c 'set update failed' "$SG_LOG")" = 2 ] || sg_die "not one log line per kind of refusal"

# The verdicts went on: a client connected (above, and now), the flood stayed out.
connects_ok "$(lab_connect 4 "$PORT" 20 -T 5000)" "verified client during the refusals"
lab_flood_running || sg_die "the flood ended before the checks; raise its 50 s"
s1=$(lab_server_count_spoofed 4)
lab_flood_stop >/dev/null
[ "$s1" = "$s0" ] || sg_die "$((s1 - s0)) spoofed SYNs reached the server during the refusals"

# 3. The set back as the rules helper makes it: the daemon's adds land again.
lab_exec "$LAB_G" "$SG_BIN/synguardd" -D -c "$conf"
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
# The client verified while the set was gone: its next handshake (through
# the queue) pushes its prefix again, later SYNs match the set.
h4=$(set_hits) e4=$(sg_stat ipset_errors)
connects_ok "$(lab_connect 4 "$PORT" 1 -T 5000)" "recovered: verified client"
h5=$(set_hits)
connects_ok "$(lab_connect 4 "$PORT" 5 -T 5000)" "recovered: verified client"
h6=$(set_hits)
reverify recovered	# and a source verified anew
h7=$(set_hits) e7=$(sg_stat ipset_errors)
lab_log "recovered: the set's rule matched $((h5 - h4)) SYNs of the first connect, then" \
	"$((h6 - h5)) of 5 connects, $((h7 - h6)) once verified anew; ipset_errors $e4 -> $e7"
lab_num "$((h6 - h5))" ">=" 5 || sg_die "after the set came back, the verified client's SYNs missed it"
lab_num "$((h7 - h6))" ">=" 5 || sg_die "after the set came back, a source verified anew missed it"
[ "$e7" = "$e4" ] || sg_die "the kernel still refused $((e7 - e4)) updates after the set came back"
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -c "$conf"
echo "PASS: set refusals counted, one log line per kind, verdicts went on, adds land again"
