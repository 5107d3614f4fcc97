# install: `make install DESTDIR=...` installs exactly the expected files,
# never overwrites an administrator's config, and `make uninstall` removes
# everything but that edited config.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

# A clean make for the recursive calls: the parent's MAKEFLAGS carry its
# jobserver (not ours to use) and its command-line variables.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$top_builddir" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

bindir="" sbindir="" sysconfdir="" pkgdatadir="" pkglibdir="" mandir="" systemdsystemunitdir=""
eval "$(mk -s print-install-dirs)"
if [ -z "$sbindir" ] || [ -z "$pkgdatadir" ]; then fail "make print-install-dirs printed nothing usable"; fi

mk install DESTDIR="$dest" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }

# Exactly these files, nothing more.
{
	echo "$sbindir/synguardd"
	echo "$sbindir/synguard-rules"
	echo "$bindir/synguardctl"
	for f in rules.gateway rules.host synguard.nft synguard.conf.example synguardd.default; do
		echo "$pkgdatadir/$f"
	done
	echo "$pkglibdir/synguard.bpf.o"
	echo "$sysconfdir/synguard/synguard.conf"
	[ -z "$systemdsystemunitdir" ] || echo "$systemdsystemunitdir/synguardd.service"
	echo "$mandir/man8/synguardd.8"
	echo "$mandir/man8/synguardctl.8"
	echo "$mandir/man5/synguard.conf.5"
} | sort >"$tmp/want"
(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort) >"$tmp/got"
diff -u "$tmp/want" "$tmp/got" || fail "installed files differ from the expected list (- expected, + installed)"

for f in "$sbindir/synguardd" "$sbindir/synguard-rules" "$bindir/synguardctl"; do
	[ -x "$dest$f" ] || fail "$f is not executable"
done
"$dest$sbindir/synguardd" -V >/dev/null || fail "installed synguardd -V"
cmp "$top_srcdir/conf/synguard.conf" "$dest$sysconfdir/synguard/synguard.conf" ||
	fail "installed config is not the example"
cmp "$top_srcdir/conf/synguard.conf" "$dest$pkgdatadir/synguard.conf.example"
for f in rules.gateway rules.host synguard.nft; do
	cmp "$top_srcdir/conf/$f" "$dest$pkgdatadir/$f" || fail "$f differs from conf/$f"
done
if [ -n "$systemdsystemunitdir" ]; then
	cmp "$top_builddir/systemd/synguardd.service" "$dest$systemdsystemunitdir/synguardd.service"
fi

# An administrator's config survives a reinstall...
conf=$dest$sysconfdir/synguard/synguard.conf
echo "mode = monitor   # edited by the administrator" >>"$conf"
cp "$conf" "$tmp/edited"
mk install DESTDIR="$dest" >"$tmp/install2.log" 2>&1 || { cat "$tmp/install2.log"; fail "second make install"; }
cmp "$tmp/edited" "$conf" || fail "make install overwrote an edited config"
grep -q "keeping the existing" "$tmp/install2.log" || fail "install did not say it kept the config"

# ...and an uninstall, which removes everything else.
mk uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1 || { cat "$tmp/uninstall.log"; fail "make uninstall"; }
left=$(cd "$dest" && find . ! -type d | sed 's|^\.||')
[ "$left" = "$sysconfdir/synguard/synguard.conf" ] || fail "after uninstall: expected only the edited config, found: $left"
cmp "$tmp/edited" "$conf" || fail "make uninstall changed the edited config"

# An unedited config is removed by uninstall.
mk install DESTDIR="$tmp/root2" >/dev/null 2>&1 || fail "make install (2)"
mk uninstall DESTDIR="$tmp/root2" >/dev/null 2>&1 || fail "make uninstall (2)"
left=$(cd "$tmp/root2" && find . ! -type d)
[ -z "$left" ] || fail "after installing and uninstalling: files left: $left"
echo "PASS: install and uninstall ($(wc -l <"$tmp/want") files)"
