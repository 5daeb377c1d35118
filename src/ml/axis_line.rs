//! Codes along the latent axes held as lines, so that a packed decoder can follow them: a row
//! of the manifold's sheet or a traversal of one dimension ([`AxisLine`]), and a whole sheet
//! whose rows start down one column ([`AxisSheet`]).

use crate::ml::model::Line;

/// Codes that differ in one dimension at most (a row of a sheet from
/// [`grid_codes_at`](crate::ml::explore::grid_codes_at)), held
/// as the line they lie on, so that a packed decoder can follow it
/// ([`crate::ml::model::PackedDecoder::decode_line`]). Its points are the codes' values exactly
/// (every other dimension is `o + t·0` and the one that varies `0 + t·1`), a zero's sign aside.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisLine {
    origin: Vec<f32>,
    direction: Vec<f32>,
    ts: Vec<f32>,
}

impl AxisLine {
    /// The line through `count` codes laid end to end in `codes`; `None` when they differ in
    /// more than one dimension, or are not `count` codes of finite values.
    pub fn through(codes: &[f32], count: usize) -> Option<Self> {
        if count == 0 || !codes.len().is_multiple_of(count) || codes.iter().any(|v| !v.is_finite())
        {
            return None;
        }
        let latent = codes.len() / count;
        let first = &codes[..latent];
        let mut varying = (0..latent).filter(|&d| {
            codes
                .chunks_exact(latent)
                .any(|code| code[d].to_bits() != first[d].to_bits())
        });
        let along = varying.next().unwrap_or(0);
        if varying.next().is_some() || latent == 0 {
            return None;
        }
        let mut origin = first.to_vec();
        origin[along] = 0.0;
        let mut direction = vec![0.0; latent];
        direction[along] = 1.0;
        let ts = codes.chunks_exact(latent).map(|code| code[along]).collect();
        Some(Self {
            origin,
            direction,
            ts,
        })
    }

    /// The line, borrowed, as a decoder takes it.
    pub fn line(&self) -> Line<'_> {
        Line {
            origin: &self.origin,
            direction: &self.direction,
            ts: &self.ts,
        }
    }
}

/// Rows of codes, each an [`AxisLine`] along the same dimension, whose first codes (each row's
/// smallest value along it) differ in one dimension at most: a sheet from
/// [`grid_codes_at`](crate::ml::explore::grid_codes_at),
/// held so that a packed decoder can walk it down its first column and along its rows
/// ([`crate::ml::model::PackedDecoder::decode_sheet`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AxisSheet {
    rows: Vec<AxisLine>,
    /// Through the rows' first codes, in the order of the rows.
    column: AxisLine,
}

impl AxisSheet {
    /// The sheet of `rows` rows of `per_row` codes each, laid end to end in `codes` row by row;
    /// `None` when they do not make one.
    pub fn through(codes: &[f32], rows: usize, per_row: usize) -> Option<Self> {
        if codes.is_empty()
            || rows == 0
            || per_row == 0
            || !codes.len().is_multiple_of(rows * per_row)
        {
            return None;
        }
        let (row_len, latent) = (codes.len() / rows, codes.len() / rows / per_row);
        let lines = codes
            .chunks_exact(row_len)
            .map(|row| AxisLine::through(row, per_row))
            .collect::<Option<Vec<_>>>()?;
        if lines.iter().any(|l| l.direction != lines[0].direction) {
            return None;
        }
        let firsts: Vec<f32> = codes
            .chunks_exact(row_len)
            .zip(&lines)
            .flat_map(|(row, line)| {
                // The first of the smallest, as a decoder orders the points.
                let i = (0..per_row)
                    .min_by(|&a, &b| line.ts[a].total_cmp(&line.ts[b]))
                    .unwrap_or(0);
                row[i * latent..(i + 1) * latent].iter().copied()
            })
            .collect();
        let column = AxisLine::through(&firsts, rows)?;
        Some(Self {
            rows: lines,
            column,
        })
    }

