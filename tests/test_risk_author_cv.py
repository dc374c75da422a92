"""``bench/risk_author_cv.py``: rows are grouped by the author who wrote them, and every fold holds
out whole authors (the tool the risk model's choices were measured with; see docs/data-team.md)."""

from __future__ import annotations

import re
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


def test_nested_thresholds_choose_on_the_remaining_authors_and_score_the_held_out_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """The threshold-transfer check never lets a held-out author's row into the model or the
    threshold choice that judges it, and scores every project row exactly once."""
    rng = np.random.default_rng(0)
    authors = ["early"] * 60 + [a for a in "abcdefgh" for _ in range(15)]
    n_own = len(authors)
    y = np.asarray(["immediate" if i % 3 == 0 else "none" for i in range(n_own)] + ["none"] * 10)
    texts = np.asarray([f"row {i} " + ("x" * (i % 7)) for i in range(len(y))], dtype=object)
    score = np.where(y == "immediate", 0.7, 0.2) + rng.uniform(-0.15, 0.15, len(y))
    d = {"texts": texts, "y": y, "own": n_own, "groups": authors + [f"other{i % 5}" for i in range(10)],
         "now": np.zeros(n_own, dtype=bool), "bare": np.zeros(n_own, dtype=bool), "floor": 0.05, "floor_now": 0.02}
    scored: list[int] = []
    calls: list[tuple[set[int], set[int]]] = []

    def fake_fit_scores(d_: dict, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        calls.append((set(train.tolist()), set(test.tolist())))
        return score[test]

    monkeypatch.setattr(tool, "_fit_scores", fake_fit_scores)
    tool.nested_thresholds(d, seed=0, budgets=(0.05,))
    outer = tool.author_folds(d["groups"], 0)
    per_fold = 5 + 5 + 1  # inner fits by copies, inner fits by authors, the final fit
    assert len(calls) == per_fold * len(outer)
    for k, (train, test) in enumerate(outer):
        held = set(test[test < n_own].tolist())
        scored.extend(held)
        fits = calls[k * per_fold:(k + 1) * per_fold]
        for fit_train, fit_test in fits[:-1]:  # inner fits: within the remaining rows only
            assert fit_train | fit_test <= set(train.tolist()) and not fit_train & fit_test
        assert fits[-1] == (set(train.tolist()), held)  # the final fit: all remaining rows, scores the held-out
    assert sorted(scored) == list(range(n_own))
    out = capsys.readouterr().out
    results = re.findall(r"inner folds by (copies|authors)\s+at budget 5\.0%: held-out authors' recall ([\d.]+) "
                         r"\((\d+)/(\d+)\), false diversion ([\d.]+)", out)
    assert [r[0] for r in results] == ["copies", "authors"]
    for _policy, recall, caught, positives, false_diversion in results:
        assert int(positives) == int((y[:n_own] == "immediate").sum())
        assert float(recall) > 0.85 and float(false_diversion) <= 0.05
