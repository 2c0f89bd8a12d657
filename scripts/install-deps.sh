#!/usr/bin/env bash
# Installs what ipclab needs, from Debian's packages only (there is no PyPI here).
# As root it installs what is missing; as anyone else it prints the one apt-get line to run.
# Called by the Makefile before every target that builds or tests, so it must be fast when
# everything is already there: it asks dpkg, not apt.
set -euo pipefail

packages=(
  g++ cmake ninja-build make pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev ccache
  bubblewrap util-linux procps
  python3 python3-pytest python3-pytest-timeout python3-sysv-ipc python3-rich
  python3-yaml chromium   # batch/CI issue: workflow syntax test, report.html rendered headless
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "ipclab: missing Debian packages: ${missing[*]}" >&2
  echo "ipclab: install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "ipclab: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; an old list may lack a package.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
