#!/usr/bin/env bash
# Trains the reference language-ID model and writes deploy/model_repository/langid.
# One command on a fresh Debian machine (as root): `make model`.
#   recipe.sh          dataset, training, export, golden fixtures, model card numbers
#   recipe.sh base     only a random BERT-base-shaped ONNX model for benchmarks,
#                      at deploy/training/work/bert-base/model.onnx (never committed)
# Environment: PER_LANG (strings per language before the 80/10/10 split,
# default 12000), PROSE (1: add description prose and augmentation, default 0)
# with PROSE_PER_LANG (description sentences per language, default 1500) and
# AUGMENT (share of catalog training strings replaced by an augmented variant,
# default 0.3), EPOCHS (default 4), LR (default 2e-3), DROPOUT (default
# 0), THREADS (torch and BLAS threads, default 1).
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd ../.. && pwd)
work=$here/work
py=/usr/bin/python3 # Debian's python3 sees python3-torch and python3-onnx
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree
mode=${1:-model}

apt_pkgs=()
[ -x "$py" ] || apt_pkgs+=(python3)
"$py" -c 'import torch' 2>/dev/null || apt_pkgs+=(python3-torch)
"$py" -c 'import onnx' 2>/dev/null || apt_pkgs+=(python3-onnx)
"$py" -c 'import numpy' 2>/dev/null || apt_pkgs+=(python3-numpy)
if ((${#apt_pkgs[@]})); then
	echo "recipe: apt-get install ${apt_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi

# Debian's torch calls the reference BLAS, about 5x slower than OpenBLAS for
# these matrix sizes. Unpack OpenBLAS here and put it first on the library
# path, leaving the system's BLAS choice alone.
blas=$work/blas/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ ! -e "$blas/libblas.so.3" ]; then
	mkdir -p "$work/blas"
	apt-get update -qq
	(cd "$work/blas" && apt-get download libopenblas0-pthread)
	dpkg-deb -x "$(compgen -G "$work/blas/libopenblas0-pthread_*.deb" | sort | tail -1)" "$work/blas"
fi
export LD_LIBRARY_PATH=$blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OPENBLAS_NUM_THREADS=${THREADS:-1} OMP_NUM_THREADS=${THREADS:-1}

if [ "$mode" = base ]; then
	mkdir -p "$work/bert-base"
	exec "$py" export.py --random-base "$work/bert-base/model.onnx"
fi
[ "$mode" = model ] || { echo "usage: recipe.sh [model|base]" >&2; exit 2; }

# The catalogs: downloaded and unpacked here rather than installed, because
# Docker-style images drop /usr/share/locale from every dpkg install.
mapfile -t pkgs < <(grep -v '^#' packages.txt | grep .)
mkdir -p "$work/debs"
missing=()
for p in "${pkgs[@]}"; do
	compgen -G "$work/debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "recipe: apt-get download ${#missing[@]} packages"
	apt-get update -qq
	(cd "$work/debs" && apt-get download "${missing[@]}")
fi
rm -rf "$work/root" && mkdir -p "$work/root"
for p in "${pkgs[@]}"; do
	deb=$(compgen -G "$work/debs/${p}_*.deb" | sort | tail -1) || { echo "recipe: $p not downloaded" >&2; exit 1; }
	dpkg-deb -x "$deb" "$work/root"
done

"$py" dataset.py "$work/root" "$work/data" --per-lang "${PER_LANG:-12000}"

# PROSE=1 (an experiment, off by default: it did not clearly help, see the
# model card): natural prose next to the catalogs' UI strings, the Debian
# translations of package descriptions (apt's i18n Translation-xx indexes),
# fetched into the work folder so the system's own apt lists are left alone.
# prose.py adds them and augmented variants of the catalog strings to the
# training data, and training reports on the everyday sentences of checkset.jsonl.
data=$work/data
train_extra=()
if [ "${PROSE:-0}" = 1 ]; then
	lists=$work/i18n/lists
	if ! compgen -G "$lists/*_i18n_Translation-de*" >/dev/null; then
		mkdir -p "$lists/partial"
		apt-get update -qq -o Dir::State::Lists="$lists" \
			-o Acquire::Languages="en,de,fr,es,it,pt,pt_BR,nl,sv,da,fi,pl,cs,hu,ro,tr,ru,uk,el,ja,zh_CN,zh_TW,ko,vi,id" \
			-o Acquire::IndexTargets::deb::Packages::DefaultEnabled=false \
			-o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
	fi
	"$py" prose.py "$work/data" "$lists" "$work/data-prose" --per-lang "${PROSE_PER_LANG:-1500}" \
		--augment "${AUGMENT:-0.3}"
	data=$work/data-prose
	train_extra=(--check checkset.jsonl)
fi

# One tokenizer for training and serving: the gateway's own.
(cd "$root" && go build -o "$work/infergate" ./cmd/infergate)
tok="$work/infergate tokenize --tokenizer $root/deploy/model_repository/langid/vocab.txt"

"$py" train.py "$data" "$work/run" --tokenize "$tok --max-len 64" "${train_extra[@]}" \
	--epochs "${EPOCHS:-4}" --lr "${LR:-2e-3}" --dropout "${DROPOUT:-0}" \
	--threads "${THREADS:-1}"
"$py" export.py "$work/run" "$root/deploy/model_repository/langid" --tokenize "$tok" \
	--golden-from "$work/data/test.jsonl"
"$py" card.py "$work/run/metrics.json" "$root/deploy/model_repository/langid/README.md"
