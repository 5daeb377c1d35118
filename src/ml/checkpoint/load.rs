//! Reading a checkpoint's weights into a model. The network is built over a `VarBuilder` whose
//! backend is the file itself ([`FromFile`]): each parameter is checked and decoded when the
//! network asks for it, by name and at the shape it needs, straight into the `Var` the model
//! keeps. Building a model of zeros first and copying the file's values over it, as this did
//! before, cost a third of the default model's parse in the page (the zeros, a copy to check
//! the values, another to set them).

use std::collections::HashSet;
use std::sync::Mutex;

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use safetensors::SafeTensors;

use super::{info_from, parse, CheckpointError, CheckpointInfo, F16_PLANES, LAYOUT_KEY};
use crate::ml::model::{Model, ModelConfig};
use crate::ml::weight_bytes;

/// Loads a model from checkpoint bytes, checking the kind, every name, shape and value.
pub fn load(bytes: &[u8]) -> Result<(Model, CheckpointInfo), CheckpointError> {
    let parsed = parse(bytes)?;
    let info = info_from(&parsed)?;
    let planes = match parsed
        .metadata
        .as_ref()
        .and_then(|m| m.get(LAYOUT_KEY))
        .map(String::as_str)
    {
        None => false,
        Some(F16_PLANES) => true,
        Some(other) => {
            return Err(CheckpointError::BadMetadata {
                detail: format!("its weights are laid out as \"{other}\", which this version of Latent Lab does not read"),
            })
        }
    };
    let vars = VarMap::new();
    let flaw = Mutex::new(None);
    let backend = FromFile {
        file: &parsed.file,
        planes,
        config: info.config,
        vars: vars.clone(),
        flaw: &flaw,
    };
    let vb = VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
    let model = Model::built(info.config, vars, vb).map_err(|e| {
        flaw.lock()
            .expect("never poisoned")
            .take()
            .unwrap_or_else(|| e.into())
    })?;
    // Every tensor of the file must be one the network asked for: a file with more holds
    // another model.
    let read: HashSet<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    if let Some(name) = parsed.file.names().into_iter().find(|n| !read.contains(*n)) {
        return Err(CheckpointError::UnexpectedTensor {
            name: name.to_string(),
            config: info.config,
        });
    }
    Ok((model, info))
}

/// The parameters of a model as a checkpoint holds them: handed out at the shape the network
/// asks for, each as a new `Var` in the map the model will own.
struct FromFile<'a> {
    file: &'a SafeTensors<'a>,
    /// Stored as [`super::Precision::F16Planes`].
    planes: bool,
    config: ModelConfig,
    vars: VarMap,
    /// The first thing the file got wrong: the network's build stops at it, and candle's error
    /// carries only words, so the typed reason is kept here.
    flaw: &'a Mutex<Option<CheckpointError>>,
}

impl FromFile<'_> {
    /// The values of `name`, checked against the shape `dims` the network needs.
    fn read(&self, name: &str, dims: &[usize]) -> Result<Vec<f32>, CheckpointError> {
        let config = self.config;
        let view = self
            .file
            .tensor(name)
            .map_err(|_| CheckpointError::MissingTensor {
                name: name.to_string(),
                config,
            })?;
        let mut stored_shape = dims.to_vec();
        if self.planes {
            stored_shape.insert(0, 2);
        }
        if view.shape() != stored_shape {
            return Err(CheckpointError::WrongShape {
                name: name.to_string(),
                config,
                expected: stored_shape,
                found: view.shape().to_vec(),
            });
        }
        use safetensors::Dtype as D;
        let readable = if self.planes {
            view.dtype() == D::U8
        } else {
            matches!(view.dtype(), D::F32 | D::F16 | D::BF16 | D::F64)
        };
        if !readable {
            return Err(CheckpointError::UnsupportedDtype {
                name: name.to_string(),
                dtype: format!("{:?}", view.dtype()),
            });
        }
        let values = if self.planes {
            weight_bytes::decode_planes(view.data())
        } else {
            weight_bytes::decode(view.dtype(), view.data())
        };
        // A fold rather than `all`, which stops early and so is not vectorised.
        if !values.iter().fold(true, |finite, v| finite & v.is_finite()) {
            return Err(CheckpointError::NonFinite {
                name: name.to_string(),
            });
        }
        Ok(values)
    }
}

impl SimpleBackend for FromFile<'_> {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: Init,
        _: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let values = match self.read(name, shape.dims()) {
            Ok(values) => values,
            Err(flaw) => {
                let words = flaw.to_string();
                let mut first = self.flaw.lock().expect("never poisoned");
                first.get_or_insert(flaw);
                return Err(candle_core::Error::Msg(words));
            }
        };
        let var = Var::from_vec(values, shape, device)?;
        let tensor = var.as_tensor().clone();
        self.vars
            .data()
            .lock()
            .expect("the VarMap lock is never poisoned")
            .insert(name.to_string(), var);
        Ok(tensor)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("the weights \"{name}\" are read at the shape the network asks for")
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.file.tensor(name).is_ok()
    }
}
