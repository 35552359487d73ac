#!/usr/bin/env bash
# End-to-end check of edge import with the real AWS CLI: for every examples/*.toml, serve it,
# read each distribution back with `aws cloudfront get-distribution-config`, turn that JSON into
# TOML with `edge import`, serve the example with its distributions replaced by the imported
# ones, and check that get-distribution-config gives back the same DistributionConfig.
# Prints "N passed, N failed" and exits non-zero on any failure; every command is bounded in time
# and every edge process is stopped.
set -uo pipefail
cd "$(dirname "$0")/.."

EDGE_BIN=${EDGE_BIN:-bin/edge}
EDGE_BIN=$(cd "$(dirname "$EDGE_BIN")" && pwd)/$(basename "$EDGE_BIN")

. scripts/e2e-lib.sh
require python3 timeout aws

export AWS_ACCESS_KEY_ID=unused AWS_SECRET_ACCESS_KEY=unused AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
cf() { timeout 60 aws --no-sign-request --endpoint-url "$api" cloudfront "$@"; }
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }

# serve CONFIG: start the edge on CONFIG (from its folder, as a user would) on free ports and wait
# until its API answers; sets api.
serve() {
	stop
	local vp ap
	vp=$(free_port)
	ap=$(free_port)
	api=http://127.0.0.1:$ap
	(cd "$(dirname "$1")" && exec "$EDGE_BIN" serve -config "$(basename "$1")" -listen "127.0.0.1:$vp" -api-listen "127.0.0.1:$ap") >"$tmp/edge.log" 2>&1 &
	edge_pid=$!
	for _ in $(seq 150); do
		cf list-distributions >/dev/null 2>&1 && return 0
		kill -0 "$edge_pid" 2>/dev/null || break
		sleep 0.1
	done
	bad "edge did not start on $1: $(tail -5 "$tmp/edge.log")"
	return 1
}

stop() {
	if [ -n "$edge_pid" ]; then
		kill "$edge_pid" 2>/dev/null
		wait "$edge_pid" 2>/dev/null
		edge_pid=""
	fi
}

cp -r examples "$tmp/examples"
ln -s "$PWD/testdata" "$tmp/testdata" # the examples serve ../testdata/www
for example in "$tmp"/examples/*.toml; do
	name=$(basename "$example" .toml)
	serve "$example" || continue
	ids=$(cf list-distributions --query 'DistributionList.Items[].Id' --output text)
	roundtrip="$tmp/examples/$name-imported.toml"
	sed '/^\[\[distribution\]\]/,$d' "$example" >"$roundtrip"
	for id in $ids; do
		cf get-distribution-config --id "$id" >"$tmp/$name-$id-before.json"
		if "$EDGE_BIN" import -id "$id" -config "$example" "$tmp/$name-$id-before.json" >"$tmp/$name-$id.toml" 2>"$tmp/import.err"; then
			ok "$name: edge import of $id"
		else
			bad "$name: edge import of $id: $(cat "$tmp/import.err")"
		fi
		printf '\n' >>"$roundtrip"
		cat "$tmp/$name-$id.toml" >>"$roundtrip"
	done
	serve "$roundtrip" || continue
	for id in $ids; do
		cf get-distribution-config --id "$id" >"$tmp/$name-$id-after.json"
		same=$(python3 - "$tmp/$name-$id-before.json" "$tmp/$name-$id-after.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["DistributionConfig"] for p in sys.argv[1:])
print("same" if a == b else "differs:\n" + json.dumps(a, indent=1, sort_keys=True) + "\n---\n" + json.dumps(b, indent=1, sort_keys=True))
PY
)
		check "$name: get-distribution-config of $id after import, serve" "$same" "same"
	done
done
stop
finish
