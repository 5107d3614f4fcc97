# Full SYN proxy in host mode (synguardd on the server itself, INPUT and
# OUTPUT rules, the proxy's SYN to the local server through loopback), IPv4
# and IPv6: a client behind a strict firewall (ctstate INVALID dropped)
# connects every time; each connection is proxied and handed over (3 packets
# each reach the daemon); a port nothing listens on resets the client.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
CLOSED=$((PORT + 7))
N=20
lab_server_start "$PORT"
lab_exec "$LAB_C" iptables -w -A INPUT -m conntrack --ctstate INVALID -j DROP
lab_exec "$LAB_C" ip6tables -w -A INPUT -m conntrack --ctstate INVALID -j DROP
conf=$(sg_conf hostproxy "mode = always" "challenge = proxy" \
	"service = web $SERVER4:$PORT" "service = web6 [$SERVER6]:$PORT" \
	"service = closed $SERVER4:$CLOSED")
sg_rules "$LAB_S" apply -m host -p "$PORT,$CLOSED" -P -c "$conf"
sg_start "$LAB_S" "$conf"

for fam in 4 6; do
	p0=$(sg_stat packets) c0=$(sg_stat proxy_completed) r0=$(sg_stat rst_established)
	line=$(lab_connect "$fam" "$PORT" "$N" -T 3000)
	sleep 0.3
	# A client's RST closing its connection is queued too (a RST of a
	# connection conntrack follows: rst_established), not counted here.
	packets=$(( $(sg_stat packets) - p0 - ($(sg_stat rst_established) - r0) ))
	done_n=$(( $(sg_stat proxy_completed) - c0 ))
	lab_log "host proxy IPv$fam: client $line; $done_n proxied, daemon saw $packets packets"
	connects_ok "$line" "IPv$fam strict client"
	[ "$done_n" = "$N" ] || sg_die "IPv$fam: $done_n of $N connections proxied"
	# SYN, ACK, server SYN+ACK per connection; nothing after the handover.
	[ "$packets" = $((3 * N)) ] || sg_die "IPv$fam: daemon saw $packets packets for $N proxied connections"
done
[ "$(sg_stat proxy_send_errors)" = 0 ] || sg_die "proxy segments could not be sent"

# Refused: the client gets a RST from the proxy, counted.
r0=$(sg_stat proxy_failed_refused)
line=$(lab_connect 4 "$CLOSED" 3 -T 3000 -q || true)
lab_log "host proxy, closed port: client $line"
[ "$(lab_field "$line" ok)" = 0 ] || sg_die "connects to a closed port succeeded: $line"
[ "$(( $(sg_stat proxy_failed_refused) - r0 ))" = 3 ] || sg_die "refusals not counted: $(sg_stat proxy_failed_refused)"
sg_stop
sg_rules "$LAB_S" remove -m host -c "$conf"
echo "PASS: proxy host mode"
