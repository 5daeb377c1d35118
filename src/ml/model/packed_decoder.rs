//! A model's decoder with its weights packed once for decoding on every frame.
//!
//! The page decodes with weights that never change while a model is shown, so they are packed
//! once: the MLPs' two layers ([`PackedMlp`]: transposed into panels, the hidden layer's zeros
//! skipped), the Conv-VAE's projection and transposed convolutions ([`PackedConvDecoder`]: the
//! images kept one pixel a row between them). Decoding is then a few kernel calls with no
//! tensor allocated. Tested against candle's path.

use candle_core::Result;

use super::conv_vae::ConvVae;
use super::line::{check_sheet, Line};
use super::mlp_vae::MlpDecoder;
use super::packed_conv_decoder::PackedConvDecoder;
use super::packed_mlp::PackedMlp;
use crate::ml::fastmath::sigmoid;

/// z → the values of one image, from packed copies of a decoder's parameters.
#[derive(Debug, Clone)]
pub struct PackedDecoder {
    layers: Layers,
}

#[derive(Debug, Clone)]
enum Layers {
    /// z → ReLU(hidden) → logits ([`MlpDecoder`]).
    Mlp(PackedMlp),
    /// z → the smallest grid → transposed convolutions → logits ([`ConvVae`]).
    Conv(PackedConvDecoder),
}

impl PackedDecoder {
    pub fn new(decoder: &MlpDecoder) -> Result<Self> {
        Ok(Self {
            layers: Layers::Mlp(PackedMlp::new(decoder.parameters())?),
        })
    }

    /// A Conv-VAE's decoder.
    pub fn conv(vae: &ConvVae) -> Result<Self> {
        Ok(Self {
            layers: Layers::Conv(PackedConvDecoder::new(vae)?),
        })
    }

    pub fn latent(&self) -> usize {
        match &self.layers {
            Layers::Mlp(mlp) => mlp.inputs(),
            Layers::Conv(conv) => conv.inputs(),
        }
    }

    /// Decodes `count` codes laid end to end in `zs` to `count × values` values in [0, 1].
    pub fn decode_pixels(&self, zs: &[f32], count: usize) -> Result<Vec<f32>> {
        Ok(pixels(match &self.layers {
            Layers::Mlp(mlp) => mlp.forward(zs, count, "codes")?,
            Layers::Conv(conv) => conv.forward(zs, count)?,
        }))
    }

    /// Whether [`Self::decode_line`] follows a line rather than decoding its points as a batch:
    /// an MLP's decoder does (one ReLU between two layers); a Conv-VAE's ReLUs follow one
    /// another, so only its first layer would be a line.
    pub fn follows_lines(&self) -> bool {
        match &self.layers {
            Layers::Mlp(_) => true,
            Layers::Conv(_) => false,
        }
    }

    /// Decodes the points of `line` to `ts.len() × values` values in [0, 1], in the order of
    /// its `ts`: what [`Self::decode_pixels`] gives for those codes, up to rounding. An MLP's
    /// decoder follows the line (`PackedMlp::forward_line`, which counts the work saved); a
    /// Conv-VAE's decodes the points together, as `decode_pixels` does.
    pub fn decode_line(&self, line: Line) -> Result<Vec<f32>> {
        let latent = self.latent();
        if line.origin.len() != latent || line.direction.len() != latent {
            candle_core::bail!(
                "a line of codes of {latent} values needs an origin and a direction of that size, got {} and {}",
                line.origin.len(),
                line.direction.len()
            )
        }
        if !line.is_finite() {
            candle_core::bail!("a line of codes needs finite values, its points' too")
        }
        match &self.layers {
            Layers::Mlp(mlp) => Ok(pixels(mlp.forward_line(line))),
            Layers::Conv(_) => self.decode_pixels(&line.points(), line.ts.len()),
        }
    }

    /// Decodes the points of a sheet's rows to `values` values each, laid end to end row after
    /// row (each row's in the order of its `ts`): what [`Self::decode_pixels`] gives for those
    /// codes, up to rounding. The rows go the way of `direction`, and row `r`'s first point (its
    /// smallest `t`) is the point of `column` at `column.ts[r]`. An MLP's decoder walks the
    /// sheet down its column and along its rows (`PackedMlp::forward_sheet`); a Conv-VAE's
    /// decodes the points together. Any other sheet is an error, for every kind alike.
    pub fn decode_sheet(&self, column: Line, direction: &[f32], rows: &[Line]) -> Result<Vec<f32>> {
        check_sheet(self.latent(), column, direction, rows)?;
        match &self.layers {
            Layers::Mlp(mlp) => Ok(pixels(mlp.forward_sheet(column, direction, rows))),
            Layers::Conv(_) => {
                let points: Vec<f32> = rows.iter().flat_map(|row| row.points()).collect();
                let count = rows.iter().map(|row| row.ts.len()).sum();
                self.decode_pixels(&points, count)
            }
        }
    }
}

