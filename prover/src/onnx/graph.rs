//! Reading an ONNX graph of dense layers and ReLUs into a float MLP.
//!
//! The graph must be one chain from its single input to its single output. Supported nodes:
//! `MatMul` (by a constant matrix) and `Add` (of a constant vector), `Gemm` (`transA = 0`),
//! `Relu`, and the nodes exporters add that change nothing here: `Identity`, `Dropout`,
//! `Flatten(axis = 1)`, `Cast` to a float type, `Reshape` to `[batch, width]`, and `Constant`.
//! Anything else is refused with an error naming the node.

use std::collections::HashMap;

use tract_onnx::pb::{self, tensor_proto::DataType, tensor_shape_proto::dimension, type_proto};
use tract_onnx::prelude::Framework;

use super::ImportError;

/// One dense layer of the float model: `y = W·x + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseLayer {
    /// `weights[out][in]`.
    pub weights: Vec<Vec<f64>>,
    /// `biases[out]`.
    pub biases: Vec<f64>,
}

/// The float model an ONNX file holds: dense layers with a ReLU after each but the last.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatMlp {
    /// Name of the graph's input.
    pub input_name: String,
    /// Width of the input (the feature vector).
    pub input_width: usize,
    /// Layers from input to output.
    pub layers: Vec<DenseLayer>,
}

impl FloatMlp {
    /// Layer widths from input to output.
    pub fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.input_width];
        sizes.extend(self.layers.iter().map(|l| l.biases.len()));
        sizes
    }

    /// Widths of the hidden layers.
    pub fn hidden_layers(&self) -> Vec<usize> {
        let sizes = self.layer_sizes();
        sizes[1..sizes.len() - 1].to_vec()
    }

    /// The model's output for `input`, in `f64`.
    pub fn eval(&self, input: &[f64]) -> f64 {
        let mut a = input.to_vec();
        for (l, layer) in self.layers.iter().enumerate() {
            let last = l + 1 == self.layers.len();
            a = layer
                .weights
                .iter()
                .zip(&layer.biases)
                .map(|(row, b)| {
                    let z = row.iter().zip(&a).map(|(w, x)| w * x).sum::<f64>() + b;
                    if last {
                        z
                    } else {
                        z.max(0.0)
                    }
                })
                .collect();
        }
        a.first().copied().unwrap_or_default()
    }
}

/// The operators [`read_onnx`] accepts.
const SUPPORTED: [&str; 10] = [
    "Constant", "Identity", "Dropout", "Cast", "Flatten", "Reshape", "MatMul", "Gemm", "Add",
    "Relu",
];

/// A constant tensor: its shape and values.
#[derive(Clone, Debug)]
struct Constant {
    dims: Vec<usize>,
    values: Vec<f64>,
}

/// Where the walk is: what the last node left on the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Input,
    Dense,
    Relu,
}

/// The node's name for errors: its name, or its index and operator.
fn label(index: usize, node: &pb::NodeProto) -> String {
    if node.name.is_empty() {
        format!("#{index} ({})", node.op_type)
    } else {
        format!("{:?} ({})", node.name, node.op_type)
    }
}

fn attr<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_i(node: &pb::NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map_or(default, |a| a.i)
}

fn attr_f(node: &pb::NodeProto, name: &str, default: f64) -> f64 {
    attr(node, name).map_or(default, |a| f64::from(a.f))
}

/// The values of a float, double or int64 tensor stored in the file.
fn load_constant(t: &pb::TensorProto) -> Result<Constant, String> {
    if t.data_location == Some(pb::tensor_proto::DataLocation::External as i32) {
        return Err("its data is in an external file".into());
    }
    let dims = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("negative dimension {d}")))
        .collect::<Result<Vec<_>, _>>()?;
    let count: usize = dims.iter().product();
    let raw = |size: usize| {
        if t.raw_data.len() != count * size {
            return Err(format!("{} raw bytes for {count} values", t.raw_data.len()));
        }
        Ok(t.raw_data.chunks_exact(size))
    };
    let values: Vec<f64> = match DataType::try_from(t.data_type) {
        Ok(DataType::Float) if t.raw_data.is_empty() => {
            t.float_data.iter().map(|&v| f64::from(v)).collect()
        }
        Ok(DataType::Float) => {
            raw(4)?.map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect()
        }
        Ok(DataType::Double) if t.raw_data.is_empty() => t.double_data.clone(),
        Ok(DataType::Double) => {
            raw(8)?.map(|c| f64::from_le_bytes(std::array::from_fn(|i| c[i]))).collect()
        }
        Ok(DataType::Int64) if t.raw_data.is_empty() => {
            t.int64_data.iter().map(|&v| v as f64).collect()
        }
        Ok(DataType::Int64) => {
            raw(8)?.map(|c| i64::from_le_bytes(std::array::from_fn(|i| c[i])) as f64).collect()
        }
        _ => return Err(format!("element type {} is not float, double or int64", t.data_type)),
    };
    if values.len() != count {
        return Err(format!("{} values for shape {dims:?}", values.len()));
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err("it holds a value that is not finite".into());
    }
    Ok(Constant { dims, values })
}

