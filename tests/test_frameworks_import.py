"""Custom frameworks: `panel-tui frameworks import` (TOML and JSON), round trips, refusals, use in a campaign."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.campaigns import campaign_items, create_campaign
from db.errors import ValidationError
from db.frameworks import export_framework, import_framework, list_frameworks, parse_framework_file, validate_framework
from db.interview import indicators
from db.models import Element, Framework, Indicator
from panel_tui.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLE = DOCS / "framework-example.toml"


def run(capsys, db, *args):
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path):
    return tmp_path / "p.db"


def small(**over):
    data = {
        "name": "Small Values",
        "kind": "behaviours",
        "elements": [
            {"name": "Care", "definition": "We care.", "levels": {"2": {"examples": ["Listens.", "Follows up."]}}},
            {"name": "Craft", "levels": {"2": {"examples": ["Checks work."]}, "3": {"examples": ["Coaches."]}}},
        ],
    }
    data.update(over)
    return data


def counts(session):
    return tuple(session.exec(select(func.count()).select_from(m)).one() for m in (Framework, Element, Indicator))


# --- service ------------------------------------------------------------------


def test_example_file_is_valid_and_imports(session):
    data = parse_framework_file(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE.name)
    validate_framework(data)
    fw = import_framework(session, data)
    assert (fw.key, fw.name, fw.kind, fw.bundled) == ("example-agency-values", "Example Agency Values", "competencies", False)
    out = export_framework(session, fw.key)
    assert [e["name"] for e in out["elements"]] == ["Putting the Public First", "Working with Integrity"]
    assert out["levels"] == {"3": "Officer", "4": "Senior Officer"}
    assert out["elements"][0]["levels"]["3"]["ineffective"] == ["Assumes the public understand internal processes and jargon."]


def test_key_defaults_to_name_and_can_be_given(session):
    assert import_framework(session, small()).key == "small-values"
    assert import_framework(session, small(), key="small-2").key == "small-2"
    with pytest.raises(ValidationError, match="a framework with key 'small-values' already exists"):
        import_framework(session, small())


@pytest.mark.parametrize("key", ["competencies-2012", "success-profiles-behaviours"])
def test_bundled_round_trip(session, key):
    exported = export_framework(session, key)
    import_framework(session, json.loads(json.dumps(exported)), key="copy")
    assert export_framework(session, "copy") == exported


@pytest.mark.parametrize(
    "data,message",
    [
        ([1, 2], "framework file: not a valid framework: must be an object (a table)"),
        (small(name=None), "name: must be text (got None)"),
        ({"name": "X", "kind": "behaviours"}, "elements: missing"),
        (small(kind="values"), "kind: must be 'competencies' or 'behaviours' (got 'values')"),
        (small(elements=[]), "elements: must not be empty"),
        (small(colour="blue"), "colour: unknown field"),
        (small(key="Has Spaces"), "key: must be lower-case letters, digits and hyphens (at most 80) (got 'Has Spaces')"),
        (small(levels=["one"]), "levels: must be an object (a table)"),
        (small(levels={"7": "Too high"}), "levels.7: key must be a level from 1 to 6 (got '7')"),
        (small(elements=[{"levels": {"1": {"examples": ["x"]}}}]), "elements[0].name: missing"),
        (small(elements=[{"name": 5, "levels": {"1": {"examples": ["x"]}}}]), "elements[0].name: must be text (got 5)"),
        (small(elements=[{"name": "A", "levels": {"1": {"examples": ["x"]}}},
                         {"name": "a", "levels": {"1": {"examples": ["x"]}}}]), "element 'a' appears twice"),
        (small(elements=[{"name": "A"}]), "elements[0].levels: missing"),
        (small(elements=[{"name": "A", "levels": {"0": {"examples": ["x"]}}}]), "elements[0].levels.0: key must be a level from 1 to 6 (got '0')"),
        (small(elements=[{"name": "A", "levels": {"1": ["x"]}}]), "elements[0].levels.1: must be an object (a table)"),
        (small(elements=[{"name": "A", "levels": {"1": {"effective": ["x"]}}}]), "'effective' is not one of examples"),
        (small(elements=[{"name": "A", "levels": {"1": {"examples": ["x", " "]}}}]), "elements[0].levels.1.examples[1]: must not be empty"),
        (small(elements=[{"name": "A", "cluster": 3, "levels": {"1": {"examples": ["x"]}}}]), "elements[0].cluster: must be text (got 3)"),
        (small(elements=[{"name": "A", "levels": {"1": {"examples": ["x"]}}, "notes": ""}]), "elements[0].notes: unknown field"),
    ],
)
def test_invalid_framework_changes_nothing(session, data, message):
    before = counts(session)
    with pytest.raises(ValidationError) as exc:
        import_framework(session, data)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert counts(session) == before


def test_bad_key_argument(session):
    with pytest.raises(ValidationError, match="framework key 'My Key' must be lower-case"):
        import_framework(session, small(), key="My Key")


def test_parse_errors():
    with pytest.raises(ValidationError, match=r"^f.json: not valid JSON \(line 1: "):
        parse_framework_file("{nope", "f.json")
    with pytest.raises(ValidationError, match=r"^f.toml: not valid TOML \("):
        parse_framework_file("name = ", "f.toml")


def test_imported_framework_in_a_campaign(session):
    fw = import_framework(session, tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    c = create_campaign(session, {
        "title": "Officer", "framework": fw.key, "grade": "Band 3", "level": 3,
        "items": ["putting the public first", "Working with Integrity"], "lead": "Working with Integrity",
    })
    items = campaign_items(session, c.id)
    assert [(i.name, i.kind, i.is_lead) for i in items] == [
        ("Putting the Public First", "competency", False), ("Working with Integrity", "competency", True),
    ]
    shown = indicators(session, items[0].element_id, c.level)
    assert [(i.kind, i.text[:20]) for i in shown] == [
        ("effective", "Asks service users w"), ("effective", "Explains decisions t"), ("ineffective", "Assumes the public u"),
    ]


# --- CLI -------------------------------------------------------------------------


def test_cli_import_toml_then_list_and_export(capsys, db):
    assert run(capsys, db, "frameworks", "import", str(EXAMPLE)) == (0, "example-agency-values\n", "")
    out = run(capsys, db, "frameworks", "list")[1]
    assert "example-agency-values\tExample Agency Values\t2\n" in out
    code, out, _ = run(capsys, db, "frameworks", "export", "example-agency-values")
    assert code == 0
    assert json.loads(out)["elements"][1]["name"] == "Working with Integrity"


def test_cli_round_trip_json(capsys, db, tmp_path):
    for key in ("competencies-2012", "success-profiles-behaviours"):
        code, exported, _ = run(capsys, db, "frameworks", "export", key)
        f = tmp_path / f"{key}.json"
        f.write_text(exported, encoding="utf-8")
        assert run(capsys, db, "frameworks", "import", str(f), "--key", f"{key}-copy") == (0, f"{key}-copy\n", "")
        assert run(capsys, db, "frameworks", "export", f"{key}-copy")[1] == exported


def test_cli_round_trip_toml_import_json_reimport(capsys, db, tmp_path):
    run(capsys, db, "frameworks", "import", str(EXAMPLE))
    exported = run(capsys, db, "frameworks", "export", "example-agency-values")[1]
    f = tmp_path / "again.json"
    f.write_text(exported, encoding="utf-8")
    assert run(capsys, db, "frameworks", "import", str(f), "--key", "again")[0] == 0
    assert run(capsys, db, "frameworks", "export", "again")[1] == exported


INVALID_FILES = [
    ("bad.json", '{"name": "X",', "panel-tui: bad.json: not valid JSON (line 1: "),
    ("bad.toml", 'name = "X"\nkind = \n', "panel-tui: bad.toml: not valid TOML ("),
    ("nokind.toml", 'name = "X"\n[[elements]]\nname = "A"\n', "panel-tui: nokind.toml: not a valid framework: kind: missing"),
    ("wrong.json", json.dumps(small(kind="competencies")), "panel-tui: wrong.json: not a valid framework: element 'Care' level 2: 'examples' is not one of effective, ineffective"),
    ("dupe.toml", EXAMPLE.read_text(encoding="utf-8").replace("Working with Integrity", "Putting the Public First"),
     "panel-tui: dupe.toml: not a valid framework: element 'Putting the Public First' appears twice"),
    ("bundled.json", json.dumps(small(key="competencies-2012")), "panel-tui: a framework with key 'competencies-2012' already exists"),
]


@pytest.mark.parametrize("name,text,message", INVALID_FILES, ids=[n for n, _, _ in INVALID_FILES])
def test_cli_invalid_files(capsys, db, tmp_path, name, text, message):
    before = run(capsys, db, "frameworks", "list")[1]
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, db, "frameworks", "import", str(f))
    assert code == 1 and out == ""
    assert err.startswith(message) and err.count("\n") == 1
    assert run(capsys, db, "frameworks", "list")[1] == before


def test_cli_import_missing_file(capsys, db, tmp_path):
    code, _, err = run(capsys, db, "frameworks", "import", str(tmp_path / "none.toml"))
    assert code == 1 and err.startswith("panel-tui: cannot read ")


def test_cli_import_twice_refused(capsys, db):
    assert run(capsys, db, "frameworks", "import", str(EXAMPLE))[0] == 0
    code, _, err = run(capsys, db, "frameworks", "import", str(EXAMPLE))
    assert code == 1 and err == "panel-tui: a framework with key 'example-agency-values' already exists\n"


def test_cli_imported_framework_used_by_campaign_create(capsys, db, tmp_path):
    assert run(capsys, db, "frameworks", "import", str(EXAMPLE))[0] == 0
    f = tmp_path / "c.toml"
    f.write_text(
        'title = "Customer Officer"\ngrade = "Officer"\nlevel = 3\nframework = "example-agency-values"\n'
        'items = ["Putting the Public First", "Working with Integrity", '
        '{ name = "Written exercise", kind = "technical" }]\n'
        'lead = "Putting the Public First"\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, db, "campaign", "create", str(f))
    assert (code, out, err) == (0, "customer-officer\n", "")
    show = run(capsys, db, "campaign", "show", "customer-officer")[1]
    assert "Framework:  Example Agency Values (example-agency-values)" in show
    assert "1. Putting the Public First  pass 4  (lead)" in show
    assert "3. Written exercise [technical]  pass 4" in show
    # An element the framework does not have is refused by name.
    f.write_text('title = "X"\nlevel = 3\nframework = "example-agency-values"\nitems = ["Leadership"]\n', encoding="utf-8")
    code, _, err = run(capsys, db, "campaign", "create", str(f))
    assert code == 1 and err == "panel-tui: c.toml: 'Leadership' is not an element of framework example-agency-values\n"


def test_list_frameworks_marks_custom(session):
    import_framework(session, small())
    rows = {f.key: f for f in list_frameworks(session)}
    assert rows["small-values"].bundled is False and rows["small-values"].elements == 2
    assert rows["competencies-2012"].bundled is True


@pytest.mark.parametrize("bad_key", ["\n", "\x1b]2;pwned\x07", "a\u202eb"])
def test_an_unknown_field_named_with_control_characters_is_named_on_one_harmless_line(session, bad_key):
    """Found by the fuzz test: a field called '\\n' split the error over two lines."""
    doc = small()
    doc[bad_key] = 1
    with pytest.raises(ValidationError) as err:
        import_framework(session, doc, source="fw.json")
    message = str(err.value)
    assert "unknown field" in message
    assert "\n" not in message and "\x1b" not in message and "\u202e" not in message
