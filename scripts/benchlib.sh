# benchlib.sh: shared by the scripts/bench-*.sh that time cold processes.
# Source it from the repo root: it sets $cli (the headless binary, built if
# absent), $work (a scratch directory removed on exit) and builds
# $work/parsefloor, the read-and-parse floor.

cli=$PWD/build/certdesk-cli
[ -x "$cli" ] || CGO_ENABLED=0 go build -tags nogui -o "$cli" .
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/parsefloor" ./scripts/parsefloor

# median_ms CMD...: median wall time of a cold run of CMD in milliseconds
# (hyperfine when installed, else a date +%s%N loop); $runs runs (10), and
# $prepare (if set) runs untimed before each. Exit statuses are ignored:
# each script checks its command's output once before timing it.
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

# row WHAT FIGURE_MS PEER_LABEL PEER_MS GOAL: one markdown row of the table.
row() {
	awk -v w="$1" -v f="$2" -v pl="$3" -v p="$4" -v g="$5" \
		'BEGIN { printf "| %s | %.1f ms | %s %.1f ms | %.2f× | %s |\n", w, f, pl, p, f / p, g }'
}

# fixture100k: sets $big (the root of scripts/benchfixture.sh's 100,000
# certificates) and $bigder (their DER files), from CERTDESK_BENCH_100K
# when scripts/bench.sh made it, else made here under $work.
fixture100k() {
	local d=${CERTDESK_BENCH_100K:-}
	if [ -z "$d" ]; then
		d=$work/100k
		bash scripts/benchfixture.sh "$d"
	fi
	big=$d/root bigder=$d/der
}
