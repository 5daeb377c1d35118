//! The training worker binary (built by trunk for wasm32 as a Web Worker). Everything lives in
//! `latent_lab::worker`.

#[cfg(target_arch = "wasm32")]
fn main() {
    latent_lab::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the training worker runs in a browser; natively, use the `train` binary");
}
