# Every flood vector against challenge = auth, proxy and auto, host mode,
# without the fast path, at LAB_FLOOD_PPS: see vectors.sh.
VEC_TOPO=host VEC_FAST=0
. "$top_srcdir/tests/e2e/vectors.sh"
