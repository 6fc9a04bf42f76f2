#!/usr/bin/env bash
# bench-store.sh: the store rows of "make bench". Run from the repo root
# inside scripts/with-keyring.sh, after scripts/bench.sh has built
# build/certdesk-cli. Prints markdown rows
#   | what | figure | floor or peer | ratio | goal |
# Figures are medians over several cold process runs (hyperfine when
# installed, else a date +%s%N loop).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/benchlib.sh # $cli, $work, $work/parsefloor, median_ms, row

# (a) listing 10,000 certificates from the index vs reading and parsing
# the same 10,000 DER files.
CERTDESK_BENCH_ROOT="$work/list" CERTDESK_BENCH_DER="$work/der" CERTDESK_BENCH_N=10000 \
	go test -count=1 -run '^TestGenerateBenchStore$' ./store >/dev/null
n=$(CERTDESK_ROOT="$work/list" "$cli" store list -json | grep -o '"thumbprint"' | wc -l)
[ "$n" = 10000 ] || { echo "bench-store: fixture lists $n entries, want 10000" >&2; exit 1; }
floor=$(median_ms "$work/parsefloor" "$work/der")
list=$(median_ms env CERTDESK_ROOT="$work/list" "$cli" store list -json)
row "store list -json, 10,000 certificates (cold process)" "$list" "parsefloor (read + x509.ParseCertificate)" "$floor" "≤ 1.5×"

# (b) importing one OpenSSL-made PFX (default AES-256/PBKDF2, leaf + key +
# CA) into an existing user context from which the leaf is purged before
# each run: decode, the key-encryption key read from the keyring, the key
# sealed, durable writes; vs openssl pkcs12 -nodes into a file. (The very
# first import of a context also creates the key in the keyring, once.)
(
	cd "$work"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj /CN=BenchRoot -days 365 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=bench.example 2>/dev/null
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 90 2>/dev/null
	printf 'bench-pass\n' >pw
	openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem -out f.pfx -passout file:pw
)
peer=$(median_ms openssl pkcs12 -nodes -in "$work/f.pfx" -out "$work/out.pem" -passin "file:$work/pw")
CERTDESK_ROOT="$work/imp" "$cli" store import -password-file "$work/pw" "$work/f.pfx" >/dev/null
leaf=$(CERTDESK_ROOT="$work/imp" "$cli" store list | awk '/bench.example/ { print $1 }')
prepare="env CERTDESK_ROOT=$work/imp $cli store purge $leaf" median_ms env CERTDESK_ROOT="$work/imp" "$cli" store import -password-file "$work/pw" "$work/f.pfx" >"$work/imp.ms"
CERTDESK_ROOT="$work/imp" "$cli" store list | grep -q bench.example || { echo "bench-store: import did not store the leaf" >&2; exit 1; }
row "store import PFX (cold process, durable write, keyring)" "$(cat "$work/imp.ms")" "openssl pkcs12 -nodes" "$peer" "≤ 2×"
