# Blind RSTs at idle connections (RFC 5961): conntrack cuts an entry's
# timeout to 10 s on a RST inside the window and keeps it ESTABLISHED when
# the RST is not the exact one; without synguardd restoring the timeout an
# idle connection would lose its entry after 10 s, and the screen would
# drop its next segment as one of no connection.  Gateway, challenge = auth,
# without and with the fast path (generic XDP), IPv4 and IPv6: connections
# held from the attacker ns's own address (known ports); a flood of RSTs
# without ACK, random sequence numbers, at their exact tuples at the
# generator's full rate, RSTS of them per family (some land in the window:
# rst_established, ct_timeouts_restored); right after it every entry still has more than
# 1000 s to live; after 12 s idle every connection answers its probe.
set -eu
. "$top_srcdir/tests/e2e/prelude.sh"
HPORT=8090 HELD=4
# RSTs per family: a count, not a time, so that a slower generator sends as
# many (measured here: one in ~60 000 lands in a window, ~8 per family; none
# in both families has a chance of e^-16).  Bounded by 30 s.
RSTS=${RSTS:-500000}
OBJ=$top_builddir/src/bpf/synguard.bpf.o
[ -x "$LAB_TOOLS/holdconns" ] || fail "holdconns not built (make check builds it)"
ip netns exec "$LAB_S" "$LAB_TOOLS/holdconns" -l :: -p "$HPORT" -t 300 >"$LAB_TMP/hold-srv.out" 2>&1 &
lab_track_pid $!
lab_wait_until 5 grep -q '^holdconns: listening' "$LAB_TMP/hold-srv.out" || fail "holdconns server did not start"

# ttl_min FAMILY BASE: the least time to live (s) of the gateway's entries
# of the held connections (local ports BASE..BASE+HELD-1).
ttl_min() {
	lab_exec "$LAB_G" cat /proc/net/nf_conntrack | awk -v fam="ipv$1" -v lo="$2" -v hi="$(($2 + HELD - 1))" '
		$1 == fam && $3 == "tcp" {
			for (i = 6; i <= NF; i++) if ($i ~ /^sport=/) { p = substr($i, 7) + 0; break }
			if (p >= lo && p <= hi && $6 == "ESTABLISHED") { n++; if (min == "" || $5 < min) min = $5 }
		}
		END { print (n == '"$HELD"' ? min : -1) }'
}

phase() {
	local label=$1 base=$2 fam pids=() out src plen ttl r0 t0 line i
	shift 2
	conf=$(sg_conf "rst-$label" "mode = always" "$@")
	sg_rules "$LAB_G" apply -m gateway -p "$HPORT" -c "$conf"
	sg_start "$LAB_G" "$conf"
	[ "$label" = slow ] || sg_wait_log "kernel fast path on $IF_GA \(xdp-generic\)" 5 >/dev/null
	for fam in 4 6; do
		out=$LAB_TMP/held-$label.$fam
		ip netns exec "$LAB_A" "$LAB_TOOLS/holdconns" -d "$(lab_addr server "$fam")" -p "$HPORT" \
			-e "$HELD" -t 300 -b $((base + (fam == 6 ? 8 : 0))) >"$out" 2>&1 &
		pids+=($!)
		lab_track_pid $!
		lab_wait_until 20 grep -qsx ready "$out" || { cat "$out" >&2; sg_die "$label: holdconns not ready"; }
	done
	r0=$(sg_stat rst_established) t0=$(sg_stat ct_timeouts_restored)
	for fam in 4 6; do
		src=$(lab_addr attacker "$fam") plen=32
		[ "$fam" = 6 ] && plen=128
		i=$((base + (fam == 6 ? 8 : 0)))
		lab_flood "$fam" "$HPORT" 30 0 -n "$RSTS" -f rst -s "$src/$plen" -P "$i-$((i + HELD - 1))"
		line=$(lab_flood_wait)
		sleep 0.5
		ttl=$(ttl_min "$fam" "$i")
		lab_log "$label IPv$fam: $line; the entries' least time to live ${ttl}s"
		lab_num "$ttl" ">" 1000 || sg_die "$label IPv$fam: an entry has only ${ttl}s to live after the RSTs"
	done
	lab_log "$label: rst_established +$(($(sg_stat rst_established) - r0))," \
		"ct_timeouts_restored +$(($(sg_stat ct_timeouts_restored) - t0)), errors $(sg_stat ct_restore_errors)"
	lab_num "$(($(sg_stat ct_timeouts_restored) - t0))" ">=" 1 || sg_die "$label: no RST landed in a window"
	[ "$(sg_stat ct_restore_errors)" = 0 ] || sg_die "$label: timeouts could not be restored"
	sleep 12	# past conntrack's 10 s
	for i in "${pids[@]}"; do
		kill -TERM "$i"
		wait "$i" || true
		lab_untrack_pid "$i"
	done
	for fam in 4 6; do
		out=$(grep '^holdconns: held' "$LAB_TMP/held-$label.$fam" || true)
		lab_log "$label IPv$fam: after 12 s idle: $out"
		[ "$out" = "holdconns: held $HELD alive $HELD broken 0" ] ||
			{ cat "$LAB_TMP/held-$label.$fam" >&2; sg_die "$label IPv$fam: held connections broken: $out"; }
	done
	sg_stop
	sg_rules "$LAB_G" remove -m gateway -c "$conf"
}

phase slow 41000
phase fast 41100 "accel_interfaces = $IF_GC $IF_GA" "accel_mode = xdp-generic" "accel_object = $OBJ" \
	"accel_ports = $HPORT"
echo "PASS: blind in-window RSTs do not end idle connections"
