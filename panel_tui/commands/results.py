"""`panel-tui results export | merit | record | feedback`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("results", help="merit list, assessment records and feedback")
    rsub = p.add_subparsers(dest="results_command", required=True, metavar="{export,merit,record,feedback}")

    export = rsub.add_parser("export", help="every candidate's scores, consensus, total, rank and reserve date")
    export.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    export.add_argument("--format", choices=["json", "csv", "xlsx"], default="json",
                        help="xlsx (Excel) needs --out FILE")
    export.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    export.set_defaults(handler=export_cmd)

    merit = rsub.add_parser("merit", help="print the merit list, or write it as CSV or Excel")
    merit.add_argument("campaign", help="campaign key (see 'panel-tui campaign list')")
    merit.add_argument("--csv", type=Path, metavar="FILE", help="write CSV to FILE ('-' for standard output)")
    merit.add_argument("--xlsx", type=Path, metavar="FILE", help="write an Excel workbook to FILE (marked OFFICIAL-SENSITIVE)")
    merit.set_defaults(handler=merit_cmd)

    rec = rsub.add_parser("record", help="write a candidate's assessment record as Markdown or PDF")
    rec.add_argument("campaign", help="campaign key")
    rec.add_argument("candidate", metavar="CANDIDATE_REF", help="candidate reference, e.g. HRBP-001")
    fmt = rec.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--md", type=Path, metavar="FILE", help="write Markdown to FILE ('-' for standard output)")
    fmt.add_argument("--pdf", type=Path, metavar="FILE", help="write PDF to FILE")
    rec.set_defaults(handler=record_cmd)

    fb = rsub.add_parser("feedback", help="print a candidate's feedback (the saved text, else a draft)")
    fb.add_argument("campaign", help="campaign key")
    fb.add_argument("candidate", metavar="CANDIDATE_REF", help="candidate reference")
    fb.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    fb.set_defaults(handler=feedback_cmd)


def export_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign
    from db.results_export import results_csv, results_json

    if args.format == "xlsx" and (args.out is None or str(args.out) == "-"):
        from db.errors import ValidationError

        raise ValidationError("--format xlsx needs --out FILE (a workbook is not text)")
    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        campaign_id = campaign.id
        if args.format == "xlsx":
            from db.xlsx import csv_to_xlsx

            csv_to_xlsx(args.out, results_csv(session, campaign_id), sheet="Results", title=f"{campaign.title}: results")
            return 0
        if args.format == "json":
            # Written as it is made; results_json cleans the stored text it holds (13 MB not scanned again).
            _write_pieces(args.out, results_json(session, campaign_id))
            return 0
        text = _safe_csv(results_csv(session, campaign_id))
    _write(args.out, text)
    return 0


def _write_pieces(path: Path | None, pieces: Iterable[str]) -> None:
    """Text already made harmless, piece by piece: to standard output, or a private file (0600, whole or not at all)."""
    from db.errors import ValidationError
    from db.files import private_file

    if path is None or str(path) == "-":
        sys.stdout.writelines(pieces)
        return
    try:
        with private_file(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(pieces)
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror}") from None


def _write(path: Path | None, text: str) -> None:
    """Standard output, or a private file (0600, whole or not at all): either way, stored text made harmless."""
    from db.errors import ValidationError
    from db.files import write_private
    from db.text import clean_block

    text = clean_block(text)
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        return
    try:
        write_private(path, text)
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror}") from None


def _safe_csv(text: str) -> str:
    """Every cell and header a spreadsheet shows as text, never runs as a formula."""
    import csv
    import io

    from db.text import spreadsheet_safe

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()



def merit_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign
    from db.reports import merit_list_csv, merit_list_text

    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        if args.xlsx is not None:
            from db.xlsx import csv_to_xlsx

            csv_to_xlsx(args.xlsx, merit_list_csv(session, campaign.id), sheet="Merit list",  # type: ignore[arg-type]
                        title=f"{campaign.title}: merit list")
        if args.csv is not None:
            _write(args.csv, _safe_csv(merit_list_csv(session, campaign.id)))  # type: ignore[arg-type]
        elif args.xlsx is None:
            _write(None, merit_list_text(session, campaign.id))  # type: ignore[arg-type]
    return 0


def record_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign
    from db.candidates import get_candidate as candidate_by_ref
    from db.record import assessment_record_markdown, assessment_record_pdf

    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        candidate = candidate_by_ref(session, campaign.id, args.candidate)  # type: ignore[arg-type]
        if args.pdf is not None:
            _write_pdf(args.pdf, lambda tmp: assessment_record_pdf(session, candidate.id, tmp))  # type: ignore[arg-type]
        else:
            _write(args.md, assessment_record_markdown(session, candidate.id))  # type: ignore[arg-type]
    return 0


def _write_pdf(path: Path, make) -> None:
    """The PDF generator writes a file: make it in a private folder, then place it privately."""
    import tempfile

    from db.errors import ValidationError
    from db.files import write_private

    with tempfile.TemporaryDirectory() as folder:  # 0700
        tmp = Path(folder) / "record.pdf"
        make(tmp)
        data = tmp.read_bytes()
    try:
        write_private(path, data)
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror}") from None


def feedback_cmd(args: argparse.Namespace) -> int:
    from db.campaigns import get_campaign
    from db.candidates import get_candidate as candidate_by_ref
    from db.feedback import feedback_document

    with open_db(args).session() as session:
        campaign = get_campaign(session, args.campaign)
        candidate = candidate_by_ref(session, campaign.id, args.candidate)  # type: ignore[arg-type]
        _write(args.out, feedback_document(session, candidate.id))  # type: ignore[arg-type]
    return 0
