#!/usr/bin/env bash
# A nats-server of the release line production runs (the manifests pin nats:2.10.x). Where the
# machine's own is older (Debian bookworm ships 2.9.10, on which `msg.term(reason)` is not
# final) or missing, Debian trixie's package is downloaded (not installed) and unpacked into
# .nats/ (ignored by git and docker); findNatsServer() in devkit looks there. Needs no root.
# Prints the path of the binary to use.
set -euo pipefail
cd "$(dirname "$0")/.."

NATS_MIN=2.10 # the manifests' major.minor; infra/test/nats-version.test.ts keeps them in step
MIRROR=http://deb.debian.org/debian
LOCAL="$PWD/.nats/usr/sbin/nats-server"

# "nats-server: v2.9.10" -> 2.9.10
version_of() { "$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9.]*\).*/\1/p'; }
new_enough() {
  local v; v=$(version_of "$1")
  [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$NATS_MIN" "$v" | sort -V | head -1)" = "$NATS_MIN" ]
}

for candidate in "$LOCAL" "$(command -v nats-server || true)" /usr/sbin/nats-server; do
  if [ -x "$candidate" ] && new_enough "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "no nats-server $NATS_MIN or newer here, and no apt-get to fetch Debian's: install one" \
    "(https://github.com/nats-io/nats-server/releases) and put it on PATH or in NATS_SERVER_BIN" >&2
  exit 1
fi

# apt with a trixie source list, lists and cache of its own in .nats/apt: the machine's apt
# set-up is neither read nor changed.
apt_dir="$PWD/.nats/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
)
# As root apt would hand the download to its _apt user, who cannot write here.
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
echo "fetching nats-server from Debian trixie into .nats/" >&2
apt-get "${apt_opts[@]}" -qq update >&2
rm -f "$apt_dir"/nats-server_*.deb
(cd "$apt_dir" && apt-get "${apt_opts[@]}" -qq download nats-server >&2)
dpkg-deb -x "$apt_dir"/nats-server_*.deb "$PWD/.nats"

if ! new_enough "$LOCAL"; then
  echo "the downloaded nats-server ($(version_of "$LOCAL")) is older than $NATS_MIN" >&2
  exit 1
fi
echo "$LOCAL"
