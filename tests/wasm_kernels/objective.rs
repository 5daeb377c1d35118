//! The objective's small ops, one fused op each in wasm (`ml::objective_ops`): the latent code,
//! the KL term and a step's weighted mean, against the plain formulas in candle's tensor
//! operations, values and gradients.

use candle_core::{Device, Tensor, Var};
use latent_lab::ml::loss::{kl_to_standard_normal, reparameterize};
use latent_lab::ml::model::Terms;
use latent_lab::ml::rng::Rng;
use wasm_bindgen_test::*;

use super::{max_abs_diff, weighted_gradients};

fn normal(rng: &mut Rng, scale: f32) -> Tensor {
    let values = rng.normal_vec(64 * 20).iter().map(|v| v * scale).collect();
    Tensor::from_vec(values, (64, 20), &Device::Cpu).unwrap()
}

#[wasm_bindgen_test]
fn fused_latent_ops_give_the_plain_values_and_gradients() {
    let mut rng = Rng::new(4);
    let mean = Var::from_tensor(&normal(&mut rng, 2.0)).unwrap();
    let log_var = Var::from_tensor(&normal(&mut rng, 3.0)).unwrap();
    let noise = normal(&mut rng, 1.0);
    let weights = normal(&mut rng, 1.0);
    let (m, lv) = (mean.as_tensor(), log_var.as_tensor());

    let plain_z = (m + ((lv * 0.5).unwrap().exp().unwrap() * &noise).unwrap()).unwrap();
    let inner = ((m.sqr().unwrap() + lv.exp().unwrap()).unwrap() - lv).unwrap();
    let plain_kl = ((inner - 1.0).unwrap() * 0.5).unwrap();
    let fused_z = reparameterize(m, lv, &noise).unwrap();
    let fused_kl = kl_to_standard_normal(m, lv).unwrap();

    for (what, fused, plain) in [("z", &fused_z, &plain_z), ("kl", &fused_kl, &plain_kl)] {
        assert_eq!(
            max_abs_diff(fused, plain),
            0.0,
            "{what}: the same arithmetic"
        );
        let vars = [&mean, &log_var];
        let want = weighted_gradients(plain, &weights, &vars);
        let got = weighted_gradients(fused, &weights, &vars);
        for ((name, got), want) in ["μ", "log σ²"].iter().zip(&got).zip(&want) {
            let scale = 1.0
                + want
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
            let diff = max_abs_diff(got, want);
            assert!(diff <= 1e-6 * scale, "∂{what}/∂{name} off by {diff}");
        }
    }
}

#[wasm_bindgen_test]
fn a_fused_objective_gives_the_plain_loss_and_gradients() {
    let mut rng = Rng::new(5);
    let recon = Var::from_tensor(&normal(&mut rng, 40.0).sum(1).unwrap()).unwrap();
    let kl = Var::from_tensor(&normal(&mut rng, 2.0)).unwrap();
    let terms = Terms {
        recon: recon.as_tensor().clone(),
        kl: Some(kl.as_tensor().clone()),
        mean: kl.as_tensor().clone(),
    };
    let (beta, weight) = (4.0, 0.5);
    let (values, fused) = terms.objective(beta, weight).unwrap();
    let parts = terms.loss(beta).unwrap();
    let plain = (&parts.total * weight).unwrap();
    let want = parts.values().unwrap();
    // Sums in order in the op, in SIMD lanes in candle: the same to rounding.
    for (name, got, want) in [
        ("total", values.total, want.total),
        ("recon", values.recon, want.recon),
        ("kl", values.kl, want.kl),
        (
            "objective",
            fused.to_scalar::<f32>().unwrap(),
            plain.to_scalar::<f32>().unwrap(),
        ),
    ] {
        assert!(
            (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
            "{name}: {got} vs {want}"
        );
    }
    let vars = [&recon, &kl];
    let ones = Tensor::ones((), candle_core::DType::F32, &Device::Cpu).unwrap();
    let got = weighted_gradients(&fused, &ones, &vars);
    let want = weighted_gradients(&plain, &ones, &vars);
    for ((name, got), want) in ["recon", "kl"].iter().zip(&got).zip(&want) {
        assert_eq!(max_abs_diff(got, want), 0.0, "∂/∂{name}: the same products");
    }
}
