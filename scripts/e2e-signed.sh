#!/usr/bin/env bash
# End-to-end check of signed URLs with the real AWS CLI: a key pair made with openssl, the public
# half in a [[key_group]] trusted by /private/*, URLs signed by `aws cloudfront sign`.
# Prints "N passed, N failed" and exits non-zero on any failure; the edge is stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

EDGE_BIN=${EDGE_BIN:-bin/edge}
. scripts/e2e-lib.sh
require curl python3 timeout openssl aws

port=$(free_port)
api=$(free_port)
while [ "$api" = "$port" ]; do api=$(free_port); done
mkdir -p "$tmp/site/private"
echo "for editors only" >"$tmp/site/private/a.txt"
openssl genrsa -traditional -out "$tmp/private.pem" 2048 2>/dev/null || openssl genrsa -out "$tmp/private.pem" 2048 2>/dev/null
openssl rsa -in "$tmp/private.pem" -pubout -out "$tmp/public.pem" 2>/dev/null
cat >"$tmp/edge.toml" <<TOML
[api]
auth = "none"
[[key_group]]
id = "editors"
[[key_group.public_key]]
id = "K2JCJMDEHXQW5F"
path = "public.pem"
[[distribution]]
id = "ESIGNEDE2E0001"
aliases = ["localhost", "127.0.0.1"]
[[distribution.origin]]
id = "site"
kind = "dir"
path = "site"
[[distribution.behavior]]
path_pattern = "/private/*"
target_origin_id = "site"
trusted_key_groups = ["editors"]
[distribution.default_behavior]
target_origin_id = "site"
TOML
"$EDGE_BIN" serve -config "$tmp/edge.toml" -listen "127.0.0.1:$port" -api-listen "127.0.0.1:$api" >"$tmp/edge.log" 2>&1 &
edge_pid=$!
base="http://localhost:$port"
for _ in $(seq 50); do curl -s -m 1 -o /dev/null "$base/" && break; sleep 0.1; done

status() { curl -s -m 10 -o "$tmp/body" -w '%{http_code}' "$1"; }
sign() { # sign URL EPOCH
	timeout 30 aws cloudfront sign --url "$1" --key-pair-id K2JCJMDEHXQW5F \
		--private-key "file://$tmp/private.pem" --date-less-than "$2" 2>"$tmp/sign.err"
}

check "unsigned request is refused" "$(status "$base/private/a.txt")" 403
grep -q "<Code>MissingKey</Code>" "$tmp/body" && ok "with CloudFront's MissingKey error" || bad "body: $(cat "$tmp/body")"
url=$(sign "$base/private/a.txt" "$(($(date +%s) + 3600))")
[ -n "$url" ] || bad "aws cloudfront sign failed: $(cat "$tmp/sign.err")"
check "URL signed by aws cloudfront sign is served" "$(status "$url")" 200
check "with the object" "$(cat "$tmp/body")" "for editors only"
check "a tampered signature is refused" "$(status "${url/Signature=/Signature=AA}")" 403
expired=$(sign "$base/private/a.txt" "$(($(date +%s) - 60))")
check "an expired URL is refused" "$(status "$expired")" 403
other=$(sign "$base/private/b.txt" "$(($(date +%s) + 3600))")
check "a URL signed for another object is refused" "$(status "${other/b.txt/a.txt}")" 403
finish
