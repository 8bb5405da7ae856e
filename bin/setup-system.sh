#!/usr/bin/env bash
# Installs the Debian packages the test suite needs beyond npm: docker-compose (validates the
# compose files; no engine needed), chromium (end-to-end tests), jupyter + ipykernel (notebooks),
# python3-sklearn (the peer of `npm run bench:models`: the forest is measured against scikit-learn).
# Idempotent: installs only what is missing. Runs as root (CI) or through sudo when available.
set -euo pipefail
packages=(docker-compose chromium jupyter-notebook python3-nbconvert python3-ipykernel python3-sklearn)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "setup-system: install these with your package manager: ${missing[*]}" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ -n "$sudo" ] && ! sudo -n true 2>/dev/null; then
  echo "setup-system: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
echo "setup-system: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
