#!/usr/bin/env bash
# wine.sh: runs certdesk's Windows code for real under Wine 8 (Debian's
# wine64), in a throwaway prefix: crypt32's system stores through the store
# and core tests that change them (CERTDESK_NATIVE_TEST=1), and the
# windows/amd64 command line publishing to and listing the CurrentUser
# stores. Wine is an independent implementation of crypt32, not Windows:
# what passes here still has to be tried on Windows (docs/platforms.md).
# Needs wine64 and gcc-mingw-w64-x86-64 (scripts/cross.sh installs both) and
# Xvfb, ImageMagick and OpenSSL (scripts/setup-debian.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
wine=/usr/lib/wine/wine64
gui=${WINE_GUI:+$(realpath "$WINE_GUI")}
tmp=$(mktemp -d)
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
trap 'rc=$?; set +e; /usr/lib/wine/wineserver -k 2>/dev/null; /usr/lib/wine/wineserver -w 2>/dev/null; rm -rf "$tmp"; exit $rc' EXIT

# Go 1.24+ needs bcryptprimitives.dll (ProcessPrng), which Wine 8 lacks.
x86_64-w64-mingw32-gcc -shared -O2 -o "$tmp/bcryptprimitives.dll" \
	scripts/wine/bcryptprimitives.c scripts/wine/bcryptprimitives.def -ladvapi32
"$wine" wineboot -i >/dev/null 2>&1
cp "$tmp/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

# run NAME EXE ARGS...: runs a Windows binary, failing on its failure.
# (The wrong-password case prints Wine's "GnuTLS error: Decryption has failed.")
run() {
	local name=$1
	shift
	echo "-- wine: $name" >&2
	"$wine" "$@"
}

for p in store app store/internal/capi internal/cngkey; do
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$tmp/$(basename "$p").test.exe" "./$p"
done
export CERTDESK_NATIVE_TEST=1
run "store: crypt32 round trip" "$tmp/store.test.exe" -test.run 'Windows|OpenSystem|Native|PFXFailure' -test.v |
	grep -E '^(--- |ok|PASS|FAIL)|_test\.go'
run "core: publish to the CurrentUser stores" "$tmp/app.test.exe" -test.run 'PublishNativeWindows|NativeCheckTarget' -test.v |
	grep -E '^(--- |ok|PASS|FAIL)|_test\.go'
run "capi: shared logic, and keys follow their certificates" "$tmp/capi.test.exe" | tail -1
# Wine 8's NCrypt opens any provider name and makes RSA keys in memory only
# (no ECDSA, no NCryptOpenKey): the test asserts what runs and the clear
# failure of the rest (docs/keys.md, "Windows CNG").
run "cngkey: NCrypt keys as far as Wine goes" "$tmp/cngkey.test.exe" -test.v |
	grep -E '^(--- |ok|PASS|FAIL)|_test\.go'
# Enrollment of UserTPM with its key in the "Platform Crypto Provider"
# (Wine's in-memory stand-in) against testca; Go's temp-dir cleanup fails
# under Wine (below), so only the test's own lines count.
echo "-- wine: core: enroll UserTPM through CNG" >&2
log=$("$wine" "$tmp/app.test.exe" -test.run '^TestEnrollTPMThroughCNG$' -test.v 2>&1 || true)
grep -E '^\s+cng_windows_test\.go:' <<<"$log" >&2 || true
if ! grep -q -- '^--- \(PASS\|FAIL\): TestEnrollTPMThroughCNG' <<<"$log" ||
	grep -E '^\s+cng_windows_test\.go:' <<<"$log" | grep -vq 'does not open again here\|no Platform Crypto Provider here'; then
	printf '%s\n' "$log" >&2
	echo "wine: enrollment through CNG failed" >&2
	exit 1
fi

# Managed configuration from the Windows policy key (docs/managed.md): the
# reader's own test writes good and hostile values under HKCU and reads
# them back; then HKLM\SOFTWARE\Policies\certdesk is written with reg add,
# as an administrator's script or a .reg file would, and read through
# LoadManaged as the program does.
pol='HKLM\SOFTWARE\Policies\certdesk'
reg() { "$wine" reg add "$@" /f >/dev/null 2>&1 || { echo "wine: reg add $*" >&2; exit 1; }; }
reg "$pol" /v renewalRatio /t REG_SZ /d 70%
reg "$pol" /v reenrollRevoked /t REG_DWORD /d 0
reg "$pol" /v checkInterval /t REG_BINARY /d 0102
reg "$pol\Servers\corp" /v url /t REG_SZ /d https://cep.example.org/CEP
reg "$pol\Servers\corp" /v username /t REG_SZ /d 'EXAMPLE\alice'
reg "$pol\Servers\corp" /v autoEnroll /t REG_DWORD /d 1
reg "$pol\Servers\corp" /v templates /t REG_MULTI_SZ /d 'User\0Workstation'
CERTDESK_MANAGED_REG_TEST=1 run "managed configuration from the registry" "$tmp/app.test.exe" \
	-test.run 'TestManagedRegistry|TestManagedPolicyKeyWine' -test.v | grep -E '^(--- |ok|PASS|FAIL)|_test\.go'
"$wine" reg delete "$pol" /f >/dev/null 2>&1
# The .reg example of docs/managed.md, imported as an administrator would.
# Saved as regedit saves it, UTF-16LE with CRLF, as the page says.
{
	printf '\xff\xfe'
	sed -n '/^Windows Registry Editor Version 5.00/,/^```/{/^```/d;s/$/\r/;p}' docs/managed.md | iconv -f UTF-8 -t UTF-16LE
} >"$WINEPREFIX/drive_c/managed.reg"
"$wine" regedit /S 'C:\managed.reg' >/dev/null 2>&1
CERTDESK_MANAGED_REG_TEST=docs run "managed configuration: the .reg example of docs/managed.md" "$tmp/app.test.exe" \
	-test.run 'TestManagedPolicyKeyWine' -test.v | grep -E '^(--- |ok|PASS|FAIL)|_test\.go'
