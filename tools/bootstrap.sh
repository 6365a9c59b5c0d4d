#!/usr/bin/env bash
# Set-up shared by tools/build-book.sh and tools/test.sh; safe to run again (it skips what is done).
#   bash tools/bootstrap.sh book   # the venv, Fashion-MNIST, the offline web assets
#   bash tools/bootstrap.sh test   # the same plus the test tools and Debian's chromium
# System packages are installed with apt-get when running as root; otherwise the exact command
# to run is printed and the script stops.
set -euo pipefail
mode="${1:-book}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ALEXNET_VENV:-$REPO/.venv}"
PY="${PYTHON:-python3}"
say() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {  # apt_install PACKAGE... : install Debian packages or say exactly how
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: $*"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
  else
    say "missing system package(s): $*"
    say "install them with:  sudo apt-get install $*   (then run this command again)"
    exit 1
  fi
}

# 1. Python environment with the project (and its test tools for 'test').
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed"'
extras=""; [ "$mode" = test ] && extras="[test]"
want="$(cat "$REPO/pyproject.toml" | sha256sum | cut -c1-16)$extras"
if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
have="$(cat "$VENV/.alexnet-setup" 2>/dev/null || true)"
# the test set-up includes the book's: after the tests, the book installs nothing again
if [ "$have" != "$want" ] && ! { [ "$mode" != test ] && [ "$have" = "$want[test]" ]; }; then
  say "installing the project and its dependencies into $VENV (torch is large: minutes) ..."
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$REPO$extras" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  "$VENV/bin/python" -c "import alexnet_repro, torch, torchvision, papermill, jupyter_book" \
    || { say "the Python install failed (see above)"; exit 1; }
  echo "$want" > "$VENV/.alexnet-setup"
fi

# 2. Offline data: Fashion-MNIST from Debian (the default profile's dataset).
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ -z "${FASHION_MNIST_ROOT:-}" ]; then
  apt_install dataset-fashion-mnist
fi

# 3. JavaScript the built book serves itself (widgets manager, require.js, MathJax).
if [ ! -f "$REPO/tools/web/node_modules/.package-lock.json" ] \
   || [ "$REPO/tools/web/package-lock.json" -nt "$REPO/tools/web/node_modules/.package-lock.json" ]; then
  command -v npm >/dev/null || apt_install nodejs npm
  say "installing the book's offline JavaScript (npm ci in tools/web)"
  npm ci --prefix "$REPO/tools/web" --no-audit --no-fund --silent >&2
fi

# 4. The browser for the browser tests (Debian's chromium; never a downloaded one).
if [ "$mode" = test ] && ! command -v chromium >/dev/null; then
  apt_install chromium
fi
echo "$VENV"
