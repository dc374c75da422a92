"""Read labelled data (CSV, JSONL or Parquet) and validate it before anything is trained.

Every problem is collected, with the file and line (CSV: the spreadsheet row, header = 1;
JSONL: the line; Parquet: the row), and reported together as one :class:`DataProblems` error,
one line per problem. Warnings (class imbalance) are returned, not raised.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from switchboard.datafiles import iter_jsonl
from switchboard.errors import DataError
from switchboard.text import normalise

_NON_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


class DataProblems(DataError):
    """Several problems in the input data; ``problems`` holds one ``location: problem`` line each."""

    def __init__(self, problems: Sequence[str], what: str = "the training data") -> None:
        self.problems = list(problems)
        first_location = self.problems[0].split(": ", 1)[0] if self.problems else what
        super().__init__(first_location, "")
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {what}; nothing was written:"
        self.message = head + "\n" + "\n".join(f"  {p}" for p in self.problems)

    def __str__(self) -> str:
        return self.message


@dataclass
class Row:
    """One labelled example and where it came from."""

    text: str
    label: str
    file: str
    line: int
    category: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Dataset:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.rows]

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.rows]


def exact_key(text: str) -> str:
    """Texts equal after normalisation (case, Unicode, quotes, white space) are duplicates."""
    return normalise(text)


def near_key(text: str) -> str:
    """Texts equal after also dropping punctuation and masking digits are near duplicates."""
    return " ".join(_NON_WORD.sub(" ", _DIGIT.sub("0", normalise(text))).split())


def variant_group(text: str) -> str:
    """A crude key that puts a message and its scripted noisy copies (case, punctuation, a
    text-speak swap or a typo late in the message) in the same group, so cross-validation never
    scores a message with its own copy in the training folds (which flatters the figures and
    biases thresholds chosen on them)."""
    return re.sub(r"[^a-z]", "", text.lower())[:40]


def _frame(path: Path) -> tuple[Any, str]:
    """Load a file into a pandas DataFrame; returns ``(frame, line_kind)``."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path), "parquet"
    if suffix in (".jsonl", ".ndjson", ".json"):
        records = []
        text = path.read_bytes().decode("utf-8-sig")
        lines = []
        for lineno, obj in iter_jsonl(str(path), text):
            records.append(obj)
            lines.append(lineno)
        frame = pd.DataFrame.from_records(records)
        frame["__line__"] = lines
        return frame, "jsonl"
    sep = "\t" if suffix == ".tsv" else ","
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=sep)
    return frame, "csv"


