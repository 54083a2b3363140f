"""Property-based fuzzing of every import: packs, returns, paper-score CSV, candidates CSV, campaign
TOML, framework files.

Whatever the file holds, an import either succeeds or is refused with the
project's error, in one line that names the file, and a refusal changes nothing.
No other exception (no traceback) may escape.

Packs and returns are fuzzed under the seal: a mutated pack goes through the plain
layer (``import_pack_text``: the passphrase layer only adds scrypt), and a mutated
return is signed with its author's own key and sealed to the chair, as a panellist
attacking their own return would, so the content checks behind the signature are
what is exercised. Changed bytes of a sealed return are fuzzed as well.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from db import exchange
from db.campaigns import create_campaign, get_campaign
from db.candidates import import_candidates_csv
from db.engine import open_database, sqlite_url
from db.errors import ImportRefused, PanelError, ValidationError
from db.exchange import keys as exchange_keys
from db.exchange.envelope import lock_return, open_return
from db.frameworks import import_framework, parse_framework_file
from db.models import AuditEvent, Element, Framework, Indicator, Setting
from db.paper_scores import import_paper_scores
from panel_tui.commands.campaign import read_toml
from tests.test_exchange import (
    KEY,
    SIGNING,
    counts,
    make_campaign,
    member_return,
    score_all,
    snapshot,
)

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**12) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30) | st.sampled_from(["false", "true", "../../etc/x", "god", "2999-01-01T00:00:00+00:00",
                                              "\x1b]52;c;aGk=\x07", "", " ", "C-001", "4", "NaN"])
)
values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                      max_leaves=12)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def mutate(doc: Any, data: st.DataObject) -> Any:
    """Replace, delete or add one thing anywhere in ``doc`` (a deep copy)."""
    doc = json.loads(json.dumps(doc))
    path = data.draw(st.sampled_from(paths(doc)[1:]), label="path")
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]), label="action")
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[data.draw(st.text(max_size=8), label="key")] = data.draw(values, label="value")
    elif action == "add":
        parent.insert(path[-1], data.draw(values, label="value"))
    else:
        parent[path[-1]] = data.draw(values, label="value")
    return doc


def seal(kind: str, doc: dict) -> str:
    """A mutated document with a correct checksum (what a forger would write)."""
    if isinstance(doc.get("content"), (dict, list)):
        doc["sha256"] = exchange.checksum(doc["content"])
    return json.dumps(doc)


def one_line_refusal(exc: PanelError, source: str) -> None:
    message = str(exc)
    assert "\n" not in message and message.startswith(source), message


@pytest.fixture(scope="module")
def fresh(template_db_file, tmp_path_factory) -> Callable:
    """A new laptop database per example: a copy of the migrated template (milliseconds, not a second)."""
    folder, numbers = tmp_path_factory.mktemp("fuzz"), itertools.count()

    @contextmanager
    def open_fresh() -> Iterator[Session]:
        path = folder / f"{next(numbers)}.db"
        shutil.copyfile(template_db_file, path)
        db = open_database(sqlite_url(path))
        try:
            with db.session() as s:
                yield s
        finally:
            db.dispose()
            path.unlink()

    return open_fresh


@pytest.fixture(scope="module")
def files(template_db_file, tmp_path_factory) -> dict[str, Any]:
    """The chair's database (a file, copied per example), Priya's plain pack, her sealed return and what it holds."""
    chair_file = tmp_path_factory.mktemp("chair") / "chair.db"
    shutil.copyfile(template_db_file, chair_file)
    db = open_database(sqlite_url(chair_file))
    with db.session() as chair:
        make_campaign(chair)
        pack = exchange.pack_text(chair, KEY, "Priya Raman")
        ret = member_return(chair, "Priya Raman", lambda s: score_all(s, "Priya Raman", "C-001", 0))
        plain = open_return(ret, exchange_keys.campaign_identities(chair), "r").body.decode()
        recipient = exchange_keys.campaign_keys(chair, get_campaign(chair, KEY).id).recipient  # type: ignore[arg-type]
    db.dispose()
    return {"chair": chair_file, "pack": pack, "return": ret, "plain return": plain, "recipient": recipient,
            "signing": SIGNING["Priya Raman"]}


@contextmanager
def chair_copy(files: dict[str, Any], fresh: Callable) -> Iterator[Session]:
    """A fresh copy of the chair's database (it holds the campaign's identity and Priya's public key)."""
    path = files["chair"].with_name(f"copy-{next(_copies)}.db")
    shutil.copyfile(files["chair"], path)
    db = open_database(sqlite_url(path))
    try:
        with db.session() as s:
            yield s
    finally:
        db.dispose()
        path.unlink()


