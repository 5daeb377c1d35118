//! The layers against candle's `conv2d` and `conv_transpose2d`, values and every gradient,
//! on both paths and in either layout.

use super::*;
use crate::ml::rng::Rng;
use crate::ml::tensor_diff::max_abs_diff;
use candle_core::{Device, Var};

fn random(rng: &mut Rng, shape: &[usize]) -> Var {
    let n = shape.iter().product();
    Var::from_vec(rng.normal_vec(n), shape, &Device::Cpu).unwrap()
}

/// Inputs as a layer gets them: out of a ReLU, about half zero (so the sparse products'
/// skipping, and their sparse weight gradient, are what is compared).
fn rectified(rng: &mut Rng, shape: &[usize]) -> Var {
    let n = shape.iter().product();
    let values = rng.normal_vec(n).into_iter().map(|v| v.max(0.0)).collect();
    Var::from_vec(values, shape, &Device::Cpu).unwrap()
}

/// Values and the gradients of x, weight and bias under a random weighting of the output,
/// by `ours` and by candle's `reference`.
fn compare(
    x: &Var,
    w: &Var,
    b: &Var,
    ours: impl Fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>,
    reference: impl Fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>,
) {
    let mut rng = Rng::new(11);
    let y = ours(x, w, b).unwrap();
    let want = reference(x, w, b).unwrap();
    assert_eq!(y.dims(), want.dims());
    assert!(
        max_abs_diff(&y, &want) < 1e-4,
        "values differ by {}",
        max_abs_diff(&y, &want)
    );
    // Weighted densely, and half by zeros as a ReLU after the layer would weight it (the
    // input's gradient then skips them). The second backward pass over the same graph
    // rebuilds the rows the first one took from the sparse ops.
    for rectify in [false, true] {
        let weighting = rng
            .normal_vec(y.elem_count())
            .into_iter()
            .map(|v| if rectify { v.max(0.0) } else { v })
            .collect();
        let weights = Tensor::from_vec(weighting, y.dims(), &Device::Cpu).unwrap();
        let ours = (&y * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let theirs = (&want * &weights)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        for (what, v) in [("x", x), ("weight", w), ("bias", b)] {
            let (g, r) = (ours.get(v).unwrap(), theirs.get(v).unwrap());
            assert!(
                max_abs_diff(g, r) < 1e-3,
                "the gradient of {what} differs by {} (rectified: {rectify})",
                max_abs_diff(g, r)
            );
        }
    }
}

#[test]
fn a_convolution_matches_candles_in_value_and_every_gradient_on_both_paths() {
    let mut rng = Rng::new(5);
    // The Conv-VAE's first and second stages at 28×28 (sides 28 and 14), small.
    // Sixteen input channels or more take the input gradient without a patch matrix.
    for (n, cin, cout, side) in [(3, 1, 4, 28), (2, 4, 6, 14), (2, 3, 2, 8), (2, 17, 3, 6)] {
        let x = rectified(&mut rng, &[n, cin, side, side]);
        let w = random(&mut rng, &[cout, cin, 4, 4]);
        let b = random(&mut rng, &[cout]);
        let planar = ChannelsLast::default();
        let sparse = |x: &Tensor, w: &Tensor, b: &Tensor| conv_down_sparse(x, w, b, planar, false);
        compare(&x, &w, &b, conv_down_dense, conv_reference);
        compare(&x, &w, &b, sparse, conv_reference);
        // With the ReLU that follows done inside the op: as candle's after the layer.
        let rectified =
            |x: &Tensor, w: &Tensor, b: &Tensor| conv_down_sparse(x, w, b, planar, true);
        let reference = |x: &Tensor, w: &Tensor, b: &Tensor| conv_reference(x, w, b)?.relu();
        compare(&x, &w, &b, rectified, reference);
    }
}

/// candle's `conv2d`, with the bias added.
fn conv_reference(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.conv2d(w, 1, 2, 1, 1)?
        .broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?)
}

/// candle's `conv_transpose2d`, with the bias added.
fn deconv_reference(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.conv_transpose2d(w, 1, 0, 2, 1)?
        .broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?)
}

/// `layer` taking and giving channel-planar tensors, whatever `layout` it is run with:
/// the input is turned channels last before it when `layout` says, the output back after.
fn seen_planar(
    layer: fn(&Tensor, &Tensor, &Tensor, ChannelsLast) -> Result<Tensor>,
    layout: ChannelsLast,
) -> impl Fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor> {
    move |x, w, b| {
        let x = if layout.input {
            x.permute((0, 2, 3, 1))?.contiguous()?
        } else {
            x.clone()
        };
        let y = layer(&x, w, b, layout)?;
        if layout.output {
            y.permute((0, 3, 1, 2))?.contiguous()
        } else {
            Ok(y)
        }
    }
}

/// Every combination of the two sides' layouts.
fn layouts() -> [ChannelsLast; 4] {
    [(false, false), (true, false), (false, true), (true, true)]
        .map(|(input, output)| ChannelsLast { input, output })
}

