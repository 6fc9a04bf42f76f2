#!/usr/bin/env bash
# Builds step-ca (github.com/smallstep/certificates/cmd/step-ca), the
# independent SCEP server of enroll/scep's TestStepCA, into build/step-ca
# unless it is there already. A test tool only: it never enters go.mod.
# Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v0.30.2
bin=build/step-ca
if [[ ! -x $bin || $(cat build/step-ca.version 2>/dev/null) != "$version" ]]; then
	mkdir -p build
	CGO_ENABLED=0 GOBIN="$PWD/build" GOFLAGS=-mod=mod go install "github.com/smallstep/certificates/cmd/step-ca@$version" >&2
	echo "$version" >build/step-ca.version
fi
echo "$PWD/$bin"
