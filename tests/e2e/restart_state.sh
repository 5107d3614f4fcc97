# Stop + start keeps the verified sources (state_file): a verified client is
# not challenged after a restart.  SIGTERM under flood exits 0 within 1 s.
# A truncated or corrupt state file is reported and ignored, never fatal.
set -eu
# The flood passes for a moment while the daemon stops (queue bypass): the
# server copes with syncookies, so the connects after the restart test synguardd.
LAB_SERVER_SYNCOOKIES=1
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
state=$LAB_TMP/verified.state
conf=$(sg_conf rs "mode = always" "state_file = $state")
# No fast path: after the restart the client's SYNs must meet the daemon.
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -n -c "$conf"
sg_start "$LAB_G" "$conf"
for fam in 4 6; do
	line=$(lab_connect "$fam" "$PORT" 2 -T 3000)
	connects_ok "$line" "IPv$fam client"
done
[ "$(sg_stat verified_sources)" = 2 ] || fail "client not verified (v4 and v6)"
# SIGTERM under a full-rate flood: unbind, save, exit 0 within a second.
lab_flood 4 "$PORT" 60 0
sleep 1
t0=$(date +%s%N)
sg_stop
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
lab_flood_stop >/dev/null
lab_log "stop under flood took $ms ms"
lab_num "$ms" "<" 1000 || fail "stop under flood took $ms ms"
grep -q "^$CLIENT4/32 [0-9]*$" "$state" || fail "state file lacks the client: $(cat "$state")"
grep -q "^2001:db8:1::/64 [0-9]*$" "$state" || fail "state file lacks the IPv6 /64"

sg_start "$LAB_G" "$conf"
grep -q "2 verified sources loaded" "$SG_LOG" || fail "state not loaded: $(tail -3 "$SG_LOG")"
for fam in 4 6; do
	line=$(lab_connect "$fam" "$PORT" 2 -T 3000)
	connects_ok "$line" "IPv$fam client after the restart"
done
[ "$(sg_stat challenges_sent)" = 0 ] || fail "verified client challenged after a restart"
lab_num "$(sg_stat syn_verified)" ">=" 4 || fail "client SYNs not accepted as verified"
sg_stop

# Truncated: no end line.  Reported, ignored, the daemon runs.
head -n 2 "$state" >"$state.cut" && mv "$state.cut" "$state"
sg_start "$LAB_G" "$conf"
grep -q "truncated" "$SG_LOG" || fail "truncated state file not reported"
[ "$(sg_stat verified_sources)" = 0 ] || fail "entries of a truncated file were used"
sg_stop
# Corrupt: garbage entry.
printf 'synguard-state 1\n192.0.2.2/32 notanumber\nend 1\n' >"$state"
sg_start "$LAB_G" "$conf"
grep -q "$state:2: malformed entry" "$SG_LOG" || fail "corrupt state file not reported with file:line"
[ "$(sg_stat verified_sources)" = 0 ] || fail "entries of a corrupt file were used"
sg_stop
echo "PASS: restart keeps verified sources"
