#!/usr/bin/env bash
# release.sh: every target into dist/ ("make release"), stripped (-s -w),
# with SHA256SUMS:
#   certdesk-linux-amd64, certdesk-linux-arm64, certdesk-windows-amd64.exe,
#   certdesk-windows-arm64.exe (zig cc, see cross.sh)  GUI
#   certdesk-cli-<os>-<arch>  headless (-tags nogui, no cgo): linux amd64/arm64,
#                             windows amd64/arm64, darwin arm64/amd64
#   certdesk-linux-<arch>.tar.xz  fyne packages (package.sh)
# Tests are not run here; CI runs make test and make cross.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=dist
rm -rf "$dist"
mkdir -p "$dist"

bash scripts/setup-debian.sh
go build -ldflags "-s -w" -o "$dist/certdesk-linux-amd64" .
# The headless CLIs cross.sh does not build (it builds windows/arm64 and darwin).
# On Windows the GUI binary has no console, so scripts use the CLI there.
for t in linux/amd64 linux/arm64 windows/amd64; do
	os=${t%/*} arch=${t#*/} ext=
	[ "$os" = windows ] && ext=.exe
	GOOS=$os GOARCH=$arch CGO_ENABLED=0 go build -tags nogui -ldflags "-s -w" -o "$dist/certdesk-cli-$os-$arch$ext" .
done
CROSS_OUT=$dist CROSS_TESTS=0 CROSS_ZIG=1 CROSS_LDFLAGS="-s -w" bash scripts/cross.sh
PKG_OUT=$dist bash scripts/package.sh

(cd "$dist" && sha256sum -- * >SHA256SUMS)
ls -l "$dist"
