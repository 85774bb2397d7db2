//! ONNX Runtime as the OCR inference engine: the `ort` crate loads `libonnxruntime.so` at run time
//! (`load-dynamic`), from the path the caller gives, so nothing is linked or downloaded at build time.

use super::network::{Network, Output};
use super::OcrError;
use ort::environment::Environment;
use ort::session::Session;
use ort::value::{DynValue, Tensor};
use rten_tensor::prelude::*;
use rten_tensor::NdTensor;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// One ONNX Runtime session; `ort` runs a session through `&mut`, so pages take turns.
pub struct OrtNetwork {
    session: Mutex<Session>,
}

/// Loads `libonnxruntime.so` from `library` once per process and sets up its environment. A process
/// holds one ONNX Runtime: asked for another library later, it refuses (the caller falls back to rten).
pub fn init(library: &Path) -> Result<&'static Environment, OcrError> {
    type Loaded = (PathBuf, Result<Environment, String>);
    static ENVIRONMENT: OnceLock<Loaded> = OnceLock::new();
    let (loaded_from, environment) = ENVIRONMENT.get_or_init(|| {
        let environment = ort::init_from(library)
            .map_err(|e| e.to_string())
            .and_then(|builder| builder.build().map_err(|e| e.to_string()));
        (library.to_path_buf(), environment)
    });
    let failed = |reason: String| OcrError::Load {
        path: library.display().to_string(),
        reason,
    };
    if loaded_from != library {
        return Err(failed(format!(
            "this process already loaded ONNX Runtime from {}",
            loaded_from.display()
        )));
    }
    environment
        .as_ref()
        .map_err(|reason| failed(reason.clone()))
}

impl OrtNetwork {
    /// Opens `model` on `threads` intra-op threads (ONNX Runtime's own pool). The threads sleep when
    /// idle instead of spinning, so CPU time counts work, as tesseract's with `OMP_THREAD_LIMIT=1`. No
    /// per-shape memory plans: every page and recogniser run has other shapes, and the plans kept peak
    /// memory at more than twice rten's (BENCHMARKS.md, "OCR engines side by side").
    pub fn load(environment: &Environment, model: &Path, threads: usize) -> Result<Self, OcrError> {
        let failed = |reason: String| OcrError::Load {
            path: model.display().to_string(),
            reason,
        };
        let session = Session::builder(environment)
            .map_err(|e| failed(e.to_string()))?
            .with_intra_threads(threads)
            .map_err(|e| failed(e.to_string()))?
            .with_intra_op_spinning(false)
            .map_err(|e| failed(e.to_string()))?
            .with_memory_pattern(false)
            .map_err(|e| failed(e.to_string()))?
            .commit_from_file(model)
            .map_err(|e| failed(e.to_string()))?;
        Ok(Self {
            session: Mutex::new(session),
        })
    }
}

/// An output ONNX Runtime allocated, read in place; checked to be a float tensor when made.
struct FloatValue(DynValue);

impl AsRef<[f32]> for FloatValue {
    fn as_ref(&self) -> &[f32] {
        self.0
            .try_extract_tensor::<f32>()
            .map_or(&[], |(_, data)| data)
    }
}

impl Network for OrtNetwork {
    fn run(&self, input: NdTensor<f32, 4>) -> Result<Output, OcrError> {
        let failed = |e: ort::Error| OcrError::Run(e.to_string());
        let shape = input.shape().to_vec();
        let tensor = Tensor::from_array((shape, input.into_data())).map_err(failed)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| OcrError::Run("an earlier OCR run panicked".into()))?;
        let outputs = session.run(ort::inputs![tensor]).map_err(failed)?;
        let (_, first) = outputs
            .into_iter()
            .next()
            .ok_or_else(|| OcrError::Run("the network has no output".into()))?;
        let (shape, _) = first.try_extract_tensor::<f32>().map_err(failed)?;
        let shape = shape.iter().map(|&d| d.max(0) as usize).collect();
        Ok(Output::new(shape, FloatValue(first)))
    }

    fn metadata(&self, key: &str) -> Option<String> {
        let session = self.session.lock().ok()?;
        let metadata = session.metadata().ok()?;
        metadata.custom(key)
    }
}
