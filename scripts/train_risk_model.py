#!/usr/bin/env python3
"""Train small risk models on synthetic correlated price paths and export them as ONNX.

Usage:
    python3 scripts/train_risk_model.py [--out DIR] [--seed S]

The script installs its own pinned dependencies (numpy, scikit-learn, skl2onnx, onnx,
onnxruntime) into `.venv-train/` at the repository root and re-runs itself there; nothing is
installed globally. With the defaults it regenerates `prover/tests/fixtures/onnx/` byte for byte
(single-threaded BLAS, fixed seeds, fixed text formats).

# The synthetic generator (seeded, numpy's PCG64)

- Covariance: the one `RiskParams::typical` certifies (prover/src/risk_params.rs): 5 % daily
  volatility for every asset and 0.5 correlation between every pair.
- Portfolios: net exposures x_k = s_k * w_k, with weights w drawn from a Dirichlet whose
  concentration is log-uniform in [0.1, 5] (so both concentrated and diversified books appear)
  and signs s_k negative with a per-portfolio probability uniform in [0, 0.3] (shorts, hedges).
- Features: exactly the circuit's feature vector (prover/src/reference.rs), as real numbers:
  f_k = x_k / sum|x| (the signed weight) then g_k = x_k (Sigma x)_k / (x' Sigma x) (the asset's
  share of the portfolio variance). Portfolios with |g_k| > 8 (near-perfect hedges) are dropped.
- Label: correlated geometric Brownian motion price paths, P_t = exp(cumsum(-sigma^2/2 + L z)) with
  L the Cholesky factor of the covariance and z standard normals, 256 paths of 10 days. The
  label is the 95th percentile, over the paths, of the portfolio's maximum drawdown, in units of
  10 % of its gross exposure (a score of 1.0 is a 10 % drawdown): a path-dependent tail-risk
  measure the model learns to score. At this unit the weights stay within +-2, so the 8-asset
  model fits the default circuit's 8-bit weights at 2^-6.

# What it writes (to --out)

- `risk_mlp_8a.onnx`: 8 assets (16 features), hidden layers [32, 16], scikit-learn's
  MLPRegressor exported by skl2onnx (MatMul + Add + Relu): the demo circuit's architecture.
- `risk_mlp_4a_gemm.onnx`: 4 assets (8 features), hidden layers [12, 8, 4], exported as
  Flatten + Gemm(transB=1) + Relu + Identity, the node pattern PyTorch's exporter emits for
  nn.Linear.
- `calibration_*.csv`, `heldout_*.csv`: feature vectors (one row of 2n values per portfolio),
  disjoint from the training set and from each other.
- `conv.onnx`: a graph with a Conv node, which `proofgate model import` must refuse.
- `models.json`: per model its file, asset count, hidden layers, the score limit used for the
  accept/reject decision (the 80th percentile of training labels) and the float model's R^2 on
  the held-out set.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-train"
REQUIREMENTS = [
    "numpy==2.4.6",
    "scikit-learn==1.9.1",
    "skl2onnx==1.20.0",
    "onnx==1.23.2",
    "onnxruntime==1.32.0",
]
# Single-threaded BLAS: the same floating-point sums on every run, so the same bytes.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

DAILY_VOL = 0.05
CORRELATION = 0.5
PATHS = 256
HORIZON_DAYS = 10
MAX_VARIANCE_SHARE = 8.0


def ensure_venv():
    """Re-runs this script inside .venv-train, creating it and installing the pins first."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    subprocess.check_call(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + REQUIREMENTS
    )
    os.execv(str(python), [str(python), str(Path(__file__).resolve())] + sys.argv[1:])


def covariance(n):
    import numpy as np

    corr = np.full((n, n), CORRELATION)
    np.fill_diagonal(corr, 1.0)
    return corr * DAILY_VOL**2


def features(x, cov):
    """The circuit's feature vector of net exposures x (reference.rs), in real numbers."""
    import numpy as np

    gross = np.abs(x).sum()
    row = cov @ x
    variance = x @ row
    return np.concatenate([x / gross, x * row / variance])


def label(x, chol, rng):
    """95th percentile over GBM paths of the maximum drawdown, in 10 % of gross exposure."""
    import numpy as np

    n = len(x)
    z = rng.standard_normal((PATHS, HORIZON_DAYS, n))
    log_returns = -0.5 * DAILY_VOL**2 + z @ chol.T
    prices = np.exp(np.cumsum(log_returns, axis=1))
    weights = x / np.abs(x).sum()
    pnl = np.concatenate([np.zeros((PATHS, 1)), (prices - 1.0) @ weights], axis=1)
    drawdown = (np.maximum.accumulate(pnl, axis=1) - pnl).max(axis=1)
    return 10.0 * np.quantile(drawdown, 0.95)


def dataset(n, count, rng):
    """`count` portfolios of n assets: features and labels."""
    import numpy as np

    cov = covariance(n)
    chol = np.linalg.cholesky(cov)
    xs, ys = [], []
    while len(xs) < count:
        alpha = np.exp(rng.uniform(np.log(0.1), np.log(5.0)))
        weights = rng.dirichlet(np.full(n, alpha))
        short = rng.uniform(0.0, 0.3)
        signs = np.where(rng.uniform(size=n) < short, -1.0, 1.0)
        x = signs * np.maximum(weights, 1e-6)
        f = features(x, cov)
        if np.abs(f[n:]).max() > MAX_VARIANCE_SHARE:
            continue
        xs.append(f)
        ys.append(label(x, chol, rng))
    return np.array(xs), np.array(ys)


