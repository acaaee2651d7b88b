#!/usr/bin/env bash
# Installs everything the tests and the embedded default need, on a fresh
# Debian machine. Idempotent: a second run only checks. Run as root (CI is).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=()
command -v redis-server >/dev/null || apt_pkgs+=(redis-server)
command -v chromium >/dev/null || apt_pkgs+=(chromium)
command -v node >/dev/null || apt_pkgs+=(nodejs npm)
# The training recipe's unit tests (deploy/training) run on Debian's torch.
/usr/bin/python3 -c 'import torch, onnx, numpy' 2>/dev/null || apt_pkgs+=(python3-torch python3-onnx python3-numpy)
if ((${#apt_pkgs[@]})); then
	echo "install-deps: apt-get install ${apt_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi

# The ONNX Runtime shared library for the embedded default.
bash scripts/fetch-ort.sh

# The official OpenAI Node client, used by the gateway's compatibility test.
if [ -f proxy/testdata/openai/package-lock.json ] && [ ! -d proxy/testdata/openai/node_modules/openai ]; then
	npm ci --prefix proxy/testdata/openai --no-audit --no-fund --ignore-scripts >/dev/null
fi
