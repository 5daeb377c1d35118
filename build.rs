//! Build script: only strips the page's WebAssembly of its function-name section.
//!
//! The page (`app`) is downloaded before the first digit shows, and the name section is ~430 KB
//! of it raw (~90 KB gzipped); the page's errors are reported from Rust's panic message, which
//! does not need it. The worker keeps its names: `www/bench/profile.mjs` reports where training
//! time goes by wasm function name.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-bin=app=--strip-all");
    }
}
