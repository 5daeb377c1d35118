//! The Mutual Information Gap (Chen et al. 2018, "Isolating Sources of Disentanglement in
//! Variational Autoencoders"): for each factor of variation, how much more the latent dimension
//! that knows it best knows than the next one does, as a share of what there is to know,
//! averaged over the factors. 1 when each factor is told by one dimension alone; near 0 when no
//! dimension knows a factor better than another (none knows it, or two know it alike).
//!
//! Estimated as disentanglement_lib (Locatello et al. 2019) estimates it, so the numbers compare
//! with the literature's: each latent dimension's means go into [`BINS`] equal-width bins over
//! their observed range, the mutual information between those bins and a factor is the plug-in
//! estimate from their joint counts, and a factor's entropy the plug-in estimate from its own
//! counts, all in nats.
//!
//! Worth knowing when reading the numbers: 20 bins tell at most 20 values apart, so a factor of
//! more values (a sprite's 32 positions or 40 rotations) falls short of 1 even under a perfect
//! code; and a plug-in estimate is biased upward by about (bins − 1)(values − 1) / 2n nats, so
//! on a few thousand images a dimension of pure noise still seems to know a little.

mod means;

pub use means::{all_latent_means, latent_means, CodeSummary};

/// Equal-width bins per latent dimension, as disentanglement_lib's default.
pub const BINS: usize = 20;

/// What can be wrong with MIG's inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MigError {
    #[error("MIG needs at least one factor of variation")]
    NoFactors,
    #[error("MIG needs at least one image")]
    NoImages,
    #[error("MIG compares each factor's two most informative latent dimensions, so the code needs at least two; it has {dims}")]
    TooFewDims { dims: usize },
    #[error(
        "the factor table has {values} values, not a whole number of rows of {factors} factors"
    )]
    RaggedFactors { values: usize, factors: usize },
    #[error("there are {values} latent values for {images} images of {dims} dimensions; there must be one per image and dimension")]
    LatentLength {
        values: usize,
        images: usize,
        dims: usize,
    },
    #[error("image {image} has value {index} of factor {factor}, which takes only {count} values")]
    FactorOutOfRange {
        image: usize,
        factor: usize,
        index: usize,
        count: usize,
    },
    #[error("latent dimension {dim} of image {image} is {value}, not a number that can be binned")]
    NotFinite {
        image: usize,
        dim: usize,
        value: f32,
    },
    #[error(
        "no factor varies over these images (each takes one value), so there is nothing to measure"
    )]
    NothingVaries,
}

/// One factor's two most informative latent dimensions and the gap between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactorGap {
    /// The dimension with the most information about the factor (the lower on a tie).
    pub best: usize,
    /// The dimension with the next most.
    pub second: usize,
    /// (I(z_best; v) − I(z_second; v)) / H(v), in [0, 1]; `None` for a factor that takes one
    /// value over these images (its entropy is 0: nothing to know, and nothing to divide by),
    /// which the score leaves out.
    pub gap: Option<f64>,
}

/// MIG and what it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Mig {
    /// Latent dimensions.
    pub dims: usize,
    /// I(z_j; v_k) in nats, dimension j's information about factor k at `j * factors + k`
    /// (dims × factors, row-major); each in [0, H(v_k)].
    pub mutual_information: Vec<f64>,
    /// H(v_k) in nats, per factor.
    pub entropies: Vec<f64>,
    /// Per factor, its best and second-best dimensions and their gap.
    pub gaps: Vec<FactorGap>,
    /// MIG: the mean of the factors' gaps, those of single-valued factors left out.
    pub score: f64,
}

impl Mig {
    /// I(z_dim; v_factor) in nats.
    pub fn mi(&self, dim: usize, factor: usize) -> f64 {
        self.mutual_information[dim * self.entropies.len() + factor]
    }

    /// I(z_dim; v_factor) / H(v_factor): the share of what there is to know about the factor
    /// that the dimension knows, in [0, 1]; 0 for a factor that takes one value.
    pub fn share(&self, dim: usize, factor: usize) -> f64 {
        let h = self.entropies[factor];
        if h > 0.0 {
            self.mi(dim, factor) / h
        } else {
            0.0
        }
    }
}

