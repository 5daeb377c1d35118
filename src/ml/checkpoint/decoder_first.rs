//! A model whose file is still arriving, decoding already. A checkpoint sorts its tensors by
//! name, so the decoder's (`decoder.…`) come before the encoder's: the default model's decoder
//! is whole when half its bytes have come, and on a phone's slow link that is seconds before the
//! rest. The page draws its first digit from it meanwhile (`ui::library`).

use super::{load, CheckpointInfo};
use crate::ml::container;
use crate::ml::model::{Model, DECODER_PATH};

/// The model in a checkpoint of which the first bytes, `prefix`, have arrived, once every
/// tensor of its decoder has: the decoder's weights are the file's, every other weight is zero
/// until the rest arrives. **For decoding only** (drawing the first pictures while the rest of
/// the file downloads), never for encoding, scoring or training. `None` until the decoder is
/// whole, and for a file that cannot be read: loading the whole file says why.
pub fn decoder_first(prefix: &[u8]) -> Option<(Model, CheckpointInfo)> {
    let whole = whole_length_once_decoder_has_come(prefix)?;
    // What has not come yet as zeros: the loader checks the header, the kind and every shape
    // as it does for a whole file.
    let mut bytes = prefix[..prefix.len().min(whole)].to_vec();
    bytes.resize(whole, 0);
    load(&bytes).ok()
}

/// Once `prefix`, the first bytes of a checkpoint, holds its decoder's weights: how many bytes
/// of the file are still to come (`None` before). Cheap (the header is read, no weight), so it
/// can be asked as each piece of the file arrives, and [`decoder_first`] called once, if the
/// rest is still on its way.
pub fn decoder_has_come(prefix: &[u8]) -> Option<usize> {
    whole_length_once_decoder_has_come(prefix).map(|whole| whole.saturating_sub(prefix.len()))
}

/// The whole file's length, once `prefix` holds every tensor of the decoder.
fn whole_length_once_decoder_has_come(prefix: &[u8]) -> Option<usize> {
    let (data_start, header) = container::header_of_prefix(prefix)?;
    let decoder = format!("{DECODER_PATH}.");
    let decoder_end = header
        .tensors()
        .into_iter()
        .filter(|(name, _)| name.starts_with(&decoder))
        .map(|(_, info)| info.data_offsets.1)
        .max()?;
    (data_start.checked_add(decoder_end)? <= prefix.len())
        .then(|| data_start.checked_add(header.data_len()))
        .flatten()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use candle_core::{Device, Tensor};

    use super::*;
    use crate::ml::checkpoint::{save, Precision};
    use crate::ml::model::{ModelConfig, ModelKind, ENCODER_PATH};
    use crate::ml::rng::Rng;

    fn decoded(model: &Model, codes: &Tensor) -> Vec<f32> {
        let pixels = model.decode_pixels(codes).unwrap();
        pixels.flatten_all().unwrap().to_vec1().unwrap()
    }

    #[test]
    fn a_file_decodes_as_the_whole_once_its_decoder_has_come_before_its_encoder() {
        for kind in ModelKind::ALL {
            for (precision, bytes_per_value) in [(Precision::F32, 4), (Precision::Compact, 2)] {
                let hidden = if kind == ModelKind::ConvVae { 8 } else { 16 };
                let config = ModelConfig::new(kind, 3, hidden);
                let model = Model::new(config, &mut Rng::new(5)).unwrap();
                let bytes = save(&model, precision, &BTreeMap::new()).unwrap();
                let (whole, _) = load(&bytes).unwrap();
                let first = (0..=bytes.len())
                    .find(|&n| {
                        let decodes = decoder_first(&bytes[..n]).is_some();
                        let to_come = decoder_has_come(&bytes[..n]);
                        assert_eq!(to_come.is_some(), decodes, "{kind:?} at {n}");
                        assert!(to_come.is_none_or(|rest| rest == bytes.len() - n));
                        decodes
                    })
                    .expect("the whole file decodes");
                let encoder_bytes: usize = whole
                    .named_parameters()
                    .iter()
                    .filter(|(name, _)| name.starts_with(&format!("{ENCODER_PATH}.")))
                    .map(|(_, t)| t.elem_count() * bytes_per_value)
                    .sum();
                assert!(
                    bytes.len() - first >= encoder_bytes,
                    "{kind:?} {precision:?}: decodes after {first} of {} bytes, but the encoder's \
                     {encoder_bytes} should not be needed",
                    bytes.len()
                );
                let codes = Tensor::randn(0f32, 1.5, (7, 3), &Device::Cpu).unwrap();
                let (early, info) = decoder_first(&bytes[..first]).unwrap();
                assert_eq!(info.config, config);
                assert_eq!(
                    decoded(&early, &codes),
                    decoded(&whole, &codes),
                    "{kind:?} {precision:?}"
                );
            }
        }
    }

    #[test]
    fn what_is_not_a_checkpoint_decodes_nothing() {
        let config = ModelConfig::new(ModelKind::MlpVae, 2, 16);
        let model = Model::new(config, &mut Rng::new(5)).unwrap();
        let bytes = save(&model, Precision::Compact, &BTreeMap::new()).unwrap();
        // A header that is not JSON, one that claims more than the file could hold, and a
        // model of a kind this version does not know, all whole.
        let mut not_json = bytes.clone();
        not_json[8] = b'#';
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let mut unknown = bytes.clone();
        let at = unknown.windows(7).position(|w| w == b"mlp-vae").unwrap();
        unknown[at..at + 7].copy_from_slice(b"mlp-xyz");
        for (what, file) in [
            ("text", b"{\"not\": \"a model\"} and more".to_vec()),
            ("three bytes", b"abc".to_vec()),
            ("a broken header", not_json),
            ("an absurd header length", huge),
            ("an unknown kind", unknown),
        ] {
            assert!(decoder_first(&file).is_none(), "{what}");
        }
    }
}
