# synguardd -t: the shipped example config is valid; a broken one is
# rejected with every error as file:line and exit status 1.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
bin=$top_builddir/src/synguardd
"$bin" -t -c "$top_srcdir/conf/synguard.conf" >"$d/out" || { cat "$d/out"; exit 1; }
printf 'queue = 70000\nmode = fast\n# fine\nbogus = 1\nverified_ttl = 10x\n' >"$d/bad.conf"
rc=0
"$bin" -t -c "$d/bad.conf" 2>"$d/err" >/dev/null || rc=$?
cat "$d/err"
[ "$rc" = 1 ] || { echo "FAIL: exit status $rc, expected 1"; exit 1; }
for want in "$d/bad.conf:1: " "$d/bad.conf:2: " "$d/bad.conf:4: unknown key 'bogus'" \
	"$d/bad.conf:5: "; do
	grep -qF "$want" "$d/err" || { echo "FAIL: missing '$want'"; exit 1; }
done
grep -qF "'70000'" "$d/err" && grep -qF "0..65535" "$d/err" ||
	{ echo "FAIL: range not quoted"; exit 1; }
# -p prints a canonical config that -t accepts again.
"$bin" -p -c "$top_srcdir/conf/synguard.conf" >"$d/canon.conf"
"$bin" -t -c "$d/canon.conf" >/dev/null
"$bin" -t -c "$d/missing.conf" 2>"$d/err2" && { echo "FAIL: missing file accepted"; exit 1; }
grep -q "missing.conf" "$d/err2"
# synguardctl refuses a request that does not fit its line (a command word
# of CONTROL_LINE_MAX - 1 bytes once overran its buffer by the newline; the
# sanitizer build catches that), before it connects anywhere.
ctl=$top_builddir/src/synguardctl
long=$(head -c 511 /dev/zero | tr '\0' a)
rc=0
"$ctl" -s "$d/none.sock" "$long" 2>"$d/err3" || rc=$?
[ "$rc" = 2 ] && grep -q "too long" "$d/err3" || { cat "$d/err3"; echo "FAIL: long command: status $rc"; exit 1; }
rc=0
"$ctl" -s "$d/none.sock" stats "$long" 2>"$d/err3" || rc=$?
[ "$rc" = 2 ] && grep -q "invalid argument" "$d/err3" || { cat "$d/err3"; echo "FAIL: long argument: status $rc"; exit 1; }
echo "PASS: config check"