_copies = itertools.count()


def sign_as_author(files: dict[str, Any], text: str) -> bytes:
    """What Priya could make with her own pack: any content, signed by her, sealed to the chair."""
    return lock_return(text, KEY, "Priya Raman", files["signing"], files["recipient"])


def all_counts(s: Session) -> tuple:
    return (*counts(s), *(s.exec(select(func.count()).select_from(m)).one() for m in (Setting, Element)))


@FUZZ
@given(data=st.data())
def test_fuzz_pack_import(files, fresh, data):
    forged = seal("pack", mutate(json.loads(files["pack"]), data))
    with fresh() as s:
        if data.draw(st.booleans(), label="campaign already here"):
            exchange.import_pack_text(s, files["pack"])
        before = all_counts(s)
        try:
            exchange.import_pack_text(s, forged, source="fuzz.json")
        except ImportRefused as exc:
            one_line_refusal(exc, "fuzz.json")
            assert all_counts(s) == before
        # Whatever was accepted, a bundled framework is exactly as shipped.
        assert s.exec(select(func.count()).select_from(Indicator).join(Element).join(Framework)
                      .where(Framework.bundled == True)).one() == BUNDLED_INDICATORS  # noqa: E712


@FUZZ
@given(data=st.data())
def test_fuzz_return_import(files, fresh, data):
    forged = sign_as_author(files, seal("return", mutate(json.loads(files["plain return"]), data)))
    with chair_copy(files, fresh) as s:
        before, held = all_counts(s), snapshot(s)
        try:
            exchange.import_return(s, forged, source="fuzz.json")
        except ImportRefused as exc:
            one_line_refusal(exc, "fuzz.json")
            assert all_counts(s) == before and snapshot(s) == held


@FUZZ
@given(where=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7), cut=st.booleans())
def test_fuzz_sealed_return_bytes(files, fresh, where, bit, cut):
    ret = files["return"]
    where %= len(ret)
    changed = ret[:where] if cut else ret[:where] + bytes([ret[where] ^ (1 << bit)]) + ret[where + 1 :]
    with chair_copy(files, fresh) as s:
        before = all_counts(s)
        with pytest.raises(ImportRefused) as exc:
            exchange.import_return(s, changed, source="fuzz.age")
        one_line_refusal(exc.value, "fuzz.age")
        assert all_counts(s) == before


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_fuzz_any_bytes(fresh, raw):
    with fresh() as s:
        before = all_counts(s)
        for importer in (exchange.import_pack_text, exchange.import_return,
                         lambda s, raw, source: exchange.import_pack(s, raw, "a passphrase", source=source)):
            with pytest.raises(ImportRefused) as exc:
                importer(s, raw, source="junk.bin")
            one_line_refusal(exc.value, "junk.bin")
        assert all_counts(s) == before


cells = st.sampled_from(["C-001", "c-002", "C-999", "Working Together", "Motivation", "Written exercise", "Priya Raman",
                         "Joe Lambert", "Nobody", "4", "B/C", "9", "", " ", "=HYPERLINK(\"x\")", "\x1b[31mred", '"', "\n",
                         "x" * 300]) | st.text(max_size=12)


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=7), max_size=6),
       header=st.sampled_from(["candidate_ref,item,member,score,evidence", "item,score,member,candidate_ref,evidence,x",
                               "candidate_ref,item,member,score", ""]))
def test_fuzz_paper_scores(session, rows, header):
    make_campaign(session) if not _held(session) else None
    text = header + "\n" + "\n".join(",".join(_quote(c) for c in row) for row in rows)
    before = (all_counts(session), snapshot(session))
    try:
        result = import_paper_scores(session, KEY, text, source="sheet.csv")
    except ValidationError as exc:
        first, *rest = str(exc).splitlines()
        assert first.startswith("sheet.csv"), first
        assert all(line.startswith("line ") for line in rest)
        assert (all_counts(session), snapshot(session)) == before
    else:
        written = result.scores - result.unchanged
        audit = session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "evidence.score")).one()
        assert audit >= written


def _held(session: Session) -> bool:
    from db.models import Campaign

    return session.exec(select(Campaign.id).where(Campaign.key == KEY)).first() is not None


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"\n') else cell


SMALL_FRAMEWORK = {
    "key": "fuzz-values", "name": "Fuzz Values", "kind": "competencies", "levels": {"3": "Officer"},
    "elements": [{"name": "Care", "cluster": "People", "definition": "Cares.",
                  "levels": {"3": {"effective": ["Listens"], "ineffective": ["Ignores"]}}}],
}


