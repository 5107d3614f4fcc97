# layers.sh: the source tree keeps its layers (src/README).  The modules of
# each layer are those Makefile.am puts in its library; this checks what
# each file includes, which the linker cannot see:
#  (a) a core module includes only core headers (and no library's header);
#  (b) an I/O module includes only core and I/O headers;
#  (c) only nfq.c includes libnetfilter_queue; only the kernel I/O modules
#      (nfq, ct, ipset) include libmnl;
#  (d) only the loop owner (daemon.c) and the watcher owners (control.c,
#      census.c) include <ev.h>;
#  (e) nothing but daemon.c and the main (synguardd.c) calls daemon_*: the
#      loop owner is a sink.
# tests/unit/check_layers_* check the same at link time (Makefile.am).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
src=$top_srcdir/src
fail=0

bad() {
	echo "FAIL: $*"
	fail=1
}

# The files (basenames) of a library's _SOURCES in Makefile.am.
layer() {	# layer LIBNAME
	awk -v v="src_$1_a_SOURCES" '
		$1 == v { on = 1; $1 = ""; $2 = "" }
		on { for (i = 1; i <= NF; i++) if ($i != "\\") { sub("^src/", "", $i); print $i }
		     if ($NF != "\\") on = 0 }' "$top_srcdir/Makefile.am"
}

core=$(layer libsgcore)
io=$(layer libsgio)
daemon=$(layer libsgd)
[ -n "$core" ] && [ -n "$io" ] && [ -n "$daemon" ] || bad "no layers found in Makefile.am"

# The project headers a file includes ("x.h"), one per line.
local_includes() { sed -n 's/^#include "\([^"]*\)".*/\1/p' "$src/$1"; }
in_list() { grep -qx -- "$1" <<<"$2"; }

for f in $core; do
	for h in $(local_includes "$f"); do
		in_list "$h" "$core" || bad "core module $f includes $h, which is not a core header"
	done
	! grep -Eq '^#include <(ev|libmnl/|libnetfilter_queue/)' "$src/$f" ||
		bad "core module $f includes a library header"
done
for f in $io; do
	for h in $(local_includes "$f"); do
		in_list "$h" "$core" || in_list "$h" "$io" ||
			bad "I/O module $f includes $h, a header of the daemon layer"
	done
done

only() {	# only PATTERN WHAT ALLOWED...
	local pat=$1 what=$2 f
	shift 2
	for f in "$src"/*.[ch]; do
		f=${f##*/}
		grep -Eq "$pat" "$src/$f" || continue
		in_list "$f" "$(printf '%s\n' "$@")" || bad "$f $what"
	done
}
only '^#include <libnetfilter_queue/' "includes libnetfilter_queue (only nfq.c may)" nfq.c
only '^#include <libmnl/' "includes libmnl (only nfq.c, ct.c, ipset.c may)" nfq.c ct.c ipset.c
only '^#include <bpf/' "includes libbpf (only the fast path's loader, accel.c, may)" accel.c
only '^#include <ev\.h>' "includes <ev.h> (only the loop owner and watcher owners may)" \
	daemon.c control.c census.c
only '\<daemon_[a-z_]+\(' "calls daemon_* (daemon.c is a sink)" daemon.c daemon.h synguardd.c

[ "$fail" = 0 ] || exit 1
echo "PASS: layers (core: $(wc -w <<<"$core") files, I/O: $(wc -w <<<"$io"), daemon: $(wc -w <<<"$daemon"))"
