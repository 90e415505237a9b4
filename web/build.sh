#!/usr/bin/env bash
# Build the browser version of the training window into web/dist/ (docs/WEB.md):
# the same app compiled for wasm32-unknown-unknown with WebGL2, wasm-bindgen's glue at
# the version Cargo.lock pins, and the page. Serve the folder with any static server:
#   python3 -m http.server --directory web/dist 8000
# Installs what is missing: the wasm32 target (rustup) and wasm-bindgen-cli (cargo
# install, into a cache outside the clone).
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
out=web/dist
# The glue must match the wasm-bindgen crate the program was built with, to the patch.
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$version" ] || { echo "web/build.sh: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
tools="${FLUOROHIP_WASM_BINDGEN_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/fluorohip/wasm-bindgen-$version}"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "== adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

bindgen="$tools/bin/wasm-bindgen"
if ! "$bindgen" --version 2>/dev/null | grep -q " $version\$"; then
    echo "== installing wasm-bindgen-cli $version into $tools (once)"
    # Not --locked: one of the CLI's pinned dependencies is no longer in the registry.
    CARGO_TARGET_DIR="$target_dir/wasm-bindgen-cli" cargo install -q wasm-bindgen-cli --version "$version" --root "$tools"
fi

echo "== compiling the app for the browser (profile web; the first time takes a while)"
cargo build --profile web --target wasm32-unknown-unknown --no-default-features --features web --bin fluorohip

wasm="$target_dir/wasm32-unknown-unknown/web/fluorohip.wasm"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
# Without the name and producers sections: 81 MB becomes 51 MB (11 MB gzipped). wasm-opt -Os
# was measured to gain little more (docs/WEB.md) for three minutes of work, so it is not used.
"$bindgen" --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$out.tmp" --out-name fluorohip "$wasm"
# The page fetches this one (a quarter of the size) and unpacks it itself, so any static
# server sends 11 MB, not 51 MB, to each laptop.
gzip -9 -c "$out.tmp/fluorohip_bg.wasm" > "$out.tmp/fluorohip_bg.wasm.gz"
cp web/index.html "$out.tmp/"
# Replace the previous build whole, so a server never serves half of each.
rm -rf "$out"
mv "$out.tmp" "$out"

raw=$(stat -c %s "$out/fluorohip_bg.wasm")
gz=$(stat -c %s "$out/fluorohip_bg.wasm.gz")
echo "== web/dist is ready: fluorohip_bg.wasm $((raw / 1024 / 1024)) MB ($((gz / 1024 / 1024)) MB gzipped)"
echo "   serve it:  python3 -m http.server --directory web/dist 8000   then open http://localhost:8000/"
echo "   the expert's demo:  http://localhost:8000/?demo=expert"
