//! The page binary (built by trunk for wasm32). Everything lives in `latent_lab::ui`.

#[cfg(target_arch = "wasm32")]
fn main() {
    latent_lab::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the page runs in a browser: use `trunk serve` (see README.md)");
}
