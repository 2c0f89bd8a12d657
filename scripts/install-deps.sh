#!/usr/bin/env bash
# Installs what ipclab needs, from Debian's (or Ubuntu's) packages only (there is no PyPI here).
#
#   scripts/install-deps.sh          what building and grading need (students, graders, CI,
#                                    Gradescope, PrairieLearn, Autolab, a VPL jail)
#   scripts/install-deps.sh --test   that, plus what only the project's test suite needs
#   scripts/install-deps.sh --list [--test]   print the package names for this system, one a line
#
# As root it installs what is missing; as anyone else it prints the one apt-get line to run.
# Called by the Makefile before every target that builds or tests, so it must be fast when
# everything is already there: it asks dpkg, not apt. Names are Debian 12's; where Ubuntu
# (22.04, 24.04: GitHub's runners, Gradescope's image) has no such deb the list says so below,
# because one unknown name makes the whole apt-get line fail.
set -euo pipefail

test_too=0 list=0
for arg in "$@"; do
  case "$arg" in
    --test) test_too=1 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ipclab: install-deps.sh: unknown option '$arg' (use --test, --list or --help)" >&2; exit 2 ;;
  esac
done

# IPCLAB_OS_RELEASE replaces /etc/os-release (the tests ask for Ubuntu's list on Debian).
os_release="${IPCLAB_OS_RELEASE:-/etc/os-release}"
distro=debian
if [[ -r "$os_release" ]]; then
  id=$(. "$os_release"; echo "${ID:-}")
  [[ "$id" == ubuntu ]] && distro=ubuntu
fi

# Building and grading: the compiler and CMake, the lab's test framework and JSON header, the
# sandbox (bubblewrap; unshare and ps from util-linux and procps), the process checks' Python,
# and the similarity tester instructors compare a class with (sim_c++, Debian and Ubuntu).
packages=(
  g++ cmake ninja-build make pkg-config
  libgtest-dev libgmock-dev nlohmann-json3-dev ccache
  bubblewrap util-linux procps
  python3 python3-pytest python3-pytest-timeout python3-sysv-ipc python3-rich
  similarity-tester   # sim_c++: ./ipclab similarity and batch's similarity report
)
# Python < 3.11 (Ubuntu 22.04) has no tomllib: the manifests are then read with python3-tomli.
if ! /usr/bin/python3 -c 'import tomllib' 2>/dev/null; then
  packages+=(python3-tomli)
fi

# Only the test suite: the workflow's YAML (python3-yaml), JUnit checked against Jenkins'
# schema (xmllint), GitHub Classroom's reporter run for real (nodejs), report.html rendered
# headless (chromium), the micro-benchmarks (libbenchmark-dev), the code's layout (black,
# flake8, clang-format: scripts/format.py).
test_packages=(python3-yaml libxml2-utils nodejs libbenchmark-dev black flake8 clang-format)
if [[ "$distro" == debian ]]; then
  test_packages+=(chromium)
fi
# Ubuntu has no chromium deb (chromium-browser is a stub that installs a snap, which CI
# containers cannot run): the one test that renders report.html skips itself there.

wanted=("${packages[@]}")
((test_too)) && wanted+=("${test_packages[@]}")

if ((list)); then
  printf '%s\n' "${wanted[@]}"
  exit 0
fi

missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "ipclab: missing $distro packages: ${missing[*]}" >&2
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