"$wine" reg delete "$pol" /f >/dev/null 2>&1

# The whole store suite, the file backend Windows uses: atomic writes, file
# locks, the index, keys under a key-encryption key in the Credential
# Manager. Go's t.TempDir cleanup fails under Wine ("Invalid function": it
# deletes with POSIX semantics, which Wine refuses), so a test counts as
# failed only if its own code reported something (a *_test.go line other
# than "skipped on Windows", the openssl helper's skip after its temp dir).
# It runs in store/, as go test would, so its testdata/ files are found.
echo "-- wine: store: the whole suite (-short)" >&2
log=$(cd store && "$wine" "$tmp/store.test.exe" -test.short -test.v 2>&1 || true)
verdict=$(awk '
	/^=== RUN/ { t = $3; sub(/\/.*/, "", t) }
	/^[ \t]+[^ ]+_test\.go:[0-9]+:/ && !/skipped on Windows/ { own[t] = 1 }
	/^--- PASS/ { pass++ }
	/^--- FAIL/ { name = $3; if (own[name]) { bad = bad " " name } else { cleanup++ } }
	/^panic:/ { bad = bad " panic" }
	END { printf "%d %d%s", pass, cleanup, bad }' <<<"$log")
read -r passed cleanup bad <<<"$verdict"
if [ -n "${bad:-}" ] || [ "$passed" -lt 20 ]; then
	printf '%s\n' "$log" >&2
	echo "wine: store suite failed:${bad:- only $passed passed}" >&2
	exit 1
fi
echo "-- wine: store suite: $passed passed, $cleanup more passed but for Go's temp-dir cleanup" >&2

# The command line, as a script on Windows would use it.
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -tags nogui -o "$tmp/certdesk.exe" .
cd "$tmp"
# An intermediate CA certificate made by OpenSSL, for CurrentUser\CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=certdesk Wine test root' \
	-keyout root.key -out root.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=certdesk Wine test CA' \
	-keyout ca.key -out ca.csr 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -CAcreateserial -days 2 -extfile ca.ext -out ca.pem 2>/dev/null
th=$(openssl x509 -in ca.pem -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
export CERTDESK_ROOT='C:\certdesk'
cli() { "$wine" certdesk.exe "$@" | tr -d '\r'; }
# (Outputs are captured before grep: grep -q closing a pipe early would
# fail the pipeline under pipefail and turn a check around.)
cli store import -store CA ca.pem >/dev/null
cli store publish -to system -context user -store CA "$th" >/dev/null
out=$(cli store list -system -context user -store CA)
grep -q "^$th " <<<"$out" || { echo "wine: $th not in CurrentUser\\CA after publish" >&2; exit 1; }
out=$(cli store show -store CA "$th")
grep -q 'Published: *in the system certificate store' <<<"$out" || { echo "wine: store show: $out" >&2; exit 1; }
cli store delete -store CA "$th"
out=$(cli store list -system -context user -store CA)
if grep -q "^$th " <<<"$out"; then
	echo "wine: $th still in CurrentUser\\CA after delete" >&2
	exit 1
fi
# Wine fills CurrentUser\Root from the host's bundle: certdesk reads it all.
out=$(cli store list -system -context user -store Root -json)
roots=$(grep -o '"thumbprint"' <<<"$out" | wc -l)
[ "$roots" -gt 10 ] || { echo "wine: store list -system -store Root found $roots roots" >&2; exit 1; }
echo "-- wine: CLI publish, list -system, delete: ok; $roots roots listed from CurrentUser\\Root"

# The windows/amd64 GUI (WINE_GUI, built by cross.sh) in --demo mode, in
# Xvfb: it must render and, against its embedded test CA over HTTPS,
# autoenroll; the headless CLI then lists what it enrolled. WINE_SHOT, if
# set, receives the screenshot (docs/screenshots/windows-wine.png).
[ -n "$gui" ] || exit 0
disp=:$((500 + RANDOM % 400))
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
trap 'rc=$?; set +e; /usr/lib/wine/wineserver -k 2>/dev/null; /usr/lib/wine/wineserver -w 2>/dev/null; kill "$xpid"; wait "$xpid"; rm -rf "$tmp"; exit $rc' EXIT
sleep 1
unset CERTDESK_ROOT
DISPLAY=$disp "$wine" "$gui" --demo >demo.log 2>&1 &
root= keys=0 c=0
for i in $(seq 90); do
	sleep 1
	[ -n "$root" ] || root=$(sed -n 's/^ *stores (removed on exit): *//p' demo.log | tr -d '\r')
	[ -n "$root" ] || continue
	keys=$(CERTDESK_ROOT=$root "$wine" certdesk.exe store list -json 2>/dev/null | grep -o '"hasKey":true' | wc -l || true)
	[ "$keys" -ge 2 ] || continue
	DISPLAY=$disp /usr/bin/import -window root shot.png 2>/dev/null || continue
	c=$(/usr/bin/convert shot.png -format %k info: 2>/dev/null || echo 0)
	[ "$c" -gt 10 ] && break
done
echo "-- wine: GUI --demo: $keys certificates with keys enrolled, window $c colours after ${i}s" >&2
if [ "$keys" -lt 2 ] || [ "$c" -le 10 ]; then
	cat demo.log >&2
	exit 1
fi
[ -z "${WINE_SHOT:-}" ] || cp shot.png "$WINE_SHOT"