/// The single graph input that is not an initializer, and its feature width.
fn graph_input(graph: &pb::GraphProto) -> Result<(String, usize), ImportError> {
    let inputs: Vec<&pb::ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !graph.initializer.iter().any(|t| t.name == i.name))
        .collect();
    let [input] = inputs.as_slice() else {
        return Err(ImportError::Graph(format!(
            "the graph has {} inputs; one feature vector is expected",
            inputs.len()
        )));
    };
    let name = input.name.clone();
    let tensor = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(type_proto::Value::TensorType(tensor)) => tensor,
        _ => return Err(ImportError::Graph(format!("input {name:?} is not a tensor"))),
    };
    if ![DataType::Float as i32, DataType::Double as i32].contains(&tensor.elem_type) {
        return Err(ImportError::Graph(format!("input {name:?} is not a float tensor")));
    }
    let dims = tensor.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or_default();
    let Some(last) = dims.last().filter(|_| (1..=2).contains(&dims.len())) else {
        return Err(ImportError::Graph(format!(
            "input {name:?} has rank {}; a [batch, features] matrix is expected",
            dims.len()
        )));
    };
    match last.value {
        Some(dimension::Value::DimValue(w)) if w > 0 => Ok((name, w as usize)),
        _ => Err(ImportError::DynamicShape { input: name }),
    }
}

/// Reads an ONNX file into a float MLP, refusing anything the circuit cannot compute.
pub fn read_onnx(bytes: &[u8]) -> Result<FloatMlp, ImportError> {
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| ImportError::Decode(format!("{e:#}")))?;
    let graph = proto.graph.as_ref().ok_or_else(|| ImportError::Decode("no graph".into()))?;
    let mut constants = HashMap::new();
    for t in &graph.initializer {
        let c = load_constant(t).map_err(|why| {
            ImportError::Graph(format!("initializer {:?} cannot be read: {why}", t.name))
        })?;
        constants.insert(t.name.clone(), c);
    }
    // Name an operator the circuit cannot compute before any shape complaint.
    for (index, node) in graph.node.iter().enumerate() {
        let domain_ok = node.domain.is_empty() || node.domain == "ai.onnx";
        if !domain_ok || !SUPPORTED.contains(&node.op_type.as_str()) {
            return Err(ImportError::UnsupportedOperator {
                node: label(index, node),
                op: if domain_ok {
                    node.op_type.clone()
                } else {
                    format!("{}:{}", node.domain, node.op_type)
                },
            });
        }
    }
    let (input_name, input_width) = graph_input(graph)?;
    let mut walk = Walk {
        constants,
        current: input_name.clone(),
        width: input_width,
        state: State::Input,
        layers: Vec::new(),
    };
    let mut last_label = format!("input {input_name:?}");
    for (index, node) in graph.node.iter().enumerate() {
        last_label = label(index, node);
        walk.node(node, &last_label)?;
    }
    let outputs: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    if outputs != [walk.current.as_str()] {
        return Err(ImportError::Graph(format!(
            "the graph's outputs {outputs:?} are not the chain's end {:?}",
            walk.current
        )));
    }
    match walk.state {
        State::Dense => {}
        State::Relu => {
            return Err(ImportError::Graph(format!(
                "the graph ends in a ReLU at node {last_label}; the score layer must be linear"
            )))
        }
        State::Input => return Err(ImportError::Graph("the graph has no dense layer".into())),
    }
    if walk.width != 1 {
        return Err(ImportError::Graph(format!(
            "the output has width {}; one risk score is expected",
            walk.width
        )));
    }
    if walk.layers.len() < 2 {
        return Err(ImportError::Graph(
            "the model has no hidden layer; the circuit needs at least one".into(),
        ));
    }
    Ok(FloatMlp { input_name, input_width, layers: walk.layers })
}

/// The walk along the chain of nodes.
struct Walk {
    constants: HashMap<String, Constant>,
    current: String,
    width: usize,
    state: State,
    layers: Vec<DenseLayer>,
}

impl Walk {
    fn constant(
        &self,
        node: &pb::NodeProto,
        at: usize,
        label: &str,
    ) -> Result<&Constant, ImportError> {
        node.input.get(at).and_then(|name| self.constants.get(name)).ok_or_else(|| {
            ImportError::Graph(format!("node {label}: input {at} is not a constant tensor"))
        })
    }

