# A restart with 10 000 verified sources of both families in the state file
# (more than any one netlink batch holds): the daemon starts cleanly (the
# sanitizer build aborts on any write past a buffer), loads every entry into
# its table and the kernel fast-path sets, and a verified client's SYNs take
# the priority queue through the set without being challenged.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
N=5000	# per family; the two clients come on top
lab_server_start "$PORT"
state=$LAB_TMP/many.state
conf=$(sg_conf many "mode = always" "state_file = $state")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -c "$conf"

# Spoofed-range sources, the IPv6 client in the middle of the file and the
# IPv4 client last, so both sit in late batches.
expiry=$(( $(date +%s) * 1000 + 3600 * 1000 ))
awk -v n="$N" -v ex="$expiry" -v c4="$CLIENT4" 'BEGIN {
	print "synguard-state 1"
	for (i = 0; i < n; i++) {
		printf "198.%d.%d.%d/32 %s\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256, ex
		if (i == n / 2) printf "2001:db8:1::/64 %s\n", ex
		printf "2001:db8:ff00:%x::/64 %s\n", i, ex
	}
	printf "%s/32 %s\n", c4, ex
	printf "end %d\n", 2 * n + 2 }' >"$state"
total=$((2 * N + 2))

sg_start "$LAB_G" "$conf"
grep -q "$total verified sources loaded" "$SG_LOG" || sg_die "state not loaded"
[ "$(sg_stat verified_sources)" = "$total" ] || sg_die "verified_sources is not $total"
[ "$(sg_stat ipset_adds)" = "$total" ] || sg_die "not every source reached the kernel set"
[ "$(sg_stat ipset_errors)" = 0 ] || sg_die "the kernel refused set updates"

prio() {	# packets the set-match (priority queue) rule sent, per family
	local tool=iptables
	[ "$1" = 6 ] && tool=ip6tables
	lab_exec "$LAB_G" "$tool" -w -t raw -L SYNGUARD-PRE -v -x -n |
		awk '/match-set/ { s += $1 } END { print s + 0 }'
}
for fam in 4 6; do
	before=$(prio "$fam")
	line=$(lab_connect "$fam" "$PORT" 5 -T 3000)
	connects_ok "$line" "IPv$fam client"
	after=$(prio "$fam")
	lab_log "IPv$fam: $line; priority-queue SYNs $before -> $after"
	lab_num "$after" ">=" $((before + 5)) || sg_die "IPv$fam client SYNs did not take the priority queue"
done
[ "$(sg_stat challenges_sent)" = 0 ] || sg_die "a verified client was challenged"
lab_num "$(sg_stat syn_verified)" ">=" 10 || sg_die "client SYNs not accepted as verified"
# The stop saves them all again, and that file loads as well.
sg_stop
grep -q "^end $total$" "$state" || fail "saved state lacks entries: $(tail -1 "$state")"
sg_start "$LAB_G" "$conf"
grep -q "$total verified sources loaded" "$SG_LOG" || sg_die "saved state not loaded"
sg_stop
echo "PASS: restart with $total verified sources"
