#!/usr/bin/env bash
# with-keyring.sh CMD...: runs CMD inside a private D-Bus session bus with a
# freshly created, unlocked gnome-keyring (the Secret Service), in a
# throwaway XDG_DATA_HOME, so tests use a real keyring and never the
# person's own.
set -euo pipefail
kr=$(mktemp -d)
trap 'rm -rf "$kr"' EXIT
mkdir -p -m 700 "$kr/data" "$kr/run"
export XDG_DATA_HOME="$kr/data" XDG_RUNTIME_DIR="$kr/run"
dbus-run-session -- sh -c 'printf %s ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' sh "$@" \
	2> >(grep -v 'Failed to set fd limit' >&2)
