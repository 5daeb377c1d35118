//! A small seeded random number generator owned by the project.
//!
//! candle's CPU random number generator cannot be seeded, and `rand`'s `StdRng` does not promise
//! the same stream across versions. Latent Lab needs runs that repeat bit for bit (the pretrained
//! weights are reproducible by one command, and tests compare numbers between native and wasm), so
//! every random draw — weight initialisation, shuffling, reparameterisation noise — comes from
//! this xoshiro256++ generator seeded through SplitMix64.

/// xoshiro256++ (Blackman & Vigna), seeded by SplitMix64 so any `u64` seed is a good seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Rng {
    state: [u64; 4],
    /// The second output of the last Box–Muller pair, kept so that normal samples form one
    /// stream however they are requested (21 then 9 gives the same 30 values as 30 at once).
    spare_normal: Option<f32>,
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            state: [next(), next(), next(), next()],
            spare_normal: None,
        }
    }

    /// An independent generator derived from this one, for a separate purpose (for example the
    /// evaluation noise), so that using one stream never shifts the other.
    pub fn fork(&mut self) -> Self {
        Self::new(self.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next_f64() as f32
    }

    /// Uniform integer in 0..n (n > 0), without modulo bias (Lemire's method).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below needs a non-empty range");
        let n = n as u64;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }

    /// Fisher–Yates shuffle in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// One standard normal sample.
    pub fn normal(&mut self) -> f32 {
        if let Some(v) = self.spare_normal.take() {
            return v;
        }
        let (a, b) = self.normal_pair();
        self.spare_normal = Some(b);
        a
    }

    /// Fills `out` with standard normal samples (Box–Muller, both outputs used).
    pub fn fill_normal(&mut self, out: &mut [f32]) {
        let skip = match (self.spare_normal.take(), out.first_mut()) {
            (Some(v), Some(first)) => {
                *first = v;
                1
            }
            (spare, _) => {
                self.spare_normal = spare;
                0
            }
        };
        let mut chunks = out[skip..].chunks_exact_mut(2);
        for pair in &mut chunks {
            let (a, b) = self.normal_pair();
            pair[0] = a;
            pair[1] = b;
        }
        if let [last] = chunks.into_remainder() {
            *last = self.normal();
        }
    }

    /// A vector of `n` standard normal samples.
    pub fn normal_vec(&mut self, n: usize) -> Vec<f32> {
        let mut out = vec![0.0; n];
        self.fill_normal(&mut out);
        out
    }

    fn normal_pair(&mut self) -> (f32, f32) {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let radius = (-2.0 * u1.ln()).sqrt();
        let angle = std::f64::consts::TAU * u2;
        ((radius * angle.cos()) as f32, (radius * angle.sin()) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_stream_and_other_seeds_do_not() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let c = Rng::new(8).next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
    }

    #[test]
    fn normal_samples_have_unit_moments() {
        let xs = Rng::new(1).normal_vec(200_001);
        let n = xs.len() as f64;
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn normal_samples_form_one_stream_however_they_are_requested() {
        let whole = Rng::new(2).normal_vec(30);
        let mut split = Rng::new(2);
        let mut parts = split.normal_vec(21);
        parts.push(split.normal());
        parts.extend(split.normal_vec(8));
        assert_eq!(parts, whole);
    }

    #[test]
    fn shuffle_is_a_permutation_and_below_stays_in_range() {
        let mut rng = Rng::new(3);
        let mut xs: Vec<usize> = (0..1000).collect();
        rng.shuffle(&mut xs);
        assert_ne!(xs, (0..1000).collect::<Vec<_>>());
        xs.sort_unstable();
        assert_eq!(xs, (0..1000).collect::<Vec<_>>());
        assert!((0..10_000).all(|_| rng.below(7) < 7));
    }
}
