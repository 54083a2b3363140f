#!/usr/bin/env python3
"""Extract Success Profiles behaviours and reference data from the seed documents.

Deterministic and rerunnable. Reads (read-only) seed text files and writes:

  db/frameworks/data/success-profiles-behaviours.json   (from seeds/003_*)
  db/frameworks/data/reference.json                     (from seeds/000_*, 001_*, 003_*)

Usage:
  python tools/extract_behaviours.py [--seeds DIR]

The seeds directory defaults to $PANEL_SEEDS_DIR, else <repo>/../shared/seeds.
See db/frameworks/BEHAVIOURS_NOTES.md for the judgement calls made here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "db" / "frameworks" / "data"
DEFAULT_SEEDS = REPO.parent / "shared" / "seeds"

BEHAVIOURS = [
    "Seeing the Big Picture",
    "Changing and Improving",
    "Making Effective Decisions",
    "Leadership",
    "Communicating and Influencing",
    "Working Together",
    "Developing Self and Others",
    "Managing a Quality Service",
    "Delivering at Pace",
]

# Civil Service Competency Framework 2012 names (the ten competencies).
FRAMEWORK_2012 = [
    "Seeing the Big Picture",
    "Changing and Improving",
    "Making Effective Decisions",
    "Leading and Communicating",
    "Collaborating and Partnering",
    "Building Capability for All",
    "Achieving Commercial Outcomes",
    "Delivering Value for Money",
    "Managing a Quality Service",
    "Delivering at Pace",
]

# Names a seed might use that differ slightly from the framework name.
COMPETENCY_ALIASES = {
    "Seeing the Bigger Picture": "Seeing the Big Picture",
    "Building Capability For All": "Building Capability for All",
    "Leading & Communicating": "Leading and Communicating",
    "Collaborating & Partnering": "Collaborating and Partnering",
}

OTHER_ELEMENTS = ["Strengths", "Ability", "Experience", "Technical"]

# Civil Service grade -> level, as stated by the seeds (see BEHAVIOURS_NOTES.md).
CIVIL_SERVICE_GRADES = [
    ("AA", 1),  # 003: "Level 1 - AA and AO or equivalent"
    ("AO", 1),
    ("EO", 2),  # 003: "Level 2 – EO or equivalent"
    ("HEO", 3),  # 003: "Level 3 – HEO and SEO or equivalent"
    ("SEO", 3),  # 000: "Level 3 behavioural indicators for SEO Posts"
    ("Grade 7", 4),  # 003: "Level 4 - Grade 7 and 6"; 000: "Level 4 ... Grade 6 and Grade 7 Posts"
    ("Grade 6", 4),
    ("Deputy Director", 5),  # 003: "Level 5 - Deputy Director or equivalent"
    ("SCS1", 5),  # Deputy Director = SCS pay band 1 (brief; 002 "By Grade – SMS 1")
    ("Director", 6),  # 003: "Level 6 - Director and Director General"
    ("Director General", 6),
]

# Abbreviations whose trailing full stop must never end a sentence.
ABBREVIATIONS = ["e.g.", "i.e.", "etc.", "cf.", "viz.", "vs.", "approx.", "incl.",
                 "Mr.", "Mrs.", "Ms.", "Dr.", "No.", "St."]

DASHES = "-\u2013\u2014"


# --------------------------------------------------------------------------- #
# text helpers
# --------------------------------------------------------------------------- #

def normalise(text: str) -> str:
    """Whitespace-normalise and repair common PDF-to-text artefacts."""
    text = text.replace("\u00ad", "")  # soft hyphen
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl")  # ligatures
    text = re.sub(r"</?(?:b|i|u|p|strong|em|span)[^>]*>", "", text)  # stray markup
    text = text.replace("**", "")  # markdown bold
    text = re.sub(r"^\s*[\u2022\u25cf\u25aa\uf0b7]\s*", "", text)  # leading bullets
    text = re.sub(r"\s+", " ", text)  # tabs, NBSP, newlines, double spaces
    return text.strip()


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences; " ".join(result) == paragraph.

    A boundary is [.!?] (optionally followed by a closing quote/bracket) then
    whitespace then an upper-case letter, digit or opening quote. Boundaries
    directly after a known abbreviation (e.g., i.e., ...) are suppressed.
    """
    assert paragraph == normalise(paragraph), "paragraph must be normalised first"
    sentences: list[str] = []
    start = 0
    for m in re.finditer(r"[.!?][\"'\u2019\u201d)]?( )(?=[A-Z0-9\"'\u2018\u201c])", paragraph):
        end = m.start(1)
        candidate = paragraph[start:end]
        last_word = candidate.rsplit(" ", 1)[-1]
        if any(last_word.endswith(a) for a in ABBREVIATIONS):
            continue
        sentences.append(candidate)
        start = m.end(1)
    sentences.append(paragraph[start:])
    assert " ".join(sentences) == paragraph
    return sentences


