#!/usr/bin/env bash
# The test command of the README ("make test") and of CI: lint, then every
# test against a real gnome-keyring, the race detector on the packages
# without cgo, and the real window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=en_US.UTF-8
export REQUIRE_SECRET_SERVICE=1

bash scripts/setup-debian.sh

echo "== lint"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go tool staticcheck ./...

echo "== build"
go build -o build/certdesk .

echo "== tests (real gnome-keyring; -race on every package without cgo)"
pkgs=$(go list ./... | grep -v '^github.com/certdesk/certdesk$')
scripts/with-keyring.sh go test -count=1 -race $pkgs
scripts/with-keyring.sh go test -count=1 .

echo "== real window under Xvfb"
shots=$(mktemp -d); bash scripts/screenshots.sh build/certdesk "$shots" && rm -rf "$shots"
