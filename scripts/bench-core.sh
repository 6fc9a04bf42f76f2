#!/usr/bin/env bash
# bench-core.sh: the core rows of "make bench". Run from the repo root
# inside scripts/with-keyring.sh, after scripts/bench.sh has built
# build/certdesk-cli. Prints markdown rows
#   | what | figure | floor or peer | ratio | goal |
# The fixture is the store package's 10,000-certificate generator with
# every entry linked to a registered policy server whose cached policy
# gives the template a renewal period, none due: pulse must decide about
# each one, from the index alone, or from the summary of the previous pulse
# while the index is unchanged. The floor is scripts/parsefloor (read and
# x509.ParseCertificate the same 10,000 DER files). Figures are medians of
# cold process runs (hyperfine when installed, else a date +%s%N loop).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=$PWD/build/certdesk-cli
[ -x "$cli" ] || CGO_ENABLED=0 go build -tags nogui -o "$cli" .
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/parsefloor" ./scripts/parsefloor

# median_ms CMD...: median wall time of a cold run of CMD in milliseconds;
# $prepare (if set) runs untimed before each run.
median_ms() {
	if command -v hyperfine >/dev/null; then
		hyperfine -N -w 2 -r "${runs:-10}" -i ${prepare:+--prepare "$prepare"} --export-csv "$work/h.csv" "$*" >/dev/null 2>&1
		awk -F, 'NR==2 { printf "%.1f", $4 * 1000 }' "$work/h.csv"
		return
	fi
	local ts=()
	for _ in $(seq "${runs:-10}"); do
		[ -n "${prepare:-}" ] && sh -c "$prepare"
		local t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		ts+=($(( ($(date +%s%N) - t0) / 1000 )))
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

row() { # what figure_ms peer_label peer_ms goal
	awk -v w="$1" -v f="$2" -v pl="$3" -v p="$4" -v g="$5" \
		'BEGIN { printf "| %s | %.1f ms | %s %.1f ms | %.2f× | %s |\n", w, f, pl, p, f / p, g }'
}

root=$work/pulse
CERTDESK_BENCH_ROOT="$root" CERTDESK_BENCH_META_OUT="$work/meta.json" \
	go test -count=1 -run '^TestGenerateBenchCore$' ./app >/dev/null
CERTDESK_BENCH_ROOT="$root" CERTDESK_BENCH_DER="$work/der" CERTDESK_BENCH_N=10000 CERTDESK_BENCH_META="$(cat "$work/meta.json")" \
	go test -count=1 -run '^TestGenerateBenchStore$' ./store >/dev/null
# An index younger than 2 s is "racy" (docs/core.md): let it age, as any
# real store has between two scheduled pulses.
sleep 2
out=$(CERTDESK_ROOT="$root" "$cli" pulse)
case "$out" in
"user: 10000 checked, 0 due, 0 renewed, 0 failed") ;;
*) echo "bench-core: unexpected pulse over the fixture: $out" >&2; exit 1 ;;
esac
floor=$(median_ms "$work/parsefloor" "$work/der")
pulse=$(median_ms env CERTDESK_ROOT="$root" "$cli" pulse)
row "pulse, 10,000 certificates, nothing due (cold process)" "$pulse" "parsefloor (read + x509.ParseCertificate)" "$floor" "≤ 0.3×"
# The same after a store change: no valid summary, so pulse reads the
# whole index (still no certificate parsed) and writes a new summary.
full=$(prepare="rm -f $root/state/user/pulse.json" median_ms env CERTDESK_ROOT="$root" "$cli" pulse)
row "pulse as above, first after a store change (reads the index)" "$full" "parsefloor" "$floor" "≤ 0.3×"
