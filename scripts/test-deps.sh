#!/usr/bin/env bash
# Installs what `make test` needs beyond Go, when it is missing: GStreamer (the Smooth Streaming
# client the tests play the demo with), the aws CLI (the invalidation end-to-end script), h2spec
# (HTTP/2 conformance, pinned, `go install`ed into ~/.cache/edge/bin), and
# Chromium with Node.js (the browser CORS test, e2e/browser_test.go), from Debian's packages;
# puppeteer-core (pinned) from npm into ~/.cache/edge/node; and builds the pinned S3 test server
# (versitygw) into ~/.cache/edge/bin. Idempotent: with everything present it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gst-launch-1.0 >/dev/null || need+=(gstreamer1.0-tools)
for p in gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
{ command -v aws >/dev/null && aws --version >/dev/null 2>&1; } || need+=(awscli)
for t in curl python3; do command -v "$t" >/dev/null || need+=("$t"); done
# The browser test drives /usr/bin/chromium (Debian's) with puppeteer-core under node.
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
	echo "test-deps: installing ${need[*]}" >&2
	if [ "$(id -u)" != 0 ]; then
		echo "test-deps: need root to apt-get install ${need[*]} (or install them yourself)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# puppeteer-core, pinned: 24.43.1 is the last release that runs on Debian 12's Node 18 (25.x
# needs Node 22.12), and it drives Debian's Chromium (156 at the time of writing) over CDP.
# It downloads no browser. EDGE_NODE_DIR moves the install (the test reads it too).
PUPPETEER_CORE_VERSION=24.43.1
node_dir="${EDGE_NODE_DIR:-$HOME/.cache/edge/node}"
have=$(PKG="$node_dir/node_modules/puppeteer-core/package.json" node -p \
	'try { require(process.env.PKG).version } catch (e) { "" }')
if [ "$have" != "$PUPPETEER_CORE_VERSION" ]; then
	echo "test-deps: installing puppeteer-core@$PUPPETEER_CORE_VERSION into $node_dir" >&2
	mkdir -p "$node_dir"
	npm install --prefix "$node_dir" --no-audit --no-fund --save-exact --loglevel=error \
		"puppeteer-core@$PUPPETEER_CORE_VERSION" >&2
fi

# h2spec, pinned (edge/h2spec_test.go runs it against the TLS listener; EDGE_H2SPEC overrides).
H2SPEC_VERSION=v2.2.1+incompatible
bin_dir="$HOME/.cache/edge/bin"
if [ ! -x "$bin_dir/h2spec" ] || [ "$(cat "$bin_dir/h2spec.version" 2>/dev/null)" != "$H2SPEC_VERSION" ]; then
	echo "test-deps: installing h2spec@$H2SPEC_VERSION into $bin_dir" >&2
	mkdir -p "$bin_dir"
	GOBIN="$bin_dir" go install "github.com/summerwind/h2spec/cmd/h2spec@$H2SPEC_VERSION"
	echo "$H2SPEC_VERSION" >"$bin_dir/h2spec.version"
fi

bash scripts/build-s3server.sh >/dev/null
