#!/usr/bin/env bash
# Puts the ONNX Runtime shared library the embedded backend (adapters/onnx)
# loads at third_party/onnxruntime/libonnxruntime.so.1, unless one is already
# found: $INFERGATE_ORT_LIB, that project-local file, or a system library.
#
# The library comes from the onnxruntime-node package: `npm pack` downloads the
# package tarball without running any of its scripts (never `npm install`: its
# postinstall fetches more), and only the one shared object is extracted and
# checked against the sha256 pinned below. Idempotent and quiet when present.
#
# Usage: scripts/fetch-ort.sh [--force]
#   --force  fetch the project-local copy even when a system library exists
#            (for a system ONNX Runtime older than the 1.24 the binding needs).
set -euo pipefail
cd "$(dirname "$0")/.."

force=0
case "${1:-}" in
"") ;;
--force) force=1 ;;
*)
	echo "usage: $0 [--force]" >&2
	exit 2
	;;
esac

ort_version=1.30.0
dest=third_party/onnxruntime/libonnxruntime.so.1

case "$(uname -s)/$(uname -m)" in
Linux/x86_64)
	arch=x64
	want_sha=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
	;;
Linux/aarch64 | Linux/arm64)
	arch=arm64
	want_sha=1f549d46250b005580b597f4164984aaf75b3bcb9f3aeb07c7f8a8fe60b23c76
	;;
*)
	echo "fetch-ort: no pinned ONNX Runtime build for $(uname -s)/$(uname -m); install ONNX Runtime >= 1.24 and set INFERGATE_ORT_LIB to its shared library" >&2
	exit 1
	;;
esac

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# An explicit choice wins; a wrong one is an error, not a reason to download.
if [ -n "${INFERGATE_ORT_LIB:-}" ]; then
	if [ -f "$INFERGATE_ORT_LIB" ]; then
		exit 0
	fi
	echo "fetch-ort: INFERGATE_ORT_LIB=$INFERGATE_ORT_LIB does not exist; unset it to fetch the library into $dest" >&2
	exit 1
fi

# The project-local copy, when it is the pinned one (a truncated or foreign
# file there is replaced).
if [ -f "$dest" ] && [ "$(sha_of "$dest")" = "$want_sha" ]; then
	exit 0
fi

# A system library (the loader's cache or the usual prefixes).
if [ ! -f "$dest" ] && [ "$force" = 0 ]; then
	if ldconfig -p 2>/dev/null | grep 'libonnxruntime\.so\(\.1\)\? ' >/dev/null; then
		exit 0
	fi
	for dir in /usr/local/lib /usr/lib /usr/lib64 "/usr/lib/$(uname -m)-linux-gnu"; do
		if [ -f "$dir/libonnxruntime.so.1" ] || [ -f "$dir/libonnxruntime.so" ]; then
			exit 0
		fi
	done
fi

command -v npm >/dev/null || {
	echo "fetch-ort: npm is needed to fetch ONNX Runtime (apt-get install npm), or set INFERGATE_ORT_LIB" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-ort: fetching ONNX Runtime $ort_version ($arch) from the onnxruntime-node package"
tarball=$(cd "$tmp" && npm pack "onnxruntime-node@$ort_version" --ignore-scripts --silent)
member="package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
tar -xzf "$tmp/$tarball" -C "$tmp" "$member"

got_sha=$(sha_of "$tmp/$member")
if [ "$got_sha" != "$want_sha" ]; then
	echo "fetch-ort: sha256 mismatch for $member: got $got_sha, want $want_sha" >&2
	exit 1
fi

mkdir -p "$(dirname "$dest")"
install -m 0644 "$tmp/$member" "$dest.tmp"
mv -f "$dest.tmp" "$dest"
echo "fetch-ort: installed $dest"
