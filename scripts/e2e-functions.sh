#!/usr/bin/env bash
# End-to-end check of the CloudFront Functions API with the real AWS CLI.
#
# Starts bin/edge (build it first: make build; or set EDGE_BIN) on two free loopback ports with a
# temporary config (one distribution, one [[function]]), then drives the API as a user would:
#   aws cloudfront create-function (code from a file) → describe-function → get-function →
#   test-function (event object from a file) → publish-function → describe-function --stage LIVE
#   → test-function --stage LIVE → list-functions → update-function (stale and current ETag) →
#   delete-function; and describe/test of the function from the config.
# Prints "N passed, N failed" and exits non-zero on any failure. Every command is bounded in
# time; the edge process is stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

EDGE_BIN=${EDGE_BIN:-bin/edge}
DIST=EDFDVBD6EXAMPLE
KEY=AKIAEDGEDEVEXAMPLE01
SECRET=edgeDevSecretKeyDoNotUseInProduction0001
FN=e2e-add-header

. scripts/e2e-lib.sh
require curl python3 timeout aws

start_edge_with_api "$(cat <<'TOML'
[[function]]
name = "from-config"
comment = "configured"
code = "function handler(event) { return event.request; }"
TOML
)" ""

export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
cf() { timeout 60 aws --endpoint-url "$api" cloudfront "$@"; }
# json FILE EXPR: a Python expression over the JSON document j in FILE, printed.
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }

cat >"$tmp/fn.js" <<'EOF'
function handler(event) {
  var request = event.request;
  request.headers['x-e2e'] = {value: 'added'};
  console.log('saw ' + request.uri);
  return request;
}
EOF
cat >"$tmp/event.json" <<'EOF'
{
  "version": "1.0",
  "context": {"eventType": "viewer-request"},
  "viewer": {"ip": "198.51.100.11"},
  "request": {
    "method": "GET",
    "uri": "/index.html",
    "querystring": {},
    "headers": {"host": {"value": "www.example.com"}},
    "cookies": {}
  }
}
EOF
want_output='{"request":{"headers":{"host":{"value":"www.example.com"},"x-e2e":{"value":"added"}},"method":"GET","querystring":{},"uri":"/index.html","cookies":{}}}'

# create-function
if cf create-function --name "$FN" --function-config Comment=e2e,Runtime=cloudfront-js-2.0 \
	--function-code "fileb://$tmp/fn.js" >"$tmp/create.json" 2>"$tmp/err"; then
	check "create-function: status, stage, ARN" \
		"$(json "$tmp/create.json" 'j["FunctionSummary"]["Status"]+" "+j["FunctionSummary"]["FunctionMetadata"]["Stage"]+" "+j["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]')" \
		"UNPUBLISHED DEVELOPMENT arn:aws:cloudfront::000000000000:function/$FN"
	check "create-function: Location" "$(json "$tmp/create.json" 'j["Location"]')" "$api/2020-05-31/function/$FN"
else
	bad "create-function: $(cat "$tmp/err")"
fi

out=$(cf create-function --name "$FN" --function-config Comment=e2e,Runtime=cloudfront-js-2.0 \
	--function-code "fileb://$tmp/fn.js" 2>&1)
if grep -q FunctionAlreadyExists <<<"$out"; then ok "create-function again: FunctionAlreadyExists"; else bad "create-function again: $out"; fi

# describe-function
etag=$(cf describe-function --name "$FN" --query ETag --output text 2>&1)
if [[ $etag =~ ^E[A-Z2-7]{13}$ ]]; then ok "describe-function gives ETag $etag"; else bad "describe-function: $etag"; fi
check "describe-function: comment and runtime" \
	"$(cf describe-function --name "$FN" --query '[FunctionSummary.FunctionConfig.Comment,FunctionSummary.FunctionConfig.Runtime]' --output text 2>&1)" \
	"$(printf 'e2e\tcloudfront-js-2.0')"

# get-function writes the code to a file
if cf get-function --name "$FN" "$tmp/got.js" >/dev/null 2>"$tmp/err" && cmp -s "$tmp/fn.js" "$tmp/got.js"; then
	ok "get-function returns the code as uploaded"
else
	bad "get-function: $(cat "$tmp/err")"
fi

