"""Real .xlsx workbooks built with openpyxl (merged cells, formulas, several sheets) and a
password-protected one encrypted with msoffcrypto-tool (ECMA-376 agile encryption, as Excel and WPS
write it: an OLE container holding EncryptedPackage)."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence

import openpyxl

Cells = Sequence[Sequence[object]]


def workbook_bytes(sheets: dict[str, Cells], merges: dict[str, Sequence[str]] | None = None) -> bytes:
    """One sheet per entry, rows as given (None for an empty cell); ``merges`` by sheet, e.g. "A1:F1"."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for merged in (merges or {}).get(name, ()):
            sheet.merge_cells(merged)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(rows: Cells, sheet: str = "Sheet1", merges: Sequence[str] = ()) -> bytes:
    return workbook_bytes({sheet: rows}, {sheet: merges})


PASSWORD = "zgt-2024"


@functools.cache
def encrypted_xlsx_bytes() -> bytes:
    import msoffcrypto.format.ooxml

    plain = io.BytesIO(xlsx_bytes([["序号", "整改措施"], [1, "加密台账中的措施"]]))
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt(PASSWORD, encrypted)
    return encrypted.getvalue()
