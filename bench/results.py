"""What every benchmark writes beside its table: the machine it ran on and its figures as JSON.

Imported by the scripts of this folder (a script's own folder is on ``sys.path``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """The cores and the load at this moment: a busy machine slows every timing."""
    return {"cpu_count": os.cpu_count(), "load_average": os.getloadavg()[0]}


def save_json(path: str | Path, data: Any) -> Path:
    """``data`` as indented UTF-8 JSON at ``path`` (its folders made), said on stdout."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {out}")
    return out
