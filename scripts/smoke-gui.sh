#!/usr/bin/env bash
# smoke-gui.sh BINARY: starts the GUI in demo mode under Xvfb and fails
# unless a window titled certdesk appears and renders.
set -euo pipefail
bin=$(realpath "$1")
tmp=$(mktemp -d)
disp=:$((90 + RANDOM % 400))
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
cleanup() {
	set +e
	[ -n "${apid:-}" ] && kill "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
	kill "$xpid" 2>/dev/null
	wait "$xpid" 2>/dev/null
	rm -rf "$tmp"
	return 0
}
trap cleanup EXIT
export DISPLAY=$disp LANG=en_US.UTF-8 CERTDESK_ROOT="$tmp/root"
sleep 1
dbus-run-session -- "$bin" --demo >"$tmp/out" 2>&1 &
apid=$!
for _ in $(seq 1 40); do
	xdotool search --name '^certdesk' >/dev/null 2>&1 && break
	sleep 0.5
done
sleep 2
/usr/bin/import -window root "$tmp/shot.png"
colours=$(/usr/bin/convert "$tmp/shot.png" -format '%k' info:)
if ! xdotool search --name '^certdesk' >/dev/null 2>&1 || [ "$colours" -le 10 ]; then
	echo "smoke-gui: the window did not appear or did not render ($colours colours)" >&2
	cat "$tmp/out" >&2
	exit 1
fi
echo "smoke-gui: window rendered ($colours colours)"
