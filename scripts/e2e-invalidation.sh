#!/usr/bin/env bash
# End-to-end check of the invalidation API with the real AWS CLI.
#
# Starts bin/edge (build it first: make build; or set EDGE_BIN) on two free loopback ports with a
# temporary config: one distribution whose dir origin serves a temporary folder, and the
# CloudFront API signed with the development key of config/default.toml. Then:
#   GET /obj.txt (Miss, then Hit); change the file; GET again (still the cached copy);
#   aws cloudfront create-invalidation --paths /obj.txt; aws cloudfront wait invalidation-completed;
#   GET /obj.txt (Miss with the new content, then Hit).
# Also checks that a wrongly signed CLI call is refused. Prints "N passed, N failed" and exits
# non-zero on any failure. Every command is bounded in time; the edge process is stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

EDGE_BIN=${EDGE_BIN:-bin/edge}
DIST=EDFDVBD6EXAMPLE
KEY=AKIAEDGEDEVEXAMPLE01
SECRET=edgeDevSecretKeyDoNotUseInProduction0001

. scripts/e2e-lib.sh
require curl python3 timeout aws

mkdir -p "$tmp/www"
printf 'version one\n' >"$tmp/www/obj.txt"
start_edge_with_api "" "$(cat <<'TOML'
min_ttl = 0
default_ttl = 86400
max_ttl = 31536000
TOML
)"

xcache=""
body=""
get() { # GET /obj.txt into $xcache and $body
	xcache=""
	body=""
	curl -s -m 10 -D "$tmp/h" -o "$tmp/b" "$viewer/obj.txt" || return
	xcache=$(tr -d '\r' <"$tmp/h" | sed -n 's/^[Xx]-[Cc]ache: //p')
	body=$(cat "$tmp/b")
}

get
check "first GET /obj.txt" "$xcache / $body" "Miss from cloudfront / version one"
get
check "second GET /obj.txt" "$xcache / $body" "Hit from cloudfront / version one"
printf 'version two\n' >"$tmp/www/obj.txt"
get
check "GET /obj.txt after the file changed: still the cached copy" "$xcache / $body" "Hit from cloudfront / version one"

export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
cf() { timeout 60 aws --endpoint-url "$api" cloudfront "$@"; }

if out=$(AWS_SECRET_ACCESS_KEY=not-the-secret cf list-invalidations --distribution-id "$DIST" 2>&1); then
	bad "a call signed with the wrong secret succeeded: $out"
elif grep -q SignatureDoesNotMatch <<<"$out"; then
	ok "a call signed with the wrong secret is refused (SignatureDoesNotMatch)"
else
	bad "a call signed with the wrong secret failed otherwise: $out"
fi

etag=$(cf get-distribution --id "$DIST" --query ETag --output text 2>&1)
if [[ $etag =~ ^E[A-Z2-7]{13}$ ]]; then ok "get-distribution gives ETag $etag"; else bad "get-distribution: $etag"; fi

id=$(cf create-invalidation --distribution-id "$DIST" --paths /obj.txt --query Invalidation.Id --output text 2>&1)
if [[ $id =~ ^I[A-Z0-9]{13}$ ]]; then
	ok "create-invalidation --paths /obj.txt: $id"
	if out=$(timeout 120 aws --endpoint-url "$api" cloudfront wait invalidation-completed \
		--distribution-id "$DIST" --id "$id" 2>&1); then
		ok "wait invalidation-completed"
	else
		bad "wait invalidation-completed: $out"
	fi
	check "get-invalidation status" "$(cf get-invalidation --distribution-id "$DIST" --id "$id" \
		--query Invalidation.Status --output text 2>&1)" "Completed"
	check "list-invalidations shows it first" "$(cf list-invalidations --distribution-id "$DIST" \
		--query 'InvalidationList.Items[0].Id' --output text 2>&1)" "$id"
else
	bad "create-invalidation: $id"
fi

get
check "GET /obj.txt after the invalidation: refetched from the origin" "$xcache / $body" \
	"Miss from cloudfront / version two"
get
check "GET /obj.txt again: cached again" "$xcache / $body" "Hit from cloudfront / version two"

finish
