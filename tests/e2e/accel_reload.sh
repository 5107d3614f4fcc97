# Reloading with the kernel fast path (XDP generic on the gateway's client and
# attacker sides, IPv4, mode = always): the program switches to a reload's
# settings, services and lists in one step.
# 1. The flood's whole source range is on the deny list: during a flood,
#    ten reloads in a row never leave the program without it for a single
#    SYN (not one spoofed SYN answered or passed: with a list cleared and
#    refilled, some would be challenged), and the client keeps connecting.
# 2. A reload without the deny list: the program challenges the flood.
# 3. A reload that turns the service to challenge = proxy: the program
#    answers its unverified SYNs with the proxy's SYN+ACK from then on, and
#    the client's ACK goes on to the daemon, which proxies the connection.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
FLOOD_MAX_S=${FLOOD_MAX_S:-60}
OBJ=$top_builddir/src/bpf/synguard.bpf.o
RELOADS=10
lab_server_start "$PORT"

base=("mode = always" "service = web $SERVER4:$PORT" "accel_interfaces = $IF_GC $IF_GA"
	"accel_mode = xdp-generic" "accel_object = $OBJ")
# write_conf LINES...: the running config's file, rewritten in place.
write_conf() {
	local f
	f=$(sg_conf accel_reload "${base[@]}" "$@")
	[ "$f" = "$conf" ] || fail "config moved: $f"
}
conf=$(sg_conf accel_reload "${base[@]}" "deny = 198.18.0.0/15")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -c "$conf"
sg_start "$LAB_G" "$conf"
sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\)" 5 >/dev/null

# --- 1. reloads under a denied flood ------------------------------------------------
spoof0=$(lab_server_count_spoofed 4)
lab_flood 4 "$PORT" "$FLOOD_MAX_S" "$LAB_FLOOD_PPS"
sleep 1
for i in $(seq 1 "$RELOADS"); do
	# Each reload changes a setting the program holds (the SYN+ACK limit).
	write_conf "deny = 198.18.0.0/15" "limit_synack_dest = $((100 + i))/s burst 200"
	sg_ctl reload >/dev/null || sg_die "reload $i failed"
	sleep 0.2
done
line=$(lab_connect 4 "$PORT" 20 -T 3000)
lab_flood_running || sg_die "the reloads outlasted the flood"
lab_flood_stop >"$LAB_TMP/flood.sum"
flood=$(cat "$LAB_TMP/flood.sum")
sleep 1.2
denied=$(sg_stat accel_syn_denied) answered=$(sg_stat accel_challenges)
spoof=$(( $(lab_server_count_spoofed 4) - spoof0 ))
lab_log "denied flood, $RELOADS reloads: $flood; the program dropped $denied, answered $answered;" \
	"$spoof spoofed SYNs at the server; client $line"
connects_ok "$line" "client during the reloads"
sent=$(lab_flood_field "$flood" sent)
lab_num "$denied" ">=" "$((sent * 90 / 100))" || sg_die "the program dropped $denied of $sent denied SYNs"
[ "$answered" = 0 ] || sg_die "the program answered $answered denied SYNs: a reload left it without the list"
[ "$spoof" = 0 ] || sg_die "$spoof denied SYNs reached the server"

# --- 2. the deny list gone: challenged ------------------------------------------------
write_conf
sg_ctl reload >/dev/null || sg_die "reload without the deny list failed"
sg_connect_during_flood 4 "$PORT" "$LAB_FLOOD_PPS" 10 3000
connects_ok "$CONNECT_LINE" "client after the deny list went"
lab_num "$(sg_stat accel_challenges)" ">" 1000 || sg_die "the program did not challenge the flood"
lab_log "deny list gone: $FLOOD_LINE; the program answered $(sg_stat accel_challenges)"

# --- 3. challenge = proxy: the program's proxy SYN+ACKs, the daemon's hand-off ------
base[1]="service = web $SERVER4:$PORT challenge=proxy"
write_conf
sg_ctl reload >/dev/null || sg_die "reload to the proxy failed"
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -P -c "$conf"	# the proxy's rules
lab_exec "$LAB_C" ethtool -K "$IF_C" tx off >/dev/null	# SYNs the program judges itself
ch=$(sg_stat accel_proxy_challenges) started=$(sg_stat proxy_started)
"$SG_BIN/synguardctl" -s "$SG_SOCK" unverify "$CLIENT4" >/dev/null 2>&1 || true
line=$(lab_connect 4 "$PORT" 3 -T 5000)
connects_ok "$line" "proxied client"
sleep 1.2
lab_num "$(sg_stat accel_proxy_challenges)" ">=" "$((ch + 1))" ||
	sg_die "the program did not answer the proxied client's SYN with the proxy's SYN+ACK"
lab_num "$(sg_stat proxy_started)" ">=" "$((started + 1))" || sg_die "the daemon did not proxy the client"
lab_exec "$LAB_C" ethtool -K "$IF_C" tx on >/dev/null
sg_stop
sg_rules "$LAB_G" remove -m gateway -4 -P -c "$conf"
echo "PASS: reloads with the kernel fast path"