    /// The rows as lines (their points their codes).
    pub fn rows(&self) -> Vec<Line<'_>> {
        self.rows.iter().map(AxisLine::line).collect()
    }

    /// The line through the rows' first codes, its points in the order of the rows.
    pub fn column(&self) -> Line<'_> {
        self.column.line()
    }

    /// The way every row goes.
    pub fn direction(&self) -> &[f32] {
        &self.rows[0].direction
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::explore::grid_codes;

    #[test]
    fn a_sheet_row_is_an_axis_line_whose_points_are_its_codes_exactly() {
        let base = [0.5, -0.25, -1.0, 0.125];
        let n = 4;
        let zs = grid_codes(&base, 1, 3, n);
        for row in zs.chunks_exact(n * 4) {
            let line = AxisLine::through(row, n).expect("a row varies one dimension");
            assert_eq!(line.line().points(), row);
        }
        // Codes all alike are a line too; codes that differ in two dimensions are not, nor are
        // codes that are not whole or not finite.
        let same = [base, base].concat();
        assert_eq!(AxisLine::through(&same, 2).unwrap().line().points(), same);
        let column: Vec<f32> = (0..n)
            .flat_map(|i| zs[i * n * 4 + 4..i * n * 4 + 8].to_vec())
            .collect();
        assert!(
            AxisLine::through(&column, n).is_some(),
            "a column varies one dimension"
        );
        assert_eq!(AxisLine::through(&zs[..2 * n * 4], 2 * n), None);
        assert_eq!(AxisLine::through(&zs[..7], 2), None);
        assert_eq!(AxisLine::through(&[], 0), None);
        let mut far = same.clone();
        far[4] = f32::INFINITY;
        assert_eq!(AxisLine::through(&far, 2), None);
    }

    #[test]
    fn a_grid_is_an_axis_sheet_whose_column_holds_each_rows_first_code() {
        let base = [0.5, -0.25, -1.0, 0.125];
        let n = 4;
        let zs = grid_codes(&base, 1, 3, n);
        let sheet = AxisSheet::through(&zs, n, n).expect("a grid is a sheet");
        assert_eq!(sheet.direction(), [0.0, 1.0, 0.0, 0.0]);
        assert_eq!(
            sheet.column().points(),
            (0..n)
                .flat_map(|r| zs[r * n * 4..r * n * 4 + 4].to_vec())
                .collect::<Vec<_>>(),
            "each row's smallest code is its first one here"
        );
        assert_eq!(sheet.rows().len(), n);
        for (r, row) in sheet.rows().iter().enumerate() {
            assert_eq!(row.points(), zs[r * n * 4..(r + 1) * n * 4]);
        }
        // A row reversed starts at its other end; the column still goes through its smallest.
        let mut reversed = zs.clone();
        for (i, code) in zs[..n * 4].chunks_exact(4).rev().enumerate() {
            reversed[i * 4..i * 4 + 4].copy_from_slice(code);
        }
        let sheet = AxisSheet::through(&reversed, n, n).unwrap();
        assert_eq!(sheet.column().points()[..4], zs[..4]);
        // Rows along different dimensions, or first codes that differ in two, are no sheet.
        let mut across = zs.clone();
        across.truncate(n * 4);
        across.extend(grid_codes(&base, 2, 3, n)[n * 4..2 * n * 4].iter());
        assert_eq!(AxisSheet::through(&across, 2, n), None);
        let mut skewed = zs[..2 * n * 4].to_vec();
        for code in skewed[n * 4..].chunks_exact_mut(4) {
            code[0] += 1.0;
        }
        assert_eq!(AxisSheet::through(&skewed, 2, n), None);
        assert_eq!(AxisSheet::through(&zs, 0, n), None);
        assert_eq!(AxisSheet::through(&[], 2, 3), None);
        assert_eq!(AxisSheet::through(&zs, n, 0), None);
        assert_eq!(AxisSheet::through(&zs[..7], 1, 2), None);
    }
}
