//! tract (pure Rust) as an OCR inference engine (feature `tract`, for the engine benchmark). A model
//! whose graph tract can optimise with symbolic input sizes gets one plan for every input; one it
//! cannot (the detector: its neck concatenates maps upsampled from different strides, which tract
//! cannot prove the same size) gets one plan per input shape, built on first use.

use super::network::{Network, Output};
use super::OcrError;
use rten_tensor::prelude::*;
use rten_tensor::NdTensor;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tract_onnx::prelude::*;

type Plan = Arc<TypedRunnableModel>;

pub struct TractNetwork {
    model: InferenceModel,
    /// The plan for every input size, when tract could build one.
    any_shape: Option<Plan>,
    per_shape: Mutex<HashMap<Vec<usize>, Plan>>,
    metadata: HashMap<String, String>,
}

impl TractNetwork {
    pub fn load(path: &Path) -> Result<Self, OcrError> {
        let failed = |e: TractError| OcrError::Load {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let onnx = tract_onnx::onnx();
        let proto = onnx.proto_model_for_path(path).map_err(failed)?;
        let metadata = proto
            .metadata_props
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect();
        let model = onnx.model_for_proto_model(&proto).map_err(failed)?;
        let any_shape = model
            .clone()
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .ok();
        Ok(Self {
            model,
            any_shape,
            per_shape: Mutex::new(HashMap::new()),
            metadata,
        })
    }

    fn plan(&self, shape: &[usize]) -> TractResult<Plan> {
        if let Some(plan) = &self.any_shape {
            return Ok(plan.clone());
        }
        let mut plans = self
            .per_shape
            .lock()
            .map_err(|_| TractError::msg("an earlier run panicked"))?;
        if let Some(plan) = plans.get(shape) {
            return Ok(plan.clone());
        }
        let plan = self
            .model
            .clone()
            .with_input_fact(0, f32::fact(shape).into())?
            .into_optimized()?
            .into_runnable()?;
        plans.insert(shape.to_vec(), plan.clone());
        Ok(plan)
    }
}

impl Network for TractNetwork {
    fn run(&self, input: NdTensor<f32, 4>) -> Result<Output, OcrError> {
        let failed = |e: TractError| OcrError::Run(e.to_string());
        let shape = input.shape().to_vec();
        let plan = self.plan(&shape).map_err(failed)?;
        let tensor = Tensor::from_shape(&shape, &input.into_data()).map_err(failed)?;
        let outputs = plan.run(tvec!(tensor.into())).map_err(failed)?;
        let output = outputs[0].to_plain_array_view::<f32>().map_err(failed)?;
        // Row-major order, whatever the view's strides.
        let data: Vec<f32> = output.iter().copied().collect();
        Ok(Output::new(output.shape().to_vec(), data))
    }

    fn metadata(&self, key: &str) -> Option<String> {
        self.metadata.get(key).cloned()
    }
}