def seed_file(seeds: Path, prefix: str) -> Path:
    matches = sorted(seeds.glob(f"{prefix}_*.txt"))
    if len(matches) != 1:
        sys.exit(f"expected exactly one seed {prefix}_*.txt in {seeds}, found {matches}")
    return matches[0]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- #
# 003: Success Profiles behaviours
# --------------------------------------------------------------------------- #

LEVEL_H1 = re.compile(rf"^#\s+Level\s+([1-6])\s*[{DASHES}]\s*(.+?)\s*$")
CONTENTS_ROW = re.compile(r"^(?:<b>)?\s*Level\s+([1-6])\s*(?:</b>)?\t+(.+?)\t+\d+\s*$")


def parse_success_profiles(text: str) -> dict:
    lines = text.split("\n")

    # Level names from the Contents table ("<b>Level 1</b>\tAA and AO or equivalent\t1").
    level_names: dict[str, str] = {}
    for line in lines:
        m = CONTENTS_ROW.match(line)
        if m:
            level_names[m.group(1)] = normalise(m.group(2))

    # Walk headings; collect paragraphs under "## <behaviour>".
    definitions: dict[str, list[str]] = {}
    examples: dict[tuple[str, str], list[str]] = {}
    section: str | None = None  # "definitions" | level number | None
    current: list[str] | None = None
    for line in lines:
        if line.startswith("# "):
            current = None
            h1 = normalise(line[2:])
            m = LEVEL_H1.match(line)
            if h1 == "Definitions of Behaviours":
                section = "definitions"
            elif m:
                section = m.group(1)
                # Page headings repeat the level name; it must agree with Contents.
                heading_name = normalise(m.group(2))
                level_names.setdefault(section, heading_name)
                if level_names[section] != heading_name:
                    sys.exit(f"level {section} name mismatch: {level_names[section]!r} vs {heading_name!r}")
            else:
                section = None
            continue
        if line.startswith("## "):
            name = normalise(line[3:])
            current = None
            if section is None or name not in BEHAVIOURS:
                continue
            if section == "definitions":
                if name in definitions:
                    sys.exit(f"duplicate definition for {name}")
                current = definitions[name] = []
            else:
                if (section, name) in examples:
                    sys.exit(f"duplicate level {section} block for {name}")
                current = examples[(section, name)] = []
            continue
        if current is not None and line.strip():
            current.append(line)

    for lvl in map(str, range(1, 7)):
        if lvl not in level_names:
            sys.exit(f"no name for level {lvl}")

    elements = []
    for name in BEHAVIOURS:
        if name not in definitions:
            sys.exit(f"no definition for {name}")
        definition = normalise(" ".join(definitions[name]))
        levels = {}
        for lvl in map(str, range(1, 7)):
            if (lvl, name) not in examples:
                sys.exit(f"no level {lvl} examples for {name}")
            paragraph = normalise(" ".join(examples[(lvl, name)]))
            if not paragraph:
                sys.exit(f"empty level {lvl} examples for {name}")
            levels[lvl] = {"examples": split_sentences(paragraph)}
        elements.append({
            "name": name,
            "cluster": None,
            "definition": definition,
            "levels": levels,
        })

    other = []
    for name in OTHER_ELEMENTS:
        m = re.search(rf"^-\s*\*\*{name}\*\*\s*[{DASHES}]\s*(.+?)\s*$", text, re.M)
        if not m:
            sys.exit(f"no description for Success Profiles element {name}")
        other.append({"name": name, "description": normalise(m.group(1))})

    return {
        "level_names": {k: level_names[k] for k in sorted(level_names)},
        "elements": elements,
        "other_elements": other,
    }


