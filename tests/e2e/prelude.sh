# prelude.sh — how most end-to-end tests begin (sourced, after set -eu and
# any LAB_* settings): the lab and daemon libraries, root, a fresh lab
# (torn down at exit), and PORT, the lab's service port.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/daemon.sh"
lab_require_root
lab_up
PORT=$LAB_PORT
