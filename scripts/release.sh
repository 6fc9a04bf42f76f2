#!/usr/bin/env bash
# release.sh: every target into dist/ ("make release"), stripped (-s -w),
# with SHA256SUMS:
#   certdesk-linux-amd64, certdesk-linux-arm64, certdesk-windows-amd64.exe  GUI
#   certdesk-cli-<os>-<arch>  headless (-tags nogui, no cgo): linux amd64/arm64,
#                             windows/arm64, darwin/arm64, darwin/amd64
#   certdesk-linux-<arch>.tar.xz  fyne packages (package.sh)
# Tests are not run here; CI runs make test and make cross.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=dist
rm -rf "$dist"
mkdir -p "$dist"

bash scripts/setup-debian.sh
go build -ldflags "-s -w" -o "$dist/certdesk-linux-amd64" .
for arch in amd64 arm64; do
	GOARCH=$arch CGO_ENABLED=0 go build -tags nogui -ldflags "-s -w" -o "$dist/certdesk-cli-linux-$arch" .
done
CROSS_OUT=$dist CROSS_TESTS=0 CROSS_LDFLAGS="-s -w" bash scripts/cross.sh
PKG_OUT=$dist bash scripts/package.sh

(cd "$dist" && sha256sum -- * >SHA256SUMS)
ls -l "$dist"
