#!/usr/bin/env bash
# fleet-demo.sh (make fleet-demo): a fleet on one machine, as the README's "A fleet" section
# describes it: a NATS server with JetStream, the synthetic origin (edge bench origin), one
# shield edge and three lower edges (examples/fleet/*.toml, listening on ports the kernel picks),
# all on 127.0.0.1. Then:
#   1. the same Zipf load through the three edges at once, and the origin's request count;
#   2. the same load through one edge alone (examples/fleet/single.toml: no shield, the shield's
#      cache size), and the ratio of the two origin counts (issue 16's budget: at most 1.05x);
#   3. CreateInvalidation through edge 1's API, GetInvalidation polled until Completed, and
#      X-Cache of the invalidated object (Miss) and of another (Hit) on every edge;
#   4. NATS stopped: CreateInvalidation answers 503 while viewers are served; NATS restarted:
#      the fleet converges and takes invalidations again;
#   5. a summary.
# Every process started here is stopped on exit (SIGTERM, SIGKILL after 5 s); every wait is
# bounded; a run takes about a minute.
#
# Environment: EDGE (binary, default bin/edge: make fleet-demo builds it), CATALOG (objects,
# default 2000), OBJSIZE (default 16KiB), REQS (requests per edge, default 20000), CONNS
# (connections per edge, default 8), KEEP=1 (keep the work folder: configs, logs, JSON reports).
# nats-server is installed into ~/.cache/edge/bin when missing (go install, pinned below).
set -euo pipefail
cd "$(dirname "$0")/.."

EDGE=${EDGE:-bin/edge}
CATALOG=${CATALOG:-2000}
OBJSIZE=${OBJSIZE:-16KiB}
REQS=${REQS:-20000}
CONNS=${CONNS:-8}
NATS_VERSION=v2.15.3
BIN_DIR="${EDGE_BIN_DIR:-$HOME/.cache/edge/bin}"
NATS="$BIN_DIR/nats-server"
DIST=EFLEETEXAMPLE
EDGES=(edge1 edge2 edge3)

NAME=fleet-demo
. scripts/bench-lib.sh

# bench-lib's cleanup, bounded, NATS last (an edge leaves the fleet as it stops): what has not
# stopped 5 s after SIGTERM is killed.
NATS_PID=""
stop_all() { # stop_all PID...
	local pid i alive
	for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
	for i in $(seq 50); do
		alive=0
		for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for pid in "$@"; do kill -9 "$pid" 2>/dev/null || true; done
	for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}
