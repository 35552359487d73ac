#!/usr/bin/env bash
# End-to-end check of the policy, key and origin access control APIs with the real AWS CLI.
#
# Starts the S3 server the tests use (versitygw, built by scripts/build-s3server.sh) with a
# private bucket, a local HTTP origin (python3 -m http.server) and bin/edge (build it first:
# make build; or set EDGE_BIN) with a state folder and api.s3_endpoint pointing at the S3
# server, then drives the API as a user would:
#   create-cache-policy → get-cache-policy-config round trip → update-cache-policy --if-match →
#   create-origin-request-policy and create-response-headers-policy → a distribution using all
#   three (the response headers policy's header seen by a viewer, and again after an update,
#   without a restart) → delete-cache-policy refused while in use → create-public-key (openssl)
#   → create-key-group → a behavior trusting it: unsigned 403, `aws cloudfront sign` 200 →
#   delete-key-group and delete-public-key refused while in use → create-origin-access-control
#   → an S3 origin on the private bucket: signed 200, then 403 once the OAC says never →
#   delete refused while in use → a restart from the state folder keeps it all → everything
#   deleted in order.
# Prints "N passed, N failed" and exits non-zero on any failure. Every command is bounded in
# time; the edge, the origin and the S3 server are stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

EDGE_BIN=${EDGE_BIN:-bin/edge}
DIST=EDFDVBD6EXAMPLE
KEY=AKIAEDGEDEVEXAMPLE01
SECRET=edgeDevSecretKeyDoNotUseInProduction0001
S3_KEY=EDGEE2ES3ROOTACCESS1
S3_SECRET=edgeE2Es3RootSecret000000000000000000001

. scripts/e2e-lib.sh
require curl python3 timeout aws openssl

# The S3 server, with the private bucket "media".
s3bin=$(bash scripts/build-s3server.sh 2>"$tmp/s3build.log" | tail -n 1)
[ -x "$s3bin" ] || { bad "scripts/build-s3server.sh did not build the S3 server: $(tail -5 "$tmp/s3build.log")"; finish; }
s3_port=$(free_port)
mkdir -p "$tmp/s3"
"$s3bin" --access "$S3_KEY" --secret "$S3_SECRET" --port "127.0.0.1:$s3_port" --region us-east-1 --quiet posix "$tmp/s3" \
	>"$tmp/s3.log" 2>&1 &
s3_pid=$!
s3=http://127.0.0.1:$s3_port

# The HTTP origin.
origin_port=$(free_port)
mkdir -p "$tmp/origin/private"
printf 'hello from the origin\n' >"$tmp/origin/index.html"
printf 'for key holders\n' >"$tmp/origin/private/a.txt"
python3 -m http.server "$origin_port" --bind 127.0.0.1 --directory "$tmp/origin" >"$tmp/origin.log" 2>&1 &
origin_pid=$!
trap 'kill "$origin_pid" "$s3_pid" 2>/dev/null; cleanup' EXIT

for _ in $(seq 100); do
	[ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$s3/")" = 403 ] && break
	sleep 0.1
done
s3api() { AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET timeout 60 aws --endpoint-url "$s3" s3api "$@"; }
printf 'from the private bucket\n' >"$tmp/object.txt"
if s3api create-bucket --bucket media >/dev/null 2>"$tmp/err" &&
	s3api put-object --bucket media --key media/object.txt --body "$tmp/object.txt" >/dev/null 2>>"$tmp/err"; then
	ok "S3 server on $s3 with the private bucket media"
else
	bad "S3 server: $(cat "$tmp/err")"
	finish
fi
check "the bucket is private: an anonymous GET is refused" \
	"$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$s3/media/media/object.txt")" 403

# The edge: API with SigV4, a state folder, S3 origins of API distributions on the S3 server,
# signed with the S3 server's keys (the edge's environment).
viewer_port=$(free_port)
api_port=$(free_port)
while [ "$api_port" = "$viewer_port" ]; do api_port=$(free_port); done
viewer=http://127.0.0.1:$viewer_port
api=http://127.0.0.1:$api_port
mkdir -p "$tmp/www"
printf 'ready\n' >"$tmp/www/ready.txt"
cat >"$tmp/edge.toml" <<TOML
[api]
auth = "sigv4"
state_dir = "state"
s3_endpoint = "$s3"

