#!/usr/bin/env bash
# bench-gui.sh: the GUI rows of "make bench". Run from the repo root inside
# scripts/with-keyring.sh (scripts/bench.sh does). Prints markdown rows
#   | what | figure | floor or peer | ratio | goal |
# Start-up of the real window under Xvfb, from process start to the first
# painted frame that shows the rows of the first store (User › Personal),
# with 10,000 certificates beside an empty store. CERTDESK_FIRST_FRAME=1
# makes certdesk print "first frame: N ms, M entries" once that frame is
# painted, and quit (docs/gui.md). Time is the median of the printed
# figures; peak memory the median of /usr/bin/time's maximum RSS; both
# over several cold processes after one warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=en_US.UTF-8
runs=${runs:-5}
work=$(mktemp -d)
disp=:$((500 + RANDOM % 400))
while [ -e "/tmp/.X11-unix/X${disp#:}" ]; do disp=:$((500 + RANDOM % 400)); done
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
trap 'kill $xpid 2>/dev/null; wait $xpid 2>/dev/null; rm -rf "$work"' EXIT
export DISPLAY=$disp
go build -o build/certdesk .
bin=$PWD/build/certdesk

# The store work's generator: 10,000 certificates in User › Personal.
CERTDESK_BENCH_ROOT="$work/big" CERTDESK_BENCH_DER="$work/der" CERTDESK_BENCH_N=10000 \
	go test -count=1 -run '^TestGenerateBenchStore$' ./store >/dev/null
mkdir -p "$work/empty"

# measure ROOT WANT: prints "median_ms median_kb" over $runs runs.
measure() {
	local root=$1 want=$2 ms=() kb=()
	for i in $(seq 0 "$runs"); do
		HOME=$work/home CERTDESK_ROOT=$root CERTDESK_FIRST_FRAME=1 \
			/usr/bin/time -f %M -o "$work/mem" timeout -k 5 60 "$bin" >"$work/out" 2>"$work/err" ||
			{ echo "bench-gui: certdesk failed:" >&2; cat "$work/out" "$work/err" >&2; exit 1; }
		line=$(grep '^first frame:' "$work/out") || { echo "bench-gui: no first frame" >&2; cat "$work/err" >&2; exit 1; }
		n=$(echo "$line" | sed 's/.*, \([0-9]*\) entries/\1/')
		[ "$n" = "$want" ] || { echo "bench-gui: first frame showed $n entries, want $want" >&2; exit 1; }
		[ "$i" = 0 ] && continue # warm-up: file cache, fonts, the empty root's first open
		ms+=("$(echo "$line" | sed 's/first frame: \([0-9.]*\) ms.*/\1/')")
		kb+=("$(tail -1 "$work/mem")")
	done
	med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
	echo "$(med "${ms[@]}") $(med "${kb[@]}")"
}

measure "$work/big" 10000 >"$work/big.txt"
measure "$work/empty" 0 >"$work/empty.txt"
read -r big_ms big_kb <"$work/big.txt"
read -r empty_ms empty_kb <"$work/empty.txt"
awk -v w="GUI start to first frame, 10,000 certificates (Xvfb)" -v f="$big_ms" -v p="$empty_ms" \
	'BEGIN { printf "| %s | %.0f ms | empty store %.0f ms | %.2f× | ≤ 1.3× |\n", w, f, p, f / p }'
awk -v w="GUI peak memory to first frame, 10,000 certificates" -v f="$big_kb" -v p="$empty_kb" \
	'BEGIN { printf "| %s | %.1f MiB | empty store %.1f MiB | %.2f× | ≤ 1.3× |\n", w, f / 1024, p / 1024, f / p }'
