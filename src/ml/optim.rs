//! Adam, fused: one pass over each parameter updates the parameter, both moments, and a backup
//! of the value it had before.
//!
//! candle-nn's `AdamW` is written with tensor operations: about fifteen passes over every
//! parameter per step, each allocating a new tensor (for the reference model, ~40 MB of
//! allocations and a quarter of a training step). This one works in place on the parameter's
//! storage through a candle in-place op, and keeps its moments as plain vectors. The backup it
//! writes on the way is what the divergence guard restores: the parameters as they were before
//! the last update. Same arithmetic as `AdamW` with zero weight decay (tested against it), except
//! that a moment too small to matter is set to zero rather than left to go subnormal, which
//! made the update five times slower (`kernels/adam.rs`).

use std::cell::RefCell;
use std::ops::Range;

use candle_core::{CpuStorage, InplaceOp2, Layout, Result, Tensor, Var};

use crate::ml::cpu_slices::{f32_slice, f32_slice_mut};
pub use crate::ml::kernels::adam::TINY_MOMENT;
use crate::ml::kernels::adam::{adam_update, AdamFactors};

/// Adam's fixed constants (the PyTorch and candle defaults).
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

struct Slot {
    var: Var,
    m: Vec<f32>,
    v: Vec<f32>,
    /// The parameter before the last update.
    backup: Vec<f32>,
}

pub struct Adam {
    slots: Vec<Slot>,
    learning_rate: f64,
    /// Updates applied since the moments were last reset.
    t: i32,
}

/// What one update multiplies by, from the learning rate and the number of updates since the
/// moments were reset: the same for every parameter, so an update split between two threads
/// ([`Adam::update`] on each part) equals one done whole.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// lr / (1 − β₁ᵗ), folded.
    step: f32,
    /// 1 / (1 − β₂ᵗ).
    scale_v: f32,
}

/// A parameter's first and second moments, as [`Adam::moments`] hands them over.
pub type Moments = (Vec<f32>, Vec<f32>);

/// The in-place kernel: θ ← θ − lr·m̂/(√v̂ + ε), with m, v and the backup updated on the way.
struct AdamKernel<'a> {
    m: RefCell<&'a mut [f32]>,
    v: RefCell<&'a mut [f32]>,
    backup: RefCell<&'a mut [f32]>,
    /// lr / (1 − β₁ᵗ), folded.
    step: f32,
    /// 1 / (1 − β₂ᵗ).
    scale_v: f32,
}

impl InplaceOp2 for AdamKernel<'_> {
    fn name(&self) -> &'static str {
        "fused-adam"
    }

    fn cpu_fwd(
        &self,
        theta: &mut CpuStorage,
        theta_l: &Layout,
        grad: &CpuStorage,
        grad_l: &Layout,
    ) -> Result<()> {
        let g = f32_slice(grad, grad_l, "Adam's gradient")?;
        let theta = f32_slice_mut(theta, theta_l, "Adam's parameter")?;
        let (mut m, mut v, mut backup) = (
            self.m.borrow_mut(),
            self.v.borrow_mut(),
            self.backup.borrow_mut(),
        );
        if [g.len(), m.len(), v.len(), backup.len()]
            .iter()
            .any(|&n| n != theta.len())
        {
            candle_core::bail!("Adam: gradient and parameter sizes differ")
        }
        adam_update(
            theta,
            &mut backup,
            &mut m,
            &mut v,
            g,
            AdamFactors {
                beta1: BETA1 as f32,
                beta2: BETA2 as f32,
                eps: EPS as f32,
                step: self.step,
                scale_v: self.scale_v,
            },
        );
        Ok(())
    }
}

