//! Four f32 lanes, the unit of the hand-written kernels: one wasm SIMD register (`v128`) in
//! wasm builds with `simd128`, a plain array elsewhere (LLVM vectorises loops over it too). The
//! kernels are written once over [`F4`], so native tests run the very loops the browser runs
//! (in the worker's threaded build with each multiply-add one instruction, so its sums may differ
//! from the others' in rounding).
//!
//! [`F4::mul_add`] is one instruction in the worker's threaded build, which has wasm's relaxed
//! SIMD (`tools/build-threads`), and a multiply and an add everywhere else: Safari rejects a
//! module with any relaxed instruction, so the page and the plain worker have none. On this
//! project's 2-core Intel Xeon the fused form made the MLP-VAE's three kernels 12–15% faster
//! (`www/bench/kernels.mjs --relaxed`, 2026-12-06); on a Zen 3 machine, whose separate multiply
//! and add pipes make an unfused pair as fast, it had trained the MLP-VAE no faster.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    /// Four f32 lanes in one wasm SIMD register.
    #[derive(Clone, Copy)]
    pub struct F4(v128);

    impl F4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            F4(f32x4_splat(x))
        }

        /// # Safety
        /// `p` must point at four readable f32 (any alignment).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller's contract: 16 readable bytes at `p`; `v128_load` has no
            // alignment requirement.
            F4(unsafe { v128_load(p as *const v128) })
        }

        /// # Safety
        /// `p` must point at four writable f32 (any alignment).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller's contract: 16 writable bytes at `p`; `v128_store` has no
            // alignment requirement.
            unsafe { v128_store(p as *mut v128, self.0) }
        }

        /// `self + a·b`, lane by lane: one instruction in a build with relaxed SIMD (the
        /// worker's threaded build; fused where the processor can, which the engine decides;
        /// `www/bench/kernels.mjs --relaxed` times the kernels both ways).
        #[inline(always)]
        pub fn mul_add(self, a: F4, b: F4) -> F4 {
            #[cfg(target_feature = "relaxed-simd")]
            return F4(f32x4_relaxed_madd(a.0, b.0, self.0));
            #[cfg(not(target_feature = "relaxed-simd"))]
            F4(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
        }

        /// `self + a`, lane by lane.
        #[inline(always)]
        pub fn add(self, a: F4) -> F4 {
            F4(f32x4_add(self.0, a.0))
        }

        /// `self − a`, lane by lane.
        #[inline(always)]
        pub fn sub(self, a: F4) -> F4 {
            F4(f32x4_sub(self.0, a.0))
        }

        /// `self · a`, lane by lane.
        #[inline(always)]
        pub fn mul(self, a: F4) -> F4 {
            F4(f32x4_mul(self.0, a.0))
        }

        /// `self / a`, lane by lane.
        #[inline(always)]
        pub fn div(self, a: F4) -> F4 {
            F4(f32x4_div(self.0, a.0))
        }

        /// `√self`, lane by lane.
        #[inline(always)]
        pub fn sqrt(self) -> F4 {
            F4(f32x4_sqrt(self.0))
        }

        /// Each lane, or +0 where its magnitude is below `limit`'s; NaN and infinities are kept.
        #[inline(always)]
        pub fn zero_below(self, limit: F4) -> F4 {
            let tiny = f32x4_lt(f32x4_abs(self.0), limit.0);
            F4(v128_andnot(self.0, tiny))
        }

        /// The 4×4 transpose of four rows.
        #[inline(always)]
        pub fn transpose([r0, r1, r2, r3]: [F4; 4]) -> [F4; 4] {
            // Interleave pairs of rows, then pairs of pairs.
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(r0.0, r1.0);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(r0.0, r1.0);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(r2.0, r3.0);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(r2.0, r3.0);
            [
                F4(i64x2_shuffle::<0, 2>(t0, t2)),
                F4(i64x2_shuffle::<1, 3>(t0, t2)),
                F4(i64x2_shuffle::<0, 2>(t1, t3)),
                F4(i64x2_shuffle::<1, 3>(t1, t3)),
            ]
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    /// Four f32 lanes as a plain array.
    #[derive(Clone, Copy)]
    pub struct F4([f32; 4]);

    impl F4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            F4([x; 4])
        }

        /// # Safety
        /// `p` must point at four readable f32 (any alignment).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller's contract: four readable f32 at `p`, read unaligned.
            F4(unsafe { std::ptr::read_unaligned(p as *const [f32; 4]) })
        }

        /// # Safety
        /// `p` must point at four writable f32 (any alignment).
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller's contract: four writable f32 at `p`, written unaligned.
            unsafe { std::ptr::write_unaligned(p as *mut [f32; 4], self.0) }
        }

        /// `self + a·b`, lane by lane.
        #[inline(always)]
        pub fn mul_add(self, a: F4, b: F4) -> F4 {
            F4(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
        }

        /// `self + a`, lane by lane.
        #[inline(always)]
        pub fn add(self, a: F4) -> F4 {
            F4(std::array::from_fn(|i| self.0[i] + a.0[i]))
        }

        /// `self − a`, lane by lane.
        #[inline(always)]
        pub fn sub(self, a: F4) -> F4 {
            F4(std::array::from_fn(|i| self.0[i] - a.0[i]))
        }

        /// `self · a`, lane by lane.
        #[inline(always)]
        pub fn mul(self, a: F4) -> F4 {
            F4(std::array::from_fn(|i| self.0[i] * a.0[i]))
        }

        /// `self / a`, lane by lane.
        #[inline(always)]
        pub fn div(self, a: F4) -> F4 {
            F4(std::array::from_fn(|i| self.0[i] / a.0[i]))
        }

        /// `√self`, lane by lane.
        #[inline(always)]
        pub fn sqrt(self) -> F4 {
            F4(self.0.map(f32::sqrt))
        }

        /// Each lane, or +0 where its magnitude is below `limit`'s; NaN and infinities are kept.
        #[inline(always)]
        pub fn zero_below(self, limit: F4) -> F4 {
            F4(std::array::from_fn(|i| {
                super::zero_below(self.0[i], limit.0[i])
            }))
        }

        /// The 4×4 transpose of four rows.
        #[inline(always)]
        pub fn transpose(rows: [F4; 4]) -> [F4; 4] {
            std::array::from_fn(|c| F4(std::array::from_fn(|r| rows[r].0[c])))
        }
    }
}

pub use imp::F4;

/// `x`, or +0 when its magnitude is below `limit`: [`F4::zero_below`] for one value.
#[inline(always)]
pub fn zero_below(x: f32, limit: f32) -> f32 {
    if x.abs() < limit {
        0.0
    } else {
        x
    }
}
