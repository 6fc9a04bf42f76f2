#!/usr/bin/env bash
# The test command of the README ("make test") and of CI: lint, then every
# test against a real gnome-keyring, the race detector on every package
# but main (its test builds and runs the binary), and the real window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=en_US.UTF-8
export REQUIRE_SECRET_SERVICE=1
export REQUIRE_APACHE=1 # TestApacheRenegotiation fails instead of skipping without apache2
export REQUIRE_SWTPM=1  # the TPM key tests fail instead of skipping without swtpm or tpm2-openssl
export REQUIRE_STEPCA=1 # TestStepCA (internal/cli) fails instead of skipping without step-ca

bash scripts/setup-debian.sh

# step-ca, the independent SCEP server of TestStepCA, builds in the
# background while lint and the build run (on a fresh machine it is mostly
# module downloads).
stepca_out=$(mktemp)
bash scripts/stepca.sh >"$stepca_out" 2>"$stepca_out.log" &
stepca_pid=$!

echo "== lint"
bash scripts/lint.sh

echo "== build"
go build -o build/certdesk .
wait "$stepca_pid" || { cat "$stepca_out.log" >&2; echo "test: step-ca did not build" >&2; exit 1; }
STEPCA=$(cat "$stepca_out")
export STEPCA
rm -f "$stepca_out" "$stepca_out.log"

echo "== tests (real gnome-keyring; -race on every package without cgo)"
pkgs=$(go list ./... | grep -v '^github.com/certdesk/certdesk$')
scripts/with-keyring.sh go test -count=1 -race $pkgs
scripts/with-keyring.sh go test -count=1 . # main: the built binary's stderr under every locale

echo "== real window under Xvfb"
shots=$(mktemp -d); bash scripts/screenshots.sh build/certdesk "$shots" && rm -rf "$shots"

echo "== drag-and-drop under Xvfb (a GTK drag source, XDND)"
bash scripts/dnd-test.sh build/certdesk
