//! Weights as bytes: a tensor's f32 values encoded the way a checkpoint stores them (f32, f16,
//! or f16 in byte planes, see [`Precision`]) and any float type a safetensors file may hold
//! decoded back to f32. Done with `half` directly rather than candle's `to_dtype`, whose
//! conversions between every pair of types add ~100 KB (gzip) to the page, which loads and saves
//! models. f16 rounds as candle's does (to nearest, ties to even).

use crate::ml::checkpoint::Precision;

/// `values` as `precision` stores them, little-endian.
pub(crate) fn encode(values: &[f32], precision: Precision) -> Vec<u8> {
    let halves = |round: fn(u16) -> u16| -> Vec<u8> {
        values
            .iter()
            .flat_map(|&v| round(half::f16::from_f32(v).to_bits()).to_le_bytes())
            .collect()
    };
    match precision {
        Precision::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Precision::F16 => halves(|bits| bits),
        Precision::F16Planes => to_planes(&halves(|bits| bits)),
        Precision::Compact => to_planes(&halves(to_compact)),
    }
}

/// Mantissa bits of an f16 that [`Precision::Compact`] drops (of ten): it keeps four, five
/// significant bits with the implicit one. Measured on the shipped models (2026-12-07, each
/// rounded from its f16 weights): dropping 3 bits (eight significant) made the default model's
/// file 861 KB gzip, 5 bits 729 KB, 6 bits 642 KB; its test −ELBO, 159.059 with the f16
/// weights, was 159.049, 159.083 and 159.091 (at 6, every other shipped model's moved by at
/// most 0.05 nats, the shapes' β-VAE's by −0.3), and decoded pixels (1,000 random codes) by
/// at most 0.010, 0.037 and 0.115 (mean 0.0003, 0.0009, 0.0020). Six brings the page's first load
/// (its code and the default model) under 2 MB gzip.
pub(crate) const COMPACT_DROPS: u32 = 6;
// At least one bit dropped (`to_compact`'s half unit), and a mantissa has ten.
const _: () = assert!(COMPACT_DROPS >= 1 && COMPACT_DROPS <= 10);

/// The f16 `bits` rounded to the significant bits [`Precision::Compact`] keeps (see
/// [`COMPACT_DROPS`]), to nearest with ties to even; infinities and NaN unchanged, and a value
/// that would round past the largest finite f16 kept at the largest with those bits.
fn to_compact(bits: u16) -> u16 {
    let (sign, magnitude) = (bits & 0x8000, bits & 0x7fff);
    const INFINITY: u16 = 0x7c00;
    if magnitude >= INFINITY {
        return bits;
    }
    // One unit of the last place kept.
    let unit = 1u16 << COMPACT_DROPS;
    // Half a unit, less one unless the last kept bit is odd: ties go to even.
    let nudge = unit / 2 - 1 + ((magnitude >> COMPACT_DROPS) & 1);
    // A carry out of the mantissa moves the exponent up by one: the right rounding.
    let rounded = (magnitude + nudge) & !(unit - 1);
    sign | rounded.min(INFINITY - unit)
}

/// Two-byte values (little-endian) as two planes: every low byte, then every high byte.
fn to_planes(pairs: &[u8]) -> Vec<u8> {
    let (low, high): (Vec<u8>, Vec<u8>) = pairs.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
    [low, high].concat()
}

/// Little-endian values of a float `dtype` (F64, F16, BF16; anything else is read as F32) as
/// f32: f64 rounded, the others exactly.
pub(crate) fn decode(dtype: safetensors::Dtype, bytes: &[u8]) -> Vec<f32> {
    use safetensors::Dtype as D;
    match dtype {
        D::F64 => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
            .collect(),
        D::F16 => bytes
            .chunks_exact(2)
            .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
            .collect(),
        D::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect(),
    }
}

/// The f16 values of [`Precision::F16Planes`] bytes, as f32 (exactly: every f16 is an f32).
pub(crate) fn decode_planes(planes: &[u8]) -> Vec<f32> {
    let (low, high) = planes.split_at(planes.len() / 2);
    low.iter()
        .zip(high)
        .map(|(&l, &h)| f16_to_f32(u16::from_le_bytes([l, h])))
        .collect()
}

