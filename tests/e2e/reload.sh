# Reload without loss: a broken config is reported (file:line) and the old
# one kept, with the verified sources; a valid one changes behaviour (mode)
# without dropping the queue binding.  Both by SIGHUP and synguardctl reload.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
lab_server_start "$PORT"
conf=$(sg_conf rl "mode = always")
# No fast path: the client's SYNs must keep reaching the daemon to be judged.
sg_rules "$LAB_G" apply -m gateway -p "$PORT" -4 -n -c "$conf"
sg_start "$LAB_G" "$conf"
ctl() { "$SG_BIN/synguardctl" -s "$SG_SOCK" "$@"; }
queue_owner() { lab_exec "$LAB_G" awk '$1 == 0 { print $2 }' /proc/net/netfilter/nfnetlink_queue; }
owner=$(queue_owner)
[ -n "$owner" ] || fail "queue 0 not bound"
line=$(lab_connect 4 "$PORT" 3 -T 3000)
connects_ok "$line" "client"
[ "$(sg_stat verified_sources)" = 1 ] || fail "client not verified"

# Broken config: SIGHUP and the control command both keep the running one.
cp "$conf" "$conf.good"
printf 'queue = 70000\nbogus_key = 1\n' >>"$conf"
kill -HUP "$SG_PID"
lab_wait_until 5 grep -q "$conf:[0-9]*: " "$SG_LOG" || fail "no file:line error logged on SIGHUP"
rc=0
ctl reload 2>"$LAB_TMP/err" || rc=$?
[ "$rc" = 1 ] || fail "synguardctl reload of a broken config: status $rc"
grep -q "errors, running configuration kept" "$LAB_TMP/err" || fail "no error reply: $(cat "$LAB_TMP/err")"
grep -q "'70000'" "$LAB_TMP/err" || fail "error reply does not quote the token"
kill -0 "$SG_PID" || fail "daemon died on a broken config"
[ "$(sg_stat mode)" = always ] || fail "mode changed by a broken config"
[ "$(sg_stat verified_sources)" = 1 ] || fail "verified sources lost on a failed reload"
challenges=$(sg_stat challenges_sent)

# Valid config with mode = monitor: applied, queue binding kept, state kept.
sed 's/^mode = always$/mode = monitor/' "$conf.good" >"$conf"
ctl reload >/dev/null || fail "reload of a valid config failed"
[ "$(sg_stat mode)" = monitor ] || fail "mode not changed by reload"
[ "$(queue_owner)" = "$owner" ] || fail "queue binding changed on reload"
[ "$(sg_stat verified_sources)" = 1 ] || fail "verified sources lost on reload"
ctl unverify "$CLIENT4" >/dev/null || fail "unverify failed"
line=$(lab_connect 4 "$PORT" 3 -T 3000)
connects_ok "$line" "client in monitor mode"
[ "$(sg_stat challenges_sent)" = "$challenges" ] || fail "monitor mode still challenged"
# No attack: monitor lets the unverified client's first SYN through
# passively; its completed handshake verifies it again for the next ones.
lab_num "$(sg_stat syn_passive)" ">=" 1 || fail "monitor did not let the client's SYN through passively"
lab_num "$(sg_stat passive_verified)" ">=" 1 || fail "the client's handshake did not verify it"
lab_log "reload: broken config kept the old one; valid one switched to monitor"
sg_stop
echo "PASS: reload"