# --------------------------------------------------------------------------- #
# 001: COPFS core competency levels table
# --------------------------------------------------------------------------- #

def parse_copfs(text: str) -> tuple[list[dict], dict[str, list[int]]]:
    lines = text.split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == "COPFS Core Competency Levels"
                     and i + 2 < len(lines) and "Level 1" in lines[i + 2])
    except StopIteration:
        sys.exit("COPFS Core Competency Levels table not found")
    header = lines[start + 2].split("\t")
    # header cells look like "Level 3 Band D & E", "Level 5 SCS 1 & 1A"
    col_level: list[int | None] = []
    grades: list[dict] = []
    for cell in header:
        m = re.match(r"^Level\s+([1-6])\s+(.+)$", cell.strip())
        if not m:
            col_level.append(None)
            continue
        level = int(m.group(1))
        col_level.append(level)
        spec = m.group(2)
        prefix = re.match(r"^(Band|SCS)\s+", spec)
        if not prefix:
            sys.exit(f"unrecognised COPFS grade cell {cell!r}")
        kind = prefix.group(1)
        for part in re.split(r"\s*(?:,|&)\s*", spec[prefix.end():]):
            grades.append({"grade": f"{kind} {part}", "level": level})

    table: dict[str, list[int]] = {}
    for line in lines[start + 3:]:
        if not line.strip():
            if table:
                break
            continue
        cells = line.split("\t")
        name = normalise(cells[0])
        name = COMPETENCY_ALIASES.get(name, name)
        if name not in FRAMEWORK_2012:
            break
        levels = []
        for idx, cell in enumerate(cells[1:], start=1):
            cell = cell.strip()
            if re.fullmatch(r"[1-6]", cell):
                if idx >= len(col_level) or col_level[idx] != int(cell):
                    sys.exit(f"COPFS table cell {cell!r} in wrong column for {name}")
                levels.append(int(cell))
        table[name] = levels
    if len(table) != 10:
        sys.exit(f"COPFS table: expected 10 competencies, got {len(table)}")
    return grades, table


# --------------------------------------------------------------------------- #
# 000: Home Office candidate pack (Annex A-I roles, campaign rules)
# --------------------------------------------------------------------------- #

GRADE_HEADLINE = re.compile(
    rf"^(?P<title>.+?)\s*[{DASHES}]\s*Civil Service\s+(?P<grade>.+?)\s*\((?P<location>[^()]+)\)\s*$")


def normalise_grade(raw: str) -> str:
    raw = normalise(raw)
    m = re.fullmatch(r".*\((SEO|HEO|EO|AO|AA)\)", raw)
    if m:  # "Senior Executive Officer (SEO)" -> "SEO"
        return m.group(1)
    if re.fullmatch(r"Grade [67]|SEO|HEO|EO|AO|AA", raw):
        return raw
    sys.exit(f"unrecognised grade {raw!r}")


def first_sentences(paragraph: str, n: int) -> str:
    return " ".join(split_sentences(normalise(paragraph))[:n])


def exact_quote(text: str, quote: str) -> str:
    if quote not in normalise(text):
        sys.exit(f"quote not found in seed 000: {quote!r}")
    return quote


