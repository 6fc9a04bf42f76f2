#!/usr/bin/env bash
# dnd-test.sh BINARY: a real drag-and-drop under Xvfb. It starts
# "BINARY --demo" (its root in a private TMPDIR) and a GTK drag source
# (scripts/dnd-source.py) offering a PFX that openssl made, drags it with
# xdotool onto certdesk's window (X11 XDND), checks that the password
# dialog opened, types the password and checks with "BINARY store list"
# that the certificate landed in the demo's Personal store.
# Needs Xvfb, xdotool, ImageMagick, openssl, python3-gi and
# gir1.2-gtk-3.0 (scripts/setup-debian.sh); a missing one fails the test.
set -euo pipefail
bin=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
for tool in Xvfb xdotool openssl /usr/bin/python3 /usr/bin/import /usr/bin/compare; do
	command -v "$tool" >/dev/null || { echo "dnd-test: $tool is missing (scripts/setup-debian.sh installs it)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import gi; gi.require_version("Gtk", "3.0")' ||
	{ echo "dnd-test: python3-gi with GTK 3 is missing (scripts/setup-debian.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d)
disp=:$((500 + RANDOM % 400))
while [ -e "/tmp/.X11-unix/X${disp#:}" ]; do disp=:$((500 + RANDOM % 400)); done
Xvfb "$disp" -screen 0 1600x900x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
cleanup() {
	set +e
	for p in ${spid:-} ${apid:-}; do
		kill "$p" 2>/dev/null # SIGTERM: the demo removes its temporary root
		wait "$p" 2>/dev/null
	done
	kill "$xpid" 2>/dev/null
	wait "$xpid" 2>/dev/null
	rm -rf "$tmp"
	return 0
}
trap cleanup EXIT
fail() {
	echo "dnd-test: $*" >&2
	echo "--- certdesk output:" >&2
	cat "$tmp/log" >&2
	[ -s "$tmp/source.log" ] && { echo "--- drag source output:" >&2; cat "$tmp/source.log" >&2; }
	exit 1
}
# A private world: the demo's root is made under TMPDIR; no session bus,
# so no tray and no keyring.
export DISPLAY=$disp LANG=en_US.UTF-8 HOME=$tmp/home TMPDIR=$tmp
unset DBUS_SESSION_BUS_ADDRESS CERTDESK_ROOT
mkdir -p "$HOME"

# The file to drop: a key and a certificate issued by a throwaway CA (not
# a root, so no "Do you trust" question) in a PFX made by openssl with its
# defaults (AES-256, PBKDF2, HMAC-SHA256 MAC).
pass=dnd-Passw0rd
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=dnd-test CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=dropped.dnd.test" -keyout "$tmp/key.pem" -out "$tmp/req.csr" 2>/dev/null
openssl x509 -req -in "$tmp/req.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
	-days 30 -out "$tmp/cert.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$tmp/key.pem" -in "$tmp/cert.pem" -passout "pass:$pass" -out "$tmp/dropped.pfx"
sha1=$(openssl x509 -in "$tmp/cert.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')

# window NAME PID WHAT: the id of the window titled NAME, once shown;
# fails when process PID (WHAT) exits or no window shows within 15 s.
window() {
	local w
	for _ in $(seq 1 60); do
		w=$(xdotool search --name "$1" 2>/dev/null | head -1) && [ -n "$w" ] && { echo "$w"; return 0; }
		kill -0 "$2" 2>/dev/null || fail "$3 exited"
		sleep 0.25
	done
	fail "no window of $3 within 15 s"
}
# place WID X Y W H: moves (and, with W and H, sizes) a window until it
# is there; without a window manager windows open at 0,0.
place() {
	for _ in $(seq 1 20); do
		xdotool windowmove "$1" "$2" "$3"
		[ -n "${4:-}" ] && xdotool windowsize "$1" "$4" "$5"
		sleep 0.25
		xdotool getwindowgeometry "$1" | grep -q "Position: $2,$3" && { [ -z "${4:-}" ] || xdotool getwindowgeometry "$1" | grep -q "Geometry: ${4}x${5}"; } && return 0
	done
}

sleep 0.5
(cd "$HOME" && exec "$bin" --demo) >"$tmp/log" 2>&1 &
apid=$!
wid=$(window '^certdesk$' "$apid" "certdesk --demo")
place "$wid" 0 0 1200 800
root=$(sed -n 's/^  stores (removed on exit): *//p' "$tmp/log")
[ -n "$root" ] || fail "the demo did not say where its root is"
holds() { # whether the demo's Personal store holds the dropped certificate
	CERTDESK_ROOT=$root "$bin" store list -json 2>/dev/null | tr 'A-F' 'a-f' | grep -q "\"$sha1\""
}
holds && fail "the certificate is in the store before the drop"

/usr/bin/python3 "$here/dnd-source.py" "$tmp/dropped.pfx" >"$tmp/source.log" 2>&1 &
spid=$!
swid=$(window '^dnd-source$' "$spid" "the drag source")
place "$swid" 1350 100 # beside certdesk's window
sleep 1.5 # the demo's first frame and check
/usr/bin/import -window "$wid" "$tmp/before.png"

# Press on the source's button, move in steps onto certdesk, release.
xdotool mousemove 1450 160 mousedown 1
for x in 1430 1400 1350 1300 1200 1100 1000 900 800 700 600; do
	xdotool mousemove "$x" 400
	sleep 0.1
done
sleep 0.3
xdotool mouseup 1
sleep 1.5

# The password dialog covers the middle of the window.
/usr/bin/import -window "$wid" "$tmp/after.png"
changed=$(/usr/bin/compare -metric AE -crop 500x200+350+300 "$tmp/before.png" "$tmp/after.png" null: 2>&1 || true)
[ "${changed%% *}" -gt 10000 ] 2>/dev/null || fail "no password dialog after the drop ($changed pixels changed)"
holds && fail "the certificate was imported before its password was given"

xdotool type --delay 30 "$pass"
xdotool key Return # the password; the summary follows
sleep 1.5
xdotool key Return # Import
for _ in $(seq 1 20); do holds && break; sleep 0.25; done
holds || fail "the dropped PFX did not land in the store"
echo "dnd-test: the dropped PFX ($sha1) went through the password dialog into the store"
