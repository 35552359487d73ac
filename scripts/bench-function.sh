#!/usr/bin/env bash
# bench-function.sh (make bench-function): the throughput and latency of a 1 KiB hit through a
# trivial viewer-request function (an uri rewrite) against the same hit without one, over real
# sockets on 127.0.0.1, with the edge's own load generator. Rounds alternate plain, function,
# plain, function …; the report gives the medians and their ratio (the budget of the CloudFront
# Functions issue: at least 0.5× the throughput, at most 100 µs more at p99). Throughput is
# measured with C connections (the machine saturated); p99 with one connection, where it is
# the request's own time and not the queue's.
#
# Environment: DUR (one run, default 5s), ROUNDS (default 3), C (connections, default 64),
# EDGE (binary, default bin/edge; built unless NO_BUILD=1), KEEP=1 (keep the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-5s}
ROUNDS=${ROUNDS:-3}
C=${C:-64}
EDGE=${EDGE:-bin/edge}
GO=${GO:-go}

NAME=bench-function
. scripts/bench-lib.sh

[ "${NO_BUILD:-}" = 1 ] || $GO build -o "$EDGE" ./cmd/edge
command -v jq >/dev/null || die "jq is missing"

start origin "$EDGE" bench origin -listen 127.0.0.1:0
ORIGIN=$(addr_from origin '.*serving on http://\([0-9.:]*\)/.*')
cat >"$WORK/edge.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[cache]
memory = "256MiB"
[logging]
level = "warn"
[api]
auth = "none"
[[function]]
name = "rewrite"
code = """
function handler(event) {
  var request = event.request;
  if (request.uri.startsWith('/fn/')) {
    request.uri = request.uri.substring(3);
  }
  return request;
}
"""
[[distribution]]
id = "EBENCHFUNCTION"
domain_name = "dbench.cloudfront.net"
aliases = ["127.0.0.1", "localhost"]
[[distribution.origin]]
id = "bench"
kind = "http"
domain_name = "127.0.0.1"
http_port = ${ORIGIN##*:}
[[distribution.behavior]]
path_pattern = "/fn/*"
target_origin_id = "bench"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "rewrite"
[distribution.default_behavior]
target_origin_id = "bench"
TOML
start edge "$EDGE" serve -config "$WORK/edge.toml" -api-listen 127.0.0.1:0
ADDR=$(addr_from edge '.*serving viewers on http://\([0-9.:]*\)/.*')

for r in $(seq "$ROUNDS"); do
	for c in plain function; do
		path=/bytes/1024
		[ "$c" = function ] && path=/fn/bytes/1024
		for conns in "$C" 1; do
			log "round $r: $c ($path), $conns connections"
			out="$WORK/$c-c$conns-$r.json"
			"$EDGE" bench -url "http://$ADDR" -size "$path" -c "$conns" -d "$DUR" -json -label "$c/edge" >"$out"
			jq -e '.errors == 0' "$out" >/dev/null || die "$c round $r had errors"
		done
	done
done

# Medians of each case, and the ratios.
medians() { # medians FIELD FILES…: the median of FIELD over the files
	local f=$1
	shift
	jq -s "map($f) | sort | .[length/2|floor]" "$@"
}
PR=$(medians .requests_per_s "$WORK"/plain-c"$C"-*.json)
FR=$(medians .requests_per_s "$WORK"/function-c"$C"-*.json)
PP=$(medians .latency_ms.p99 "$WORK"/plain-c1-*.json)
FP=$(medians .latency_ms.p99 "$WORK"/function-c1-*.json)
jq -n -r --argjson pr "$PR" --argjson fr "$FR" --argjson pp "$PP" --argjson fp "$FP" --arg c "$C" '
	"| case | req/s, \($c) connections | p99 ms, 1 connection |\n|---|---:|---:|\n" +
	"| 1 KiB hit | \($pr|floor) | \($pp*1000|round/1000) |\n" +
	"| 1 KiB hit through a viewer-request function | \($fr|floor) | \($fp*1000|round/1000) |\n\n" +
	"throughput ratio \($fr/$pr*100|round/100)×, p99 +\((($fp-$pp)*1000)|round) µs (medians of '"$ROUNDS"' rounds)"'
