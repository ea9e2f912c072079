# lib.sh: what the integration tests that run resyncd share: paths, a work
# directory removed on exit (KEEP=1 keeps it), resyncd ($pid) and devsim
# ($work/sim) stopped by PID, polling with a deadline instead of sleeps, and
# reading the store with --dump-state.
#   . "$(dirname "$0")/lib.sh" NAME      (WAIT_SECS sets the deadline, default 60)
set -euo pipefail

BUILD=${RESYNCD_BUILD_DIR:?}
SRC=${RESYNCD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RESYNCD=$BUILD/resyncd
DEVSIM=$SRC/scripts/devsim/devsim
WAIT_SECS=${WAIT_SECS:-60}
work=$(mktemp -d "/tmp/resyncd-$1.XXXXXX")
pid=

cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
	if [ -d "$work/sim" ]; then "$DEVSIM" stop "$work/sim" >/dev/null 2>&1 || true; fi
	[ "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; echo "--- resyncd log"; tail -n 40 "$work/resyncd.log" 2>/dev/null; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds or WAIT_SECS pass.
wait_for() {
	local what=$1; shift
	local end=$((SECONDS + WAIT_SECS))
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
	fail "timed out waiting for $what"
}
dump() { "$RESYNCD" -c "$work/resyncd.conf" --dump-state; }
# field NAME COLUMN: a device's column in --dump-state (5 managedStatus,
# 6 connStatus, 7 commitCount, 8 lastCommitUser, 9 lastResyncResult,
# 10 lastResyncReason, 11 configVersion, 12 scheduledAutoJob).
field() { dump | awk -F'\t' -v n="$1" -v c="$2" '$1 == "device" && $3 == n { print $c }'; }
# is NAME COLUMN VALUE: evaluated afresh at each poll.
is() { [ "$(field "$1" "$2")" = "$3" ]; }
log_has() { grep -q -- "$1" "$work/resyncd.log"; }
