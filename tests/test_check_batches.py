"""``training/data/authoring/check_batches.py``: an author's new rows that repeat another batch or
nearly duplicate a held-out row are listed (own rows only; a held-out text is never printed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

AUTHORING = Path(__file__).resolve().parent.parent / "training" / "data" / "authoring"
sys.path.insert(0, str(AUTHORING))

import build  # noqa: E402
import check_batches  # noqa: E402

HELD_TEXT = "the held out message says a man is climbing over the back fence with a crowbar right now"


@pytest.fixture
def batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "batches"
    folder.mkdir()
    (folder / "none__none__old.txt").write_text("I'm missing my bus because I'm waiting for a reply\n", encoding="utf-8")
    held = tmp_path / "held.csv"
    held.write_text(f'text,label,category,kind\n"{HELD_TEXT}",immediate,crime_in_progress,plain\n', encoding="utf-8")
    monkeypatch.setattr(check_batches, "BATCHES", folder)
    monkeypatch.setattr(check_batches, "read_batches", lambda: build.read_batches(folder))
    monkeypatch.setattr(check_batches, "HELD_OUT", {"evaluation": [held], "hold-out": [tmp_path / "absent.csv"]})
    return folder


def test_own_rows_that_repeat_or_nearly_duplicate_are_listed_without_the_held_out_text(batches, capsys) -> None:
    (batches / "immediate__crime_in_progress__r99x.txt").write_text(
        "The held out message says a man is climbing over the back fence with a crowbar right now!\n"
        "\n"
        "I'M MISSING my bus, because I'm waiting for a reply!\n"
        "a brand new sentence about a van blocking my drive\n",
        encoding="utf-8",
    )
    assert check_batches.main(["r99x"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("immediate__crime_in_progress__r99x.txt:1: near duplicate of a evaluation row") for line in lines)
    assert any(line.startswith("immediate__crime_in_progress__r99x.txt:3: repeats another batch's row") for line in lines)
    assert not any(":4:" in line for line in lines)
    assert HELD_TEXT not in out  # only the author's own (differently cased) row is quoted
    assert "2 problem(s)" in out


def test_clean_rows_pass_and_a_misnamed_file_or_missing_note_is_reported(batches, capsys) -> None:
    (batches / "none__none__r99y.txt").write_text("can I park on the verge outside the school\n", encoding="utf-8")
    assert check_batches.main(["r99y"]) == 0
    assert "ok: nothing to reword" in capsys.readouterr().out
    assert check_batches.main(["r99z"]) == 1
    assert "no batch files with note r99z" in capsys.readouterr().out
    (batches / "urgent__none__r99y.txt").write_text("x\n", encoding="utf-8")
    assert check_batches.main(["r99y"]) == 1
    assert "urgent__none__r99y.txt: name must be" in capsys.readouterr().out
    assert check_batches.main([]) == 2
