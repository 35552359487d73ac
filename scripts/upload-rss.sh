#!/usr/bin/env bash
# upload-rss: the edge's peak RSS while 16 viewers each send a 64 MiB body, (a) to a behavior that
# allows only GET/HEAD (the edge refuses from the headers and never reads the body) and (b) to a
# behavior that forwards the upload to an origin (the body streams through). Loopback only,
# bounded: 16 uploads per case. Prints the edge's VmHWM (peak RSS) after each case.
set -euo pipefail
cd "$(dirname "$0")/.."
EDGE_BIN=${EDGE_BIN:-bin/edge}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

python3 - "$work/origin.port" <<'PY' &
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0)); got = 0
        while got < n:
            b = self.rfile.read(min(1 << 20, n - got))
            if not b: break
            got += len(b)
        self.send_response(200); self.send_header('Content-Length', str(len(str(got)))); self.end_headers()
        self.wfile.write(str(got).encode())
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
s = S(('127.0.0.1', 0), H); open(sys.argv[1], 'w').write(str(s.server_address[1])); s.serve_forever()
PY
for _ in $(seq 50); do [ -s "$work/origin.port" ] && break; sleep 0.1; done
oport=$(cat "$work/origin.port")

cat > "$work/edge.toml" <<TOML
[server]
listen = "127.0.0.1:18480"
api_listen = "127.0.0.1:18481"
[cache]
memory = "64MiB"
[[distribution]]
id = "EUPLOAD"
domain_name = "d1.cloudfront.net"
aliases = ["127.0.0.1"]
[[distribution.origin]]
id = "o"
kind = "http"
domain_name = "127.0.0.1"
http_port = $oport
[[distribution.behavior]]
path_pattern = "/upload"
target_origin_id = "o"
allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
cache_policy = "Managed-CachingDisabled"
[distribution.default_behavior]
target_origin_id = "o"
TOML
"$EDGE_BIN" serve -config "$work/edge.toml" >"$work/edge.log" 2>&1 &
epid=$!
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18480/ && break; sleep 0.1; done
head -c $((64 << 20)) /dev/zero >"$work/body"
rss() { awk '/VmHWM/ {printf "%d MiB", $2/1024}' /proc/$epid/status; }
echo "start: peak RSS $(rss)"
for case in refused:/other forwarded:/upload; do
  name=${case%%:*} path=${case#*:}
  codes=$( (for _ in $(seq 16); do curl -s -o /dev/null -w '%{http_code}\n' -H 'Expect:' --data-binary @"$work/body" "http://127.0.0.1:18480$path" & done; wait) | sort | uniq -c | tr '\n' ' ')
  echo "$name: 16 × 64 MiB POST → $codes; edge peak RSS $(rss)"
done