impl Adam {
    /// Adam over `vars` (f32, contiguous) with step size `learning_rate`.
    pub fn new(vars: Vec<Var>, learning_rate: f64) -> Result<Self> {
        let slots = vars
            .into_iter()
            .map(|var| {
                let n = var.elem_count();
                let backup = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
                Ok(Slot {
                    var,
                    m: vec![0.0; n],
                    v: vec![0.0; n],
                    backup,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            slots,
            learning_rate,
            t: 0,
        })
    }

    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    /// One update, with `grad_of` giving each parameter's gradient. Parameters without one are
    /// left alone (their backup is still refreshed, so a restore is consistent).
    pub fn step(&mut self, grad_of: impl Fn(&Var) -> Option<Tensor>) -> Result<()> {
        let scale = self.next_scale();
        self.update(scale, 0..self.slots.len(), |_, var| grad_of(var))
    }

    /// Counts an update and gives its [`Scale`], for [`Adam::update`] on each of its parts.
    pub fn next_scale(&mut self) -> Scale {
        self.t += 1;
        Scale {
            step: (self.learning_rate / (1.0 - BETA1.powi(self.t))) as f32,
            scale_v: (1.0 / (1.0 - BETA2.powi(self.t))) as f32,
        }
    }

    /// The part `slots` (indices into the variables as given to [`Adam::new`]) of an update at
    /// `scale`, with `grad_of(i, var)` giving the gradient of variable `i`.
    pub fn update(
        &mut self,
        scale: Scale,
        slots: Range<usize>,
        grad_of: impl Fn(usize, &Var) -> Option<Tensor>,
    ) -> Result<()> {
        let Scale { step, scale_v } = scale;
        for (i, slot) in self.slots[slots.clone()].iter_mut().enumerate() {
            let Some(grad) = grad_of(slots.start + i, &slot.var) else {
                slot.backup = slot.var.as_tensor().flatten_all()?.to_vec1()?;
                continue;
            };
            let grad = grad.contiguous()?;
            let kernel = AdamKernel {
                m: RefCell::new(&mut slot.m),
                v: RefCell::new(&mut slot.v),
                backup: RefCell::new(&mut slot.backup),
                step,
                scale_v,
            };
            slot.var.as_tensor().inplace_op2(&grad, &kernel)?;
        }
        Ok(())
    }

    /// Puts every parameter back to its value before the last update and forgets the moments,
    /// which may hold the very values that made training diverge.
    pub fn undo_last_step(&mut self) -> Result<()> {
        self.restore(0..self.slots.len())?;
        self.reset_moments();
        Ok(())
    }

    /// Puts the variables `slots` back to their values before the last update.
    pub fn restore(&mut self, slots: Range<usize>) -> Result<()> {
        for slot in &mut self.slots[slots] {
            let restored = Tensor::from_slice(&slot.backup, slot.var.shape(), slot.var.device())?;
            slot.var.set(&restored)?;
        }
        Ok(())
    }

    /// Takes the variables `slots` as they are now for their values before the last update
    /// (that update was made elsewhere, and its values from before are lost).
    pub fn back_up(&mut self, slots: Range<usize>) -> Result<()> {
        for slot in &mut self.slots[slots] {
            slot.backup = slot.var.as_tensor().flatten_all()?.to_vec1()?;
        }
        Ok(())
    }

    /// Forgets the moments: the next update is the first.
    pub fn reset_moments(&mut self) {
        for slot in &mut self.slots {
            slot.m.fill(0.0);
            slot.v.fill(0.0);
        }
        self.t = 0;
    }

    /// Variable `slot` takes `values`, updated elsewhere (by a helper that updated it with the
    /// same [`Scale`]); its value before is kept as the backup, as an update here would.
    pub fn adopt(&mut self, slot: usize, values: &[f32]) -> Result<()> {
        let slot = &mut self.slots[slot];
        if values.len() != slot.backup.len() {
            candle_core::bail!(
                "Adam: {} values for a parameter of {}",
                values.len(),
                slot.backup.len()
            )
        }
        slot.backup = slot.var.as_tensor().flatten_all()?.to_vec1()?;
        slot.var.set(&Tensor::from_slice(
            values,
            slot.var.shape(),
            slot.var.device(),
        )?)
    }

    /// The moments of the variables `slots`, for a helper that updates them from now on.
    pub fn moments(&self, slots: Range<usize>) -> Vec<Moments> {
        let moments = self.slots[slots].iter();
        moments.map(|s| (s.m.clone(), s.v.clone())).collect()
    }

    /// Takes the moments of the variables from `first` on (as [`Adam::moments`] gave them).
    pub fn set_moments(&mut self, first: usize, moments: &[Moments]) -> Result<()> {
        for (slot, (m, v)) in self.slots[first..].iter_mut().zip(moments) {
            if (m.len(), v.len()) != (slot.m.len(), slot.v.len()) {
                candle_core::bail!("Adam: moments of another parameter's size")
            }
            slot.m.copy_from_slice(m);
            slot.v.copy_from_slice(v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::backprop::GradStore;
    use candle_core::Device;
    use candle_nn::{AdamW, Optimizer, ParamsAdamW};

    fn quadratic_grads(vars: &[Var], target: &Tensor) -> GradStore {
        let loss = vars
            .iter()
            .map(|v| {
                (v.as_tensor() - target)
                    .unwrap()
                    .sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap()
            })
            .reduce(|a, b| (a + b).unwrap())
            .unwrap();
        loss.backward().unwrap()
    }

    #[test]
    fn fused_adam_matches_candle_adamw_without_weight_decay() {
        let start = Tensor::new(&[[0.5f32, -1.0, 2.0], [0.0, 3.0, -0.25]], &Device::Cpu).unwrap();
        let target = Tensor::new(&[[1f32, 1.0, 1.0], [-1.0, -1.0, -1.0]], &Device::Cpu).unwrap();
        let ours = vec![Var::from_tensor(&start).unwrap()];
        let theirs = vec![Var::from_tensor(&start).unwrap()];
        let mut adam = Adam::new(ours.clone(), 0.05).unwrap();
        let params = ParamsAdamW {
            lr: 0.05,
            weight_decay: 0.0,
            ..Default::default()
        };
        let mut reference = AdamW::new(theirs.clone(), params).unwrap();
        for _ in 0..25 {
            let grads = quadratic_grads(&ours, &target);
            adam.step(|v| grads.get(v).cloned()).unwrap();
            reference.step(&quadratic_grads(&theirs, &target)).unwrap();
        }
        let a: Vec<f32> = ours[0]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let b: Vec<f32> = theirs[0]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn an_update_split_with_a_helper_that_took_the_moments_equals_one_done_whole() {
        let three = || -> Vec<Var> {
            let values = [[0.5f32, -1.0, 2.0], [0.0, 3.0, -0.25], [1.5, 0.1, -2.0]];
            values
                .iter()
                .map(|v| Var::new(v, &Device::Cpu).unwrap())
                .collect()
        };
        let (whole, main, helper) = (three(), three(), three());
        let target = Tensor::new(&[0.25f32, -0.5, 2.0], &Device::Cpu).unwrap();
        let mut alone = Adam::new(whole.clone(), 0.05).unwrap();
        let mut trainer = Adam::new(main.clone(), 0.05).unwrap();
        let mut other = Adam::new(helper.clone(), 0.05).unwrap();
        let values = |vars: &[Var]| -> Vec<Vec<f32>> {
            vars.iter()
                .map(|v| v.as_tensor().to_vec1().unwrap())
                .collect()
        };
        for step in 0..6 {
            let grads = quadratic_grads(&whole, &target);
            alone.step(|v| grads.get(v).cloned()).unwrap();
            let grads = quadratic_grads(&main, &target);
            if step < 2 {
                trainer.step(|v| grads.get(v).cloned()).unwrap();
                continue;
            }
            if step == 2 {
                // The helper takes over the last two parameters, and their moments.
                other.set_moments(1, &trainer.moments(1..3)).unwrap();
            }
            for (h, m) in helper.iter().zip(&main) {
                h.set(m.as_tensor()).unwrap();
            }
            let scale = trainer.next_scale();
            trainer
                .update(scale, 0..1, |i, _| grads.get(&main[i]).cloned())
                .unwrap();
            other
                .update(scale, 1..3, |i, _| grads.get(&main[i]).cloned())
                .unwrap();
            for (i, v) in values(&helper).iter().enumerate().skip(1) {
                trainer.adopt(i, v).unwrap();
            }
        }
        assert_eq!(
            values(&whole),
            values(&main),
            "the same arithmetic, bit for bit"
        );
        alone.undo_last_step().unwrap();
        trainer.undo_last_step().unwrap();
        assert_eq!(
            values(&whole),
            values(&main),
            "and the same values before the last"
        );
    }

    #[test]
    fn undo_puts_back_the_values_before_the_last_step() {
        let var = Var::new(&[1f32, 2.0, 3.0], &Device::Cpu).unwrap();
        let target = Tensor::new(&[0f32, 0.0, 0.0], &Device::Cpu).unwrap();
        let mut adam = Adam::new(vec![var.clone()], 0.1).unwrap();
        let grads = quadratic_grads(std::slice::from_ref(&var), &target);
        adam.step(|v| grads.get(v).cloned()).unwrap();
        let after_one: Vec<f32> = var.as_tensor().to_vec1().unwrap();
        let grads = quadratic_grads(std::slice::from_ref(&var), &target);
        adam.step(|v| grads.get(v).cloned()).unwrap();
        adam.undo_last_step().unwrap();
        assert_eq!(var.as_tensor().to_vec1::<f32>().unwrap(), after_one);
    }
}
