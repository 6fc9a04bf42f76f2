#!/usr/bin/env bash
# benchfixture.sh DIR: the 100,000-certificate fixture shared by the
# scripts/bench-*.sh rows "at 100,000": DIR/root is a certdesk root whose
# User › Personal holds 100,000 certificates linked to a registered policy
# server whose cached policy makes none of them due (bench-core's fixture,
# ten times larger), DIR/der the same certificates as DER files for
# scripts/parsefloor. scripts/bench.sh makes it once and exports
# CERTDESK_BENCH_100K=DIR; a bench script run alone makes its own. It takes
# under a minute (17 s of CPU, mostly signatures; the rest 200,000 small files).
set -euo pipefail
cd "$(dirname "$0")/.."
d=$1
mkdir -p "$d"
CERTDESK_BENCH_ROOT="$d/root" CERTDESK_BENCH_META_OUT="$d/meta.json" \
	go test -count=1 -run '^TestGenerateBenchCore$' ./app >/dev/null
CERTDESK_BENCH_ROOT="$d/root" CERTDESK_BENCH_DER="$d/der" CERTDESK_BENCH_N=100000 CERTDESK_BENCH_META="$(cat "$d/meta.json")" \
	go test -count=1 -run '^TestGenerateBenchStore$' ./store >/dev/null
