#!/usr/bin/env bash
# Builds the S3-compatible server the tests run (versitygw, pinned below) into
# $HOME/.cache/edge/bin (outside the clone, so every clone and rerun shares it), unless it
# is already there. Idempotent and safe to run concurrently: a lock serialises builds, and
# the binary appears under its final name only once it is complete.
#
# Prints the binary's path on its last line. internal/s3server runs this script; CI runs it
# up front from .ci/run so the build time is not charged to a test's timeout.
set -euo pipefail

module=github.com/versity/versitygw
version=v1.8.0
bin_dir="${EDGE_BIN_DIR:-$HOME/.cache/edge/bin}"
bin="$bin_dir/versitygw-$version"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$bin_dir"
exec 9>"$bin_dir/.versitygw.lock"
flock 9
if [ -x "$bin" ]; then # built by someone else while we waited for the lock
  echo "$bin"
  exit 0
fi

tmp="$(mktemp -d "$bin_dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "building $module@$version into $bin_dir (takes a few minutes the first time)" >&2
# Built outside any module (cd to the temp dir) so the project's go.mod plays no part.
(cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local \
  go install -trimpath "$module/cmd/versitygw@$version") >&2
mv "$tmp/versitygw" "$bin"
echo "$bin"
