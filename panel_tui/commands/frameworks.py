"""`panel-tui frameworks list | export | import`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from panel_tui.commands import open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("frameworks", help="list, export or import competency/behaviour frameworks")
    fsub = p.add_subparsers(dest="frameworks_command", required=True, metavar="{list,export,import}")
    ls = fsub.add_parser("list", help="one line per framework: key, name, number of elements")
    ls.set_defaults(handler=list_cmd)
    ex = fsub.add_parser("export", help="print a framework as JSON")
    ex.add_argument("key", help="framework key, e.g. competencies-2012 or success-profiles-behaviours")
    ex.add_argument("--format", choices=["json"], default="json")
    ex.set_defaults(handler=export_cmd)
    im = fsub.add_parser("import", help="load a department's own framework from a TOML or JSON file")
    im.add_argument("file", type=Path)
    im.add_argument("--key", help="key to store it under (default: the file's key, or its name)")
    im.set_defaults(handler=import_cmd)


def list_cmd(args: argparse.Namespace) -> int:
    from db.frameworks import list_frameworks

    with open_db(args).session() as session:
        for fw in list_frameworks(session):
            print(f"{fw.key}\t{fw.name}\t{fw.elements}")
    return 0


def export_cmd(args: argparse.Namespace) -> int:
    from db.frameworks import export_framework

    with open_db(args).session() as session:
        print(json.dumps(export_framework(session, args.key), indent=2, ensure_ascii=False))
    return 0


def import_cmd(args: argparse.Namespace) -> int:
    from db.errors import ValidationError
    from db.frameworks import import_framework, parse_framework_file

    from db.frameworks.spec import MAX_BYTES

    try:
        if args.file.stat().st_size > MAX_BYTES:
            raise ValidationError(f"{args.file.name}: file is too large (the limit is {MAX_BYTES / 1e6:.0f} MB)")
        text = args.file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read {args.file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{args.file.name}: not UTF-8 text") from None
    data = parse_framework_file(text, args.file.name)
    with open_db(args).session() as session:
        fw = import_framework(session, data, key=args.key, source=args.file.name)
        print(fw.key)
    return 0
