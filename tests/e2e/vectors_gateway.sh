# Every flood vector against challenge = auth, proxy and auto, gateway mode,
# without the fast path, at LAB_FLOOD_PPS: see vectors.sh.
VEC_TOPO=gateway VEC_FAST=0
. "$top_srcdir/tests/e2e/vectors.sh"
