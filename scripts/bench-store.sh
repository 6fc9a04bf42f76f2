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

# (c) store list -json at 100,000 certificates (scripts/benchfixture.sh)
# beside the parse floor over the same 100,000 DER files.
fixture100k
n=$(CERTDESK_ROOT="$big" "$cli" store list -json | grep -o '"thumbprint"' | wc -l)
[ "$n" = 100000 ] || { echo "bench-store: 100,000 fixture lists $n entries" >&2; exit 1; }
floor=$(runs=5 median_ms "$work/parsefloor" "$bigder")
list=$(runs=5 median_ms env CERTDESK_ROOT="$big" "$cli" store list -json)
row "store list -json, 100,000 certificates (cold process)" "$list" "parsefloor (read + x509.ParseCertificate)" "$floor" "≤ 1.5×"

# (d) one "store import" of 2,000 certificate files (DER, no keys) into a
# store of 100,000 beside the same into an empty context: one batch, so
# the cost is the 2,000 entries written, not the store (issue #15). The
# files are a second run of the generator, certificates not in the big
# store. Before each run the entries and the journal the last run added
# are removed and index.bin put back, so every run imports 2,000 new ones.
CERTDESK_BENCH_ROOT="$work/src" CERTDESK_BENCH_DER="$work/imp" CERTDESK_BENCH_N=2000 \
	go test -count=1 -run '^TestGenerateBenchStore$' ./store >/dev/null
my=$big/user/stores/My
cp -p "$my/index.bin" "$work/index.bin.orig"
cat >"$work/import.sh" <<EOS
#!/bin/sh
cd "$work/imp" && CERTDESK_ROOT=\$1 exec "$cli" store import *.cer
EOS
cat >"$work/reset.sh" <<EOS
#!/bin/sh
rm -rf "$work/empty"
cd "$work/imp" && ls | sed 's/\.cer\$/.json/' | (cd "$my" && xargs rm -f index.log index.dirty)
cp -p "$work/index.bin.orig" "$my/index.bin"
EOS
chmod +x "$work/import.sh" "$work/reset.sh"
"$work/reset.sh"
n=$("$work/import.sh" "$work/empty" | grep -c '^  added')
[ "$n" = 2000 ] || { echo "bench-store: the import added $n of 2,000" >&2; exit 1; }
"$work/reset.sh"
empty=$(runs=3 prepare="$work/reset.sh" median_ms "$work/import.sh" "$work/empty")
into=$(runs=3 prepare="$work/reset.sh" median_ms "$work/import.sh" "$big")
n=$(CERTDESK_ROOT="$big" "$cli" store list | grep -c example.com)
"$work/reset.sh"
[ "$n" = 102000 ] || { echo "bench-store: after the import the big store lists $n, want 102,000" >&2; exit 1; }
row "store import of 2,000 certificate files into 100,000 (one command)" "$into" "into an empty store" "$empty" "≤ 1.3×"
