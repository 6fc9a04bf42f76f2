#!/usr/bin/env bash
# bench-core.sh: the core rows of "make bench". Run from the repo root
# inside scripts/with-keyring.sh, after scripts/bench.sh has built
# build/certdesk-cli. Prints markdown rows
#   | what | figure | floor or peer | ratio | goal |
# The fixture is the store package's 10,000-certificate generator with
# every entry linked to a registered policy server whose cached policy
# gives the template a renewal period, none due: pulse must decide about
# each one, from the index alone; status applies the health rule to each,
# from the index and the retry state alone. The floor is scripts/parsefloor (read and
# x509.ParseCertificate the same 10,000 DER files). Figures are medians of
# cold process runs (hyperfine when installed, else a date +%s%N loop).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/benchlib.sh # $cli, $work, $work/parsefloor, median_ms, row

root=$work/pulse
CERTDESK_BENCH_ROOT="$root" CERTDESK_BENCH_META_OUT="$work/meta.json" \
	go test -count=1 -run '^TestGenerateBenchCore$' ./app >/dev/null
CERTDESK_BENCH_ROOT="$root" CERTDESK_BENCH_DER="$work/der" CERTDESK_BENCH_N=10000 CERTDESK_BENCH_META="$(cat "$work/meta.json")" \
	go test -count=1 -run '^TestGenerateBenchStore$' ./store >/dev/null

out=$(CERTDESK_ROOT="$root" "$cli" pulse)
case "$out" in
"user: 10000 checked, 0 due, 0 renewed, 0 failed") ;;
*) echo "bench-core: unexpected pulse over the fixture: $out" >&2; exit 1 ;;
esac
floor=$(median_ms "$work/parsefloor" "$work/der")
pulse=$(median_ms env CERTDESK_ROOT="$root" "$cli" pulse)
row "pulse, 10,000 certificates, nothing due (cold process)" "$pulse" "parsefloor (read + x509.ParseCertificate)" "$floor" "≤ 0.3×"

out=$(CERTDESK_ROOT="$root" "$cli" status) || true
case "$out" in
"CERTDESK OK - All 10000 certificates are fine | "*) ;;
*) echo "bench-core: unexpected status over the fixture: $out" >&2; exit 1 ;;
esac
status=$(median_ms env CERTDESK_ROOT="$root" "$cli" status)
row "status, 10,000 certificates (cold process)" "$status" "parsefloor (read + x509.ParseCertificate)" "$floor" "≤ 0.3×"

# The same 10,000 certificates naming an OCSP responder and a CRL on a
# loopback port where nothing listens, each with a current good answer
# in the revocation cache (app's real check, answered by the CA's CRL
# kept where app keeps CRLs): pulse must take every answer from the cache.
# Nothing may fail, nothing may turn unknown (status would WARN), and the
# cache file must be left as it was (no answer was asked for again).
rroot=$work/revoked-cache rev=http://127.0.0.1:9
CERTDESK_BENCH_ROOT="$rroot" CERTDESK_BENCH_META_OUT="$work/rmeta.json" \
	go test -count=1 -run '^TestGenerateBenchCore$' ./app >/dev/null
CERTDESK_BENCH_ROOT="$rroot" CERTDESK_BENCH_DER="$work/rder" CERTDESK_BENCH_N=10000 CERTDESK_BENCH_META="$(cat "$work/rmeta.json")" \
	CERTDESK_BENCH_REVOCATION=$rev CERTDESK_BENCH_CRL_OUT="$work/ca.crl" \
	go test -count=1 -run '^TestGenerateBenchStore$' ./store >/dev/null
CERTDESK_BENCH_ROOT="$rroot" CERTDESK_BENCH_REVOCATION=$rev CERTDESK_BENCH_CRL="$work/ca.crl" \
	go test -count=1 -run '^TestGenerateBenchRevocation$' ./app >/dev/null
cache=$(find "$rroot" -name revocation.json)
sum=$(sha256sum "$cache")
out=$(CERTDESK_ROOT="$rroot" "$cli" pulse)
case "$out" in
"user: 10000 checked, 0 due, 0 renewed, 0 failed") ;;
*) echo "bench-core: unexpected pulse over the revocation fixture: $out" >&2; exit 1 ;;
esac
out=$(CERTDESK_ROOT="$rroot" "$cli" status) || true
case "$out" in
"CERTDESK OK - All 10000 certificates are fine | "*) ;;
*) echo "bench-core: unexpected status over the revocation fixture: $out" >&2; exit 1 ;;
esac
[ "$(sha256sum "$cache")" = "$sum" ] || { echo "bench-core: pulse asked for revocation answers it had cached" >&2; exit 1; }
floor=$(median_ms "$work/parsefloor" "$work/rder")
pulse=$(median_ms env CERTDESK_ROOT="$rroot" "$cli" pulse)
row "pulse, 10,000 certificates with cached revocation answers (cold process)" "$pulse" "parsefloor (read + x509.ParseCertificate)" "$floor" "≤ 0.3×"

# The same at 100,000 certificates (scripts/benchfixture.sh).
fixture100k
out=$(CERTDESK_ROOT="$big" "$cli" pulse)
case "$out" in
"user: 100000 checked, 0 due, 0 renewed, 0 failed") ;;
*) echo "bench-core: unexpected pulse over the 100,000 fixture: $out" >&2; exit 1 ;;
esac
floor=$(runs=5 median_ms "$work/parsefloor" "$bigder")
pulse=$(runs=5 median_ms env CERTDESK_ROOT="$big" "$cli" pulse)
row "pulse, 100,000 certificates, nothing due (cold process)" "$pulse" "parsefloor (read + x509.ParseCertificate)" "$floor" "≤ 0.3×"
