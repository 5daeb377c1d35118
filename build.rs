//! Build script: only strips the page's WebAssembly of its function-name section.
//!
//! The page (`app`) is downloaded before the first digit shows, and the name section is ~430 KB
//! of it raw (~90 KB gzipped); the page's errors are reported from Rust's panic message, which
//! does not need it. The worker keeps its names: `www/bench/profile.mjs` reports where training
//! time goes by wasm function name. `LATENT_LAB_KEEP_NAMES=1` keeps the page's too, for
//! `profile.mjs --page`.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LATENT_LAB_KEEP_NAMES");
    let keep_names = std::env::var("LATENT_LAB_KEEP_NAMES").is_ok_and(|v| v == "1");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") && !keep_names {
        println!("cargo:rustc-link-arg-bin=app=--strip-all");
    }
}
