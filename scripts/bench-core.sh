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
