# ipclab — the commands of the README. Every target installs what is missing first
# (scripts/install-deps.sh: Debian packages only; as non-root it prints the apt-get line).
PYTHON := /usr/bin/python3
CMAKE_FLAGS := -G Ninja -Wno-dev

.PHONY: all setup setup-test build solutions demo test bench format clean

all: build

setup:
	@scripts/install-deps.sh

# What only the test suite needs besides (xmllint, node, chromium, python3-yaml, black, flake8,
# clang-format).
setup-test:
	@scripts/install-deps.sh --test

# The student's exercises: every exercise its own target; one that fails stops no other.
build: setup
	cmake -S . -B build/exercises $(CMAKE_FLAGS) >/dev/null
	cmake --build build/exercises -- -k 0

# The reference solutions with the hidden unit tests, unit-tested in a private IPC namespace.
# The student's copy (./ipclab bundle) has no solutions/: say so instead of a CMake error.
NO_SOLUTIONS = { echo "ipclab: this copy has no solutions/ (it is the student's); ./ipclab check checks your work" >&2; exit 2; }

solutions: setup
	@test -d solutions || $(NO_SOLUTIONS)
	cmake -S . -B build/solutions $(CMAKE_FLAGS) -DIPCLAB_SOURCE=solutions \
	      -DIPCLAB_HIDDEN_DIR=$(CURDIR)/grader/hidden >/dev/null
	cmake --build build/solutions
	ctest --test-dir build/solutions --output-on-failure

# The main job on a default: grade the reference solutions (full marks).
demo: setup
	@test -d solutions || $(NO_SOLUTIONS)
	./ipclab grade solutions

# The whole test suite: developer check, harness, grader end to end.
test: setup-test
	$(PYTHON) -m pytest tests --durations=20

bench: setup-test
	$(PYTHON) scripts/bench.py

# The code's layout: black and clang-format applied to what scripts/format.py lists (make test
# checks it, with flake8).
format: setup-test
	$(PYTHON) scripts/format.py

clean:
	rm -rf build