# test-function on DEVELOPMENT
if cf test-function --name "$FN" --if-match "$etag" --event-object "fileb://$tmp/event.json" >"$tmp/test.json" 2>"$tmp/err"; then
	check "test-function: FunctionOutput" "$(json "$tmp/test.json" 'j["TestResult"]["FunctionOutput"]')" "$want_output"
	check "test-function: logs, no error" \
		"$(json "$tmp/test.json" 'str(j["TestResult"].get("FunctionExecutionLogs"))+" "+repr(j["TestResult"].get("FunctionErrorMessage"))')" \
		"['saw /index.html'] None"
	cu=$(json "$tmp/test.json" 'j["TestResult"]["ComputeUtilization"]')
	if [[ $cu =~ ^[0-9]+$ ]] && [ "$cu" -ge 1 ] && [ "$cu" -le 100 ]; then ok "test-function: ComputeUtilization $cu"; else bad "ComputeUtilization: $cu"; fi
else
	bad "test-function: $(cat "$tmp/err")"
fi

out=$(cf test-function --name "$FN" --if-match EAAAAAAAAAAAAA --event-object "fileb://$tmp/event.json" 2>&1)
if grep -q InvalidIfMatchVersion <<<"$out"; then ok "test-function with a wrong ETag: InvalidIfMatchVersion"; else bad "test-function with a wrong ETag: $out"; fi

out=$(cf describe-function --name "$FN" --stage LIVE 2>&1)
if grep -q NoSuchFunctionExists <<<"$out"; then ok "describe-function --stage LIVE before publishing: NoSuchFunctionExists"; else bad "LIVE before publishing: $out"; fi

# publish-function
check "publish-function: LIVE, DEPLOYED" \
	"$(cf publish-function --name "$FN" --if-match "$etag" --query '[FunctionSummary.FunctionMetadata.Stage,FunctionSummary.Status]' --output text 2>&1)" \
	"$(printf 'LIVE\tDEPLOYED')"

# describe-function --stage LIVE
if cf describe-function --name "$FN" --stage LIVE >"$tmp/live.json" 2>"$tmp/err"; then
	check "describe-function --stage LIVE" \
		"$(json "$tmp/live.json" 'j["FunctionSummary"]["FunctionMetadata"]["Stage"]+" "+j["FunctionSummary"]["Status"]+" "+j["FunctionSummary"]["FunctionConfig"]["Comment"]')" \
		"LIVE DEPLOYED e2e"
	live_etag=$(json "$tmp/live.json" 'j["ETag"]')
	check "test-function --stage LIVE: FunctionOutput" \
		"$(cf test-function --name "$FN" --if-match "$live_etag" --stage LIVE --event-object "fileb://$tmp/event.json" \
			--query TestResult.FunctionOutput --output text 2>&1)" "$want_output"
else
	bad "describe-function --stage LIVE: $(cat "$tmp/err")"
fi

check "list-functions --stage LIVE" \
	"$(cf list-functions --stage LIVE --query 'FunctionList.Items[].Name' --output text 2>&1)" "$(printf 'e2e-add-header\tfrom-config')"

# update-function: a stale ETag is refused; the current one gives a new DEVELOPMENT stage
printf 'function handler(event) { return event.request; }\n' >"$tmp/fn2.js"
out=$(cf update-function --name "$FN" --if-match EAAAAAAAAAAAAA --function-config Comment=v2,Runtime=cloudfront-js-2.0 \
	--function-code "fileb://$tmp/fn2.js" 2>&1)
if grep -q PreconditionFailed <<<"$out"; then ok "update-function with a stale ETag: PreconditionFailed"; else bad "update-function stale: $out"; fi
etag2=$(cf update-function --name "$FN" --if-match "$etag" --function-config Comment=v2,Runtime=cloudfront-js-2.0 \
	--function-code "fileb://$tmp/fn2.js" --query ETag --output text 2>&1)
if [[ $etag2 =~ ^E[A-Z2-7]{13}$ ]] && [ "$etag2" != "$etag" ]; then ok "update-function gives a new ETag $etag2"; else bad "update-function: $etag2"; fi

out=$(cf create-function --name bad-code --function-config Comment=x,Runtime=cloudfront-js-2.0 \
	--function-code "fileb://$tmp/event.json" 2>&1)
if grep -q InvalidArgument <<<"$out"; then ok "create-function with code that does not compile: InvalidArgument"; else bad "bad code: $out"; fi

# the configured function
check "describe-function of the configured function" \
	"$(cf describe-function --name from-config --stage LIVE --query '[FunctionSummary.Status,FunctionSummary.FunctionConfig.Comment]' --output text 2>&1)" \
	"$(printf 'DEPLOYED\tconfigured')"

# delete-function
if out=$(cf delete-function --name "$FN" --if-match "$etag2" 2>&1); then ok "delete-function"; else bad "delete-function: $out"; fi
out=$(cf describe-function --name "$FN" 2>&1)
if grep -q NoSuchFunctionExists <<<"$out"; then ok "describe-function after delete: NoSuchFunctionExists"; else bad "after delete: $out"; fi

finish
