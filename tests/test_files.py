"""db/files: exports are written owner-only and all-or-nothing."""

from __future__ import annotations

import os

import pytest

from db.files import private_file, write_private


def test_write_private_is_owner_only_even_over_an_open_file(tmp_path):
    target = tmp_path / "merit.csv"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_private(target, "rank,ref\n1,HRBP-001\n")
    assert target.read_text() == "rank,ref\n1,HRBP-001\n"
    assert (target.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["merit.csv"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "record.pdf"
    target.write_bytes(b"%PDF old")
    with pytest.raises(RuntimeError):
        with private_file(target) as tmp:
            tmp.write_bytes(b"%PDF half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"%PDF old"
    assert [p.name for p in tmp_path.iterdir()] == ["record.pdf"]


def test_a_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        write_private(tmp_path / "nowhere" / "x.txt", "x")