/// The decoder's logits as values in [0, 1].
fn pixels(mut logits: Vec<f32>) -> Vec<f32> {
    for p in &mut logits {
        *p = sigmoid(*p);
    }
    logits
}

#[cfg(test)]
mod tests {
    use super::{Line, PackedDecoder};
    use crate::ml::explore::decode_many;
    use crate::ml::model::{Model, ModelConfig, ModelKind};
    use crate::ml::rng::Rng;
    use crate::ml::tensor_diff::max_abs_diff_values;

    #[test]
    fn packed_decoding_matches_candle_for_both_mlp_models() {
        let mut rng = Rng::new(11);
        // Hidden sizes off the 16-column panel width exercise the partial panels.
        for (kind, latent, hidden) in [
            (ModelKind::MlpVae, 20, 400),
            (ModelKind::Autoencoder, 3, 37),
        ] {
            let model = Model::new(ModelConfig::new(kind, latent, hidden), &mut rng).unwrap();
            let packed = model.packed_decoder().unwrap();
            assert_eq!(packed.latent(), latent);
            for count in [0, 1, 7] {
                let zs = rng.normal_vec(count * latent);
                let fast = packed.decode_pixels(&zs, count).unwrap();
                let plain = decode_many(&model, &zs, count).unwrap();
                let diff = max_abs_diff_values(&fast, &plain);
                assert!(diff < 1e-5, "{kind:?}, {count} codes: off by {diff}");
            }
        }
    }

    #[test]
    fn every_model_kind_packs_and_a_code_of_the_wrong_size_is_an_error() {
        let mut rng = Rng::new(12);
        for kind in ModelKind::ALL {
            let model = Model::new(ModelConfig::new(kind, 4, 16), &mut rng).unwrap();
            let packed = model.packed_decoder().unwrap();
            assert_eq!(packed.latent(), 4);
            assert!(packed.decode_pixels(&[0.0; 3], 1).is_err(), "{kind:?}");
            let zs = rng.normal_vec(2 * 4);
            let fast = packed.decode_pixels(&zs, 2).unwrap();
            let plain = decode_many(&model, &zs, 2).unwrap();
            let diff = max_abs_diff_values(&fast, &plain);
            assert!(diff < 1e-5, "{kind:?}: off by {diff}");
        }
    }

    /// Every kind of model, at sizes that reach the kernels' edges: the MLP-VAE at z=16 and at
    /// the default z=2 with 400 hidden units, an autoencoder whose 37 hidden units end in a
    /// partial panel, a small Conv-VAE; `check` gets each with its packed decoder.
    fn for_each_shape(seed: u64, mut check: impl FnMut(&Model, &PackedDecoder, &mut Rng)) {
        let mut rng = Rng::new(seed);
        for (kind, latent, hidden) in [
            (ModelKind::MlpVae, 16, 400),
            (ModelKind::MlpVae, 2, 400),
            (ModelKind::Autoencoder, 3, 37),
            (ModelKind::ConvVae, 4, 8),
        ] {
            let model = Model::new(ModelConfig::new(kind, latent, hidden), &mut rng).unwrap();
            let packed = model.packed_decoder().unwrap();
            check(&model, &packed, &mut rng);
        }
    }

    /// The unit vector along the last of `latent` dimensions.
    fn last_axis(latent: usize) -> Vec<f32> {
        let mut axis = vec![0.0; latent];
        axis[latent - 1] = 1.0;
        axis
    }

    #[test]
    fn a_line_decodes_as_its_points_do_one_by_one_for_every_kind() {
        for_each_shape(5, |model, packed, rng| {
            let (kind, latent) = (model.config().kind, model.config().latent);
            let origin = rng.normal_vec(latent);
            // Along one dimension (a row of the manifold's sheet) and along any direction (an
            // interpolation); the points unsorted, one of them twice, one far out.
            let directions = [last_axis(latent), rng.normal_vec(latent)];
            for direction in directions {
                for ts in [
                    vec![],
                    vec![0.3],
                    vec![1.5, -2.0, -0.1, 0.7, 2.4, -0.1, -1.3, 0.0, 3.0, -25.0],
                ] {
                    let line = Line {
                        origin: &origin,
                        direction: &direction,
                        ts: &ts,
                    };
                    let along = packed.decode_line(line).unwrap();
                    // Against candle's decoding of the points (for a Conv-VAE, whose packed
                    // decoder takes the points as a batch, the packed path against candle's).
                    let points = decode_many(model, &line.points(), ts.len()).unwrap();
                    assert_eq!(along.len(), points.len());
                    assert!(along.iter().all(|v| v.is_finite()), "{kind:?}: not finite");
                    let diff = max_abs_diff_values(&along, &points);
                    assert!(
                        diff < 1e-5,
                        "{kind:?} z={latent}, {} points: off by {diff}",
                        ts.len()
                    );
                }
            }
        });
    }