def read_labelled(
    path: str | Path,
    labels: Sequence[str],
    text_column: str = "text",
    label_column: str = "label",
    category_column: str | None = None,
    categories: Sequence[str] = (),
) -> Dataset:
    """Read one labelled file; problems (never exceptions) for anything wrong in it.

    :param labels: the allowed labels.
    :param category_column: optional column with a risk category per row (ignored if absent).
    """
    out = Dataset()
    p = Path(path)
    name = str(path)
    if not p.exists():
        out.problems.append(f"{name}: file not found")
        return out
    if p.is_dir():
        out.problems.append(f"{name}: is a directory, not a file")
        return out
    try:
        frame, line_kind = _frame(p)
    except DataError as exc:
        out.problems.append(str(exc))
        return out
    except UnicodeDecodeError:
        out.problems.append(f"{name}: not UTF-8 text (save the file as UTF-8)")
        return out
    except Exception as exc:  # noqa: BLE001 - pandas/pyarrow raise many types for unreadable files
        out.problems.append(f"{name}: cannot read as {p.suffix.lstrip('.') or 'CSV'} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
        return out
    columns = [str(c) for c in frame.columns if c != "__line__"]
    missing = [c for c in (text_column, label_column) if c not in columns]
    if missing:
        for col in missing:
            out.problems.append(
                f"{name}: no {col!r} column (columns: {', '.join(columns) or 'none'})"
                + _suggest(col, columns)
            )
        return out
    if len(frame) == 0:
        out.problems.append(f"{name}: no rows")
        return out
    has_category = bool(category_column) and category_column in columns
    allowed = set(labels)
    allowed_categories = set(categories)
    for i, rec in enumerate(frame.to_dict("records")):
        if line_kind == "csv":
            line = i + 2
        elif line_kind == "jsonl":
            line = int(rec["__line__"])
        else:
            line = i + 1
        where = f"{name}:{line}"
        text = _as_text(rec.get(text_column))
        label = _as_text(rec.get(label_column)).strip()
        category = _as_text(rec.get(category_column)).strip() if has_category and category_column else ""
        bad = False
        if not text.strip():
            out.problems.append(f"{where}: empty text")
            bad = True
        if not label:
            out.problems.append(f"{where}: missing label")
            bad = True
        elif label not in allowed:
            out.problems.append(f"{where}: unknown label {label!r}" + _suggest(label, allowed))
            bad = True
        if category and allowed_categories and category not in allowed_categories:
            out.problems.append(f"{where}: unknown category {category!r}" + _suggest(category, allowed_categories))
            bad = True
        if not bad:
            out.rows.append(Row(text=text, label=label, file=name, line=line, category=category))
    return out


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return str(value)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_duplicates(rows: Sequence[Row], problems: list[str]) -> None:
    """Exact and near duplicates (and conflicting labels) within the training rows."""
    seen_exact: dict[str, Row] = {}
    seen_near: dict[str, Row] = {}
    for row in rows:
        ek, nk = exact_key(row.text), near_key(row.text)
        first = seen_exact.get(ek)
        if first is not None:
            if first.label != row.label:
                problems.append(
                    f"{row.where}: same text as {first.where} but labelled {row.label!r} here and {first.label!r} there"
                )
            else:
                problems.append(f"{row.where}: exact duplicate of {first.where}")
            continue
        seen_exact[ek] = row
        first = seen_near.get(nk)
        if first is not None and nk:
            conflict = f" (and labelled {row.label!r} here, {first.label!r} there)" if first.label != row.label else ""
            problems.append(
                f"{row.where}: near duplicate of {first.where} (differs only in case, punctuation or numbers){conflict}"
            )
            continue
        seen_near[nk] = row


def check_eval_overlap(rows: Sequence[Row], eval_rows: Sequence[Row], problems: list[str]) -> None:
    """Training rows that also appear (exactly or nearly) in the evaluation set."""
    index = {near_key(r.text): r for r in eval_rows}
    for row in rows:
        hit = index.get(near_key(row.text))
        if hit is not None:
            problems.append(f"{row.where}: also in the evaluation set at {hit.where} (remove it from one of them)")


def imbalance_warnings(rows: Sequence[Row], labels: Sequence[str]) -> list[str]:
    """Warn about labels with very few examples (they will be learned poorly)."""
    from collections import Counter

    counts = Counter(r.label for r in rows)
    total = sum(counts.values()) or 1
    largest = max(counts.values(), default=0)
    out = []
    for label in labels:
        n = counts.get(label, 0)
        if n == 0:
            out.append(f"label {label!r} has no examples; the model will never predict it")
        elif n < 20 or n * 10 < largest:
            out.append(f"label {label!r} has only {n} examples ({n / total:.1%} of {total}); class imbalance")
    return out


def load_training_data(
    paths: Sequence[str | Path],
    labels: Sequence[str],
    text_column: str = "text",
    label_column: str = "label",
    category_column: str | None = None,
    categories: Sequence[str] = (),
    eval_paths: Sequence[str | Path] = (),
) -> Dataset:
    """Read and validate every training file (and the evaluation set, for overlap).

    :raises DataProblems: listing every problem, one per line, if there is any.
    :returns: the rows, with warnings (class imbalance) to show the user.
    """
    data = Dataset()
    for path in paths:
        part = read_labelled(path, labels, text_column, label_column, category_column, categories)
        data.rows.extend(part.rows)
        data.problems.extend(part.problems)
    eval_rows: list[Row] = []
    for path in eval_paths:
        part = read_labelled(path, labels, "text", "label")
        eval_rows.extend(part.rows)
        data.problems.extend(f"evaluation set {p}" for p in part.problems)
    check_duplicates(data.rows, data.problems)
    if eval_rows:
        check_eval_overlap(data.rows, eval_rows, data.problems)
    if data.rows:
        from collections import Counter

        counts = Counter(r.label for r in data.rows)
        for label, n in sorted(counts.items()):
            if n < 2:
                data.problems.append(
                    f"{paths[0] if len(paths) == 1 else 'training data'}: label {label!r} has {n} example; "
                    "cross-validation needs at least 2 per label"
                )
        if len(counts) < 2:
            data.problems.append(f"{paths[0] if paths else 'training data'}: at least two different labels are needed")
    elif not data.problems:
        data.problems.append(f"{paths[0] if paths else 'training data'}: no rows")
    if data.problems:
        raise DataProblems(data.problems)
    data.warnings = imbalance_warnings(data.rows, labels)
    return data


def read_eval(path: str | Path, labels: Sequence[str], text_column: str = "text", label_column: str = "label") -> Dataset:
    """Read a labelled file for evaluation (labels and text checked; duplicates allowed).

    :raises DataProblems: for any problem.
    """
    data = read_labelled(path, labels, text_column, label_column)
    if not data.problems and not data.rows:
        data.problems.append(f"{path}: no rows")
    if data.problems:
        raise DataProblems(data.problems, what="the evaluation data")
    return data
