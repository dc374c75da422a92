"""Term counting for many messages at once (the batch path of :class:`~.features.FastModel`).

``switchboard triage`` scores thousands of messages. Scoring each on its own pays scikit-learn's
per-call overhead every time; scoring them together through scikit-learn pays it once, but the
vectoriser's own analyser is slow Python. So the batch path counts terms here and hands the count
matrices to the fitted pipeline's TF-IDF and classifier steps (see
:meth:`~.features.FastModel.predict_batch`).

The count matrices must equal those ``CountVectorizer`` builds, entry for entry and in the same
order (canonical CSR: sorted columns, no repeats), because floating-point sums downstream follow
that order. Per message only the tokens and words are looked up in Python; everything per term is
numpy/scipy:

* :class:`TextBatch` splits every text once into word tokens and white-space words, numbering the
  distinct ones, and is shared by every model scoring the same texts (risk and intent);
* word n-grams: each distinct token is looked up once; an n-gram is found in a sorted array of
  ``(its (n-1)-gram prefix, its last token)`` keys, one array per length (:class:`WordTable`);
* ``char_wb`` n-grams never cross white space, so each distinct word's columns come from the
  per-word cache, and the document counts are one sparse product (documents x words) @ (words x
  n-grams), put in canonical order by two counting-sort passes (CSR -> CSC -> CSR).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from switchboard.text import char_wb_grams as word_char_grams

#: The default ``token_pattern`` of scikit-learn's vectorisers (and of :mod:`.features`).
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w+\b"

# For an ASCII text, ``\b\w+\b`` finds exactly the runs of [A-Za-z0-9_]: blank everything else
# and split (several times faster than the regular expression).
_ASCII_NON_WORD = bytes(c if c < 128 and (chr(c).isalnum() or c == ord("_")) else 32 for c in range(256))


class Units(NamedTuple):
    """The tokens (or words) of a batch: distinct ones numbered in order of first appearance."""

    unique: list[str]
    ids: np.ndarray  # int64, every occurrence's number, documents one after another
    lengths: np.ndarray  # int64, occurrences per document


def _units(docs: Sequence[str], split: Callable[[str], list[str]]) -> Units:
    flat: list[str] = []
    lengths: list[int] = []
    extend = flat.extend
    append = lengths.append
    for doc in docs:
        parts = split(doc)
        extend(parts)
        append(len(parts))
    unique = list(dict.fromkeys(flat))
    number = {p: i for i, p in enumerate(unique)}
    return Units(
        unique,
        np.fromiter(map(number.__getitem__, flat), dtype=np.int64, count=len(flat)),
        np.fromiter(lengths, dtype=np.int64, count=len(lengths)),
    )


def _default_tokens(doc: str, _findall: Callable[[str], list[str]] = re.compile(r"\w+").findall) -> list[str]:
    if doc.isascii():  # a byte table translates much faster than a str one
        return doc.encode("ascii").translate(_ASCII_NON_WORD).decode("ascii").split()
    return _findall(doc)


@dataclass
class TextBatch:
    """Prepared texts split once, shared by every model that scores them."""

    docs: list[str]
    _tokens: dict[str, Units] = field(default_factory=dict, repr=False)
    _words: Units | None = field(default=None, repr=False)
    _grams: dict[tuple[int, int], dict[str, list[str]]] = field(default_factory=dict, repr=False)

    def tokens(self, pattern: str) -> Units:
        """Word tokens as ``re.findall(pattern)`` finds them."""
        units = self._tokens.get(pattern)
        if units is None:
            split = _default_tokens if pattern == DEFAULT_TOKEN_PATTERN else re.compile(pattern).findall
            units = self._tokens[pattern] = _units(self.docs, split)
        return units

    def char_grams(self, word: str, ngram_range: tuple[int, int]) -> list[str]:
        """:func:`word_char_grams`, worked out once per batch for every model that needs it."""
        seen = self._grams.get(ngram_range)
        if seen is None:
            seen = self._grams[ngram_range] = {}
        grams = seen.get(word)
        if grams is None:
            grams = seen[word] = word_char_grams(word, ngram_range)
        return grams

    def words(self) -> Units:
        """White-space separated words (``str.split()``), as the ``char_wb`` analyser sees them."""
        if self._words is None:
            self._words = _units(self.docs, str.split)
        return self._words


_LAST: TextBatch | None = None


def text_batch(docs: Sequence[str]) -> TextBatch:
    """A :class:`TextBatch` of ``docs``; the last one is reused when asked for the same texts
    (the risk and intent models score the same batch one after the other)."""
    global _LAST
    last = _LAST
    docs = list(docs)
    if last is not None and last.docs == docs:
        return last
    batch = _LAST = TextBatch(docs)
    return batch


@dataclass
class _Level:
    """The n-grams of one length n >= 2 as sorted keys ``prefix id * n_tokens + last token``."""

    keys: np.ndarray  # sorted
    cols: np.ndarray  # block-local column of each key
    ids: np.ndarray  # each key's number among the n-grams of this length (the next level's prefix)


@dataclass
class WordTable:
    """A word 1-n gram vocabulary as arrays: unigram columns, then one sorted key table per n-gram
    length, where an n-gram's key is its (n-1)-gram prefix's number and its last token's number."""

    token_index: dict[str, int]  # unigram -> its number in this table
    unigram_cols: np.ndarray  # number -> block-local column
    levels: list[_Level]  # n = 2, 3, ...
    with_unigrams: bool

    @classmethod
    def build(cls, vocab: dict[str, int], offset: int, ngram_range: tuple[int, int]) -> WordTable | None:
        """The table of a word vocabulary, or ``None`` if it cannot be used (n-grams not starting
        at 1 or 2, longer than 5, or an n-gram whose last word or (n-1)-gram prefix is not itself in
        the vocabulary, as when ``min_df`` pruned it)."""
        lo, hi = ngram_range
        if lo < 1 or lo > 2 or hi > 5:
            return None
        unigrams = {t: j for t, j in vocab.items() if " " not in t}
        if lo == 2 and unigrams:
            return None  # a bigram-only vocabulary has no unigram table to key on
        index = {t: i for i, t in enumerate(unigrams)}
        n = len(index)
        by_length: dict[int, list[tuple[str, int]]] = {}
        for term, j in vocab.items():
            parts = term.count(" ") + 1
            if parts > 1:
                by_length.setdefault(parts, []).append((term, j))
        prefix_ids: dict[str, int] = index  # the numbers of the (n-1)-grams
        levels: list[_Level] = []
        for length in range(2, hi + 1):
            terms = by_length.get(length, [])
            keys: list[int] = []
            cols: list[int] = []
            numbers: dict[str, int] = {}
            for number, (term, j) in enumerate(terms):
                head, _sep, last = term.rpartition(" ")
                if head not in prefix_ids or last not in index:
                    return None
                keys.append(prefix_ids[head] * n + index[last])
                cols.append(j - offset)
                numbers[term] = number
            order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
            levels.append(_Level(
                keys=np.asarray(keys, dtype=np.int64)[order],
                cols=np.asarray(cols, dtype=np.int64)[order],
                ids=np.arange(len(terms), dtype=np.int64)[order],
            ))
            prefix_ids = numbers
        if sum(len(by_length.get(k, [])) for k in by_length) != sum(len(lv.keys) for lv in levels):
            return None  # n-grams longer than the range says
        return cls(
            token_index=index,
            unigram_cols=np.asarray([unigrams[t] - offset for t in index], dtype=np.int64),
            levels=levels,
            with_unigrams=lo == 1,
        )

    def counts(self, units: Units, width: int) -> Any:
        """Canonical CSR counts (documents x block columns) of a batch's tokens."""
        get = self.token_index.get
        n_docs = len(units.lengths)
        n = len(self.token_index)
        lookup = np.fromiter((get(t, -1) for t in units.unique), dtype=np.int64, count=len(units.unique))
        ids = lookup[units.ids] if len(units.ids) else units.ids
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), units.lengths)
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        if self.with_unigrams:
            known = ids >= 0
            rows.append(doc[known])
            cols.append(self.unigram_cols[ids[known]])
        prefix = ids  # at position i: the number of the (k-1)-gram starting there, or -1
        for k, level in enumerate(self.levels, start=2):
            if len(ids) < k:
                break
            span = len(ids) - k + 1
            first, last = prefix[:span], ids[k - 1 :]
            ok = (doc[:span] == doc[k - 1 :]) & (first >= 0) & (last >= 0)
            nxt = np.full(span, -1, dtype=np.int64)
            if len(level.keys) and ok.any():
                where = np.flatnonzero(ok)
                keys = first[where] * n + last[where]
                pos = np.searchsorted(level.keys, keys)
                pos[pos >= len(level.keys)] = 0
                hit = level.keys[pos] == keys
                rows.append(doc[where[hit]])
                cols.append(level.cols[pos[hit]])
                nxt[where[hit]] = level.ids[pos[hit]]
            prefix = nxt
        return counts_from_pairs(
            np.concatenate(rows) if rows else np.zeros(0, np.int64),
            np.concatenate(cols) if cols else np.zeros(0, np.int64),
            n_docs,
            width,
        )