[[api.key]]
access_key_id = "$KEY"
secret_access_key = "$SECRET"

[[distribution]]
id = "$DIST"
aliases = ["127.0.0.1", "localhost"]

[[distribution.origin]]
id = "www"
kind = "dir"
path = "www"

[distribution.default_behavior]
target_origin_id = "www"
TOML

start_edge() {
	AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET \
		"$EDGE_BIN" serve -config "$tmp/edge.toml" -listen "127.0.0.1:$viewer_port" -api-listen "127.0.0.1:$api_port" \
		>>"$tmp/edge.log" 2>&1 &
	edge_pid=$!
	local v a
	for _ in $(seq 150); do
		v=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$viewer/ready.txt" 2>/dev/null)
		a=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$api/2020-05-31/distribution" 2>/dev/null)
		if [ "$v" = 200 ] && [ "$a" = 403 ]; then return 0; fi
		kill -0 "$edge_pid" 2>/dev/null || break
		sleep 0.1
	done
	bad "edge did not start on $viewer and $api (viewer $v, API $a); log:"
	sed 's/^/    /' "$tmp/edge.log"
	finish
}
start_edge
ok "edge serves viewers on $viewer and the API on $api"

export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
cf() { timeout 60 aws --endpoint-url "$api" cloudfront "$@"; }
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }
viewer_get() { curl -s -m 10 -H "Host: $1" -w ' %{http_code}' "$viewer$2" 2>&1; }
header() { curl -s -m 10 -D - -o /dev/null -H "Host: $1" "$viewer$2" | tr -d '\r' | awk -v h="$(tr A-Z a-z <<<"$3")" -F': ' 'tolower($1)==h {print $2}'; }
# expect_error DESCRIPTION CODE COMMAND...: the command fails with CODE.
expect_error() {
	local what=$1 code=$2 out
	shift 2
	if out=$("$@" 2>&1); then bad "$what: succeeded, want $code"; elif grep -q "$code" <<<"$out"; then ok "$what: $code"; else bad "$what: $out"; fi
}

# --- cache policy ---
cat >"$tmp/cp.json" <<'JSON'
{"Name": "e2e-lang", "Comment": "keyed on lang", "MinTTL": 1,
 "ParametersInCacheKeyAndForwardedToOrigin": {
   "EnableAcceptEncodingGzip": true,
   "HeadersConfig": {"HeaderBehavior": "none"},
   "CookiesConfig": {"CookieBehavior": "none"},
   "QueryStringsConfig": {"QueryStringBehavior": "whitelist", "QueryStrings": {"Quantity": 1, "Items": ["lang"]}}}}
