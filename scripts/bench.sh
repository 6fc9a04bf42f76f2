#!/usr/bin/env bash
# make bench: runs each scripts/bench-*.sh section; each prints rows of
#   | what | figure | floor or peer | ratio | goal |
# and then the Go benchmarks of every package.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=en_US.UTF-8
mkdir -p build
CGO_ENABLED=0 go build -tags nogui -o build/certdesk-cli .
# The 100,000-certificate fixture, made once for every section.
fix=$(mktemp -d)
trap 'rm -rf "$fix"' EXIT
bash scripts/benchfixture.sh "$fix"
export CERTDESK_BENCH_100K=$fix
echo "| what | figure | floor or peer | ratio | goal |"
echo "|---|---|---|---|---|"
for s in scripts/bench-*.sh; do
	[ -e "$s" ] || continue
	scripts/with-keyring.sh bash "$s"
done
echo
echo "Go benchmarks:"
pkgs=$(go list ./... | grep -v '^github.com/certdesk/certdesk$')
scripts/with-keyring.sh go test -run '^$' -bench . -benchmem $pkgs | grep -E '^(Benchmark|ok|FAIL|pkg:)'
