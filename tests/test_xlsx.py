"""Excel: merit list and results written as marked, formula-free .xlsx (0600); paper scores read from .xlsx."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from db.demo import DEMO_KEY
from db.errors import ValidationError
from db.paper_scores import import_paper_scores_xlsx
from db.xlsx import MARKING, csv_to_xlsx, xlsx_to_csv
from panel_tui.cli import main
from tests.test_paper_scores import KEY, campaign, evidence  # noqa: F401 - the campaign fixture


def test_cells_are_never_formulas_and_the_workbook_is_marked(tmp_path):
    path = tmp_path / "out.xlsx"
    csv_text = 'rank,candidate_ref,=HYPERLINK("x"),total\n1,=cmd|calc,"@SUM(A1)",29\n2,C-002,-1,4.5\n'
    csv_to_xlsx(path, csv_text, sheet="Merit list", title="Policy Adviser: merit list")
    assert (path.stat().st_mode & 0o777) == 0o600
    wb = load_workbook(path)
    assert wb.sheetnames == ["Marking", "Merit list"]
    assert wb["Marking"]["A1"].value == MARKING
    ws = wb["Merit list"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["rank", "candidate_ref", "'=HYPERLINK(\"x\")", "total"]  # header neutralised too
    assert rows[1] == [1, "'=cmd|calc", "'@SUM(A1)", 29]
    assert rows[2] == [2, "C-002", -1, 4.5]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert MARKING in ws.oddHeader.center.text and MARKING in ws.oddFooter.center.text
    assert wb.properties.keywords == MARKING


def test_cli_merit_and_export_write_xlsx(demo, database, tmp_path, capsys):
    merit, results = tmp_path / "merit.xlsx", tmp_path / "results.xlsx"
    assert main(["--db-url", database.url, "results", "merit", DEMO_KEY, "--xlsx", str(merit)]) == 0
    assert main(["--db-url", database.url, "results", "export", DEMO_KEY, "--format", "xlsx", "--out", str(results)]) == 0
    ws = load_workbook(merit)["Merit list"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["rank", "candidate_ref", "name", "total"] and header[-1] == "tie_reason"
    assert ws.max_row == 7  # six candidates
    assert load_workbook(results).sheetnames == ["Marking", "Results"]
    assert main(["--db-url", database.url, "results", "export", DEMO_KEY, "--format", "xlsx"]) == 1
    assert "needs --out FILE" in capsys.readouterr().err


def _sheet(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_scores_import_reads_xlsx_in_the_csv_columns(session, campaign, database, tmp_path, capsys):  # noqa: F811
    data = _sheet([
        ["candidate_ref", "item", "member", "score", "evidence"],
        ["C-001", "Working Together", "Priya Raman", 5, "Built a cross-team rota"],
        ["C-002", "Motivation", "Sam Whitfield", 6.0, None],
    ])
    result = import_paper_scores_xlsx(session, KEY, data, source="sheet.xlsx")
    assert result.summary == "imported 2 scores"
    held = evidence(session)
    assert held[("C-002", "Sam Whitfield", "Motivation")][0] == 6.0
    assert held[("C-001", "Priya Raman", "Working Together")][1].endswith("Built a cross-team rota")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_sheet([["candidate_ref", "item", "member", "score", "evidence"], ["C-404", "Motivation", "Joe Lambert", 4, ""]]))
    assert main(["--db-url", database.url, "scores", "import", KEY, str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err


def test_a_marked_workbook_round_trips_and_junk_is_one_line(tmp_path):
    path = tmp_path / "scores.xlsx"
    csv_to_xlsx(path, "candidate_ref,item,member,score,evidence\nC-001,Motivation,Joe Lambert,5,ok\n", sheet="Scores")
    assert xlsx_to_csv(path.read_bytes(), "scores.xlsx", max_rows=10).splitlines()[1] == "C-001,Motivation,Joe Lambert,5,ok"
    with pytest.raises(ValidationError, match="not an Excel workbook"):
        xlsx_to_csv(b"PK\x03\x04 not really", "junk.xlsx", max_rows=10)
