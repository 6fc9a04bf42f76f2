#!/usr/bin/env bash
# bench-gui.sh: the GUI rows of "make bench". Run from the repo root inside
# scripts/with-keyring.sh (scripts/bench.sh does). Prints markdown rows
#   | what | figure | floor or peer | ratio | goal |
# Start-up of the real window under Xvfb, from process start to the first
# painted frame that shows the rows of the first store (User › Personal),
# with 10,000 certificates beside an empty store. CERTDESK_FIRST_FRAME=1
# makes certdesk print "first frame: N ms, M entries" once that frame is
# painted, and quit (docs/gui.md): "first frame: T ms, N entries, peak P
# KiB", T from process start and P the peak resident memory up to that
# frame (VmHWM). Figures are medians over several cold processes after a
# warm-up, big and empty alternating.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=en_US.UTF-8
runs=${runs:-7}
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

# once ROOT WANT: one cold start; appends "ms kb" to ROOT.txt.
once() {
	local root=$1 want=$2 line n
	HOME=$work/home CERTDESK_ROOT=$root CERTDESK_FIRST_FRAME=1 \
		timeout -k 5 60 "$bin" >"$work/out" 2>"$work/err" ||
		{ echo "bench-gui: certdesk failed:" >&2; cat "$work/out" "$work/err" >&2; exit 1; }
	line=$(grep '^first frame:' "$work/out") || { echo "bench-gui: no first frame" >&2; cat "$work/err" >&2; exit 1; }
	n=$(echo "$line" | sed 's/.*, \([0-9]*\) entries.*/\1/')
	[ "$n" = "$want" ] || { echo "bench-gui: first frame showed $n entries, want $want" >&2; exit 1; }
	echo "$line" | sed 's/first frame: \([0-9.]*\) ms, .* peak \([0-9]*\) KiB/\1 \2/' >>"$root.txt"
}
# median COLUMN FILE
median() { awk -v c="$1" '{ print $c }' "$2" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# A warm-up of each (file cache, fonts, the empty root's first open), then
# the two alternate, so load from elsewhere on the machine hits both alike.
once "$work/big" 10000
once "$work/empty" 0
rm -f "$work/big.txt" "$work/empty.txt"
for _ in $(seq "$runs"); do
	once "$work/big" 10000
	once "$work/empty" 0
done
big_ms=$(median 1 "$work/big.txt") big_kb=$(median 2 "$work/big.txt")
empty_ms=$(median 1 "$work/empty.txt") empty_kb=$(median 2 "$work/empty.txt")
awk -v w="GUI start to first frame, 10,000 certificates (Xvfb)" -v f="$big_ms" -v p="$empty_ms" \
	'BEGIN { printf "| %s | %.0f ms | empty store %.0f ms | %.2f× | ≤ 1.3× |\n", w, f, p, f / p }'
awk -v w="GUI peak memory to first frame, 10,000 certificates" -v f="$big_kb" -v p="$empty_kb" \
	'BEGIN { printf "| %s | %.1f MiB | empty store %.1f MiB | %.2f× | ≤ 1.3× |\n", w, f / 1024, p / 1024, f / p }'

# The first frame at 100,000 certificates (scripts/benchfixture.sh; made
# here when scripts/bench.sh did not) beside the parse floor over the same
# 100,000 DER files: fewer runs, each is seconds.
huge=${CERTDESK_BENCH_100K:-$work/100k}
[ -n "${CERTDESK_BENCH_100K:-}" ] || bash scripts/benchfixture.sh "$huge"
go build -o "$work/parsefloor" ./scripts/parsefloor
once "$huge/root" 100000
rm -f "$huge/root.txt" "$work/floor.txt"
for _ in 1 2 3; do
	once "$huge/root" 100000
	t0=$(date +%s%N)
	"$work/parsefloor" "$huge/der" >/dev/null
	echo $((($(date +%s%N) - t0) / 1000000)) >>"$work/floor.txt"
done
huge_ms=$(median 1 "$huge/root.txt") floor_ms=$(median 1 "$work/floor.txt")
rm -f "$huge/root.txt"
awk -v w="GUI start to first frame, 100,000 certificates (Xvfb)" -v f="$huge_ms" -v p="$floor_ms" \
	'BEGIN { printf "| %s | %.0f ms | parsefloor (read + x509.ParseCertificate) %.0f ms | %.2f× | ≤ 1.5× |\n", w, f, p, f / p }'
