//! Two latent dimensions laid out across and up (or down), as the latent plane and the manifold
//! chapter show them. They fall back to the first two when a model has fewer, never coincide
//! (choosing one axis's dimension for the other swaps them: a sheet needs two), and give the
//! rest of z, as the sliders set it, for what is drawn over them.

use leptos::prelude::*;

use super::state::Lab;

/// Which of the pair a menu chooses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Across,
    Up,
}

#[derive(Clone, Copy)]
pub struct DimPair {
    pub across: RwSignal<usize>,
    pub up: RwSignal<usize>,
}

impl DimPair {
    /// z1 across and z2 up, following `lab`'s model.
    pub fn new(lab: Lab) -> Self {
        let pair = Self {
            across: RwSignal::new(0),
            up: RwSignal::new(1),
        };
        Effect::new(move |_| {
            let latent = lab.latent();
            let (x, y) = pair.get_untracked();
            if latent >= 2 && (x >= latent || y >= latent || x == y) {
                pair.across.set(0);
                pair.up.set(1);
            }
        });
        pair
    }

    pub fn get(&self) -> (usize, usize) {
        (self.across.get(), self.up.get())
    }

    pub fn get_untracked(&self) -> (usize, usize) {
        (self.across.get_untracked(), self.up.get_untracked())
    }

    /// z with the pair's two dimensions zeroed: what a sheet over them keeps fixed. Equal values
    /// do not wake what depends on it, so moving the point within the pair redraws no sheet.
    pub fn rest_of_z(self, lab: Lab) -> Memo<Vec<f32>> {
        Memo::new(move |_| {
            let (x, y) = self.get();
            lab.z.with(|z| {
                let mut base = z.clone();
                for d in [x, y] {
                    if let Some(v) = base.get_mut(d) {
                        *v = 0.0;
                    }
                }
                base
            })
        })
    }

    /// A menu of the model's dimensions for one axis. `selected` is set on the options (not
    /// `value` on the select), so the choice shows even when the options are rebuilt for a new
    /// model.
    pub fn menu(self, lab: Lab, axis: Axis, class: &'static str) -> impl IntoView {
        let (this, other) = match axis {
            Axis::Across => (self.across, self.up),
            Axis::Up => (self.up, self.across),
        };
        let choose = move |ev: leptos::ev::Event| {
            let Ok(d) = event_target_value(&ev).parse::<usize>() else {
                return;
            };
            if d == other.get_untracked() {
                other.set(this.get_untracked());
            }
            this.set(d);
        };
        view! {
            <select class=class on:change=choose>
                {move || (0..lab.latent()).map(|d| view! {
                    <option value=d.to_string() selected=move || this.get() == d>{format!("z{}", d + 1)}</option>
                }).collect_view()}
            </select>
        }
    }
}