/// MIG of a code: `latents` holds each image's latent means (`dims` a row, image after image),
/// `factors` each image's factor indices (one per factor a row, in the same image order), and
/// `counts` how many values each factor takes.
pub fn mig(
    latents: &[f32],
    dims: usize,
    factors: &[usize],
    counts: &[usize],
) -> Result<Mig, MigError> {
    let k = counts.len();
    if k == 0 {
        return Err(MigError::NoFactors);
    }
    if !factors.len().is_multiple_of(k) {
        return Err(MigError::RaggedFactors {
            values: factors.len(),
            factors: k,
        });
    }
    let n = factors.len() / k;
    if n == 0 {
        return Err(MigError::NoImages);
    }
    if dims < 2 {
        return Err(MigError::TooFewDims { dims });
    }
    if n.checked_mul(dims) != Some(latents.len()) {
        return Err(MigError::LatentLength {
            values: latents.len(),
            images: n,
            dims,
        });
    }
    for (image, row) in factors.chunks_exact(k).enumerate() {
        for (factor, (&index, &count)) in row.iter().zip(counts).enumerate() {
            if index >= count {
                return Err(MigError::FactorOutOfRange {
                    image,
                    factor,
                    index,
                    count,
                });
            }
        }
    }
    if let Some(p) = latents.iter().position(|v| !v.is_finite()) {
        return Err(MigError::NotFinite {
            image: p / dims,
            dim: p % dims,
            value: latents[p],
        });
    }

    let column = |f: usize| factors.iter().skip(f).step_by(k).copied();
    let entropies: Vec<f64> = (0..k)
        .map(|f| {
            let mut seen = vec![0; counts[f]];
            column(f).for_each(|v| seen[v] += 1);
            entropy(&seen, n)
        })
        .collect();
    let mut mutual_information = vec![0.0; dims * k];
    for dim in 0..dims {
        let bins = bins(latents, dims, dim);
        for f in 0..k {
            mutual_information[dim * k + f] =
                information(&bins, column(f), counts[f], entropies[f], n);
        }
    }

    let gaps: Vec<FactorGap> = (0..k)
        .map(|f| {
            let mi: Vec<f64> = (0..dims)
                .map(|dim| mutual_information[dim * k + f])
                .collect();
            let order = most_first(&mi);
            let (best, second) = (order[0], order[1]);
            let mi = |dim: usize| mi[dim];
            let gap = (entropies[f] > 0.0).then(|| (mi(best) - mi(second)) / entropies[f]);
            FactorGap { best, second, gap }
        })
        .collect();
    let known: Vec<f64> = gaps.iter().filter_map(|g| g.gap).collect();
    if known.is_empty() {
        return Err(MigError::NothingVaries);
    }
    Ok(Mig {
        dims,
        mutual_information,
        entropies,
        gaps,
        score: known.iter().sum::<f64>() / known.len() as f64,
    })
}

/// The indices of `values`, the largest value first; equal values keep their order (the lower
/// index first). An insertion sort: the lists are a code's dimensions or a few factors, and the
/// page's wasm then carries no generic sort for them (one costs kilobytes per element type).
pub fn most_first(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::with_capacity(values.len());
    for i in 0..values.len() {
        let at = order
            .iter()
            .position(|&j| values[i].total_cmp(&values[j]).is_gt())
            .unwrap_or(order.len());
        order.insert(at, i);
    }
    order
}

/// −Σ p ln p over `counts` of `n`, in nats. Each term is ≥ 0 (p ≤ 1), so the sum is too.
fn entropy(counts: &[usize], n: usize) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.ln()
        })
        .sum()
}

/// Dimension `dim`'s bin for every image: [`BINS`] equal-width bins from its smallest value to
/// its largest, the largest in the last bin (numpy's `histogram` edges, then `digitize`, as
/// disentanglement_lib bins); a dimension that never changes is all in one bin.
fn bins(latents: &[f32], dims: usize, dim: usize) -> Vec<usize> {
    let values = || {
        latents
            .iter()
            .skip(dim)
            .step_by(dims)
            .map(|&v| f64::from(v))
    };
    let (lo, hi) = values().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let width = hi - lo;
    values()
        .map(|v| {
            if width > 0.0 {
                (((v - lo) / width * BINS as f64) as usize).min(BINS - 1)
            } else {
                0
            }
        })
        .collect()
}

/// I(bin; v) = H(v) − H(v | bin), in nats, from the joint counts of the `n` images' bins and
/// factor values (`count` of them; `entropy_of_v` is H(v)). H(v | bin) is a sum of terms ≥ 0, so
/// the result is at most H(v); rounding could take it a hair below 0, where it is held.
fn information(
    bins: &[usize],
    values: impl Iterator<Item = usize>,
    count: usize,
    entropy_of_v: f64,
    n: usize,
) -> f64 {
    let mut joint = vec![0; BINS * count];
    for (&bin, v) in bins.iter().zip(values) {
        joint[bin * count + v] += 1;
    }
    let conditional: f64 = joint
        .chunks_exact(count)
        .map(|row| {
            let in_bin: usize = row.iter().sum();
            if in_bin == 0 {
                0.0
            } else {
                in_bin as f64 / n as f64 * entropy(row, in_bin)
            }
        })
        .sum();
    (entropy_of_v - conditional).max(0.0)
}

#[cfg(test)]
mod tests;