/// The f16 `bits` as f32, exactly as `half` converts them (NaNs stay NaNs), in straight-line code:
/// `half`'s portable conversion, which wasm gets, branches on every value and was most of the
/// default model's parse in the page (~15 ms of its 650,000 values on a desktop, four times
/// that on a phone). Moved into an f32's places, a finite f16's exponent and mantissa are the
/// same number scaled by 2^−112 (the two formats' exponent biases differ by 127 − 15), normal
/// and subnormal alike, so one exact multiplication restores it; infinities and NaNs keep
/// their mantissa under an all-ones exponent.
pub(crate) fn f16_to_f32(bits: u16) -> f32 {
    const TWO_TO_112: f32 = f32::from_bits((127 + 112) << 23);
    let bits = u32::from(bits);
    let sign = (bits & 0x8000) << 16;
    let magnitude = bits & 0x7fff;
    let moved = magnitude << 13;
    let value = if magnitude >= 0x7c00 {
        moved | 0x7f80_0000
    } else {
        (f32::from_bits(moved) * TWO_TO_112).to_bits()
    };
    f32::from_bits(value | sign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::Dtype;

    const VALUES: [f32; 6] = [
        0.0,
        -1.5,
        std::f32::consts::PI,
        1e-6,
        -65_504.0,
        0.333_333_34,
    ];

    #[test]
    fn f32_bytes_round_trip_exactly() {
        let bytes = encode(&VALUES, Precision::F32);
        assert_eq!(bytes.len(), 24);
        assert_eq!(decode(Dtype::F32, &bytes), VALUES);
    }

    #[test]
    fn f16_rounds_to_the_nearest_half_and_planes_hold_the_same_numbers() {
        let halves = decode(Dtype::F16, &encode(&VALUES, Precision::F16));
        let expected: Vec<f32> = VALUES
            .iter()
            .map(|&v| half::f16::from_f32(v).to_f32())
            .collect();
        assert_eq!(halves, expected);
        assert!((halves[2] - 3.140_625).abs() < 1e-6, "π to f16 is 3.140625");
        let planes = encode(&VALUES, Precision::F16Planes);
        assert_eq!(planes.len(), 12);
        assert_eq!(decode_planes(&planes), expected);
        // Low bytes first: 1.0 in f16 is 0x3c00, so its low byte 0x00 leads, 0x3c follows.
        assert_eq!(
            encode(&[1.0, 1.0], Precision::F16Planes),
            [0x00, 0x00, 0x3c, 0x3c]
        );
    }

    #[test]
    fn compact_rounds_every_f16_to_the_nearest_with_its_significant_bits() {
        let unit = 1u16 << COMPACT_DROPS;
        for bits in 0..=u16::MAX {
            let value = f16_to_f32(bits);
            if !value.is_finite() {
                assert_eq!(to_compact(bits), bits, "{bits:#06x}");
                continue;
            }
            let rounded = to_compact(bits);
            assert_eq!(rounded & (unit - 1), 0, "{bits:#06x}: dropped bits left");
            assert_eq!(to_compact(rounded), rounded, "{bits:#06x}: again");
            assert_eq!(
                rounded & 0x8000,
                bits & 0x8000,
                "{bits:#06x}: the sign kept"
            );
            // The two f16 with those bits zero around it (the upper one if finite), the
            // nearer taken, of two as near the one whose last kept bit is 0.
            let down = bits & 0x7fff & !(unit - 1);
            let up = down + unit;
            let from = |b: u16| (f16_to_f32(b) as f64 - f16_to_f32(bits & 0x7fff) as f64).abs();
            let want = if up >= 0x7c00 || from(down) < from(up) {
                down
            } else if from(up) < from(down) {
                up
            } else if down & unit == 0 {
                down
            } else {
                up
            };
            assert_eq!(rounded & 0x7fff, want, "{bits:#06x} ({value})");
        }
        // Above 1 the values kept are a step apart (2⁻⁴ at five significant bits); half a
        // step goes down to the even neighbour, three halves up to it.
        let step = 2f32.powi(COMPACT_DROPS as i32 - 10);
        let planes = encode(
            &[1.0, 1.0 + step, 1.0 + step / 2.0, 1.0 + 1.5 * step],
            Precision::Compact,
        );
        assert_eq!(
            decode_planes(&planes),
            [1.0, 1.0 + step, 1.0, 1.0 + 2.0 * step],
            "a step kept, half a step and three halves ties to even"
        );
    }

    #[test]
    fn every_f16_converts_as_half_converts_it() {
        for bits in 0..=u16::MAX {
            let ours = f16_to_f32(bits);
            let theirs = half::f16::from_bits(bits).to_f32();
            if theirs.is_nan() {
                assert!(ours.is_nan(), "{bits:#06x}: {ours}");
            } else {
                assert_eq!(
                    ours.to_bits(),
                    theirs.to_bits(),
                    "{bits:#06x}: {ours} ≠ {theirs}"
                );
            }
        }
    }

    #[test]
    fn bf16_and_f64_are_read_as_f32() {
        let bf16: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
            .collect();
        assert_eq!(decode(Dtype::BF16, &bf16), [1.5, -2.0]);
        let f64s: Vec<u8> = [0.1f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(decode(Dtype::F64, &f64s), [0.1f32, 2.0]);
    }
}
