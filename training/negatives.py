"""Negatives from real public data (by path; never copied into the repository).

* Davidson et al. offensive-language tweets (``labeled_data.csv``): classes 1 (offensive) and
  2 (neither) are angry or profane but not dangerous, so they teach the risk model that swearing
  is not danger (label ``none``). Tweets with obvious threats or violence words are left out,
  and @handles, URLs and retweet markers are stripped.
* CLINC150 (``data_full.json``): ``oos_train`` queries are not police matters (risk ``none``;
  intent ``out_of_scope``).

They are capped so they never swamp the project's own examples.
"""

from __future__ import annotations

import html
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from switchboard.errors import DataError

from .data_io import Row

#: At most this many negative rows in total, and at most this share of the project's own rows.
DEFAULT_CAP = 600
MAX_SHARE = 0.4

_THREAT = re.compile(
    r"\b(kill|killing|killed|murder\w*|shoot\w*|shot|stab\w*|knife|knives|gun\w*|bomb\w*|die|dead|death|"
    r"hurt\w*|beat\w*|attack\w*|rape\w*|suicid\w*|slit|strangl\w*|choke\w*|burn\w*|fight\w*|punch\w*|"
    r"blood\w*|hang\w*|weapon\w*|threat\w*|abuse\w*|hit|smack\w*|slap\w*|kidnap\w*|assault\w*|pills?)\b",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"@\w+:?")
_URL = re.compile(r"https?://\S+|www\.\S+")
_RT = re.compile(r"\bRT\b")
_SPACE = re.compile(r"\s+")


@dataclass
class NegativeSource:
    """What one negatives path contributed (recorded in the model card)."""

    path: str
    found: bool
    rows: int = 0
    label: str = ""
    note: str = ""


@dataclass
class Negatives:
    rows: list[Row] = field(default_factory=list)
    sources: list[NegativeSource] = field(default_factory=list)


def _clean_tweet(text: str) -> str:
    text = html.unescape(text)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _RT.sub(" ", text)
    text = text.replace("!!!", "!").strip(" !:\"'")
    return _SPACE.sub(" ", text).strip()


def _davidson(path: Path, label: str) -> list[str]:
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype={"tweet": str})
    except Exception as exc:  # noqa: BLE001
        raise DataError(str(path), f"cannot read ({type(exc).__name__})") from None
    if "class" not in frame.columns or "tweet" not in frame.columns:
        raise DataError(str(path), "expected the Davidson columns 'class' and 'tweet'")
    out = []
    for cls, tweet in zip(frame["class"], frame["tweet"]):
        if cls not in (1, 2) or not isinstance(tweet, str):
            continue
        text = _clean_tweet(tweet)
        if len(text) < 15 or _THREAT.search(text):
            continue
        out.append(text)
    return out


def _clinc_oos(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(str(path), f"cannot read CLINC150 JSON ({type(exc).__name__})") from None
    items = data.get("oos_train") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DataError(str(path), "expected a CLINC150 data_full.json with an 'oos_train' list")
    return [str(item[0]) for item in items if isinstance(item, list) and item and isinstance(item[0], str)]


def load_negatives(
    paths: Sequence[str | Path],
    kind: str,
    project_rows: int,
    exclude_keys: set[str],
    cap: int = DEFAULT_CAP,
    seed: int = 0,
) -> Negatives:
    """Read the negatives at ``paths`` for a model of ``kind`` (``risk`` or ``intent``).

    :param project_rows: number of the project's own rows (negatives stay below ``MAX_SHARE``).
    :param exclude_keys: near-duplicate keys (training + evaluation texts) to leave out.
    :raises DataError: for a path that exists but is not a known data set.
    """
    from .data_io import near_key

    result = Negatives()
    budget = min(cap, max(10, int(project_rows * MAX_SHARE)))
    per_source: list[tuple[NegativeSource, list[str]]] = []
    for raw in paths:
        path = Path(raw)
        source = NegativeSource(path=str(raw), found=path.is_file())
        result.sources.append(source)
        if not source.found:
            source.note = "not found; trained without it"
            continue
        name = path.name.lower()
        if name == "labeled_data.csv":
            if kind != "risk":
                source.note = "Davidson tweets are only used for the risk model"
                continue
            texts, source.label = _davidson(path, "none"), "none"
        elif name == "data_full.json":
            texts = _clinc_oos(path)
            source.label = "none" if kind == "risk" else "out_of_scope"
        else:
            raise DataError(
                str(path), "unknown negatives file (expected davidson_offensive/labeled_data.csv or clinc150/data_full.json)"
            )
        per_source.append((source, texts))
    if not per_source:
        return result
    # Share the budget: smaller sources first, each up to an equal share of what is left.
    per_source.sort(key=lambda st: len(st[1]))
    rng = random.Random(seed)
    remaining = budget
    for i, (source, texts) in enumerate(per_source):
        share = remaining // (len(per_source) - i)
        pool = list(dict.fromkeys(texts))
        rng.shuffle(pool)
        taken = 0
        for text in pool:
            if taken >= share:
                break
            key = near_key(text)
            if not key or key in exclude_keys:
                continue
            exclude_keys.add(key)
            result.rows.append(Row(text=text, label=source.label, file=source.path, line=0, category="none"))
            taken += 1
        source.rows = taken
        remaining -= taken
    return result
