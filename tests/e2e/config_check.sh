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
echo "PASS: config check"
