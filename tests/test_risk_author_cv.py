"""``bench/risk_author_cv.py``: rows are grouped by the author who wrote them, and every fold holds
out whole authors (the tool the risk model's choices were measured with; see docs/data-team.md)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import risk_author_cv as tool  # noqa: E402


@pytest.mark.parametrize(("name", "author"), [
    ("immediate__self_harm__r13u.txt", "r13u"),
    ("high__violence_weapons__r8n.txt", "r8n"),      # round 8's author "n"
    ("high__domestic_abuse__r4neg.txt", "r4"),       # round 4's one author's negatives
    ("none__none__r6_work_talk.txt", "r6"),
    ("none__none__round2.txt", "early"),
    ("none__none__hard_r3.txt", "early"),
    ("elevated__child_safeguarding.txt", "early"),
])
def test_a_batch_file_names_its_author(name: str, author: str) -> None:
    assert tool.author_of(name) == author


def test_every_shipped_batch_row_maps_to_an_author() -> None:
    keys = tool.author_keys()
    authors = Counter(keys.values())
    assert {"early", "r4", "r13t", "r13u", "r13v"} <= set(authors)
    assert len(authors) >= 20


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_folds_hold_out_whole_authors_and_cover_every_row_once(seed: int) -> None:
    groups = ["early"] * 50 + ["a"] * 20 + ["b"] * 18 + ["c"] * 15 + ["d"] * 12 + ["e"] * 10 + ["f"] * 9 + ["g"] * 5
    folds = tool.author_folds(groups, seed)
    assert len(folds) == 5
    tested = np.concatenate([test for _train, test in folds])
    assert sorted(tested.tolist()) == list(range(len(groups)))
    for train, test in folds:
        assert len(test) and not set(train) & set(test)
        assert not {groups[i] for i in train} & {groups[i] for i in test}  # no author on both sides
    others = [tool.author_folds(groups, s) for s in range(seed + 1, seed + 5)]
    assert any([t.tolist() for _tr, t in folds] != [t.tolist() for _tr, t in other] for other in others)