    #[test]
    fn a_sheet_decodes_as_its_codes_do_and_a_bad_one_is_refused_for_every_kind() {
        use crate::ml::axis_line::AxisSheet;
        use crate::ml::explore::grid_codes;
        for_each_shape(6, |model, packed, rng| {
            let (kind, latent) = (model.config().kind, model.config().latent);
            let base = rng.normal_vec(latent);
            let n = 10;
            // Rows across the first dimension, the column down the last (its `t` falling from
            // row to row, so the walk down it sorts them); one row reversed, so that its first
            // point is its last code.
            let mut codes = grid_codes(&base, 0, latent - 1, n);
            let third = codes[2 * n * latent..3 * n * latent].to_vec();
            for (i, code) in third.chunks_exact(latent).rev().enumerate() {
                codes[(2 * n + i) * latent..(2 * n + i + 1) * latent].copy_from_slice(code);
            }
            let sheet = AxisSheet::through(&codes, n, n).unwrap();
            let rows = sheet.rows();
            let walked = packed
                .decode_sheet(sheet.column(), sheet.direction(), &rows)
                .unwrap();
            let plain = decode_many(model, &codes, n * n).unwrap();
            assert!(walked.iter().all(|v| v.is_finite()), "{kind:?}: not finite");
            let diff = max_abs_diff_values(&walked, &plain);
            assert!(diff < 1e-5, "{kind:?} z={latent}: off by {diff}");
            // A column point short, a row another way, a row off the column: errors.
            let (column, direction) = (sheet.column(), sheet.direction());
            let short = Line {
                ts: &column.ts[1..],
                ..column
            };
            assert!(
                packed.decode_sheet(short, direction, &rows).is_err(),
                "{kind:?}"
            );
            let mut across = rows.clone();
            across[1].direction = column.direction;
            assert!(
                packed.decode_sheet(column, direction, &across).is_err(),
                "{kind:?}"
            );
            let mut swapped = rows.clone();
            swapped.swap(0, 1);
            assert!(
                packed.decode_sheet(column, direction, &swapped).is_err(),
                "{kind:?}"
            );
        });
    }

    #[test]
    fn a_sheets_rows_of_any_length_decode_as_their_codes_do() {
        for_each_shape(7, |model, packed, rng| {
            let (kind, latent) = (model.config().kind, model.config().latent);
            let origin = rng.normal_vec(latent);
            let down = last_axis(latent);
            let across = rng.normal_vec(latent);
            let column = Line {
                origin: &origin,
                direction: &down,
                ts: &[0.5, -1.0, 2.0, 0.0],
            };
            // Rows of 3, 0, 1 and 2 points, each starting (at its smallest t) on its column
            // point: its origin is that point less t times the way the rows go.
            let row_ts: [&[f32]; 4] = [&[0.9, -0.3, 2.0], &[], &[0.4], &[-1.5, -1.5]];
            let origins: Vec<Vec<f32>> = row_ts
                .iter()
                .zip(column.ts)
                .map(|(ts, &tc)| {
                    let first = ts.iter().copied().reduce(f32::min).unwrap_or(0.0);
                    let start = column.point(tc);
                    start
                        .iter()
                        .zip(&across)
                        .map(|(p, d)| p - first * d)
                        .collect()
                })
                .collect();
            let rows: Vec<Line> = origins
                .iter()
                .zip(row_ts)
                .map(|(origin, ts)| Line {
                    origin,
                    direction: &across,
                    ts,
                })
                .collect();
            let walked = packed.decode_sheet(column, &across, &rows).unwrap();
            let points: Vec<f32> = rows.iter().flat_map(|row| row.points()).collect();
            let plain = decode_many(model, &points, 6).unwrap();
            assert_eq!(walked.len(), plain.len(), "{kind:?}");
            let diff = max_abs_diff_values(&walked, &plain);
            assert!(diff < 1e-5, "{kind:?} z={latent}: off by {diff}");
        });
    }

    #[test]
    fn a_line_of_the_wrong_size_or_not_finite_is_an_error() {
        let mut rng = Rng::new(13);
        for kind in ModelKind::ALL {
            let model = Model::new(ModelConfig::new(kind, 4, 16), &mut rng).unwrap();
            let packed = model.packed_decoder().unwrap();
            let line = |origin, direction| Line {
                origin,
                direction,
                ts: &[0.5, -0.5],
            };
            assert!(
                packed.decode_line(line(&[0.0; 3], &[0.0; 3])).is_err(),
                "{kind:?}"
            );
            assert!(
                packed.decode_line(line(&[0.0; 4], &[0.0; 5])).is_err(),
                "{kind:?}"
            );
            assert!(
                packed.decode_line(line(&[0.0; 4], &[1.0; 4])).is_ok(),
                "{kind:?}"
            );
            let far = Line {
                ts: &[0.5, f32::NEG_INFINITY],
                ..line(&[0.0; 4], &[1.0; 4])
            };
            assert!(packed.decode_line(far).is_err(), "{kind:?}");
            assert!(
                packed.decode_line(line(&[f32::NAN; 4], &[1.0; 4])).is_err(),
                "{kind:?}"
            );
        }
    }
}
