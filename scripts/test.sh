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

bash scripts/setup-debian.sh

# step-ca, the independent SCEP server of TestStepCA, builds in the
# background while everything else runs (on a fresh machine: about 1.2 GB
# of modules and a large build); its test runs last.
stepca_out=$(mktemp)
bash scripts/stepca.sh >"$stepca_out" 2>"$stepca_out.log" &
stepca_pid=$!
trap 'pkill -P "$stepca_pid" 2>/dev/null || true; kill "$stepca_pid" 2>/dev/null || true; rm -f "$stepca_out" "$stepca_out.log"' EXIT

echo "== lint"
bash scripts/lint.sh

echo "== build"
go build -o build/certdesk .

echo "== tests (real gnome-keyring; -race on every package without cgo)"
pkgs=$(go list ./... | grep -v '^github.com/certdesk/certdesk$')
scripts/with-keyring.sh go test -count=1 -race $pkgs
scripts/with-keyring.sh go test -count=1 . # main: the built binary's stderr under every locale

echo "== real window under Xvfb"
shots=$(mktemp -d); bash scripts/screenshots.sh build/certdesk "$shots" && rm -rf "$shots"

echo "== drag-and-drop under Xvfb (a GTK drag source, XDND)"
bash scripts/dnd-test.sh build/certdesk

echo "== SCEP against step-ca, an independent server"
wait "$stepca_pid" || { cat "$stepca_out.log" >&2; echo "test: step-ca did not build" >&2; exit 1; }
STEPCA=$(cat "$stepca_out") REQUIRE_STEPCA=1 scripts/with-keyring.sh go test -count=1 -run '^TestStepCA$' ./internal/cli
