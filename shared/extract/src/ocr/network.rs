//! The neural networks the OCR pipeline runs, behind one small interface, so the same detection and
//! recognition code can be measured on several inference engines (rten, shipped; ONNX Runtime through
//! `ort`, feature `ort`, for the benchmarks).

use super::OcrError;
use rten::Model;
use rten_tensor::prelude::*;
use rten_tensor::{NdTensor, Tensor};

/// A network's float output: its shape and its elements in row-major order, held where the engine
/// wrote them (the recogniser's scores are tens of megabytes a page: not copied).
pub struct Output {
    pub shape: Vec<usize>,
    data: Box<dyn AsRef<[f32]>>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("shape", &self.shape)
            .finish()
    }
}

impl Output {
    pub fn new(shape: Vec<usize>, data: impl AsRef<[f32]> + 'static) -> Self {
        Self {
            shape,
            data: Box::new(data),
        }
    }

    /// The elements, row-major.
    pub fn data(&self) -> &[f32] {
        (*self.data).as_ref()
    }

    /// The shape as exactly `N` dimensions, or an error naming the network.
    pub fn dims<const N: usize>(&self, network: &str) -> Result<[usize; N], OcrError> {
        <[usize; N]>::try_from(self.shape.as_slice()).map_err(|_| {
            OcrError::Run(format!(
                "the {network}'s output has {} dimensions, not {N}",
                self.shape.len()
            ))
        })
    }
}

/// One network with one float input (NCHW) and one float output.
pub trait Network: Send + Sync {
    /// Runs the network on `input` (batch, channels, height, width).
    fn run(&self, input: NdTensor<f32, 4>) -> Result<Output, OcrError>;

    /// A string the model file carries in its metadata (the recogniser's `character` list).
    fn metadata(&self, key: &str) -> Option<String>;

    /// The first input's dimensions as the model file declares them (`None` for a symbolic one), when
    /// the engine reads them; `None` leaves the check to the run.
    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        None
    }

    /// The first output's dimensions, as for `input_shape`.
    fn output_shape(&self) -> Option<Vec<Option<usize>>> {
        None
    }
}

/// The declared dimensions of a node of an rten model, symbolic ones as `None`.
fn rten_dims(model: &Model, ids: &[rten::NodeId]) -> Option<Vec<Option<usize>>> {
    let shape = ids.first().and_then(|id| model.node_info(*id))?.shape()?;
    Some(
        shape
            .iter()
            .map(|dim| match dim {
                rten::Dimension::Fixed(n) => Some(*n),
                _ => None,
            })
            .collect(),
    )
}

impl Network for Model {
    fn run(&self, input: NdTensor<f32, 4>) -> Result<Output, OcrError> {
        let output = self
            .run_one(input.view().into(), None)
            .map_err(|e| OcrError::Run(e.to_string()))?;
        let tensor: Tensor<f32> = output
            .try_into()
            .map_err(|_| OcrError::Run("a network's output is not a float tensor".into()))?;
        Ok(Output::new(tensor.shape().to_vec(), tensor.into_data()))
    }

    fn metadata(&self, key: &str) -> Option<String> {
        Model::metadata(self).get(key).map(str::to_string)
    }

    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        rten_dims(self, self.input_ids())
    }

    fn output_shape(&self) -> Option<Vec<Option<usize>>> {
        rten_dims(self, self.output_ids())
    }
}

/// Loads an ONNX file with rten, weights prepacked (memory once, every convolution of every page faster).
pub fn load_rten(path: &std::path::Path) -> Result<Model, OcrError> {
    let mut options = rten::ModelOptions::with_all_ops();
    options.prepack_weights(true);
    options.load_file(path).map_err(|e| OcrError::Load {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}