def train(n, hidden, seed):
    import numpy as np
    from sklearn.neural_network import MLPRegressor

    rng = np.random.Generator(np.random.PCG64(seed))
    x_train, y_train = dataset(n, 2000, rng)
    x_cal, _ = dataset(n, 200, rng)
    x_held, y_held = dataset(n, 64, rng)
    model = MLPRegressor(
        hidden_layer_sizes=hidden,
        activation="relu",
        alpha=1e-3,
        learning_rate_init=3e-3,
        max_iter=600,
        random_state=seed,
    )
    model.fit(x_train, y_train)
    limit = float(np.quantile(y_train, 0.8))
    return model, x_cal, x_held, model.score(x_held, y_held), limit


def export_matmul(model, n, path):
    """skl2onnx's export of the MLPRegressor: MatMul + Add + Relu."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    onx = to_onnx(model, initial_types=[("features", FloatTensorType([None, 2 * n]))],
                  target_opset=15)
    path.write_bytes(onx.SerializeToString())


def export_gemm(model, n, path):
    """The PyTorch exporter's pattern for nn.Linear: Flatten, Gemm(transB=1), Relu, Identity."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("Flatten", ["features"], ["flat"], name="/Flatten", axis=1)]
    inits, prev = [], "flat"
    last = len(model.coefs_) - 1
    for i, (w, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        wname, bname, out = f"fc{i}.weight", f"fc{i}.bias", f"/fc{i}/Gemm_output_0"
        inits.append(numpy_helper.from_array(w.T.astype(np.float32), wname))
        inits.append(numpy_helper.from_array(b.astype(np.float32), bname))
        nodes.append(helper.make_node("Gemm", [prev, wname, bname], [out], name=f"/fc{i}/Gemm",
                                      alpha=1.0, beta=1.0, transB=1))
        prev = out
        if i < last:
            nodes.append(helper.make_node("Relu", [prev], [f"/relu{i}/Relu_output_0"],
                                          name=f"/relu{i}/Relu"))
            prev = f"/relu{i}/Relu_output_0"
    nodes.append(helper.make_node("Identity", [prev], ["score"], name="/Identity"))
    graph = helper.make_graph(
        nodes, "risk_mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 2 * n])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])],
        inits,
    )
    onx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                            producer_name="proofgate-train")
    onx.ir_version = 8
    path.write_bytes(onx.SerializeToString())


def export_conv(path):
    """A graph with a convolution, which the importer refuses."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Reshape", ["features", "shape"], ["image"], name="/Reshape"),
        helper.make_node("Conv", ["image", "kernel"], ["conv"], name="/conv/Conv"),
        helper.make_node("Flatten", ["conv"], ["flat"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["flat", "w", "b"], ["score"], name="/fc/Gemm", transB=1),
    ]
    inits = [
        numpy_helper.from_array(np.array([1, 1, 16], dtype=np.int64), "shape"),
        numpy_helper.from_array(np.full((1, 1, 3), 0.25, dtype=np.float32), "kernel"),
        numpy_helper.from_array(np.full((1, 14), 0.1, dtype=np.float32), "w"),
        numpy_helper.from_array(np.zeros(1, dtype=np.float32), "b"),
    ]
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [1, 1])],
        inits,
    )
    onx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                            producer_name="proofgate-train")
    onx.ir_version = 8
    path.write_bytes(onx.SerializeToString())


def write_csv(path, rows):
    n = len(rows[0]) // 2
    header = ",".join([f"f{k}" for k in range(n)] + [f"g{k}" for k in range(n)])
    lines = [header] + [",".join(f"{v:.9g}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def check_export(path, model, xs):
    """The ONNX file, run by onnxruntime, agrees with scikit-learn."""
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    got = session.run(None, {name: xs.astype(np.float32)})[0].reshape(-1)
    gap = float(np.abs(got - model.predict(xs)).max())
    if gap > 1e-3:
        sys.exit(f"{path.name}: onnxruntime and scikit-learn differ by {gap}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "prover/tests/fixtures/onnx"))
    parser.add_argument("--seed", type=int, default=20260509)
    args = parser.parse_args()
    ensure_venv()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    specs = [
        ("risk_mlp_8a", 8, (32, 16), export_matmul),
        ("risk_mlp_4a_gemm", 4, (12, 8, 4), export_gemm),
    ]
    manifest = {}
    for index, (name, n, hidden, export) in enumerate(specs):
        model, x_cal, x_held, r2, limit = train(n, hidden, args.seed + index)
        onnx_path = out / f"{name}.onnx"
        export(model, n, onnx_path)
        check_export(onnx_path, model, x_held)
        write_csv(out / f"calibration_{name}.csv", x_cal)
        write_csv(out / f"heldout_{name}.csv", x_held)
        manifest[name] = {
            "onnx": onnx_path.name,
            "n_assets": n,
            "hidden_layers": list(hidden),
            "limit": round(limit, 6),
            "heldout_r2": round(float(r2), 4),
            "calibration": f"calibration_{name}.csv",
            "heldout": f"heldout_{name}.csv",
        }
        print(f"{name}: hidden {list(hidden)}, held-out R^2 {r2:.3f}, limit {limit:.4f}")
    export_conv(out / "conv.onnx")
    (out / "models.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