def parse_candidate_pack(text: str, grade_map: dict[str, int]) -> tuple[list[dict], dict]:
    lines = text.split("\n")
    annex_idx = [(i, m.group(1)) for i, l in enumerate(lines)
                 if (m := re.fullmatch(r"ANNEX ([A-Z])\s*", l))]
    roles = []
    for n, (i, letter) in enumerate(annex_idx):
        if letter == "J":  # the competency framework itself, not a role
            continue
        end = annex_idx[n + 1][0] if n + 1 < len(annex_idx) else len(lines)
        block = [l for l in lines[i + 1:end]]
        nonempty = [l for l in block if l.strip()]
        m = GRADE_HEADLINE.match(nonempty[0])
        if not m:
            sys.exit(f"annex {letter}: cannot parse headline {nonempty[0]!r}")
        title = normalise(m.group("title"))
        grade = normalise_grade(m.group("grade"))
        location = normalise(m.group("location"))

        # Summary: first (up to two) sentences of the first paragraph of "The Role".
        role_at = nonempty.index("The Role")
        summary = first_sentences(nonempty[role_at + 1], 2)

        # Competencies: numbered list after "At interview, you will be assessed against ...".
        intro_at = next(k for k, l in enumerate(nonempty) if l.startswith("At interview, you will be assessed"))
        fw = re.search(r"Framework Level ([1-6])", nonempty[intro_at])
        stated_level = int(fw.group(1)) if fw else None
        comps = []
        for l in nonempty[intro_at + 1:]:
            mm = re.match(r"^\d+\.\s+(.+?)\s*$", l)
            if not mm:
                break
            name = normalise(mm.group(1))
            name = COMPETENCY_ALIASES.get(name, name)
            if name not in FRAMEWORK_2012:
                sys.exit(f"annex {letter}: unknown competency {name!r}")
            comps.append(name)
        level = grade_map[grade]
        if stated_level is not None and stated_level != level:
            sys.exit(f"annex {letter}: grade {grade} maps to level {level} but annex states {stated_level}")

        # Lead competency: only if the annex itself names one.
        lead = None
        for l in nonempty:
            ml = re.search(r"lead competenc(?:y|ies)\s*(?:is|:)\s*(.+)", l, re.I)
            if ml:
                lead = normalise(ml.group(1)).rstrip(".")
        roles.append({
            "annex": letter,
            "title": title,
            "grade": grade,
            "level": level,
            "location": location,
            "competencies": comps,
            "lead": lead,
            "summary": summary,
        })

    rules = {
        "reserve_list_months": 12,
        "retention_months": 24,
        "quotes": {
            "reserve_list": exact_quote(text, "we may hold applicants who meet the standard at interview, on a reserve list for 12 months"),
            "retention": exact_quote(text, "will not be retained beyond 24 months should your application be unsuccessful"),
            "ranking": exact_quote(text, "All applicants who are interviewed will be scored and ranked."),
            "merit_order": exact_quote(text, "Offers will be made in merit order."),
            "top_scoring": exact_quote(text, "Top scoring applicants will receive confirmation via email of their recommendation for appointment, subject to completion of the appropriate pre-employment checks."),
            "feedback": exact_quote(text, "We will provide feedback to those who progress to the interview stage."),
            "shortlisting": exact_quote(text, "This interview will focus on the behavioural indicators of two lead competencies and your aspirations."),
        },
    }
    # Cross-check the numbers against the quotes.
    assert str(rules["reserve_list_months"]) in rules["quotes"]["reserve_list"]
    assert str(rules["retention_months"]) in rules["quotes"]["retention"]
    return roles, rules


# --------------------------------------------------------------------------- #

def dump(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=Path,
                    default=Path(os.environ.get("PANEL_SEEDS_DIR", DEFAULT_SEEDS)))
    args = ap.parse_args(argv)
    seeds: Path = args.seeds
    if not seeds.is_dir():
        sys.exit(f"seeds directory not found: {seeds}")

    sp = parse_success_profiles(read(seed_file(seeds, "003")))
    copfs_grades, copfs_table = parse_copfs(read(seed_file(seeds, "001")))
    cs_grades = [{"grade": g, "level": lvl} for g, lvl in CIVIL_SERVICE_GRADES]
    roles, rules = parse_candidate_pack(read(seed_file(seeds, "000")),
                                        {g: lvl for g, lvl in CIVIL_SERVICE_GRADES})

    behaviours = {
        "key": "success-profiles-behaviours",
        "name": "Success Profiles: Civil Service Behaviours",
        "kind": "behaviours",
        "levels": sp["level_names"],
        "elements": sp["elements"],
    }
    reference = {
        "level_names": sp["level_names"],
        "grade_levels": {"civil-service": cs_grades, "copfs": copfs_grades},
        "copfs_competency_levels": copfs_table,
        "other_elements": sp["other_elements"],
        "role_templates": roles,
        "campaign_rules": rules,
    }
    dump(DATA_DIR / "success-profiles-behaviours.json", behaviours)
    dump(DATA_DIR / "reference.json", reference)

    n_items = sum(len(lv["examples"]) for e in sp["elements"] for lv in e["levels"].values())
    print(f"wrote {len(sp['elements'])} behaviours, {n_items} example sentences; "
          f"{len(roles)} roles; {len(copfs_table)} COPFS competencies")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