#[test]
fn layers_read_and_write_channels_last_as_asked_on_both_paths() {
    type Laid = fn(&Tensor, &Tensor, &Tensor, ChannelsLast) -> Result<Tensor>;
    type Plain = fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>;
    let mut rng = Rng::new(9);
    // The patch matrix's path (few channels) and the pixels' (sixteen or more), each way;
    // the sparse op itself and the layer as a model calls it.
    let convs: [Laid; 2] = [
        |x, w, b, l| conv_down_sparse(x, w, b, l, false),
        |x, w, b, l| conv_down_laid(x, w, b, l, false),
    ];
    let deconvs: [Laid; 2] = [
        |x, w, b, l| deconv_up_sparse(x, w, b, l, false),
        |x, w, b, l| deconv_up_laid(x, w, b, l, false),
    ];
    for (layers, reference, shapes, transposed) in [
        (
            convs,
            conv_reference as Plain,
            [(2, 3, 4, 8), (2, 17, 3, 6)],
            false,
        ),
        (
            deconvs,
            deconv_reference,
            [(2, 4, 3, 4), (2, 5, 20, 3)],
            true,
        ),
    ] {
        for (n, cin, cout, side) in shapes {
            let x = rectified(&mut rng, &[n, cin, side, side]);
            let (a, b) = if transposed { (cin, cout) } else { (cout, cin) };
            let w = random(&mut rng, &[a, b, 4, 4]);
            let b = random(&mut rng, &[cout]);
            for layout in layouts() {
                for layer in layers {
                    compare(&x, &w, &b, seen_planar(layer, layout), reference);
                }
            }
        }
    }
}

#[test]
fn a_first_layer_gives_its_pictures_no_gradient_and_its_weights_the_same_one() {
    let mut rng = Rng::new(7);
    let x = rectified(&mut rng, &[2, 1, 8, 8]);
    let w = random(&mut rng, &[3, 1, 4, 4]);
    let b = random(&mut rng, &[3]);
    // The same pictures as a variable (a layer further in) and as plain data (the first).
    let planar = ChannelsLast::default();
    let tracked = conv_down_sparse(&x, &w, &b, planar, false)
        .unwrap()
        .sum_all()
        .unwrap();
    let plain = conv_down_sparse(&x.as_tensor().detach(), &w, &b, planar, false)
        .unwrap()
        .sum_all()
        .unwrap();
    let (tracked, plain) = (tracked.backward().unwrap(), plain.backward().unwrap());
    assert!(tracked.get(&x).is_some() && plain.get(&x).is_none());
    let diff = max_abs_diff(tracked.get(&w).unwrap(), plain.get(&w).unwrap());
    assert_eq!(diff, 0.0);
}

#[test]
fn a_transposed_convolution_matches_candles_in_value_and_every_gradient_on_both_paths() {
    let mut rng = Rng::new(6);
    // The decoder's stages at 28×28 (7 → 14 → 28), small, and an even start.
    // Sixteen outputs or more are computed without a patch matrix.
    for (n, cin, cout, side) in [(3, 6, 4, 7), (2, 4, 1, 14), (2, 2, 3, 4), (2, 5, 20, 3)] {
        let x = rectified(&mut rng, &[n, cin, side, side]);
        let w = random(&mut rng, &[cin, cout, 4, 4]);
        let b = random(&mut rng, &[cout]);
        let planar = ChannelsLast::default();
        let sparse = |x: &Tensor, w: &Tensor, b: &Tensor| deconv_up_sparse(x, w, b, planar, false);
        compare(&x, &w, &b, deconv_up_dense, deconv_reference);
        compare(&x, &w, &b, sparse, deconv_reference);
        let rectified =
            |x: &Tensor, w: &Tensor, b: &Tensor| deconv_up_sparse(x, w, b, planar, true);
        let reference = |x: &Tensor, w: &Tensor, b: &Tensor| deconv_reference(x, w, b)?.relu();
        compare(&x, &w, &b, rectified, reference);
    }
}

#[test]
fn packings_kept_through_a_hold_follow_the_weights_from_one_version_to_the_next() {
    use crate::ml::held::{hold, Version};
    let mut rng = Rng::new(7);
    let planar = ChannelsLast::default();
    // The patch matrix's path and the pixel path of each layer (16 channels or more).
    for (n, cin, cout, side) in [(2, 3, 4, 8), (2, 17, 16, 6)] {
        let x = rectified(&mut rng, &[n, cin, side, side]);
        let b = random(&mut rng, &[cout]);
        let down = |x: &Tensor, w: &Tensor, b: &Tensor| conv_down_sparse(x, w, b, planar, false);
        let w = random(&mut rng, &[cout, cin, 4, 4]);
        let up = |x: &Tensor, w: &Tensor, b: &Tensor| deconv_up_sparse(x, w, b, planar, false);
        let w_up = random(&mut rng, &[cin, cout, 4, 4]);
        let x_up = rectified(&mut rng, &[n, cin, side, side]);
        let version = Version::fresh();
        {
            let _held = hold(version);
            compare(&x, &w, &b, down, conv_reference);
            compare(&x_up, &w_up, &b, up, deconv_reference);
        }
        // An optimiser's update: in place, so the variables keep their ids.
        for var in [&w, &w_up] {
            let values = rng.normal_vec(var.elem_count());
            var.set(&Tensor::from_vec(values, var.shape(), &Device::Cpu).unwrap())
                .unwrap();
        }
        {
            // The same version after the values changed (a caller's bug) reads the packing
            // kept: proof that one is kept, and what a new version is for.
            let _held = hold(version);
            let stale = down(&x, &w, &b).unwrap();
            let want = conv_reference(&x, &w, &b).unwrap();
            assert!(max_abs_diff(&stale, &want) > 1e-2);
        }
        let _held = hold(Version::fresh());
        compare(&x, &w, &b, down, conv_reference);
        compare(&x_up, &w_up, &b, up, deconv_reference);
    }
}
