//! Seeded initialisation of a model's parameters.
//!
//! It follows PyTorch's defaults for `Linear`, `Conv2d` and `ConvTranspose2d` (Kaiming-uniform with
//! a = √5, which works out to U(−1/√fan_in, 1/√fan_in) for weights and biases alike), because the
//! reference numbers this project measures itself against were obtained with them. The fan-in of
//! a weight is `dims[1] × kernel area`, exactly as PyTorch computes it (for a transposed
//! convolution that is the number of output channels); a bias uses the fan-in of its weight.

use candle_core::{Result, Tensor};
use candle_nn::VarMap;

use crate::ml::rng::Rng;

/// Overwrites every variable in `vars` with seeded uniform values. Variables are visited in name
/// order so the result depends only on the seed.
pub fn init_parameters(vars: &VarMap, rng: &mut Rng) -> Result<()> {
    let data = vars
        .data()
        .lock()
        .expect("the VarMap lock is never poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let weight_name = match name.strip_suffix(".bias") {
            Some(layer) => format!("{layer}.weight"),
            None => name.clone(),
        };
        let Some(weight) = data.get(&weight_name) else {
            candle_core::bail!("bias {name} has no weight {weight_name} to take its fan-in from")
        };
        let dims = weight.dims();
        if dims.len() < 2 {
            candle_core::bail!(
                "parameter {weight_name} has shape {dims:?}; a weight needs two or more dimensions"
            )
        }
        let fan_in: usize = dims[1] * dims[2..].iter().product::<usize>();
        let bound = 1.0 / (fan_in as f32).sqrt();
        let values: Vec<f32> = (0..var.elem_count())
            .map(|_| rng.uniform(-bound, bound))
            .collect();
        var.set(&Tensor::from_vec(values, var.shape(), var.device())?)?;
    }
    Ok(())
}
