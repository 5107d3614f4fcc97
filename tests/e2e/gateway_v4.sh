# IPv4 gateway: spoofed flood, baseline vs synguardd.
FAMILY=4
. "$top_srcdir/tests/e2e/gateway_flood.sh"
