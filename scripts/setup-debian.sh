#!/usr/bin/env bash
# Installs, idempotently, the Debian 12 packages certdesk needs to build,
# test and run: Fyne's GL/X11 headers, a D-Bus session bus with
# gnome-keyring (the Secret Service), Xvfb and friends for screenshots, and
# OpenSSL (the independent peer in tests), prometheus for promtool,
# which checks the metrics file (about 19 MB, 25 s; Debian packages no
# promtool alone, and the server it brings is stopped and disabled where
# systemd runs), Apache httpd's binary and modules (apache2-bin: the
# TLS renegotiation test; not the apache2 package, which would start a
# system service), and SoftHSM2 with OpenSC's pkcs11-tool for the PKCS#11
# key tests (about 13 s), swtpm (a TPM 2.0 simulator) with tpm2-tools and
# OpenSSL's tpm2 provider for the TPM key tests, and python3-gi with GTK 3's
# introspection data for the drag source of the real drag-and-drop test.
# Never installs dbus-x11: with it, keyring calls
# without a session bus autolaunch a daemon and hang.
set -euo pipefail

pkgs=(
	gcc libc6-dev pkg-config
	libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
	libgl1-mesa-dri xvfb xauth x11-utils xdotool imagemagick
	dbus dbus-daemon gnome-keyring libsecret-tools
	openssl systemd
	ca-certificates libnss3-tools
	prometheus
	apache2-bin
	softhsm2 opensc
	swtpm swtpm-tools tpm2-tools tpm2-openssl
	python3-gi gir1.2-gtk-3.0
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "setup-debian: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
	$SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
