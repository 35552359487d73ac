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

# start_edge_with_api BEFORE_DISTRIBUTION DEFAULT_BEHAVIOR_EXTRA: writes a config with the viewer
# and API listeners on free loopback ports (sets viewer, api, viewer_port, api_port), SigV4 with
# the dev key ($KEY/$SECRET), BEFORE_DISTRIBUTION (TOML tables such as [[function]]), and one
# distribution ($DIST) serving $tmp/www from a dir origin with DEFAULT_BEHAVIOR_EXTRA in its
# default behavior; starts the edge and waits (at most 15 s) until the viewer answers
# $tmp/www/ready.txt and the API refuses an unsigned request.
start_edge_with_api() {
	viewer_port=$(free_port)
	api_port=$(free_port)
	while [ "$api_port" = "$viewer_port" ]; do api_port=$(free_port); done
	viewer=http://127.0.0.1:$viewer_port
	api=http://127.0.0.1:$api_port
	mkdir -p "$tmp/www"
	printf 'ready\n' >"$tmp/www/ready.txt"
	cat >"$tmp/edge.toml" <<TOML
[server]
listen = "127.0.0.1:$viewer_port"
api_listen = "127.0.0.1:$api_port"

[api]
auth = "sigv4"

[[api.key]]
access_key_id = "$KEY"
secret_access_key = "$SECRET"

$1

[[distribution]]
id = "$DIST"
aliases = ["127.0.0.1", "localhost"]

[[distribution.origin]]
id = "www"
kind = "dir"
path = "www"

[distribution.default_behavior]
target_origin_id = "www"
$2
TOML
	"$EDGE_BIN" serve -config "$tmp/edge.toml" -listen "127.0.0.1:$viewer_port" -api-listen "127.0.0.1:$api_port" \
		>"$tmp/edge.log" 2>&1 &
	edge_pid=$!
	local up="" v a
	for _ in $(seq 150); do
		v=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$viewer/ready.txt" 2>/dev/null)
		a=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$api/2020-05-31/distribution" 2>/dev/null)
		if [ "$v" = 200 ] && [ "$a" = 403 ]; then up=yes; break; fi
		kill -0 "$edge_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$up" ]; then
		bad "edge did not start serving viewers on $viewer and the API on $api (viewer $v, API $a); log:"
		sed 's/^/    /' "$tmp/edge.log"
		finish
	fi
	ok "edge serves viewers on $viewer and the API on $api (unsigned API request: 403)"
}
