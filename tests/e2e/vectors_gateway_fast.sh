# Every flood vector against challenge = auth, proxy and auto, gateway mode,
# with the kernel fast path (generic XDP) at the generator's full rate: see vectors.sh.
VEC_TOPO=gateway VEC_FAST=1
. "$top_srcdir/tests/e2e/vectors.sh"
