#!/usr/bin/env bash
# Lint, in one place (make lint, make test): gofmt, go vet, staticcheck, and
# repository hygiene: no tracked file over 1 MiB and no executable binary.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go tool staticcheck ./...

bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	size=$(stat -c %s "$f")
	if [ "$size" -gt 1048576 ]; then
		echo "tracked file over 1 MiB: $f ($size bytes)" >&2
		bad=1
	fi
	# ELF, PE (MZ), Mach-O (32/64, both byte orders, fat)
	magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46 | 4d5a* | feedface | feedfacf | cefaedfe | cffaedfe | cafebabe)
		echo "tracked executable binary: $f" >&2
		bad=1
		;;
	esac
done < <(git ls-files -z)
exit $bad
