# IPv6 gateway: spoofed flood, baseline vs synguardd.
FAMILY=6
. "$top_srcdir/tests/e2e/gateway_flood.sh"
