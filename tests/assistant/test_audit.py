"""The audit log keeps its rows for the retention period: pruning leaves a signed checkpoint, so the
chain still verifies, while rows removed or forged any other way are still caught."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from assistant import audit, cli
from assistant.audit import AuditLog
from assistant.settings import Settings

DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def filled(folder: Path, clock: Clock) -> AuditLog:
    """Ten rows a day apart: the oldest 40 days old at the end, the newest 31."""
    log = AuditLog(folder, clock=clock)
    for day in range(10):
        log.record(f"用户{day}", audit.ASK, text=f"第 {day} 天的问题")
        clock.now += DAY
    clock.now += 30 * DAY
    return log


def raw(log: AuditLog) -> sqlite3.Connection:
    """The database as someone with the server's file rights sees it, triggers and all."""
    return sqlite3.connect(str(log.path), isolation_level=None)


def test_pruning_removes_old_rows_and_the_chain_still_verifies(tmp_path: Path) -> None:
    clock = Clock()
    log = filled(tmp_path, clock)

    assert log.prune(35) == 5  # days 0–4 are more than 35 days old

    rows = log.rows()
    assert [r.text for r in rows[:5]] == [f"第 {day} 天的问题" for day in range(5, 10)]
    checkpoint = rows[-1]
    assert checkpoint.action == audit.PRUNE and checkpoint.id == 11
    assert checkpoint.text.startswith("已清理") and "5 条" in checkpoint.text and "第 1–5 条" in checkpoint.text
    assert log.verify().ok, log.verify().summary()

    log.record("张三", audit.CHECK, text="后来的核查")
    assert log.prune(35) == 0  # nothing old any more: no second checkpoint
    assert log.verify().ok
    assert stat.S_IMODE(log.key_path.stat().st_mode) == 0o600


def test_a_second_prune_takes_the_first_checkpoint_with_it(tmp_path: Path) -> None:
    clock = Clock()
    log = filled(tmp_path, clock)
    log.prune(35)
    clock.now += 100 * DAY
    log.record("张三", audit.ASK, text="一百天后")

    assert log.prune(30) == 6  # days 5–9 and the first checkpoint
    assert [r.action for r in log.rows()] == [audit.ASK, audit.PRUNE]
    assert log.verify().ok, log.verify().summary()


def test_pruning_a_log_whose_every_row_is_old_keeps_the_newest(tmp_path: Path) -> None:
    log = filled(tmp_path, Clock())

    assert log.prune(1) == 9
    assert [r.text for r in log.rows()][0] == "第 9 天的问题"
    assert log.verify().ok


def test_rows_deleted_behind_the_products_back_still_break_the_chain(tmp_path: Path) -> None:
    log = filled(tmp_path, Clock())
    log.prune(35)
    db = raw(log)
    with pytest.raises(sqlite3.DatabaseError, match="审计日志只能追加"):
        db.execute("DELETE FROM audit WHERE id = 6")  # the trigger came back after the prune
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE id = 6")

    report = log.verify()
    assert not report.ok and report.bad_row == 6 and "缺失" in report.summary()


def test_a_checkpoint_forged_without_the_key_is_not_believed(tmp_path: Path) -> None:
    clock = Clock()
    log = filled(tmp_path, clock)
    last = log.rows()[-1]
    db = raw(log)
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE id <= 3")
    third_hash = "0" * 64
    payload = {"through": 3, "through_hash": third_hash, "removed": 3, "cutoff": clock.now, "sig": "f" * 64}
    db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (11, clock.now, "（保留期限）", audit.PRUNE, "已清理\n" + json.dumps(payload), "[]", "",
                last.hash, "x"))

    report = log.verify()
    assert not report.ok and report.bad_row == 1


def test_cli_prune_takes_days_or_the_retention_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(index_dir=tmp_path / "index", docs_dir=tmp_path / "docs")
    log = AuditLog(settings.index_dir, clock=lambda: 1_000.0)  # rows from 1970: older than any limit
    log.record("张三", audit.ASK, text="很久以前")
    log.record("张三", audit.ASK, text="也很久以前")
    log.close()

    assert cli.main(["audit", "prune"], settings=settings) == cli.EXIT_ACCESS
    assert "ZGT_AUDIT_RETENTION_DAYS" in capsys.readouterr().err
    kept = settings.model_copy(update={"audit_retention_days": 180})
    assert cli.main(["audit", "prune"], settings=kept) == 0
    assert "已清理 180 天以前的审计记录 1 条" in capsys.readouterr().out
    assert cli.main(["audit", "verify"], settings=kept) == 0
    assert "校验链完整" in capsys.readouterr().out
