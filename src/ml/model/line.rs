//! Points on lines through the latent space, and sheets of such lines (rows that go one way and
//! start down one column), as the packed decoders take them (`PackedDecoder::decode_line`,
//! `PackedDecoder::decode_sheet`).

use candle_core::Result;

/// Points on a line through the latent space, decoded together by
/// [`super::PackedDecoder::decode_line`] (and a sheet's rows and column, by
/// [`super::PackedDecoder::decode_sheet`]).
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub origin: &'a [f32],
    pub direction: &'a [f32],
    /// Where the points are: `origin + t·direction` for each `t`, in any order.
    pub ts: &'a [f32],
}

impl Line<'_> {
    /// The codes of the points, laid end to end in the order of `ts`.
    pub fn points(&self) -> Vec<f32> {
        self.ts.iter().flat_map(|&t| self.point(t)).collect()
    }

    /// Whether its origin, direction and `ts` are all finite (its points then are too, unless
    /// `t·direction` overflows).
    pub fn is_finite(&self) -> bool {
        self.origin
            .iter()
            .chain(self.direction)
            .chain(self.ts)
            .all(|v| v.is_finite())
    }

    /// The code at `t`: `origin + t·direction`.
    pub fn point(&self, t: f32) -> Vec<f32> {
        self.origin
            .iter()
            .zip(self.direction)
            .map(|(o, d)| o + t * d)
            .collect()
    }
}

/// What [`super::PackedDecoder::decode_sheet`] takes: lines of `latent` finite values, one
/// point of `column` a row, every row going the way of `direction` and starting (at its
/// smallest `t`) at its column point, within rounding.
pub(super) fn check_sheet(
    latent: usize,
    column: Line,
    direction: &[f32],
    rows: &[Line],
) -> Result<()> {
    let fits = |line: &Line| {
        line.origin.len() == latent && line.direction.len() == latent && line.is_finite()
    };
    if !fits(&column) || direction.len() != latent || !direction.iter().all(|v| v.is_finite()) {
        candle_core::bail!(
            "a sheet of codes of {latent} values needs a column and a direction of that size, of finite values"
        )
    }
    if column.ts.len() != rows.len() {
        candle_core::bail!(
            "a sheet of {} rows needs a point of its column a row, got {}",
            rows.len(),
            column.ts.len()
        )
    }
    for (r, row) in rows.iter().enumerate() {
        if !fits(row) || row.direction != direction {
            candle_core::bail!(
                "row {r} of a sheet does not go the sheet's way with codes of {latent} finite values"
            )
        }
        if let Some(first) = row.ts.iter().copied().min_by(f32::total_cmp) {
            let start = column.point(column.ts[r]);
            let on_column = start
                .iter()
                .zip(row.point(first))
                .all(|(&at, p)| (p - at).abs() <= 1e-5 * (1.0 + at.abs()));
            if !on_column {
                candle_core::bail!("row {r} of a sheet does not start on the sheet's column")
            }
        }
    }
    Ok(())
}
