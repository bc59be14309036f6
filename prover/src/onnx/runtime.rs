//! The float model as the ONNX runtime (tract) runs the file itself, and the sample inputs.

use tract_onnx::prelude::*;

use super::graph::FloatMlp;
use super::ImportError;

/// The scores tract computes for `samples` from the ONNX file itself, checked against the
/// graph as [`super::read_onnx`] read it (so a misread graph cannot go unnoticed).
pub fn float_scores(
    onnx_file: &[u8],
    mlp: &FloatMlp,
    samples: &[Vec<f64>],
) -> Result<Vec<f64>, ImportError> {
    if samples.is_empty() {
        return Ok(Vec::new());
    }
    let runtime = |e: TractError| ImportError::Runtime(format!("{e:#}"));
    let width = mlp.input_width;
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &onnx_file[..])
        .and_then(|m| m.with_input_fact(0, f32::fact([samples.len(), width]).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .map_err(runtime)?;
    let data: Vec<f32> = samples.iter().flatten().map(|&v| v as f32).collect();
    let input = Tensor::from_shape(&[samples.len(), width], &data).map_err(runtime)?;
    let outputs = plan.run(tvec!(input.into())).map_err(runtime)?;
    let output =
        outputs.first().ok_or_else(|| ImportError::Runtime("the model has no output".into()))?;
    let scores: Vec<f64> = output
        .to_plain_array_view::<f32>()
        .map_err(runtime)?
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    if scores.len() != samples.len() {
        return Err(ImportError::Runtime(format!(
            "{} scores for {} samples",
            scores.len(),
            samples.len()
        )));
    }
    for (index, (sample, &score)) in samples.iter().zip(&scores).enumerate() {
        let read = mlp.eval(sample);
        if (read - score).abs() > 1e-3 * (1.0 + score.abs()) {
            return Err(ImportError::Runtime(format!(
                "sample {index}: the runtime scores {score}, the graph as read scores {read}"
            )));
        }
    }
    Ok(scores)
}

/// Feature vectors from a CSV file (one row of `width` numbers per line; a first line that is
/// not numbers is a header) or a JSON array of arrays.
pub fn parse_samples(bytes: &[u8], width: usize) -> Result<Vec<Vec<f64>>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::Samples("the sample file is not UTF-8 text".into()))?;
    let rows: Vec<Vec<f64>> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
            .map_err(|e| ImportError::Samples(format!("not a JSON array of arrays: {e}")))?
    } else {
        let mut rows = Vec::new();
        for (line_no, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let row: Result<Vec<f64>, _> =
                line.split(',').map(|v| v.trim().parse::<f64>()).collect();
            match row {
                Ok(row) => rows.push(row),
                Err(_) if rows.is_empty() && line_no == 0 => {} // a header
                Err(e) => return Err(ImportError::Samples(format!("line {}: {e}", line_no + 1))),
            }
        }
        rows
    };
    if rows.is_empty() {
        return Err(ImportError::Samples("no feature vectors".into()));
    }
    for (index, row) in rows.iter().enumerate() {
        if row.len() != width {
            return Err(ImportError::Samples(format!(
                "sample {index} has {} features, the model takes {width}",
                row.len()
            )));
        }
        if row.iter().any(|v| !v.is_finite()) {
            return Err(ImportError::Samples(format!("sample {index} is not finite")));
        }
    }
    Ok(rows)
}
