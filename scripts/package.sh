#!/usr/bin/env bash
# package.sh: Linux packages ("make package"). Runs `fyne package -os linux`
# (fyne.io/tools v1.7.4, installed into build/tools) for amd64 and arm64,
# giving build/pkg/certdesk-linux-<arch>.tar.xz, each with the binary, the
# .desktop file and the icon from FyneApp.toml. Installs what it needs via
# setup-debian.sh and cross.sh's install stage (arm64 headers and compiler).
# fyne package sets its own CGO_CFLAGS, so its first run redoes the go-gl cgo
# step that a plain go build already cached (about 2.5 min for amd64).
# PKG_OUT (default build/pkg) is where the packages go.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${PKG_OUT:-build/pkg}
tools=$PWD/build/tools
mkdir -p "$out" "$tools"
# fyne package rewrites FyneApp.toml (Build+1, reformatted) and leaves files
# behind when it fails; keep the checked-in metadata and a clean tree.
meta=$(mktemp)
cp FyneApp.toml "$meta"
trap 'cp "$meta" FyneApp.toml; rm -f "$meta" fyne_metadata_init.go certdesk certdesk.tar.xz' EXIT

bash scripts/setup-debian.sh
if [[ $("$tools/fyne" version 2>/dev/null || true) != *v1.7.4* ]]; then
	GOBIN=$tools go install fyne.io/tools/cmd/fyne@v1.7.4
fi
CROSS_ONLY_INSTALL=1 bash scripts/cross.sh # the arm64 headers and compiler

# pkg ARCH CC TRIPLET: packages for one architecture (TRIPLET names its
# multiarch pkg-config directory) and checks the contents.
pkg() {
	local arch=$1 cc=$2 t0=$EPOCHREALTIME f list
	rm -f certdesk.tar.xz
	GOARCH=$arch CC=$cc PKG_CONFIG_PATH=/usr/lib/$3/pkgconfig "$tools/fyne" package -os linux
	f=$out/certdesk-linux-$arch.tar.xz
	mv certdesk.tar.xz "$f"
	list=$(tar -tJf "$f")
	for want in bin/certdesk share/applications/io.github.certdesk.desktop share/pixmaps/io.github.certdesk.png; do
		grep -qx "certdesk/usr/local/$want" <<<"$list" || { echo "package.sh: $f lacks $want" >&2; exit 1; }
	done
	printf '   %-40s %11d bytes, %.1fs\n' "$f" "$(stat -c %s "$f")" "$(awk "BEGIN{print $EPOCHREALTIME - $t0}")"
}

pkg amd64 gcc x86_64-linux-gnu
pkg arm64 aarch64-linux-gnu-gcc aarch64-linux-gnu
