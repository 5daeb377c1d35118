//! A training share of the MLP-VAE, whose backward wasm builds write out
//! (`ml/model/mlp_vae_step.rs`, which `share_gradient` takes), against candle's backward of the
//! same model's terms.

use candle_core::{Device, Tensor};
use latent_lab::ml::model::{Model, ModelConfig, ModelKind};
use latent_lab::ml::rng::Rng;
use wasm_bindgen_test::*;

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

#[wasm_bindgen_test]
fn a_written_out_share_gives_the_loss_and_gradients_of_candles_backward() {
    let mut rng = Rng::new(17);
    // One thread's share of the reference batch, and a piece too small for the sparse products.
    for rows in [64, 5] {
        let model = Model::new(ModelConfig::new(ModelKind::MlpVae, 20, 400), &mut rng).unwrap();
        let pixels = (0..rows * 784)
            .map(|_| match rng.uniform(0.0, 1.0) < 0.2 {
                true => rng.uniform(0.0, 1.0),
                false => 0.0,
            })
            .collect();
        let x = Tensor::from_vec(pixels, (rows, 784), &Device::Cpu).unwrap();
        let noise = Tensor::from_vec(rng.normal_vec(rows * 20), (rows, 20), &Device::Cpu).unwrap();
        let params = model.parameters_by_name();

        let step = model.step_by_hand(&x, Some(&noise), 2.0, 0.5).unwrap();
        let step = step.expect("a wasm build writes the MLP-VAE's backward out");
        let (by_hand, grads) = step.in_order(&params).unwrap();
        let terms = model.terms(&x, Some(&noise)).unwrap();
        let (loss, objective) = terms.objective(2.0, 0.5).unwrap();
        let store = objective.backward().unwrap();

        assert_eq!(by_hand, loss, "{rows} rows");
        let grads = grads.expect("a loss that did not diverge has gradients");
        for (var, got) in params.iter().zip(&grads) {
            let want = store.get(var).expect("every parameter has a gradient");
            // `==` on each value: the same to the bit but for the sign of a zero.
            assert!(
                values(got) == values(want),
                "{rows} rows, {:?}",
                var.shape()
            );
        }
    }
}
