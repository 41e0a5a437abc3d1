"""The real documents the structure and chunking tests pin their behaviour on."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from index.loaders import LoadedDocument, load_document

_HERE = Path(__file__).resolve()
CORPUS = next(
    (p for p in (_HERE.parents[3] / "shared" / "corpus", _HERE.parents[2] / "docs_src") if p.is_dir()),
    Path("docs_src"),
)
BUREAU = "reports/教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
NANKAI = "reports/中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md"
XUNSHI = "regulations/中国共产党巡视工作条例.md"
INTERVIEW = "reports/中央巡视办主要负责人就《关于加强巡视整改和成果运用的意见》答记者问.md"


@cache
def load_corpus_document(relative: str) -> LoadedDocument:
    return load_document(CORPUS / relative)