def counts_from_pairs(rows: np.ndarray, cols: np.ndarray, n_rows: int, width: int) -> Any:
    """Canonical CSR counts of ``(row, column)`` occurrences (repeats add up)."""
    import scipy.sparse as sp

    key = rows * width + cols
    key.sort()
    if key.size == 0:
        return sp.csr_array((np.zeros(0), np.zeros(0, np.int32), np.zeros(n_rows + 1, np.int32)), shape=(n_rows, width))
    new = np.empty(key.size, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    unique = key[starts]
    data = np.diff(np.append(starts, key.size)).astype(np.float64)
    row = unique // width
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
    return sp.csr_array((data, unique - row * width, indptr), shape=(n_rows, width))


def char_counts(units: Units, word_columns: Callable[[str], Sequence[int]], offset: int, width: int) -> Any:
    """Canonical CSR counts of a batch's ``char_wb`` n-grams from each distinct word's columns.

    :param word_columns: a word's (global) n-gram columns, repeats kept (the per-word cache).
    """
    import scipy.sparse as sp

    flat: list[int] = []
    per_word: list[int] = []
    extend = flat.extend
    append = per_word.append
    for word in units.unique:
        ids = word_columns(word)
        extend(ids)
        append(len(ids))
    n_docs = len(units.lengths)
    n_words = len(units.unique)
    cols = np.fromiter(flat, dtype=np.int64, count=len(flat))
    if offset:
        cols -= offset
    words_x_grams = sp.csr_array(
        (np.ones(len(flat)), cols, _indptr(per_word)), shape=(n_words, width)
    )
    docs_x_words = sp.csr_array(
        (np.ones(len(units.ids)), units.ids, _indptr(units.lengths)), shape=(n_docs, n_words)
    )
    counts = docs_x_words @ words_x_grams  # sums repeats; columns unordered within a row
    return counts.tocsc().tocsr()  # two counting sorts: sorted columns in every row


def _indptr(lengths: Any) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=out[1:])
    return out
