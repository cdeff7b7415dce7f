#!/usr/bin/env bash
# Builds the release binaries of rubric for Linux, macOS and Windows on
# amd64 and arm64, with the version, commit and date in `rubric version`,
# and a SHA-256 checksum file beside them (sha256sum -c checks it).
#   scripts/release.sh [OUTDIR]      (default dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit-modified"; fi
date=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
version=$(go run ./cmd/rubric version | head -1 | cut -d' ' -f2)
rm -rf "$out" && mkdir -p "$out"
for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  os=${target%/*}; arch=${target#*/}
  name="rubric-$version-$os-$arch"
  [ "$os" = windows ] && name="$name.exe"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
    -ldflags "-s -w -X main.commit=$commit -X main.date=$date" -o "$out/$name" ./cmd/rubric
  echo "built $out/$name"
done
(cd "$out" && sha256sum rubric-* > SHA256SUMS)
echo "wrote $out/SHA256SUMS"
