//! The fused ops against the plain formulas, natively.

use super::*;
use crate::ml::loss;
use crate::ml::rng::Rng;
use candle_core::{Device, Var};

fn normal(rng: &mut Rng, scale: f32) -> Tensor {
    let values = rng.normal_vec(6 * 5).iter().map(|v| v * scale).collect();
    Tensor::from_vec(values, (6, 5), &Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

/// Values of the fused and plain forms, and the gradients of Σ w·out for random weights w.
fn both<F, P>(fused: F, plain: P) -> [(Vec<f32>, Vec<f32>, Vec<f32>); 2]
where
    F: Fn(&Tensor, &Tensor, &Tensor) -> Tensor,
    P: Fn(&Tensor, &Tensor, &Tensor) -> Tensor,
{
    let mut rng = Rng::new(11);
    let mean = Var::from_tensor(&normal(&mut rng, 2.0)).unwrap();
    let log_var = Var::from_tensor(&normal(&mut rng, 3.0)).unwrap();
    let noise = normal(&mut rng, 1.0);
    let weights = normal(&mut rng, 1.0);
    let run = |f: &dyn Fn(&Tensor, &Tensor, &Tensor) -> Tensor| {
        let out = f(mean.as_tensor(), log_var.as_tensor(), &noise);
        let grads = (&out * &weights).unwrap().sum_all().unwrap().backward();
        let grads = grads.unwrap();
        let grad = |v: &Var| values(grads.get(v).expect("a gradient"));
        (values(&out), grad(&mean), grad(&log_var))
    };
    [run(&fused), run(&plain)]
}

fn assert_close(what: &str, a: &[f32], b: &[f32]) {
    for (a, b) in a.iter().zip(b) {
        assert!(
            (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
            "{what}: {a} vs {b}"
        );
    }
}

#[test]
fn fused_code_equals_the_plain_formula_and_its_gradients() {
    let [fused, plain] = both(
        |m, lv, e| reparameterize(m, lv, e).unwrap(),
        |m, lv, e| loss::plain_reparameterize(m, lv, e).unwrap(),
    );
    assert_eq!(fused.0, plain.0, "the same arithmetic, bit for bit");
    assert_close("∂/∂μ", &fused.1, &plain.1);
    assert_close("∂/∂log σ²", &fused.2, &plain.2);
}

#[test]
fn fused_kl_equals_the_plain_formula_and_its_gradients() {
    let [fused, plain] = both(
        |m, lv, _| kl_to_standard_normal(m, lv).unwrap(),
        |m, lv, _| loss::plain_kl_to_standard_normal(m, lv).unwrap(),
    );
    assert_eq!(fused.0, plain.0, "the same arithmetic, bit for bit");
    assert_close("∂/∂μ", &fused.1, &plain.1);
    assert_close("∂/∂log σ²", &fused.2, &plain.2);
}

#[test]
fn the_noise_gets_no_gradient_and_mismatched_shapes_are_refused() {
    let ones = || Var::ones((2, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
    let (mean, noise) = (ones(), ones());
    let z = reparameterize(mean.as_tensor(), mean.as_tensor(), noise.as_tensor()).unwrap();
    let grads = z.sum_all().unwrap().backward().unwrap();
    assert!(grads.get(&noise).is_none());
    let short = Tensor::ones((2, 2), candle_core::DType::F32, &Device::Cpu).unwrap();
    let err = kl_to_standard_normal(mean.as_tensor(), &short).unwrap_err();
    assert!(err.to_string().contains("differ"), "{err}");
}

#[test]
fn fused_objective_equals_the_plain_loss_and_its_gradients() {
    use crate::ml::model::Terms;
    let mut rng = Rng::new(12);
    let recon = Var::from_tensor(&normal(&mut rng, 50.0).sum(1).unwrap()).unwrap();
    let kl = Var::from_tensor(&normal(&mut rng, 4.0)).unwrap();
    let terms = Terms {
        recon: recon.as_tensor().clone(),
        kl: Some(kl.as_tensor().clone()),
        mean: kl.as_tensor().clone(),
    };
    for (beta, weight) in [(1.0, 1.0), (4.0, 0.375), (0.25, 0.625)] {
        let (loss, fused) = objective(&terms.recon, kl.as_tensor(), beta, weight).unwrap();
        let parts = terms.loss(beta).unwrap();
        let plain = (&parts.total * weight).unwrap();
        // Sums in order here, in SIMD lanes in candle: the same to rounding.
        let want = parts.values().unwrap();
        let [got, want] = [
            [loss.total, loss.recon, loss.kl, values_of(&fused)],
            [want.total, want.recon, want.kl, values_of(&plain)],
        ];
        assert_close(&format!("β {beta}, weight {weight}"), &got, &want);
        let grads = |t: &Tensor| {
            let grads = t.backward().unwrap();
            [&recon, &kl].map(|v| values(grads.get(v).expect("a gradient")))
        };
        let (got, want) = (grads(&fused), grads(&plain));
        assert_eq!(got, want, "the same products, bit for bit");
    }
    let short = Tensor::ones((5, 5), candle_core::DType::F32, &Device::Cpu).unwrap();
    let err = objective(&terms.recon, &short, 1.0, 1.0).unwrap_err();
    assert!(err.to_string().contains("5 KL rows for 6 digits"), "{err}");
}

fn values_of(scalar: &Tensor) -> f32 {
    scalar.to_scalar().unwrap()
}
