#!/usr/bin/env bash
# Installs what `make test` needs beyond Go, when it is missing: GStreamer (the Smooth Streaming
# client the tests play the demo with) and the aws CLI (the invalidation end-to-end script), from
# Debian's packages; and builds the pinned S3 test server (versitygw) into ~/.cache/edge/bin.
# Idempotent: with everything present it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gst-launch-1.0 >/dev/null || need+=(gstreamer1.0-tools)
for p in gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
{ command -v aws >/dev/null && aws --version >/dev/null 2>&1; } || need+=(awscli)
for t in curl python3; do command -v "$t" >/dev/null || need+=("$t"); done

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
bash scripts/build-s3server.sh >/dev/null
