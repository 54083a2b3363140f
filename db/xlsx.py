"""Excel workbooks (openpyxl): the merit list and results written as .xlsx, paper scores read from one.

Written: the same columns as the CSV, every cell and header made harmless (``db.text.spreadsheet_safe``)
and stored as text or a number, never as a formula. The protective marking is on every sheet's header
and footer, in the document properties, and on a first "Marking" sheet of its own, so the data sheet
keeps the CSV's layout (its header in row 1). The file is written atomically, owner-only.

Read: the first sheet whose row 1 is not the marking note, as CSV text, so the CSV checks apply unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from db.errors import ValidationError
from db.files import private_file
from db.text import MARKING, clean_line, spreadsheet_safe

__all__ = ["MARKING", "csv_to_xlsx", "is_xlsx", "write_xlsx", "xlsx_to_csv"]

MARKING_SHEET = "Marking"
NOTE = f"{MARKING}: personal data from a recruitment campaign. Handle, store and share it as {MARKING}."
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def is_xlsx(path: Path, data: bytes | None = None) -> bool:
    """An .xlsx by name, or a zip file by its first bytes."""
    return path.suffix.lower() == ".xlsx" or (data is not None and data[:4] == b"PK\x03\x04")


def _cell(value: object) -> object:
    """A value for the sheet: a number stays a number; text made harmless and stored as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(spreadsheet_safe(str(value)))
    if _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    return text


def _rows(csv_text: str) -> list[list[object]]:
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))
    if rows and rows[-1] == [MARKING]:
        rows.pop()  # the CSV's marking row: the workbook is marked on every sheet instead
    return [[_cell(c) for c in row] for row in rows]


def write_xlsx(path: str | Path, sheets: list[tuple[str, list[list[object]]]], *, title: str = "") -> Path:
    """Write ``sheets`` (name, rows with the header first) as a marked workbook at ``path`` (0600, atomic)."""
    from openpyxl import Workbook

    wb = Workbook()
    note = wb.active
    note.title = MARKING_SHEET
    note["A1"] = MARKING
    note["A2"] = NOTE
    if title:
        note["A3"] = str(spreadsheet_safe(title))
    wb.properties.title = clean_line(title) or "panel-tui export"
    wb.properties.subject = MARKING
    wb.properties.keywords = MARKING
    wb.properties.category = MARKING
    wb.properties.creator = "panel-tui"
    for name, rows in sheets:
        ws = wb.create_sheet(_SHEET_BAD.sub(" ", clean_line(name))[:31] or "Sheet")
        for row in rows:
            ws.append([_cell(v) for v in row])
        for cell in (c for row in ws.iter_rows() for c in row):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
        ws.freeze_panes = "A2"
    for ws in wb.worksheets:
        ws.oddHeader.center.text = MARKING
        ws.oddFooter.center.text = MARKING
    target = Path(path)
    try:
        with private_file(target) as tmp:
            wb.save(tmp)
    except OSError as exc:
        raise ValidationError(f"cannot write {target}: {exc.strerror}") from None
    return target


def csv_to_xlsx(path: str | Path, csv_text: str, *, sheet: str, title: str = "") -> Path:
    """The CSV export's columns and rows as a marked workbook (one data sheet after the marking sheet)."""
    return write_xlsx(path, [(sheet, _rows(csv_text))], title=title)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def xlsx_to_csv(data: bytes, source: str, *, max_rows: int) -> str:
    """The workbook's data sheet as CSV text (cached values only: no formula is ever calculated)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ValidationError(f"{source}: not an Excel workbook ({type(exc).__name__}); nothing imported") from None
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            first = next(rows, None)
            if first is None or not any(v not in (None, "") for v in first):
                continue
            if ws.title == MARKING_SHEET or str(first[0] or "").startswith(MARKING):
                continue
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([_text(v) for v in first])
            for n, row in enumerate(rows, 2):
                if n > max_rows + 1:
                    raise ValidationError(f"{source}: more than {max_rows} rows; nothing imported")
                writer.writerow([_text(v) for v in row])
            return out.getvalue()
    finally:
        wb.close()
    raise ValidationError(f"{source}: the workbook has no sheet with a header row; nothing imported")
