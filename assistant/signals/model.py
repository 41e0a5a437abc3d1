"""A logistic model stored as plain JSON: feature names, standardisation, weights, decision threshold.

Training (scipy, the ``[eval]`` extra) happens offline; the product only evaluates
``sigmoid(w · (x - mean) / scale + b)``, so a model file is a few hundred bytes anyone can read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parent / "models"


def logit(p: float) -> float:
    """The log-odds of a probability, kept finite (a probability of 0 or 1 reads as 1e-6 from it)."""
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class LogisticModel:
    name: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float = 0.5  # probability at or above which the answer is "yes"
    report: dict[str, Any] = field(default_factory=dict)  # how it was trained and what it scored

    def log_odds(self, values: Mapping[str, float]) -> float:
        """``w · (x - mean) / scale + b``, bounded to ±50 (a missing feature reads 0.0)."""
        z = self.bias
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += weight * (float(values.get(name, 0.0)) - mean) / scale
        return max(min(z, 50.0), -50.0)

    def probability(self, values: Mapping[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-self.log_odds(values)))

    def decide(self, values: Mapping[str, float]) -> bool:
        return self.probability(values) >= self.threshold

    def save(self, path: Path | None = None) -> Path:
        out = path or MODELS_DIR / f"{self.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogisticModel:
        return cls(
            name=str(data["name"]),
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            weights=tuple(float(v) for v in data["weights"]),
            bias=float(data["bias"]),
            threshold=float(data.get("threshold", 0.5)),
            report=dict(data.get("report") or {}),
        )


@cache
def load_model(name: str) -> LogisticModel:
    """The committed model ``models/<name>.json``."""
    return LogisticModel.from_json(json.loads((MODELS_DIR / f"{name}.json").read_text(encoding="utf-8")))


def fit_logistic(
    name: str,
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    features: Sequence[str],
    *,
    c: float = 1.0,
    class_weight: str | None = "balanced",
    signs: Mapping[str, int] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> LogisticModel:
    """Fit on ``rows`` (feature name → value) by L2-penalised logistic regression (scikit-learn's objective:
    ``0.5·|w|² + c·Σ weight·log-loss``, the bias unpenalised, classes weighed to equal halves when
    ``class_weight`` is "balanced").

    ``signs`` (feature → +1 or -1) bounds a weight to the direction its feature's meaning gives: more of the
    question found can never count against an answer. A free fit of correlated signals may give one of
    them the "wrong" sign, which reads the training set's quirks (how its writers worded questions) and
    does not carry to new ones. ``sample_weight`` (one per row) replaces the class weights when given.
    scipy (the ``[eval]`` extra) is needed only here."""
    import numpy as np
    from scipy.optimize import minimize

    x = np.array([[float(r.get(f, 0.0)) for f in features] for r in rows], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    weight = np.ones_like(y)
    if class_weight == "balanced":
        positives = y.sum()
        weight = np.where(y == 1, len(y) / (2 * max(positives, 1.0)), len(y) / (2 * max(len(y) - positives, 1.0)))
    if sample_weight is not None:
        weight = np.asarray(sample_weight, dtype=np.float64)

    def loss(params: Any) -> tuple[float, Any]:
        w, b = params[:-1], params[-1]
        margin = z @ w + b
        log_loss = y * np.logaddexp(0.0, -margin) + (1 - y) * np.logaddexp(0.0, margin)
        residual = weight * (1.0 / (1.0 + np.exp(-margin)) - y)
        gradient = np.append(c * (z.T @ residual) + w, c * residual.sum())
        return float(c * (weight * log_loss).sum() + 0.5 * w @ w), gradient

    sign_of = dict(signs or {})
    unknown = set(sign_of) - set(features)
    if unknown:
        raise ValueError(f"signs name features the model does not have: {sorted(unknown)}")
    bounds = [(0.0, None) if sign_of.get(f, 0) > 0 else (None, 0.0) if sign_of.get(f, 0) < 0 else (None, None)
              for f in features]
    fitted = minimize(loss, np.zeros(len(features) + 1), jac=True, method="L-BFGS-B",
                      bounds=[*bounds, (None, None)], options={"maxiter": 5000, "gtol": 1e-8})
    return LogisticModel(
        name=name,
        features=tuple(features),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in fitted.x[:-1]),
        bias=float(fitted.x[-1]),
    )
