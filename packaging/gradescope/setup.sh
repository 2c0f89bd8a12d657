#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04 by
# default). It installs ipclab's Debian/Ubuntu packages; ipclab itself is already unpacked
# in /autograder/source. IPCLAB_AUTOGRADER_ROOT replaces /autograder (tests, a dry run).
set -euo pipefail
SRC="${IPCLAB_AUTOGRADER_ROOT:-/autograder}/source"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# What grading needs only, with Ubuntu's names (python3-tomli on Python < 3.11, Ubuntu 22.04);
# not the test suite's packages (--test), one of which Ubuntu has no deb for.
bash "$SRC/scripts/install-deps.sh"
chmod +x "$SRC/ipclab" "$SRC/run_autograder"
# Say now, in the image build log, whether the sandbox works in this container.
"$SRC/ipclab" grade --help >/dev/null
/usr/bin/python3 "$SRC/packaging/gradescope/autograde.py" --probe || true
