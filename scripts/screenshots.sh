#!/usr/bin/env bash
# screenshots.sh BINARY OUTDIR: starts "BINARY --demo" under Xvfb, drives
# the window with xdotool (browse, details, the enrollment wizard against
# the demo CA, an import of the demo's sample PFX, search, the other tabs)
# and saves PNGs in OUTDIR. It fails when the window does not start or
# render, or when the wizard or the import did not change the store.
# Needs Xvfb, xdotool and ImageMagick (/usr/bin/import, /usr/bin/convert).
# make screenshots writes docs/screenshots/; CI writes to a temp dir.
set -euo pipefail
bin=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
tmp=$(mktemp -d)
disp=:$((500 + RANDOM % 400))
while [ -e "/tmp/.X11-unix/X${disp#:}" ]; do disp=:$((500 + RANDOM % 400)); done
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
cleanup() {
	set +e
	if [ -n "${apid:-}" ]; then
		kill "$apid" 2>/dev/null # SIGTERM: the demo removes its temporary root
		wait "$apid" 2>/dev/null
	fi
	kill "$xpid" 2>/dev/null
	wait "$xpid" 2>/dev/null
	# The demo removes its directory on exit; make sure, should it not.
	[ -n "${root:-}" ] && rm -rf "$(dirname "$root")"
	rm -rf "$tmp"
	return 0
}
trap cleanup EXIT
fail() {
	echo "screenshots: $*" >&2
	echo "--- certdesk output:" >&2
	cat "$tmp/log" >&2
	exit 1
}
# No session bus: no system tray, so closing the window quits; the demo
# keeps its secrets in memory and needs no keyring.
export DISPLAY=$disp LANG=en_US.UTF-8 HOME=$tmp/home
unset DBUS_SESSION_BUS_ADDRESS CERTDESK_ROOT
mkdir -p "$HOME"
sleep 0.5
(cd "$HOME" && exec "$bin" --demo) >"$tmp/log" 2>&1 &
apid=$!

