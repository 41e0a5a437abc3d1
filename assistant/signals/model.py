"""A logistic model stored as plain JSON: feature names, standardisation, weights, decision threshold.

Training (scikit-learn, the ``[eval]`` extra) happens offline; the product only evaluates
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

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.bias
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += weight * (float(values.get(name, 0.0)) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

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
) -> LogisticModel:
    """Fit on ``rows`` (feature name → value); scikit-learn is needed only here."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[float(r.get(f, 0.0)) for f in features] for r in rows], dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    fitted = LogisticRegression(C=c, class_weight=class_weight, max_iter=2000).fit((x - mean) / scale, labels)
    return LogisticModel(
        name=name,
        features=tuple(features),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in fitted.coef_[0]),
        bias=float(fitted.intercept_[0]),
    )
