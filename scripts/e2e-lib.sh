# Shared by the end-to-end scripts (sourced, not run): TAP-like reporting ending in the plain
# "N passed, N failed" line, tool checks, a temporary folder and the edge process cleaned up on
# exit, and free loopback ports. Expects EDGE_BIN to be set.

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}
check() { # check DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}

# require TOOL...: fail the run when a tool or the edge binary is missing.
require() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { bad "$tool is not installed (make deps installs what the tests need)"; finish; }
	done
	[ -x "$EDGE_BIN" ] || { bad "$EDGE_BIN is missing: run make build first"; finish; }
}

tmp=$(mktemp -d)
edge_pid=""
cleanup() {
	if [ -n "$edge_pid" ]; then
		kill "$edge_pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$edge_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$edge_pid" 2>/dev/null
		wait "$edge_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