wid=
for _ in $(seq 1 60); do
	wid=$(xdotool search --name '^certdesk$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
	kill -0 "$apid" 2>/dev/null || fail "certdesk --demo exited"
	sleep 0.25
done
[ -n "$wid" ] || fail "no window within 15 s"
# Fyne sizes its window once mapped (and may again under load): insist
# until it is 1280×800 at 0,0, and fail rather than shoot another size.
fit() {
	for _ in $(seq 1 60); do
		xdotool getwindowgeometry "$wid" | grep -q 'Geometry: 1280x800' && return 0
		xdotool windowmove "$wid" 0 0 windowsize "$wid" 1280 800
		sleep 0.25
	done
	fail "the window did not take 1280x800 within 15 s"
}
fit
root=$(sed -n 's/^  stores (removed on exit): *//p' "$tmp/log")
pfx=$(sed -n 's/^  sample file to drop: *\([^ ]*\).*/\1/p' "$tmp/log")
[ -n "$root" ] && [ -f "$pfx" ] || fail "the demo did not say where its root and sample file are"
cp "$pfx" "$HOME/"
sleep 1.5

shot() {
	sleep "${2:-0.8}"
	fit
	/usr/bin/import -window "$wid" "$out/$1.png"
	echo "screenshots: $out/$1.png"
}
click() { xdotool mousemove --window "$wid" "$1" "$2"; sleep 0.2; xdotool click 1; }
entries() { # the unarchived entries of the demo's Personal store
	CERTDESK_ROOT=$root "$bin" store list -json 2>/dev/null | grep -o '"thumbprint"' | wc -l
}

# The first check autoenrolls the demo account's User and UserP256.
for _ in $(seq 1 20); do [ "$(entries)" -ge 3 ] && break; sleep 0.25; done
shot browser 0.5
colours=$(/usr/bin/convert "$out/browser.png" -format '%k' info:)
[ "$colours" -gt 10 ] || fail "the window did not render ($colours colours)"

click 400 209 # the ShortLived certificate
shot details
click 420 455 # Extensions tab
shot extensions
click 525 455 # Chain tab
shot chain
# Right-click: the context menu; double-click: the certificate's window.
xdotool mousemove --window "$wid" 560 249; sleep 0.2; xdotool click 3
shot context-menu
xdotool key Escape
sleep 0.3
xdotool mousemove --window "$wid" 400 209; sleep 0.2; xdotool click --repeat 2 --delay 80 1
cwid=
for _ in $(seq 1 20); do
	cwid=$(xdotool search --name '^Certificate: ' 2>/dev/null | head -1) && [ -n "$cwid" ] && break
	sleep 0.25
done
[ -n "$cwid" ] || fail "a double-click did not open the certificate's window"
sleep 0.8
/usr/bin/import -window "$cwid" "$out/certificate-window.png"
echo "screenshots: $out/certificate-window.png"
# Out of the way, not destroyed: a window destroyed behind GLFW's back
# takes the app with it at the next redraw.
xdotool windowmove "$cwid" 1400 0
xdotool windowfocus "$wid" # the keys go to the main window again
sleep 0.3

# The wizard: the demo CA, WebServer (the subject is asked), the key, the
# summary, Request.
click 95 89 # Request certificate…
shot wizard-server 1.2
click 914 617 # Next
sleep 1
click 400 360 # WebServer
shot wizard-template
click 914 617 # Next
sleep 0.8
click 690 290 # Name (CN)
xdotool type --delay 20 "kiosk01.demo.test"
click 690 345 # DNS names
xdotool type --delay 20 "kiosk01.demo.test"
xdotool key Return
xdotool type --delay 20 "kiosk01"
shot wizard-subject 0.5
click 914 617 # Next
shot wizard-key
click 914 617 # Next
shot wizard-summary
before=$(entries)
click 903 617 # Request
sleep 1
for _ in $(seq 1 20); do [ "$(entries)" -gt "$before" ] && break; sleep 0.5; done
[ "$(entries)" -gt "$before" ] || fail "the wizard did not install a certificate"
shot wizard-done 0.8
click 640 310 # Show the certificate
shot wizard-issued

# Import the sample PFX through the Import dialog: a wrong password first.
before=$(entries)
click 250 89 # Import…
shot import-dialog 1.2
click 535 250 # printer.pfx
click 1004 657 # Open
sleep 1
xdotool type --delay 30 "wrong"
xdotool key Return
shot import-wrong-password 1
xdotool key ctrl+a
xdotool type --delay 30 "demo"
xdotool key Return
shot import-summary 1
click 686 507 # Import
shot import-result 1
[ "$(entries)" -gt "$before" ] || fail "the import did not add the certificate"
click 639 446 # Close
click 600 133 # the search box
xdotool type --delay 20 "demo.test"
shot search

click 362 49 # Policy servers
click 170 128 # the demo CA
shot servers
click 480 49 # History
shot history
click 580 49 # Settings
shot settings

# The light theme (View › Theme › Light; Fyne's menus want the pointer to
# rest on an item before a click), then the smallest window, 800×600,
# with the tip of a cut cell.
click 76 49 # Certificates
click 600 133 # the search box
xdotool key Escape # empties it
light() { # whether the window's background is white
	/usr/bin/import -window "$wid" "$tmp/probe.png"
	/usr/bin/convert "$tmp/probe.png" -crop 1x1+700+700 txt: | grep -qi '#FFFFFF'
}
for _ in 1 2 3; do
	xdotool mousemove --window "$wid" 160 13; sleep 0.4; xdotool click 1; sleep 0.6
	xdotool mousemove --window "$wid" 167 166; sleep 0.5; xdotool click 1; sleep 0.5
	xdotool mousemove --window "$wid" 330 166; sleep 0.3
	xdotool mousemove --window "$wid" 340 205; sleep 0.4; xdotool click 1; sleep 1
	light && break
	xdotool key Escape
done
light || fail "View › Theme › Light did not turn the window light"
shot browser-light 0.3
for _ in $(seq 1 20); do
	xdotool windowsize "$wid" 800 600
	sleep 0.25
	xdotool getwindowgeometry "$wid" | grep -q 'Geometry: 800x600' && break
done
sleep 0.8
xdotool mousemove --window "$wid" 480 209; sleep 0.3; xdotool mousemove --window "$wid" 485 212
sleep 0.8
xdotool getwindowgeometry "$wid" | grep -q 'Geometry: 800x600' || fail "the window did not take 800x600"
/usr/bin/import -window "$wid" "$out/browser-800x600.png"
echo "screenshots: $out/browser-800x600.png"
echo "screenshots: $(ls "$out"/*.png | wc -l) images in $out"
