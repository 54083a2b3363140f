"""The OFFICIAL-SENSITIVE marking: records (Markdown top and bottom; PDF on every page's header and
footer), feedback files, CSV exports (last row, header kept in row 1) and Excel workbooks."""

from __future__ import annotations

import csv
import io
import re
import zlib

from openpyxl import load_workbook

from db.candidates import get_candidate as candidate_by_ref
from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.feedback import feedback_document, feedback_text, save_feedback
from db.interview import EvidenceState, load_interview, save_evidence
from db.campaigns import campaign_items, find_member
from db.record import assessment_record_markdown, assessment_record_pdf
from db.reports import merit_list_csv, results_csv
from db.text import MARKING
from db.xlsx import csv_to_xlsx
from panel_tui.cli import main


def _page_texts(pdf: bytes) -> list[bytes]:
    """Each page's content stream (fpdf2 compresses them with zlib). fpdf2 ends each line with "\n":
    an optional "\r" before "endstream" would take a compressed stream's own last byte when it
    happens to be 0x0D (the content holds times, so one run in ~256 lost a page)."""
    pages = []
    for m in re.finditer(rb"stream\n(.*?)\nendstream", pdf, re.S):
        try:
            body = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        if b" Tj" in body:
            pages.append(body)
    return pages


def test_markdown_record_is_marked_at_top_and_bottom(session, demo):
    one = candidate_by_ref(session, demo.id, "HRBP-001").id
    lines = assessment_record_markdown(session, one).splitlines()
    assert lines[0] == f"**{MARKING}**" and lines[-1] == f"**{MARKING}**"
    assert lines[2].startswith("# Assessment record:")


def test_every_pdf_page_is_marked_at_top_and_bottom(session, demo, tmp_path):
    one = candidate_by_ref(session, demo.id, "HRBP-001")
    member = find_member(session, demo.id, "Priya").id
    item = campaign_items(session, demo.id)[0].id
    state = load_interview(session, one.id, member).evidence[item]
    long_notes = "\n".join(f"Line {n} of a long note about the example given." for n in range(150))
    save_evidence(session, one.id, member, item, EvidenceState(notes=long_notes, star=state.star, score=state.score,
                                                                tags=state.tags), amend_reason="added detail")
    pdf = assessment_record_pdf(session, one.id, tmp_path / "r.pdf").read_bytes()
    pages = _page_texts(pdf)
    assert len(pages) >= 3
    for n, body in enumerate(pages, 1):
        shown = re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", body)
        assert shown[0] == MARKING.encode()  # the header: first text on the page
        assert shown[-1] == f"{MARKING}  -  page {n}".encode()  # the footer: last
        ys = [float(y) for y in re.findall(rb"BT [\d.]+ ([\d.]+) Td", body)]
        assert ys[0] == max(ys) and ys[-1] == min(ys)  # at the top and the bottom of the page


def test_feedback_file_is_marked_but_the_text_people_edit_is_not(session, demo):
    one = candidate_by_ref(session, demo.id, "HRBP-001").id
    save_feedback(session, one, "Dear Amira,\n\nWell done.", "Sam Whitfield")
    assert MARKING not in feedback_text(session, one)
    doc = feedback_document(session, one)
    assert doc == f"{MARKING}\n\nDear Amira,\n\nWell done.\n\n{MARKING}\n"


def test_csv_exports_end_with_the_marking_and_keep_their_header(session, demo):
    for text, header in ((merit_list_csv(session, demo.id), "rank"), (results_csv(session, demo.id), "candidate_ref")):
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][0] == header and rows[-1] == [MARKING]
        assert sum(MARKING in cell for row in rows for cell in row) == 1


def test_excel_keeps_its_layout_and_its_own_marking(session, demo, tmp_path):
    target = csv_to_xlsx(tmp_path / "m.xlsx", merit_list_csv(session, demo.id), sheet="Merit list")
    wb = load_workbook(target)
    rows = [[c.value for c in row] for row in wb["Merit list"].iter_rows()]
    assert rows[0][0] == "rank" and len(rows) == 7  # header + six candidates: no marking row in the data
    assert wb["Marking"]["A1"].value == MARKING and wb["Merit list"].oddHeader.center.text == MARKING


def test_cli_outputs_are_marked(tmp_path, capsys):
    path = tmp_path / "panel.db"
    database = open_database(sqlite_url(path))
    with database.session() as s:
        ensure_demo(s)
    database.dispose()
    where = ["--db", str(path)]
    for args in (("results", "merit", DEMO_KEY, "--csv", "-"), ("results", "export", DEMO_KEY, "--format", "csv"),
                 ("results", "record", DEMO_KEY, "HRBP-001", "--md", "-"), ("results", "feedback", DEMO_KEY, "HRBP-001")):
        assert main([*where, *args]) == 0
        out = capsys.readouterr().out
        assert out.rstrip().endswith(MARKING) or out.rstrip().endswith(f"{MARKING}**"), args
