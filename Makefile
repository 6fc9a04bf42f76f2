# certdesk — see README.md. setup installs the Debian 12 packages; demo, test,
# bench and cross run it first, build does not.
.PHONY: setup build cli man demo test bench lint screenshots clean cross package release

setup:
	@bash scripts/setup-debian.sh

# VERSION is what "certdesk --version" prints; without it, the binary's
# build information (module version, VCS revision) is used.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS := -X github.com/certdesk/certdesk/internal/cli.version=$(VERSION)

build:
	go build -ldflags "$(LDFLAGS)" -o build/certdesk .

# cli builds the headless binary (no cgo, no GL): every verb, no GUI.
cli:
	CGO_ENABLED=0 go build -tags nogui -ldflags "$(LDFLAGS)" -o build/certdesk-cli .

# man writes the manual page certdesk(1), generated from the verb table and
# usage texts the -h output prints (certdesk help -man).
man:
	mkdir -p build
	go run . help -man > build/certdesk.1

demo: setup build
	LANG=en_US.UTF-8 ./build/certdesk --demo

test:
	@bash scripts/test.sh

bench: setup
	@bash scripts/bench.sh

lint:
	@bash scripts/lint.sh

# cross builds and checks the other targets (linux/arm64 with tests under
# qemu, windows/amd64, and without cgo windows/arm64, darwin/arm64+amd64).
cross:
	@bash scripts/cross.sh

# package makes the Linux tar.xz packages (amd64, arm64) with fyne package.
package:
	@bash scripts/package.sh

# release builds every target and package into dist/ with SHA256SUMS.
release:
	@bash scripts/release.sh

# screenshots drives "certdesk --demo" under Xvfb and saves docs/screenshots/*.png.
screenshots: setup build
	bash scripts/screenshots.sh build/certdesk docs/screenshots

clean:
	rm -rf build
