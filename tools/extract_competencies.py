#!/usr/bin/env python3
"""Extract the Civil Service Competency Framework (2012) from the seed texts.

Reads the flattened-PDF seed documents and writes
``db/frameworks/data/competencies-2012.json``.

* seeds/001_*  COPFS "Competency Framework for Recruitment & Selection" -
  the only seed with all six levels; it is the REFERENCE and the sole source
  of the JSON content (descriptions and indicators).
* seeds/002_*  "Civil Service Competency Framework By Grade - SMS 1"
  (level 5 only) - used to cross-check level-5 item boundaries and wording.
* seeds/000_*  Home Office candidate pack, Annex J (levels 3 and 4 for some
  competencies, a later revision of the wording) - cross-check only.

Deterministic and rerunnable.  Usage::

    python tools/extract_competencies.py            # write the JSON
    python tools/extract_competencies.py --compare  # also print a report of
                                                    # 001 items not found
                                                    # verbatim in 002 / 000
    python tools/extract_competencies.py --seeds DIR --out FILE
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
DEFAULT_OUT = REPO / "db" / "frameworks" / "data" / "competencies-2012.json"

CLUSTERS = [
    ("Setting Direction", [
        "Seeing the Big Picture",
        "Changing and Improving",
        "Making Effective Decisions",
    ]),
    ("Engaging People", [
        "Leading and Communicating",
        "Collaborating and Partnering",
        "Building Capability for All",
    ]),
    ("Delivering Results", [
        "Achieving Commercial Outcomes",
        "Delivering Value for Money",
        "Managing a Quality Service",
        "Delivering at Pace",
    ]),
]

GRADE_LEVELS = {
    "1": "AA/AO",
    "2": "EO",
    "3": "HEO/SEO",
    "4": "Grade 7/Grade 6",
    "5": "Deputy Director (SCS1)",
    "6": "Director / Director General",
}

LEVEL_WORDS = {"One": "1", "Two": "2", "Three": "3", "Four": "4", "Five": "5", "Six": "6"}

# Capitalised words that occur *inside* indicators (proper nouns); a
# capitalised word that is not one of these starts a new indicator when the
# PDF flattening has run bullets together with no separator at all.
NON_STARTERS = {
    "Department", "Department's", "Departmental", "Departments",
    "Civil", "Service", "Government", "Minister", "Ministers",
    "Non", "Executive", "Directors", "Board", "UK", "EU",
}

# An indicator never ends on one of these words, so never split after them.
NO_END_WORDS = {
    "the", "a", "an", "of", "to", "and", "or", "in", "into", "with", "for",
    "by", "on", "at", "across", "within", "from", "their", "own", "as",
}

HEADING_RE = re.compile(
    r"^(SETTING DIRECTION|ENGAGING PEOPLE|DELIVERING RESULTS) – (.+?)\s*$")
LEVEL_RE = re.compile(r"^Level (One|Two|Three|Four|Five|Six)(?:\t(.*))?$")
TAG_RE = re.compile(r"<[^>]*>")
HYPHEN_BREAK_RE = re.compile(r"([a-z])- ([a-z])")


def norm_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def clean_fragment(s: str) -> str:
    """Remove html tags and bullet glyphs, normalise whitespace."""
    s = TAG_RE.sub(" ", s)
    s = s.replace("•", " ")
    s = norm_ws(s)
    # a word broken across a line/column break ("organ- isation"); none occur
    # in seed 001 (checked), kept for robustness.
    s = HYPHEN_BREAK_RE.sub(r"\1\2", s)
    return s


def split_run_together(text: str) -> list[str]:
    """Split a cell whose bullets were flattened with no separator.

    Each indicator starts with a capitalised (imperative) word; split before
    every capitalised word that is not a known in-sentence proper noun.
    """
    words = text.split(" ")
    items: list[list[str]] = []
    for w in words:
        if not items:
            items.append([w])
            continue
        bare = re.sub(r"[^\w'-]+$", "", w.strip("\"'("))
        prev = items[-1][-1].lower()
        if (bare[:1].isupper() and bare not in NON_STARTERS
                and prev not in NO_END_WORDS):
            items.append([w])
        else:
            items[-1].append(w)
    return [" ".join(i) for i in items]


def split_cell(cell: str) -> list[str]:
    """Indicators of one table cell of seed 001.

    Cells either use "•" separators (a trailing empty bullet is dropped) or
    have no separator at all (split_run_together).
    """
    no_tags = TAG_RE.sub(" ", cell)
    if "•" in no_tags:
        parts = [clean_fragment(p) for p in no_tags.split("•")]
        return [p for p in parts if p]
    return split_run_together(clean_fragment(no_tags))


def parse_001(text: str):
    lines = text.splitlines()
    comps: dict[str, dict] = {}
    cur = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = HEADING_RE.match(line)
        if m:
            cur = {"cluster_heading": m.group(1), "levels": {}}
            comps[m.group(2)] = cur
            i += 1
            continue
        if cur is None:
            i += 1
            continue
        if line.startswith("Description\t"):
            cur["definition"] = norm_ws(line.split("\t", 1)[1])
            i += 1
            continue
        m = LEVEL_RE.match(line)
        if m:
            lvl = LEVEL_WORDS[m.group(1)]
            if m.group(2) is not None:
                cells = m.group(2).split("\t")
                if len(cells) != 2:
                    raise ValueError(f"expected 2 columns: {line[:80]!r}")
                eff = split_cell(cells[0])
                ineff = split_cell(cells[1])
                i += 1
            else:
                # Level Six laid out as two dash lists: "- " starts a list,
                # " - " continues it.
                lists: list[list[str]] = []
                i += 1
                while i < len(lines):
                    ln = lines[i]
                    if ln.startswith("- "):
                        lists.append([ln[2:]])
                    elif ln.startswith(" - "):
                        lists[-1].append(ln[3:])
                    elif ln.strip() == "" and not lists:
                        pass
                    elif ln.strip() == "":
                        # blank line ends the block unless more dashes follow
                        j = i + 1
                        while j < len(lines) and lines[j].strip() == "":
                            j += 1
                        if j < len(lines) and lines[j].lstrip().startswith("- "):
                            i = j
                            continue
                        break
                    else:
                        break
                    i += 1
                if len(lists) != 2:
                    raise ValueError(f"Level Six dash block: {len(lists)} lists")
                eff = [clean_fragment(x) for x in lists[0]]
                ineff = [clean_fragment(x) for x in lists[1]]
            cur["levels"][lvl] = {"effective": eff, "ineffective": ineff}
            continue
        i += 1
    return comps


def build(seeds: Path) -> dict:
    src = next(seeds.glob("001_*.txt"))
    comps = parse_001(src.read_text(encoding="utf-8"))
    elements = []
    for cluster, names in CLUSTERS:
        for name in names:
            c = comps[name]
            assert c["cluster_heading"].lower() == cluster.lower(), name
            assert sorted(c["levels"]) == list("123456"), name
            levels = {}
            for lvl in "123456":
                e = c["levels"][lvl]["effective"]
                n = c["levels"][lvl]["ineffective"]
                assert e and n, (name, lvl)
                levels[lvl] = {"effective": e, "ineffective": n}
            elements.append({
                "name": name,
                "cluster": cluster,
                "definition": c["definition"],
                "levels": levels,
            })
    assert len(elements) == 10 and len(comps) == 10, sorted(comps)
    return {
        "key": "competencies-2012",
        "name": "Civil Service Competency Framework",
        "kind": "competencies",
        "levels": GRADE_LEVELS,
        "elements": elements,
    }


# --------------------------------------------------------------------------
# cross-check against 002 (level 5) and 000 Annex J (levels 3/4)

def columns(block: str) -> tuple[str, str]:
    """Rebuild left/right column text of a flattened two-column table."""
    left, right = [], []
    for ln in block.splitlines():
        ln = TAG_RE.sub(" ", ln)
        if "\t" in ln:
            a, b = ln.split("\t", 1)
            left.append(a)
            right.append(b)
        else:
            left.append(ln)
    return norm_ws(" ".join(left)), norm_ws(" ".join(right))


def sections(text: str, names: list[str]) -> dict[str, str]:
    """Cut text into blocks starting at lines that are a competency name."""
    out: dict[str, str] = {}
    cur = None
    buf: list[str] = []
    for ln in text.splitlines():
        key = re.sub(r"^\d+\.\s*", "", ln).strip()
        if key in names:
            if cur:
                out[cur] = "\n".join(buf)
            cur, buf = key, []
        elif cur:
            buf.append(ln)
    if cur:
        out[cur] = "\n".join(buf)
    return out


def word_diff(a: str, b: str) -> str:
    """Compact word-level diff: [-only in a-] {+only in b+}."""
    aw, bw = a.split(" "), b.split(" ")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, aw, bw).get_opcodes():
        if op == "equal":
            seg = aw[i1:i2]
            out.append(" ".join(seg) if len(seg) <= 6 else
                       " ".join(seg[:3] + ["..."] + seg[-3:]))
        else:
            if i2 > i1:
                out.append("[-" + " ".join(aw[i1:i2]) + "-]")
            if j2 > j1:
                out.append("{+" + " ".join(bw[j1:j2]) + "+}")
    return " ".join(out)


def rows(block: str) -> tuple[list[str], list[str]]:
    """Cells of a one-row-per-item two-column table (seed 000)."""
    left: list[str] = []
    right: list[str] = []
    for ln in block.splitlines():
        ln = TAG_RE.sub(" ", ln)
        if "\t" not in ln or ln.startswith("Effective Behaviour"):
            continue
        a, b = (norm_ws(x) for x in ln.split("\t", 1))
        if not a and not b:
            continue
        if left and a[:1].islower():          # wrapped row continues
            left[-1] += " " + a
            right[-1] += " " + b
        elif a and b:
            left.append(a)
            right.append(b)
    return left, right


def compare(data: dict, seeds: Path) -> None:
    """Print where 002 (level 5) and 000 (levels 3-4) differ from 001."""
    names = [n for _, ns in CLUSTERS for n in ns]
    by_name = {e["name"]: e for e in data["elements"]}
    t002 = next(seeds.glob("002_*.txt")).read_text(encoding="utf-8")
    t002 = t002[t002.index("1. Seeing the Big Picture\n\nEffective"):]
    t000 = next(seeds.glob("000_*.txt")).read_text(encoding="utf-8")
    l4 = t000[t000.index("Level 4 Behavioural Indicators"):
              t000.index("Level 3 behavioural indicators")]
    l3 = t000[t000.index("Level 3 behavioural indicators"):]

    # 002: column text must equal the 001 items joined (same words, order).
    for name, block in sections(t002, names).items():
        left, right = columns(block)
        left = left.replace("Effective Behaviour People who are effective are likely to ", "")
        right = right.replace("Ineffective Behaviour People who are less effective are likely to ", "")
        for col, text in (("effective", left), ("ineffective", right)):
            ours = " ".join(by_name[name]["levels"]["5"][col])
            if ours != text:
                print(f"[002 L5] {name} / {col}: {word_diff(ours, text)}")

    # 000: one row per item - compare cell by cell.
    for lvl, text in (("4", l4), ("3", l3)):
        for name, block in sections(text, names).items():
            cells = dict(zip(("effective", "ineffective"), rows(block)))
            for col, theirs in cells.items():
                ours = by_name[name]["levels"][lvl][col]
                if len(ours) != len(theirs):
                    print(f"[000 L{lvl}] {name} / {col}: {len(ours)} items in 001, "
                          f"{len(theirs)} in 000")
                for k, (a, b) in enumerate(zip(ours, theirs), 1):
                    if a != b:
                        print(f"[000 L{lvl}] {name} / {col} #{k}: {word_diff(a, b)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args(argv)
    data = build(args.seeds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    n = sum(len(l[c]) for e in data["elements"] for l in e["levels"].values()
            for c in ("effective", "ineffective"))
    print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}: "
          f"{len(data['elements'])} competencies, {n} indicators")
    if args.compare:
        compare(data, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
