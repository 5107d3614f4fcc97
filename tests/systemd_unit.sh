# systemd_unit: the generated synguardd.service passes `systemd-analyze verify`
# without a word about it, `systemd-analyze security --offline` rates its
# sandbox at an exposure of at most 2.0, and synguard-rules honours the unit's
# SYNGUARD_MANAGE_RULES=no opt-out.  Offline checks only: no running systemd
# is needed (or used).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
max_exposure=2.0

fail() { echo "FAIL: $*"; exit 1; }
skip() {
	[ "${CI:-}" != true ] || fail "$* (CI=true: not skipped)"
	echo "SKIP: $*"
	exit 77
}
command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze not installed"
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat LC_ALL=C.UTF-8

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
# A clean make for the recursive calls (see tests/install.sh).
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$top_builddir" "$@"; }

sbindir="" sysconfdir="" pkgdatadir="" mandir=""
eval "$(mk -s print-install-dirs)"
mk systemd/synguardd.service >/dev/null
unit=$top_builddir/systemd/synguardd.service
mk install DESTDIR="$dest" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }

# Generated, fully expanded, and the essentials are there.
if grep -nE '@[a-zA-Z_]+@|\$\{|\$\(' "$unit"; then fail "unexpanded variables in $unit"; fi
for want in Type=notify NotifyAccess=main WatchdogSec=10s Restart=on-failure RestartSec=1s \
	"ExecStart=$sbindir/synguardd -c $sysconfdir/synguard/synguard.conf" \
	"ExecStartPre=$sbindir/synguardd -t -c $sysconfdir/synguard/synguard.conf" \
	"ExecStartPre=+$sbindir/synguard-rules apply " "ExecStopPost=+$sbindir/synguard-rules remove " \
	"ExecReload=/bin/kill -HUP \$MAINPID" "EnvironmentFile=-$sysconfdir/default/synguardd" \
	"CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_BPF CAP_PERFMON"; do
	awk -v w="$want" 'index($0, w) == 1 { found = 1 } END { exit !found }' "$unit" ||
		fail "$unit has no line starting with '$want'"
done
grep -q '^PrivateNetwork=' "$unit" && fail "PrivateNetwork= would cut the daemon off the host's queues"

# systemd-analyze verify checks that every Exec binary exists at its absolute
# path: a copy of the unit points our own programs into the DESTDIR install.
# Every Exec line but the /bin/kill one and the shell line that makes the
# fast path's pin directory must have been rewritten, so a system-wide
# install cannot stand in for the one under test.
mkdir "$tmp/units"
sed -e "/^Exec/s|$sbindir/|$dest$sbindir/|g" "$unit" >"$tmp/units/synguardd.service"
if grep -E '^Exec' "$tmp/units/synguardd.service" |
	grep -vF -e "$dest$sbindir/" -e "=/bin/kill " -e "=+/bin/sh -c 'if mountpoint -q /sys/fs/bpf;"; then
	fail "an Exec line above runs something not installed by us"
fi
# Documentation=man:... is checked with man(1) against the installed pages.
man_opt=--man=no
if command -v man >/dev/null 2>&1; then
	man_opt=--man=yes
	export MANPATH=$dest$mandir
fi
rc=0
(cd "$tmp/units" && systemd-analyze verify --recursive-errors=no "$man_opt" ./synguardd.service) \
	>"$tmp/verify.out" 2>&1 || rc=$?
echo "systemd-analyze verify $man_opt (exit $rc):"
sed 's/^/  | /' "$tmp/verify.out"
# No message about our unit is acceptable; messages about the host's own
# units (a broken unit elsewhere on a build machine) are shown, not ours to fix.
if grep -F 'synguardd.service' "$tmp/verify.out"; then fail "systemd-analyze verify complained about the unit"; fi
[ "$rc" = 0 ] || fail "systemd-analyze verify exited with $rc"

# The sandbox: exposure 0.0 (locked down) .. 10.0 (unprotected).
rc=0
systemd-analyze security --offline=true "$tmp/units/synguardd.service" >"$tmp/security.out" 2>&1 || rc=$?
exposure=$(sed -n 's/.*Overall exposure level for synguardd\.service: *\([0-9][0-9.]*\).*/\1/p' "$tmp/security.out")
if [ "$rc" != 0 ] || [ -z "$exposure" ]; then
	cat "$tmp/security.out"
	fail "systemd-analyze security --offline=true failed (exit $rc)"
fi
echo "exposures left (each justified in the unit's comments):"
grep -E '^✗|^[[:space:]]*✗' "$tmp/security.out" | sed 's/^/  | /' || true
echo "overall exposure level: $exposure (limit $max_exposure)"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e + 0 <= m + 0) }' ||
	fail "exposure $exposure is above $max_exposure"

# The opt-out: apply and remove print one line and succeed without touching
# iptables (so this part runs as any user); a typo is an error, not a yes.
rules=$dest$sbindir/synguard-rules
for action in apply remove; do
	out=$(SYNGUARD_MANAGE_RULES=no "$rules" "$action" -m gateway -p 80,443)
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "opt-out $action printed: $out"
	printf '%s\n' "$out" | grep -q "managed by the administrator" || fail "opt-out $action printed: $out"
done
SYNGUARD_MANAGE_RULES=nope "$rules" apply 2>/dev/null && fail "SYNGUARD_MANAGE_RULES=nope accepted"
# The example environment file is valid shell and names both settings.
(
	# shellcheck source=/dev/null
	. "$dest$pkgdatadir/synguardd.default"
	[ "$SYNGUARD_MANAGE_RULES" = yes ] && [ -n "$SYNGUARD_RULES_ARGS" ]
) || fail "synguardd.default does not set SYNGUARD_MANAGE_RULES and SYNGUARD_RULES_ARGS"
echo "PASS: systemd unit (verify clean, exposure $exposure)"
