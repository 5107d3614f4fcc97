# sd_notify against a test-owned NOTIFY_SOCKET: READY=1 once the queues are
# bound and the socket listens, WATCHDOG=1 at half of WATCHDOG_USEC from the
# loop, RELOADING=1 + MONOTONIC_USEC then READY=1 on SIGHUP, STOPPING=1 on
# SIGTERM, exit 0.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
lab_up
out=$LAB_TMP/notify.out
"$LAB_TOOLS/notifysock" "$LAB_TMP/notify.sock" 60 >"$out" &
lab_track_pid $!
lab_wait_until 5 test -S "$LAB_TMP/notify.sock" || fail "notify socket not created"
conf=$(sg_conf nt "mode = always")
SG_ENV="NOTIFY_SOCKET=$LAB_TMP/notify.sock WATCHDOG_USEC=1000000"
sg_start "$LAB_G" "$conf"
lab_wait_until 5 grep -q "READY=1" "$out" || fail "no READY=1: $(cat "$out")"
grep "READY=1" "$out" | head -1 | grep -q "STATUS=mode always" || fail "READY without STATUS"
sleep 2.6
n=$(grep -c "WATCHDOG=1" "$out")
lab_num "$n" ">=" 4 || fail "only $n watchdog pings in 2.6 s at WATCHDOG_USEC=1s"
# Intervals between pings: half of WATCHDOG_USEC, 500 ms.
awk '/WATCHDOG=1/ { if (last) d = $1 - last; last = $1; if (d && (d < 400 || d > 650)) bad = d }
	END { if (bad) { print "watchdog interval " bad " ms"; exit 1 } }' "$out" ||
	fail "watchdog interval off: $(grep WATCHDOG "$out" | tr '\n' ' ')"
kill -HUP "$SG_PID"
lab_wait_until 5 grep -q "RELOADING=1" "$out" || fail "no RELOADING=1 on SIGHUP"
grep "RELOADING=1" "$out" | grep -q "MONOTONIC_USEC=[0-9]" || fail "RELOADING without MONOTONIC_USEC"
lab_wait_until 5 sh -c "grep -A100 RELOADING=1 '$out' | grep -q READY=1" || fail "no READY=1 after reload"
sg_stop
lab_wait_until 2 grep -q "STOPPING=1" "$out" || fail "no STOPPING=1 on SIGTERM"
sed 's/^/    /' "$out" | head -20 >&2
echo "PASS: sd_notify"
