"""UI fixtures: the demo campaign in a real database file, and the app built by the same factory as the CLI."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlmodel import Session, create_engine, select

from db.demo import DEMO_KEY, ensure_demo
from db.engine import open_database, sqlite_url
from db.models import Assessment, Candidate, ItemEvidence, PanelMember
from panel_tui.app import make_app

DEMO_DAY = date(2026, 1, 12)


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """A config folder of the test's own: no test reads the real user's keymap.toml."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("PANEL_TUI_CONFIG", str(folder))
    return folder


@pytest.fixture
def demo_db_file(db_file):
    db = open_database(sqlite_url(db_file))
    with db.session() as session:
        ensure_demo(session, today=DEMO_DAY)
        # Fixed timestamps, so snapshots do not change with the clock.
        fixed = datetime(2026, 1, 12, 17, 0, tzinfo=timezone.utc)
        for assessment in session.exec(select(Assessment)).all():
            assessment.updated_at = fixed
            if assessment.submitted_at is not None:
                assessment.submitted_at = fixed
            session.add(assessment)
        session.commit()
    db.dispose()
    return db_file


@pytest.fixture
def make_demo_app(demo_db_file):
    """Build the app on the demo database, opened on the demo campaign's candidate list."""
    opened = []

    def factory(**kwargs):
        db = open_database(sqlite_url(demo_db_file))
        opened.append(db)
        return make_app(db, open_campaign=DEMO_KEY, **kwargs)

    yield factory
    for db in opened:
        db.dispose()


class Reader:
    """Reads what is on disk through its own engine, as a second process would."""

    def __init__(self, path):
        self.engine = create_engine(sqlite_url(path))

    def evidence(self, ref: str, member: str) -> dict[str, ItemEvidence]:
        from db.models import CampaignItem

        with Session(self.engine) as s:
            rows = s.exec(
                select(CampaignItem.name, ItemEvidence)
                .join(ItemEvidence, ItemEvidence.item_id == CampaignItem.id)
                .join(Assessment, Assessment.id == ItemEvidence.assessment_id)
                .join(Candidate, Candidate.id == Assessment.candidate_id)
                .join(PanelMember, PanelMember.id == Assessment.member_id)
                .where(Candidate.ref == ref, PanelMember.name == member)
            ).all()
            return {name: ev for name, ev in rows}

    def assessment(self, ref: str, member: str) -> Assessment | None:
        with Session(self.engine) as s:
            return s.exec(
                select(Assessment)
                .join(Candidate, Candidate.id == Assessment.candidate_id)
                .join(PanelMember, PanelMember.id == Assessment.member_id)
                .where(Candidate.ref == ref, PanelMember.name == member)
            ).first()


@pytest.fixture
def reader(demo_db_file):
    r = Reader(demo_db_file)
    yield r
    r.engine.dispose()


@pytest.fixture
def ui_thread_sessions(monkeypatch) -> list[str]:
    """Sessions opened on the UI thread (where the test's event loop runs), by where they were opened.

    The UI must never wait on the database: every read and write goes to a worker thread."""
    import threading
    import traceback

    from db.engine import Database

    opened: list[str] = []
    real = Database.session

    def session(self):
        stack = traceback.extract_stack()[:-1]
        # The test's own set-up and checks run on this thread too: only the app's calls count.
        if threading.current_thread() is threading.main_thread() and not any("/tests/" in f.filename for f in stack):
            opened.append(" <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in stack[-3:]))
        return real(self)

    monkeypatch.setattr(Database, "session", session)
    return opened