@FUZZ
@given(data=st.data())
def test_fuzz_framework_document(session, data):
    doc = mutate(SMALL_FRAMEWORK, data)
    before = all_counts(session)
    try:
        fw = import_framework(session, doc, source="fw.json")
    except ValidationError as exc:
        assert "\n" not in str(exc)
        if "not a valid framework" in str(exc):
            one_line_refusal(exc, "fw.json")
        assert all_counts(session) == before
    else:
        assert fw.bundled is False


@FUZZ
@given(text=st.text(max_size=200) | st.sampled_from(["[" * 50, "a = " + "[" * 40 + "]" * 40, 'name = "x"\nkind = 5\n']),
       name=st.sampled_from(["f.toml", "f.json"]))
def test_fuzz_framework_file_text(session, text, name):
    before = all_counts(session)
    try:
        data = parse_framework_file(text, name)
        import_framework(session, data, source=name)
    except ValidationError as exc:
        message = str(exc)
        assert "\n" not in message
        assert all_counts(session) == before


EXAMPLE_CAMPAIGN = (Path(__file__).resolve().parents[1] / "docs" / "campaign-example.toml").read_text(encoding="utf-8")


@FUZZ
@given(data=st.data())
def test_fuzz_campaign_document(fresh, data):
    """The campaign file's shape after parsing (what `campaign create` and the set-up screen pass on)."""
    doc = mutate(json.loads(json.dumps(tomllib.loads(EXAMPLE_CAMPAIGN), default=str)), data)  # dates as text
    with fresh() as s:
        before = all_counts(s)
        try:
            create_campaign(s, doc, actor="fuzz")
        except PanelError as exc:
            assert "\n" not in str(exc) and str(exc).strip(), str(exc)
            assert all_counts(s) == before


@FUZZ
@given(cut=st.integers(min_value=0), junk=st.text(max_size=40) | st.sampled_from(["[", "]]", "= =", "\x00", '"""']))
def test_fuzz_campaign_toml_text(fresh, tmp_path_factory, cut, junk):
    """The TOML text itself, truncated and spliced, through `campaign create`'s reader."""
    cut %= len(EXAMPLE_CAMPAIGN) + 1
    path = tmp_path_factory.mktemp("toml") / "campaign.toml"
    path.write_text(EXAMPLE_CAMPAIGN[:cut] + junk + EXAMPLE_CAMPAIGN[cut:], encoding="utf-8")
    with fresh() as s:
        before = all_counts(s)
        try:
            create_campaign(s, read_toml(path), actor="fuzz")
        except PanelError as exc:
            assert "\n" not in str(exc) and str(exc).strip(), str(exc)
            assert all_counts(s) == before


candidate_cells = st.sampled_from(["C-001", "C-100", "c-100", "Ann Example", "ann@example.org", "not an email",
                                   "yes", "no", "maybe", "09:30", "25:99", "-5", "20", "Extra time: 25%", "",
                                   "=HYPERLINK(\"x\")", "\x1b]52;c;aGk=\x07", "[/]", "\u202eevil", "x" * 600,
                                   "a\nb"]) | st.text(max_size=12)


@FUZZ
@given(rows=st.lists(st.lists(candidate_cells, min_size=0, max_size=7), max_size=6),
       header=st.sampled_from(["ref,name,email,adjustments,disability_confident,slot", "name,ref,extra_minutes",
                               "ref,name,ref", "name,email", "ref,nonsense", ""]))
def test_fuzz_candidates_csv(fresh, rows, header):
    text = header + "\n" + "\n".join(",".join(_quote(c) for c in row) for row in rows)
    with fresh() as s:
        campaign = make_campaign(s)
        before = all_counts(s)
        try:
            import_candidates_csv(s, campaign.id, text, "people.csv", actor="fuzz")
        except ValidationError as exc:
            first, *rest = str(exc).splitlines()
            assert first.startswith("people.csv"), first
            assert all(line.startswith("line ") for line in rest), rest
            assert all_counts(s) == before


BUNDLED_INDICATORS = 0


@pytest.fixture(scope="module", autouse=True)
def _bundled_count(fresh):
    global BUNDLED_INDICATORS
    with fresh() as s:
        BUNDLED_INDICATORS = s.exec(select(func.count()).select_from(Indicator).join(Element).join(Framework)
                                    .where(Framework.bundled == True)).one()  # noqa: E712