cleanup() {
	local pid first=()
	for pid in "${PIDS[@]}"; do [ "$pid" = "$NATS_PID" ] || first+=("$pid"); done
	stop_all "${first[@]}"
	[ -n "$NATS_PID" ] && stop_all "$NATS_PID"
	if [ "${KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

say() { printf '%s\n' "$*"; }
# forget PID: a process that has ended and been waited for leaves the list cleanup kills.
forget() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
show() { say "  \$ $*"; } # a command line, for people to reproduce

# --- tools -------------------------------------------------------------------------------
[ -x "$EDGE" ] || die "$EDGE is missing: run make build (make fleet-demo does)"
command -v curl >/dev/null || die "curl is missing"
if ! command -v jq >/dev/null; then
	[ "$(id -u)" = 0 ] || die "jq is missing and we are not root to apt-get it"
	log "installing jq (apt-get)"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi
if [ ! -x "$NATS" ] || [ "$("$NATS" --version 2>/dev/null)" != "nats-server: $NATS_VERSION" ]; then
	log "installing nats-server $NATS_VERSION into $BIN_DIR"
	mkdir -p "$BIN_DIR"
	(cd "$WORK" && GOBIN="$BIN_DIR" GOFLAGS=-buildvcs=false go install "github.com/nats-io/nats-server/v2@$NATS_VERSION") ||
		die "go install nats-server failed"
fi

say "== fleet-demo: examples/fleet/*.toml on ports the kernel picks, in $WORK ($("$NATS" --version))"

# metric NODE NAME: the value of an unlabelled metric on NODE's /metrics (empty if absent).
metric() { curl -s -m 5 "http://${API[$1]}/metrics" 2>/dev/null | awk -v m="$2" '$1 == m {v = $2} END {print v}'; }
# requests NODE RESULT: NODE's edge_requests_total summed over labels, for one X-Cache result.
requests() {
	curl -s -m 5 "http://${API[$1]}/metrics" 2>/dev/null |
		awk -v r="result=\"$2\"" '/^edge_requests_total\{/ && index($1, r) {s += $2} END {print s + 0}'
}
origin_requests() { curl -s -m 5 "http://$ORIGIN/_stats" | jq -r .requests; }
# now_ms: milliseconds since the epoch, read without starting a process (bash 5's EPOCHREALTIME),
# so that the timings below are not those of fork and exec on a loaded machine.
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
NOW=0
stamp() { local t=${EPOCHREALTIME/[.,]/}; NOW=$((t / 1000)); } # the same, into NOW

# --- NATS, the origin, the shield and the three edges --------------------------------------
# Every listener takes a port the kernel picks (nothing can take it between a choice and its
# use); each node's config is examples/fleet/NAME.toml with the addresses of NATS, the origin
# and the shield it names replaced by the real ones, and its own listeners given by flags.
declare -A VIEWER API
say
say "== starting (each process's output in $WORK/NAME.log)"
NATS_PORT=-1
start_nats() { # start_nats LOG: the first time on a port of the kernel's choice, then on the same one
	show "$NATS" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$WORK/nats"
	start "$1" "$NATS" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$WORK/nats"
	NATS_PID=${PIDS[-1]}
	NATS_ADDR=$(addr_from "$1" '.*Listening for client connections on \([0-9.:]*\).*')
	NATS_PORT=${NATS_ADDR##*:}
}
start_nats nats
show "$EDGE" bench origin -listen 127.0.0.1:0
start origin "$EDGE" bench origin -listen 127.0.0.1:0
ORIGIN=$(addr_from origin '.*serving on http://\([0-9.:]*\)/.*')
# start_node NAME: writes $WORK/NAME.toml and starts the edge on it.
start_node() {
	local n=$1
	sed -e "s|nats://127\.0\.0\.1:4222|nats://$NATS_ADDR|" -e "s|^http_port = 9000\b|http_port = ${ORIGIN##*:}|" \
		-e "s|address = \"127\.0\.0\.1:8090\"|address = \"${VIEWER[shield]-}\"|" "examples/fleet/$n.toml" >"$WORK/$n.toml"
	"$EDGE" validate -config "$WORK/$n.toml" >/dev/null || die "$WORK/$n.toml does not validate"
	show "$EDGE" serve -config "$WORK/$n.toml" -listen 127.0.0.1:0 -api-listen 127.0.0.1:0
	start "$n" "$EDGE" serve -config "$WORK/$n.toml" -listen 127.0.0.1:0 -api-listen 127.0.0.1:0
	VIEWER[$n]=$(addr_from "$n" '.*edge: serving viewers on http://\([0-9.:]*\)/.*')
	API[$n]=$(addr_from "$n" '.*edge: CloudFront API on http://\([0-9.:]*\)/.*')
}
start_node shield # first: the edges' configs name its address
for n in "${EDGES[@]}"; do start_node "$n"; done
for n in shield "${EDGES[@]}"; do
	addr_from "$n" '.*edge: fleet node "\([a-z0-9]*\)" on .*' >/dev/null # joined (and caught up)
done
t0=$(now_ms)
for i in $(seq 100); do # every node sees the four (heartbeats every second)
	all=1
	for n in shield "${EDGES[@]}"; do [ "$(metric "$n" edge_fleet_nodes_live)" = 4 ] || all=0; done
	[ "$all" = 1 ] && break
	[ "$i" = 100 ] && die "the four nodes did not all see each other within 10 s"
	sleep 0.1
done
say "  NATS on $NATS_ADDR, origin on $ORIGIN, shield ${VIEWER[shield]}, edges ${VIEWER[edge1]} ${VIEWER[edge2]} ${VIEWER[edge3]}:"
say "  every node sees 4 live nodes (edge_fleet_nodes_live) $(($(now_ms) - t0)) ms after the last joined"

# --- 1 and 2: the same Zipf load through the fleet, then through one edge -------------------
# zipf_run LABEL NS TARGET...: one edge bench per target, concurrently, target i with seed i
# (the same three request streams whatever the targets); sets ORIGIN_DELTA.
zipf_run() {
	local label=$1 ns=$2 i=0 t pids=() before after
	shift 2
	before=$(origin_requests)
	for t in "$@"; do
		i=$((i + 1))
		local cmd=("$EDGE" bench -scenario zipf -url "http://${VIEWER[$t]}" -catalog "$CATALOG" -objsize "$OBJSIZE" -s 1.0
			-seed "$i" -ns "$ns" -c "$CONNS" -n "$REQS" -d 60s)
		show "${cmd[@]}"
		"${cmd[@]}" -json -label "$label/$t.$i" >"$WORK/$label.$i.json" 2>"$WORK/$label.$i.err" &
		pids+=($!)
		PIDS+=($!)
	done
	for t in "${pids[@]}"; do
		wait "$t" || log "  (a bench run reported errors: $WORK/$label.*.err)"
		forget "$t"
	done
	after=$(origin_requests)
	ORIGIN_DELTA=$((after - before))
}
report_line() { # report_line FILE: requests, hit ratio (X-Cache), errors, req/s
	jq -r '"\(.requests) requests, hit ratio \(.hit_ratio*10000|round/10000) (\(.hit_ratio_from)), \(.errors) errors, \(.requests_per_s|floor) req/s, p99 \(.latency_ms.p99*1000|round/1000) ms"' "$1"
}
# shield_results NODE NS: how NODE's misses on NS were answered (access log, detailed result type).
shield_results() {
	awk -F'\t' -v p="/obj/z$2-" 'index($8, p) == 1 {c[$29]++} END {printf "ShieldHit %d, ShieldMiss %d", c["ShieldHit"], c["ShieldMiss"]}' "$WORK/$1.log"
}

NS=fleet$(date +%s)
say
say "== 1. Zipf (s=1.0, $CATALOG objects of $OBJSIZE, $REQS requests per edge, -c $CONNS) through the three edges at once"
sh_hit0=$(requests shield Hit)
sh_miss0=$(requests shield Miss)
zipf_run fleet "$NS" "${EDGES[@]}"
FLEET_ORIGIN=$ORIGIN_DELTA
sleep 1.2 # the access logs are flushed every second
i=0
FLEET_REQS=0
HITS=""
for n in "${EDGES[@]}"; do
	i=$((i + 1))
	say "  $n: $(report_line "$WORK/fleet.$i.json"); misses answered by the shield: $(shield_results "$n" "$NS")"
	FLEET_REQS=$((FLEET_REQS + $(jq -r .requests "$WORK/fleet.$i.json")))
	HITS+="$n $(jq -r '.hit_ratio*1000|round/1000' "$WORK/fleet.$i.json"), "
done
sh_hit=$(($(requests shield Hit) - sh_hit0))
sh_miss=$(($(requests shield Miss) - sh_miss0))
say "  shield: $((sh_hit + sh_miss)) requests from the edges, $sh_hit Hit, $sh_miss Miss (its edge_requests_total)"
say "  origin: $FLEET_ORIGIN requests for $FLEET_REQS viewer requests (its /_stats)"

say
say "== 2. the same load through one edge alone (examples/fleet/single.toml: no shield, the shield's 8 MiB cache)"
start_node single
for i in $(seq 100); do
	curl -s -m 1 -o /dev/null "http://${VIEWER[single]}/obj/ready?size=1" && break
	[ "$i" = 100 ] && die "the single edge does not answer"
	sleep 0.1
done
zipf_run single "single$(date +%s)" single single single
SINGLE_ORIGIN=$ORIGIN_DELTA
SINGLE_REQS=0
for i in 1 2 3; do
	say "  single, stream $i: $(report_line "$WORK/single.$i.json")"
	SINGLE_REQS=$((SINGLE_REQS + $(jq -r .requests "$WORK/single.$i.json")))
done
say "  origin: $SINGLE_ORIGIN requests for $SINGLE_REQS viewer requests"
RATIO=$(awk -v f="$FLEET_ORIGIN" -v s="$SINGLE_ORIGIN" 'BEGIN {printf (s > 0 ? "%.3f" : "n/a"), f / s}')
say "  fleet / single origin requests: $FLEET_ORIGIN / $SINGLE_ORIGIN = ${RATIO}x (budget: at most 1.05x)"

# --- 3. an invalidation through edge 1, fanned out ----------------------------------------
A="/obj/z$NS-0"  # the most requested object of the run
B="/obj/z$NS-1"  # the next one
SIZE=$(numfmt --from=iec-i "${OBJSIZE%B}")
# xcache NODE PATH: X-Cache, and the tiers Server-Timing names (asked for with Pragma).
xcache() {
	curl -s -m 5 -o /dev/null -D - -H 'Pragma: server-timing' "http://${VIEWER[$1]}$2?size=$SIZE" | tr -d '\r' | awk '
		tolower($1) == "x-cache:" {x = $2 " " $3 " " $4}
		tolower($1) == "server-timing:" {
			n = split(substr($0, length($1) + 2), f, ",")
			for (i = 1; i <= n; i++) if (f[i] ~ /layer/) l = l " " f[i]
		}
		END {print x " |" l}'
}
batch() { # batch PATH REF: CloudFront's InvalidationBatch
	printf '<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>1</Quantity><Items><Path>%s</Path></Items></Paths><CallerReference>%s</CallerReference></InvalidationBatch>' "$1" "$2"
}
# invalidate NODE PATH REF: CreateInvalidation through NODE's API, sent at T0 (ms); sets
# INV_STATUS, INV_ID, INV_BODY.
invalidate() {
	local url="http://${API[$1]}/2020-05-31/distribution/$DIST/invalidation" xml
	xml=$(batch "$2" "demo-$3")
	show curl -X POST -H "'Content-Type: application/xml'" --data "'$xml'" "$url"
	stamp
	T0=$NOW
	curl -s -m 10 -o "$WORK/inv.xml" -w '%{http_code}' -X POST -H 'Content-Type: application/xml' --data "$xml" "$url" >"$WORK/inv.status" || true
	read -r INV_STATUS <"$WORK/inv.status" || true
	INV_BODY=$(<"$WORK/inv.xml")
	INV_ID=""
	if [[ $INV_BODY =~ \<Id\>(I[A-Z0-9]+)\</Id\> ]]; then INV_ID=${BASH_REMATCH[1]}; fi
}
# wait_completed NODE ID: polls GetInvalidation (every 10 ms, at most 15 s) until Completed; sets
# WAITED_MS (from T0), POLLS, and PENDING (the first X-Edge-Fleet-Pending seen). The loop runs
# only curl, so that the time measured is the fleet's and not the shell's.
wait_completed() {
	local url="http://${API[$1]}/2020-05-31/distribution/$DIST/invalidation/$2" line body
	show curl -i "$url"
	PENDING=""
	for POLLS in $(seq 1500); do
		curl -s -m 5 -D "$WORK/get.h" -o "$WORK/get.xml" "$url" || true
		stamp
		read -r -d "" body <"$WORK/get.xml" || true
		if [[ $body == *"<Status>Completed</Status>"* ]]; then
			WAITED_MS=$((NOW - T0))
			return
		fi
		if [ -z "$PENDING" ]; then
			while IFS= read -r line; do
				[[ ${line,,} == x-edge-fleet-pending:* ]] && PENDING=${line#*: } && PENDING=${PENDING%$'\r'}
			done <"$WORK/get.h"
			true
		fi
		sleep 0.01
	done
	die "invalidation $2 not Completed within 15 s"
}

say
say "== 3. an invalidation of $A through edge1's API"
for n in "${EDGES[@]}"; do xcache "$n" "$A" >/dev/null; xcache "$n" "$B" >/dev/null; done # cached everywhere
for n in "${EDGES[@]}"; do say "  before: $n $A: $(xcache "$n" "$A")"; done
invalidate edge1 "$A" 1
if [ "$INV_STATUS" != 201 ] || [ -z "$INV_ID" ]; then die "CreateInvalidation answered $INV_STATUS: $INV_BODY"; fi
say "  201 Created, $INV_ID, $(sed -n 's:.*<Status>\([A-Za-z]*\)</Status>.*:\1:p' <<<"$INV_BODY")"
wait_completed edge1 "$INV_ID"
INV_MS=$WAITED_MS
INV_POLLS=$POLLS
say "  GetInvalidation: Completed at poll $POLLS, $INV_MS ms after CreateInvalidation was sent (wall time, curl's start included)${PENDING:+; X-Edge-Fleet-Pending before: $PENDING}"
shield_hits=0
for n in "${EDGES[@]}"; do
	r=$(xcache "$n" "$A")
	say "  after:  $n $A: $r"
	[[ $r == *'cdn-hit-layer;desc="Origin Shield"'* ]] && shield_hits=$((shield_hits + 1))
done
if [ "$shield_hits" = 0 ]; then
	say "  (each edge's refill went through the shield to the origin: the shield's admission (TinyLFU)"
	say "  keeps what the edges miss most, and this object, hit at the edges, was rarely asked of it)"
fi
for n in "${EDGES[@]}"; do
	say "  after:  $n $B: $(xcache "$n" "$B")"
done
APPLY=""
for n in "${EDGES[@]}" shield; do
	APPLY+="$n $(awk -v s="$(metric "$n" edge_fleet_invalidation_apply_seconds_sum)" 'BEGIN {printf "%.1f", s * 1000}') ms, "
done
say "  applied after its creation (edge_fleet_invalidation_apply_seconds_sum): ${APPLY%, }"

# --- 4. NATS down, then back ---------------------------------------------------------------
say
say "== 4. NATS stopped"
kill "$NATS_PID"
wait "$NATS_PID" 2>/dev/null || true
forget "$NATS_PID"
for i in $(seq 50); do [ "$(metric edge2 edge_fleet_connected)" = 0 ] && break; sleep 0.1; done
say "  edge2: edge_fleet_connected $(metric edge2 edge_fleet_connected)"
invalidate edge2 "$B" 2
DOWN_STATUS="$INV_STATUS $(sed -n 's:.*<Code>\([A-Za-z]*\)</Code>.*:\1:p' <<<"$INV_BODY")"
say "  CreateInvalidation through edge2: $DOWN_STATUS"
DOWN_VIEWER=$(xcache edge2 "$B")
say "  a viewer on edge2, $B: $(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://${VIEWER[edge2]}$B?size=$SIZE") $DOWN_VIEWER"
say "  NATS restarted (same store)"
t0=$(now_ms)
start_nats nats-restarted
for i in $(seq 150); do
	all=1
	for n in shield "${EDGES[@]}"; do
		[ "$(metric "$n" edge_fleet_connected)" = 1 ] && [ "$(metric "$n" edge_fleet_nodes_live)" = 4 ] || all=0
	done
	[ "$all" = 1 ] && break
	[ "$i" = 150 ] && die "the fleet did not converge within 15 s of NATS's restart"
	sleep 0.1
done
BACK_MS=$(($(now_ms) - t0))
say "  every node connected again and sees 4 live nodes $BACK_MS ms after the restart"
invalidate edge3 "$B" 3
if [ "$INV_STATUS" != 201 ] || [ -z "$INV_ID" ]; then die "CreateInvalidation after NATS's return answered $INV_STATUS: $INV_BODY"; fi
wait_completed edge3 "$INV_ID"
INV2_MS=$WAITED_MS
say "  CreateInvalidation through edge3: 201, Completed at poll $POLLS, $INV2_MS ms after it was sent"
for n in "${EDGES[@]}"; do say "  after:  $n $B: $(xcache "$n" "$B")"; done

# --- 5. summary ------------------------------------------------------------------------------
say
say "== summary"
say "  edge hit ratios (X-Cache): ${HITS%, }; shield $(awk -v h="$sh_hit" -v m="$sh_miss" 'BEGIN {printf "%.3f", (h + m > 0 ? h / (h + m) : 0)}')"
say "  origin requests: fleet (3 edges behind a shield) $FLEET_ORIGIN, single edge $SINGLE_ORIGIN, same Zipf load of $FLEET_REQS requests: ${RATIO}x (budget 1.05x)"
say "  invalidation through edge1: Completed at GetInvalidation poll $INV_POLLS, $INV_MS ms after it was sent; applied on"
say "  each node after its creation: ${APPLY%, }; after NATS's return, through edge3: Completed after $INV2_MS ms"
say "  NATS down: CreateInvalidation $DOWN_STATUS, viewers served ($DOWN_VIEWER); back in $BACK_MS ms"
LIVE=""
for n in "${EDGES[@]}" shield; do LIVE+="$n $(metric "$n" edge_fleet_nodes_live), "; done
say "  edge_fleet_nodes_live: ${LIVE%, }"
