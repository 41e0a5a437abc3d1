"""The index/answer suite against a real ``chroma run`` server.

A real ``chroma run`` server is started through scripts/chroma_server.sh on a free loopback port
(tests/servers.py); the product reaches it through configuration only (``ZGT_CHROMA_MODE=server`` …).
With strace available the server runs under it and must make no outside connection (telemetry off).
The kill -9 crash points, embedded and against this server, are in test_crash_points.py.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from tests.index.documents import numbered_report, write_numbered_reports
from tests.index.store_state import store_state
from tests.servers import ChromaServer, chroma_heartbeat, running_chroma_server


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with running_chroma_server(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


# ---------------------------------------------------------------------------------------------
# The server: index, search, ask, incremental re-index, deleted file purged — configuration only
# ---------------------------------------------------------------------------------------------
def test_index_search_and_ask_against_a_chroma_server(
    chroma_server: ChromaServer, embeddings: SentenceEmbeddings, tmp_path: Path
) -> None:
    import chromadb

    docs = write_numbered_reports(tmp_path / "docs", count=3)
    settings = chroma_server.settings(tmp_path / "index", "flow", docs_dir=docs)
    ws = Workspace(settings, embeddings=embeddings)

    first = ws.index()
    assert first.counts()["added"] == 3, first.summary()
    assert ws.vectors.count() == ws.lexical.count() == first.chunks_written > 0
    assert not (tmp_path / "index" / "chroma").exists(), "server mode must not write an embedded Chroma folder"
    remote = chromadb.HttpClient(host=chroma_server.host, port=chroma_server.port)
    collection = ws.vectors.name  # the current build's collection: flow-<build>
    assert collection.startswith("flow-")
    assert remote.get_collection(collection).count() == first.chunks_written  # the vectors live on the server

    hits = ws.searcher.search("第1号往来款项挂账", k=3)
    assert hits and hits[0].chunk.doc == "报告01.txt"
    answer = ws.answerer.answer("第2批干部职工签订了什么？")
    assert answer.found and answer.citations[0].chunk.doc == "报告02.txt"
    assert "保密承诺书" in answer.citations[0].quote

    # Incremental: one file changed, one deleted, one untouched.
    (docs / "报告00.txt").write_text(numbered_report(0).replace("往来款项挂账", "长期闲置资产"), encoding="utf-8")
    (docs / "报告01.txt").unlink()
    again = ws.index()
    assert again.counts() == {"added": 0, "updated": 1, "unchanged": 1, "duplicate": 0, "removed": 1, "failed": 0}, again.summary()
    assert all(h.chunk.doc != "报告01.txt" for h in ws.searcher.search("第1号往来款项挂账", k=10))
    assert remote.get_collection(collection).get(where={"doc": "报告01.txt"}, include=[])["ids"] == []
    texts = " ".join(e.chunk.text for e in ws.lexical.entries())
    assert "第0号长期闲置资产" in texts and "第0号往来款项挂账" not in texts
    assert ws.vectors.count() == ws.lexical.count() == remote.get_collection(collection).count()

    # A second client (another process, say the web app) sees the same data through the server.
    other = Workspace(chroma_server.settings(tmp_path / "index", "flow"), embeddings=embeddings)
    assert store_state(other) == store_state(ws)


def test_chroma_server_stays_on_this_machine(chroma_server: ChromaServer) -> None:
    """The server only talks to loopback clients (no telemetry); checked on its system calls."""
    if chroma_server.trace is None:
        pytest.skip("strace is not installed or not permitted here")
    assert chroma_heartbeat(chroma_server.port)
    outside = []
    for line in chroma_server.trace.read_text(errors="replace").splitlines():
        match = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"\)', line)
        if match and not ipaddress.ip_address(match.group(1) or match.group(2)).is_loopback:
            outside.append(line)
    assert outside == [], "\n".join(outside[:20])


# ---------------------------------------------------------------------------------------------
# Replicas: another index folder (another machine) follows the server; writes stay with one folder
# ---------------------------------------------------------------------------------------------
def test_a_replica_copies_only_what_changed_and_cannot_write_unless_it_takes_over(
    chroma_server: ChromaServer, embeddings: SentenceEmbeddings, tmp_path: Path
) -> None:
    import chromadb

    from index.generation import IndexReadOnly
    from index.replica import ReplicaCache, documents_collection

    docs = write_numbered_reports(tmp_path / "docs", count=3)
    keeper = Workspace(chroma_server.settings(tmp_path / "keeper", "replicated", docs_dir=docs), embeddings=embeddings)
    keeper.index()
    replica = Workspace(chroma_server.settings(tmp_path / "replica", "replicated", docs_dir=docs), embeddings=embeddings)
    assert store_state(replica).lexical == store_state(keeper).lexical
    build = replica.generation.build
    copy = tmp_path / "replica" / "replica" / build
    assert (copy / "lexical.sqlite").exists() and not (tmp_path / "replica" / "builds").exists()

    # One document changed: the replica's next read copies that one record, not the others.
    (docs / "报告01.txt").write_text(numbered_report(1).replace("往来款项挂账", "长期闲置资产"), encoding="utf-8")
    keeper.index()
    hits = replica.searcher.search("第1号长期闲置资产", k=1)
    assert hits[0].chunk.doc == "报告01.txt" and "长期闲置资产" in hits[0].chunk.text
    remote = chromadb.HttpClient(host=chroma_server.host, port=chroma_server.port)
    records = documents_collection(remote, replica.vectors.name + "-docs", create=False)
    assert ReplicaCache(copy, records).sync() == 0  # already current: nothing fetched again
    assert store_state(replica).lexical == store_state(keeper).lexical

    # The replica's folder does not keep this index: incremental writes are refused; a rebuild takes over.
    with pytest.raises(IndexReadOnly, match="另一台机器"):
        replica.index()
    replica.index(rebuild=True)
    with pytest.raises(IndexReadOnly):
        keeper.index()
    assert keeper.generation.build == replica.generation.build != build
    assert store_state(keeper).lexical == store_state(replica).lexical