    fn node(&mut self, node: &pb::NodeProto, label: &str) -> Result<(), ImportError> {
        let bad = |why: String| Err(ImportError::Graph(format!("node {label}: {why}")));
        if node.op_type == "Constant" {
            let (Some(value), Some(out)) =
                (attr(node, "value").and_then(|a| a.t.as_ref()), node.output.first())
            else {
                return bad("only tensor-valued constants are supported".into());
            };
            let c = load_constant(value)
                .map_err(|why| ImportError::Graph(format!("node {label}: {why}")))?;
            self.constants.insert(out.clone(), c);
            return Ok(());
        }
        if node.input.first() != Some(&self.current) {
            return bad(format!(
                "does not read the previous node's output {:?} (only chains of layers are supported)",
                self.current
            ));
        }
        match node.op_type.as_str() {
            "Identity" | "Dropout" => {}
            "Cast" => {
                let to = attr_i(node, "to", 0);
                if to != DataType::Float as i64 && to != DataType::Double as i64 {
                    return bad(format!("casts to element type {to}, not to a float"));
                }
            }
            "Flatten" => {
                if attr_i(node, "axis", 1) != 1 {
                    return bad("only axis = 1 is supported".into());
                }
            }
            "Reshape" => {
                let shape = self.constant(node, 1, label)?;
                let ok = shape.values.len() == 2
                    && [-1.0, 0.0, 1.0].contains(&shape.values[0])
                    && (shape.values[1] == self.width as f64 || shape.values[1] == -1.0);
                if !ok {
                    return bad(format!(
                        "reshapes to {:?}; only [batch, {}] is supported",
                        shape.values, self.width
                    ));
                }
            }
            "MatMul" => {
                let w = self.constant(node, 1, label)?.clone();
                self.dense(label, &w, false, None)?;
            }
            "Gemm" => {
                if attr_i(node, "transA", 0) != 0 {
                    return bad("transA = 1 is not supported".into());
                }
                let mut w = self.constant(node, 1, label)?.clone();
                let alpha = attr_f(node, "alpha", 1.0);
                w.values.iter_mut().for_each(|v| *v *= alpha);
                let bias = match node.input.get(2).filter(|n| !n.is_empty()) {
                    Some(_) => {
                        let mut b = self.constant(node, 2, label)?.clone();
                        let beta = attr_f(node, "beta", 1.0);
                        b.values.iter_mut().for_each(|v| *v *= beta);
                        Some(b)
                    }
                    None => None,
                };
                self.dense(label, &w, attr_i(node, "transB", 0) != 0, bias.as_ref())?;
            }
            "Add" => {
                if self.state != State::Dense {
                    return bad("an Add that does not follow a dense layer".into());
                }
                let b = self.constant(node, 1, label)?.clone();
                self.add_bias(label, &b)?;
            }
            "Relu" => {
                if self.state != State::Dense {
                    return bad("a ReLU that does not follow a dense layer".into());
                }
                self.state = State::Relu;
            }
            other => {
                return Err(ImportError::UnsupportedOperator {
                    node: label.to_string(),
                    op: other.to_string(),
                })
            }
        }
        self.current = node
            .output
            .first()
            .cloned()
            .ok_or_else(|| ImportError::Graph(format!("node {label} has no output")))?;
        Ok(())
    }

    /// A dense layer by a constant matrix (`[in, out]`, or `[out, in]` when transposed).
    fn dense(
        &mut self,
        label: &str,
        w: &Constant,
        transposed: bool,
        bias: Option<&Constant>,
    ) -> Result<(), ImportError> {
        if self.state == State::Dense {
            return Err(ImportError::Graph(format!(
                "node {label}: two dense layers with no ReLU between them"
            )));
        }
        let [rows, cols] = w.dims[..] else {
            return Err(ImportError::Graph(format!(
                "node {label}: weights of shape {:?}, a matrix is expected",
                w.dims
            )));
        };
        let (n_in, n_out) = if transposed { (cols, rows) } else { (rows, cols) };
        if n_in != self.width {
            return Err(ImportError::Graph(format!(
                "node {label}: weights take {n_in} inputs, the previous layer gives {}",
                self.width
            )));
        }
        let at = |o: usize, i: usize| {
            if transposed {
                w.values[o * cols + i]
            } else {
                w.values[i * cols + o]
            }
        };
        let weights = (0..n_out).map(|o| (0..n_in).map(|i| at(o, i)).collect()).collect();
        self.layers.push(DenseLayer { weights, biases: vec![0.0; n_out] });
        self.width = n_out;
        self.state = State::Dense;
        match bias {
            Some(b) => self.add_bias(label, b),
            None => Ok(()),
        }
    }

    /// Adds a constant of shape `[out]`, `[1, out]` or `[1]` to the open layer's biases.
    fn add_bias(&mut self, label: &str, b: &Constant) -> Result<(), ImportError> {
        let width = self.width;
        let broadcast = b.values.len() == 1 && b.dims.iter().all(|&d| d == 1);
        let vector = b.values.len() == width && matches!(b.dims[..], [_] | [1, _]);
        let layer = self.layers.last_mut().filter(|_| broadcast || vector).ok_or_else(|| {
            ImportError::Graph(format!(
                "node {label}: a bias of shape {:?} does not fit a layer of width {width}",
                b.dims
            ))
        })?;
        for (o, bias) in layer.biases.iter_mut().enumerate() {
            *bias += if broadcast { b.values[0] } else { b.values[o] };
        }
        Ok(())
    }
}
