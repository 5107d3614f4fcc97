# A client whose firewall drops conntrack-INVALID packets (firewalld and ufw
# do) never answers our deliberately wrong SYN+ACK with a RST; it retransmits
# its SYN after its 1 s RTO, which the retransmission fallback accepts.
# Every connect must succeed within 2 s, IPv4 and IPv6, in mode = always.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
N=${N:-5}
lab_server_start "$PORT"
lab_exec "$LAB_C" iptables -w -A INPUT -m conntrack --ctstate INVALID -j DROP
lab_exec "$LAB_C" ip6tables -w -A INPUT -m conntrack --ctstate INVALID -j DROP
conf=$(sg_conf gw "mode = always" "verified_ttl = 1s")
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -c "$conf"
# Measured on 6.18: the client's conntrack does not call every cookie
# SYN+ACK INVALID (in some runs most of them were ESTABLISHED, in others one
# in six), and a client that sees it answers with a RST and is verified the
# normal way.  To test the fallback deterministically the client also drops
# exactly our SYN+ACKs by their size (an MSS option only: 44 bytes over IPv4,
# 64 over IPv6; the real server's SYN+ACK carries more options).  Every
# connect is a fresh challenge (verified_ttl = 1s, connects 1.2 s apart).
lab_exec "$LAB_C" iptables -w -A INPUT -p tcp --tcp-flags SYN,ACK SYN,ACK -m length --length 44 -j DROP
lab_exec "$LAB_C" ip6tables -w -A INPUT -p tcp --tcp-flags SYN,ACK SYN,ACK -m length --length 64 -j DROP
sg_start "$LAB_G" "$conf"
for fam in 4 6; do
	line=$(lab_connect "$fam" "$PORT" "$N" -T 2000 -i 1200)
	lab_log "strict client IPv$fam: $line"
	connects_ok "$line" "strict client IPv$fam"
	lab_num "$(lab_field "$line" max_ms)" "<=" 2000 || fail "a connect took over 2 s"
done
for cmd in iptables ip6tables; do
	dropped=$(lab_exec "$LAB_C" "$cmd" -w -nvxL INPUT | awk '/DROP/ { n += $1 } END { print n + 0 }')
	invalid=$(lab_exec "$LAB_C" "$cmd" -w -nvxL INPUT | awk '/INVALID/ { print $1 }')
	lab_log "$cmd: client firewall dropped $dropped SYN+ACKs ($invalid as INVALID)"
	lab_num "$dropped" ">=" "$N" || fail "$cmd: the client firewall dropped only $dropped SYN+ACKs"
done
lab_num "$(sg_stat retransmit_accepted)" ">=" "$((2 * N))" || fail "retransmissions not accepted"
[ "$(sg_stat cookies_valid)" = 0 ] || fail "the client answered a cookie it should not have seen"
lab_log "challenges_sent $(sg_stat challenges_sent), retransmit_accepted $(sg_stat retransmit_accepted)"
sg_stop
echo "PASS: strict client"