JSON
if cf create-cache-policy --cache-policy-config "file://$tmp/cp.json" >"$tmp/cp-out.json" 2>"$tmp/err"; then
	cp_id=$(json "$tmp/cp-out.json" 'j["CachePolicy"]["Id"]')
	cp_etag=$(json "$tmp/cp-out.json" 'j["ETag"]')
	if [[ $cp_id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then ok "create-cache-policy: $cp_id"; else bad "cache policy id '$cp_id'"; fi
	check "create-cache-policy: defaults filled" \
		"$(json "$tmp/cp-out.json" 'str(j["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"])+" "+str(j["CachePolicy"]["CachePolicyConfig"]["MaxTTL"])+" "+str(j["CachePolicy"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]["EnableAcceptEncodingBrotli"])')" \
		"86400 31536000 False"
else
	bad "create-cache-policy: $(cat "$tmp/err")"
	finish
fi
cf get-cache-policy-config --id "$cp_id" >"$tmp/cp-got.json" 2>&1
check "get-cache-policy-config: same ETag" "$(json "$tmp/cp-got.json" 'j["ETag"]')" "$cp_etag"
json "$tmp/cp-got.json" 'json.dumps(j["CachePolicyConfig"])' >"$tmp/cp-echo.json"
if cf update-cache-policy --id "$cp_id" --if-match "$cp_etag" --cache-policy-config "file://$tmp/cp-echo.json" >"$tmp/cp-upd0.json" 2>"$tmp/err"; then
	cf get-cache-policy-config --id "$cp_id" >"$tmp/cp-got2.json" 2>&1
	check "no-op update-cache-policy: the config is unchanged" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["CachePolicyConfig"] == json.load(open(sys.argv[2]))["CachePolicyConfig"])' "$tmp/cp-got.json" "$tmp/cp-got2.json")" True
	cp_etag=$(json "$tmp/cp-upd0.json" 'j["ETag"]')
else
	bad "no-op update-cache-policy: $(cat "$tmp/err")"
fi
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["DefaultTTL"]=600; json.dump(c, open(sys.argv[2],"w"))' "$tmp/cp-echo.json" "$tmp/cp2.json"
if cf update-cache-policy --id "$cp_id" --if-match "$cp_etag" --cache-policy-config "file://$tmp/cp2.json" >"$tmp/cp-upd.json" 2>"$tmp/err"; then
	check "update-cache-policy --if-match: DefaultTTL 600" "$(json "$tmp/cp-upd.json" 'j["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"]')" 600
	cp_etag=$(json "$tmp/cp-upd.json" 'j["ETag"]')
else
	bad "update-cache-policy: $(cat "$tmp/err")"
fi
expect_error "update-cache-policy with a stale ETag" PreconditionFailed \
	cf update-cache-policy --id "$cp_id" --if-match "$(json "$tmp/cp-out.json" 'j["ETag"]')" --cache-policy-config "file://$tmp/cp2.json"
expect_error "create-cache-policy with a used name" CachePolicyAlreadyExists cf create-cache-policy --cache-policy-config "file://$tmp/cp.json"
check "list-cache-policies --type managed: 7 with their AWS ids" \
	"$(cf list-cache-policies --type managed --query 'length(CachePolicyList.Items)' --output text 2>&1)" 7
check "list-cache-policies --type custom" \
	"$(cf list-cache-policies --type custom --query 'CachePolicyList.Items[].CachePolicy.CachePolicyConfig.Name' --output text 2>&1)" e2e-lang
expect_error "update of a managed policy" IllegalUpdate \
	cf update-cache-policy --id 658327ea-f89d-4fab-a63d-7e88639e58f6 --if-match "$cp_etag" --cache-policy-config "file://$tmp/cp2.json"

# --- origin request and response headers policies ---
cat >"$tmp/orp.json" <<'JSON'
{"Name": "e2e-ua", "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["User-Agent"]}},
 "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "all"}}
JSON
orp_id=$(cf create-origin-request-policy --origin-request-policy-config "file://$tmp/orp.json" --query OriginRequestPolicy.Id --output text 2>&1)
[[ $orp_id =~ ^[0-9a-f-]{36}$ ]] && ok "create-origin-request-policy: $orp_id" || bad "create-origin-request-policy: $orp_id"
rhp_config() {
	cat <<JSON
{"Name": "e2e-stamp", "CustomHeadersConfig": {"Quantity": 1, "Items": [{"Header": "X-E2E-Policy", "Value": "$1", "Override": true}]},
 "SecurityHeadersConfig": {"FrameOptions": {"FrameOption": "DENY", "Override": true}}}
JSON
}
rhp_config one >"$tmp/rhp.json"
cf create-response-headers-policy --response-headers-policy-config "file://$tmp/rhp.json" >"$tmp/rhp-out.json" 2>"$tmp/err" ||
	bad "create-response-headers-policy: $(cat "$tmp/err")"
rhp_id=$(json "$tmp/rhp-out.json" 'j["ResponseHeadersPolicy"]["Id"]')
rhp_etag=$(json "$tmp/rhp-out.json" 'j["ETag"]')
[[ $rhp_id =~ ^[0-9a-f-]{36}$ ]] && ok "create-response-headers-policy: $rhp_id" || bad "create-response-headers-policy: $rhp_id"

# --- a distribution using the three ---
cat >"$tmp/dist.json" <<JSON
{"CallerReference": "e2e-policies-1", "Comment": "e2e policies", "Enabled": true,
 "Origins": {"Quantity": 1, "Items": [{"Id": "local", "DomainName": "127.0.0.1",
   "CustomOriginConfig": {"HTTPPort": $origin_port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
 "DefaultCacheBehavior": {"TargetOriginId": "local", "ViewerProtocolPolicy": "allow-all",
   "CachePolicyId": "$cp_id", "OriginRequestPolicyId": "$orp_id", "ResponseHeadersPolicyId": "$rhp_id"}}
JSON
if cf create-distribution --distribution-config "file://$tmp/dist.json" >"$tmp/dist-out.json" 2>"$tmp/err"; then
	id=$(json "$tmp/dist-out.json" 'j["Distribution"]["Id"]')
	domain=$(json "$tmp/dist-out.json" 'j["Distribution"]["DomainName"]')
	ok "create-distribution with the three policies: $id"
else
	bad "create-distribution: $(cat "$tmp/err")"
	finish
fi
check "viewer: GET through the policies" "$(viewer_get "$domain" /index.html)" "hello from the origin
 200"
check "viewer: the response headers policy's header" "$(header "$domain" /index.html X-E2E-Policy)" one
check "viewer: its X-Frame-Options" "$(header "$domain" /index.html X-Frame-Options)" DENY
rhp_config two >"$tmp/rhp2.json"
if cf update-response-headers-policy --id "$rhp_id" --if-match "$rhp_etag" --response-headers-policy-config "file://$tmp/rhp2.json" \
	>"$tmp/rhp-upd.json" 2>"$tmp/err"; then
	ok "update-response-headers-policy"
else
	bad "update-response-headers-policy: $(cat "$tmp/err")"
fi
check "viewer: the updated header, without a restart" "$(header "$domain" /index.html X-E2E-Policy)" two
expect_error "delete-cache-policy while a distribution uses it" CachePolicyInUse cf delete-cache-policy --id "$cp_id" --if-match "$cp_etag"

# --- public key and key group; signed URLs on /private/* ---
openssl genrsa -traditional -out "$tmp/private.pem" 2048 2>/dev/null || openssl genrsa -out "$tmp/private.pem" 2048 2>/dev/null
openssl rsa -in "$tmp/private.pem" -pubout -out "$tmp/public.pem" 2>/dev/null
python3 -c 'import json,sys; json.dump({"CallerReference": "e2e-key", "Name": "e2e-key", "EncodedKey": open(sys.argv[1]).read(), "Comment": "e2e"}, open(sys.argv[2],"w"))' \
	"$tmp/public.pem" "$tmp/pk.json"
cf create-public-key --public-key-config "file://$tmp/pk.json" >"$tmp/pk-out.json" 2>"$tmp/err" || bad "create-public-key: $(cat "$tmp/err")"
pk_id=$(json "$tmp/pk-out.json" 'j["PublicKey"]["Id"]')
pk_etag=$(json "$tmp/pk-out.json" 'j["ETag"]')
[[ $pk_id =~ ^K[A-Z0-9]{12}$ ]] && ok "create-public-key: $pk_id" || bad "create-public-key: '$pk_id'"
cf get-public-key-config --id "$pk_id" >"$tmp/pk-got.json" 2>&1
check "get-public-key-config: EncodedKey byte for byte" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["PublicKeyConfig"]["EncodedKey"] == open(sys.argv[2]).read())' \
		"$tmp/pk-got.json" "$tmp/public.pem" 2>&1)" True
kg_id=$(cf create-key-group --key-group-config "Name=e2e-group,Items=$pk_id" --query KeyGroup.Id --output text 2>&1)
[[ $kg_id =~ ^[0-9a-f-]{36}$ ]] && ok "create-key-group: $kg_id" || bad "create-key-group: $kg_id"
cf get-distribution-config --id "$id" >"$tmp/got.json" 2>&1
python3 - "$tmp/got.json" "$tmp/dist2.json" "$kg_id" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["DistributionConfig"]
b = json.loads(json.dumps(c["DefaultCacheBehavior"]))
b["PathPattern"] = "/private/*"
b["TrustedKeyGroups"] = {"Enabled": True, "Quantity": 1, "Items": [sys.argv[3]]}
b["CachePolicyId"] = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
del b["OriginRequestPolicyId"], b["ResponseHeadersPolicyId"]
c["CacheBehaviors"] = {"Quantity": 1, "Items": [b]}
json.dump(c, open(sys.argv[2], "w"))
PY
if cf update-distribution --id "$id" --if-match "$(json "$tmp/got.json" 'j["ETag"]')" --distribution-config "file://$tmp/dist2.json" \
	>"$tmp/upd.json" 2>"$tmp/err"; then
	check "update-distribution: /private/* trusts the key group (ActiveTrustedKeyGroups)" \
		"$(json "$tmp/upd.json" 'j["Distribution"]["ActiveTrustedKeyGroups"]["Items"][0]["KeyPairIds"]["Items"][0]')" "$pk_id"
else
	bad "update-distribution with the key group: $(cat "$tmp/err")"
fi
check "viewer: an unsigned request to /private/ is refused" "$(viewer_get "$domain" /private/a.txt | tail -c 4)" " 403"
signed=$(timeout 30 aws cloudfront sign --url "http://$domain/private/a.txt" --key-pair-id "$pk_id" \
	--private-key "file://$tmp/private.pem" --date-less-than "$(($(date +%s) + 3600))" 2>"$tmp/err")
[ -n "$signed" ] || bad "aws cloudfront sign: $(cat "$tmp/err")"
check "viewer: a URL signed by aws cloudfront sign with the API key is served" "$(viewer_get "$domain" "${signed#http://$domain}")" "for key holders
 200"
expect_error "delete-key-group while a behavior trusts it" ResourceInUse \
	cf delete-key-group --id "$kg_id" --if-match "$(cf get-key-group --id "$kg_id" --query ETag --output text 2>&1)"
expect_error "delete-public-key while a key group holds it" PublicKeyInUse cf delete-public-key --id "$pk_id" --if-match "$pk_etag"

# --- origin access control: an S3 origin on the private bucket ---
oac_etag_of() { cf get-origin-access-control --id "$1" --query ETag --output text 2>&1; }
oac_id=$(cf create-origin-access-control --origin-access-control-config \
	Name=e2e-oac,SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3 \
	--query OriginAccessControl.Id --output text 2>&1)
[[ $oac_id =~ ^E[A-Z0-9]{13}$ ]] && ok "create-origin-access-control: $oac_id" || bad "create-origin-access-control: $oac_id"
cat >"$tmp/s3dist.json" <<JSON
{"CallerReference": "e2e-policies-s3", "Comment": "e2e s3", "Enabled": true,
 "Origins": {"Quantity": 1, "Items": [{"Id": "bucket", "DomainName": "media.s3.us-east-1.amazonaws.com", "OriginPath": "/media",
   "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": "$oac_id"}]},
 "DefaultCacheBehavior": {"TargetOriginId": "bucket", "ViewerProtocolPolicy": "allow-all",
   "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}}
JSON
if cf create-distribution --distribution-config "file://$tmp/s3dist.json" >"$tmp/s3dist-out.json" 2>"$tmp/err"; then
	s3id=$(json "$tmp/s3dist-out.json" 'j["Distribution"]["Id"]')
	s3domain=$(json "$tmp/s3dist-out.json" 'j["Distribution"]["DomainName"]')
	ok "create-distribution with an S3 origin and the OAC: $s3id"
else
	bad "create-distribution with the OAC: $(cat "$tmp/err")"
fi
check "viewer: the private object, signed by the edge (OAC always)" "$(viewer_get "$s3domain" /object.txt)" "from the private bucket
 200"
if cf update-origin-access-control --id "$oac_id" --if-match "$(oac_etag_of "$oac_id")" --origin-access-control-config \
	Name=e2e-oac,SigningProtocol=sigv4,SigningBehavior=never,OriginAccessControlOriginType=s3 >/dev/null 2>"$tmp/err"; then
	ok "update-origin-access-control: never"
else
	bad "update-origin-access-control: $(cat "$tmp/err")"
fi
check "viewer: unsigned now, the bucket refuses" "$(viewer_get "$s3domain" /object.txt | tail -c 4)" " 403"
cf update-origin-access-control --id "$oac_id" --if-match "$(oac_etag_of "$oac_id")" --origin-access-control-config \
	Name=e2e-oac,SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3 >/dev/null 2>&1
check "viewer: signed again" "$(viewer_get "$s3domain" /object.txt | tail -c 4)" " 200"
expect_error "delete-origin-access-control while an origin uses it" OriginAccessControlInUse \
	cf delete-origin-access-control --id "$oac_id" --if-match "$(oac_etag_of "$oac_id")"
sed "s/\"$oac_id\"/\"ENOSUCHOAC0000\"/; s/e2e-policies-s3/e2e-policies-s3b/" "$tmp/s3dist.json" >"$tmp/s3bad.json"
expect_error "create-distribution naming an unknown OAC" InvalidOriginAccessControl cf create-distribution --distribution-config "file://$tmp/s3bad.json"

# --- a restart from the state folder ---
before=$(cf get-cache-policy-config --id "$cp_id" --output json 2>&1)
kill "$edge_pid"
wait "$edge_pid" 2>/dev/null
start_edge
check "after a restart: the cache policy and its ETag" "$(cf get-cache-policy-config --id "$cp_id" --output json 2>&1)" "$before"
check "after a restart: the header of the updated response headers policy" "$(header "$domain" /index.html X-E2E-Policy)" two
check "after a restart: the S3 origin signs" "$(viewer_get "$s3domain" /object.txt | tail -c 4)" " 200"
signed=$(timeout 30 aws cloudfront sign --url "http://$domain/private/a.txt" --key-pair-id "$pk_id" \
	--private-key "file://$tmp/private.pem" --date-less-than "$(($(date +%s) + 3600))" 2>/dev/null)
check "after a restart: the signed URL" "$(viewer_get "$domain" "${signed#http://$domain}" | tail -c 4)" " 200"

# --- everything deleted, in order ---
delete_dist() { # delete_dist ID: disable, wait, delete
	local d=$1
	cf get-distribution-config --id "$d" >"$tmp/dc.json" 2>&1
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["DistributionConfig"]; c["Enabled"]=False; json.dump(c, open(sys.argv[2],"w"))' \
		"$tmp/dc.json" "$tmp/dc2.json"
	local e
	e=$(cf update-distribution --id "$d" --if-match "$(json "$tmp/dc.json" 'j["ETag"]')" --distribution-config "file://$tmp/dc2.json" \
		--query ETag --output text 2>&1)
	cf wait distribution-deployed --id "$d" >/dev/null 2>&1
	cf delete-distribution --id "$d" --if-match "$e" 2>&1
}
if out=$(delete_dist "$id") && out2=$(delete_dist "$s3id"); then ok "both distributions deleted"; else bad "delete-distribution: $out ${out2:-}"; fi
for what in "cache-policy $cp_id" "origin-request-policy $orp_id" "response-headers-policy $rhp_id" "key-group $kg_id" \
	"public-key $pk_id" "origin-access-control $oac_id"; do
	set -- $what
	etag=$(cf "get-$1" --id "$2" --query ETag --output text 2>&1)
	if out=$(cf "delete-$1" --id "$2" --if-match "$etag" 2>&1); then ok "delete-$1 once nothing uses it"; else bad "delete-$1: $out"; fi
done
expect_error "get-key-group after delete" NoSuchResource cf get-key-group --id "$kg_id"
check "list-cache-policies --type custom: none left" "$(cf list-cache-policies --type custom --query 'CachePolicyList.Quantity' --output text 2>&1)" 0

finish
