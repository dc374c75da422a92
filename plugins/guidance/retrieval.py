"""TF-IDF retrieval over approved passages (scikit-learn), one index per language.

Each passage is indexed with its document title and section heading, so a short paragraph is
still found by the words of its title. Scores are cosine similarities in 0..1; a passage of a
document tagged with the current intent is boosted (``score * (1 + intent_boost)``, capped at 1).

A query is scored without scikit-learn's per-call overhead (about 3 ms for the two ``transform``
calls and sparse products): :class:`_QueryVector` builds the query's TF-IDF row with the same
arithmetic as ``TfidfVectorizer.transform`` (the same counts, ``np.log``, idf product and l2 norm
summed in column order), and the passage matrices multiply it as a dense vector (scipy's
``csr_matvec`` adds each passage's products in the same column order as the sparse product it
replaces). Scores, and so hits, are bit-for-bit those of :meth:`LanguageIndex.search_reference`,
the plain scikit-learn computation kept for the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from switchboard.text import char_wb_grams

from .documents import Document, Passage

# Welsh function words (and common mutated forms) that carry no meaning for retrieval.
WELSH_STOP_WORDS = frozenset(
    """
    a ac ag am ar at i o y yr r yn ei eu ein eich fy dy ni chi nhw hi fe fo ef e mae oes ydy yw
    ydych ydw rydych rydw roedd bod fod wedi gan gyda â ag na nac neu ond os pan fel hefyd hyn hynny
    hon hwn mewn dros drwy trwy heb wrth rhag am gennych gallwch allwch gallu all fydd bydd
    byddwn sydd nad nid ddim dim un rhai pob beth sut pam ble lle pa
    """.split()
)


#: Share of the word TF-IDF cosine in the score; the rest is the character n-gram cosine.
WORD_WEIGHT = 0.6
#: Word n-grams of the word index.
WORD_NGRAMS = (1, 1)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    document: Document
    score: float


class LanguageIndex:
    """A TF-IDF index of the passages of one language."""

    def __init__(self, language: str, documents: Sequence[Document]) -> None:
        self.language = language
        self.documents = list(documents)
        self.passages: list[tuple[Passage, Document]] = [(p, d) for d in self.documents for p in d.passages]
        stop = list(ENGLISH_STOP_WORDS) if language == "en" else sorted(WELSH_STOP_WORDS)
        self.vectorizer = TfidfVectorizer(
            lowercase=True,
            strip_accents=None,
            sublinear_tf=True,
            ngram_range=WORD_NGRAMS,
            stop_words=stop,
            token_pattern=r"(?u)\b\w[\w']*\w\b|\b\d+\b",
            min_df=1,
        )
        # Character n-grams within words catch typos and word forms ("untaxed" ~ "tax").
        self.char_vectorizer = TfidfVectorizer(
            lowercase=True, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1
        )
        corpus = [self._index_text(p, d) for p, d in self.passages]
        self.matrix = self.vectorizer.fit_transform(corpus) if corpus else None
        self.char_matrix = self.char_vectorizer.fit_transform(corpus) if corpus else None
        self._query_words = _QueryVector(self.vectorizer) if corpus else None
        self._query_chars = _QueryVector(self.char_vectorizer) if corpus else None
        self._boosts: dict[tuple[str, float], np.ndarray] = {}

    @staticmethod
    def _index_text(passage: Passage, document: Document) -> str:
        # The title twice and the heading once give a short passage its document's context.
        return " ".join((document.title, document.title, passage.heading, passage.text))

    def search(self, query: str, intent: str | None, limit: int, intent_boost: float) -> list[Hit]:
        """The best ``limit`` passages for ``query`` (scores rounded to 4 places), best first."""
        if self.matrix is None or not query.strip() or limit <= 0:
            return []
        scores = self.scores(query)
        return [] if scores is None else self._hits(scores, intent, limit, intent_boost)

    def search_reference(self, query: str, intent: str | None, limit: int, intent_boost: float) -> list[Hit]:
        """:meth:`search` through scikit-learn's own ``transform`` and sparse products (slow; tests)."""
        if self.matrix is None or not query.strip() or limit <= 0:
            return []
        scores = self.scores_reference(query)
        return [] if scores is None else self._hits(scores, intent, limit, intent_boost)

    def scores(self, query: str) -> np.ndarray | None:
        """Every passage's score for ``query`` before the intent boost, or ``None`` when no word
        of the query is in the index (fast path, equal to :meth:`scores_reference`)."""
        q = self._query_words.transform(query)  # type: ignore[union-attr]
        if q is None:
            return None
        scores = WORD_WEIGHT * (self.matrix @ q)  # type: ignore[operator]
        qc = self._query_chars.transform(query)  # type: ignore[union-attr]
        # a query without any known n-gram: the sparse product's zeros
        char_scores = self.char_matrix @ qc if qc is not None else np.zeros(len(self.passages))  # type: ignore[operator]
        scores += (1.0 - WORD_WEIGHT) * char_scores
        return scores

    def scores_reference(self, query: str) -> np.ndarray | None:
        """:meth:`scores` as scikit-learn computes them."""
        q = self.vectorizer.transform([query])
        if q.nnz == 0:
            return None  # no meaningful word in common with any passage
        scores = WORD_WEIGHT * (self.matrix @ q.T).toarray().ravel()  # type: ignore[operator]
        qc = self.char_vectorizer.transform([query])
        scores += (1.0 - WORD_WEIGHT) * (self.char_matrix @ qc.T).toarray().ravel()  # type: ignore[operator]
        return scores

    def _hits(self, scores: np.ndarray, intent: str | None, limit: int, intent_boost: float) -> list[Hit]:
        if intent:
            boost = self._boosts.get((intent, intent_boost))
            if boost is None:
                boost = self._boosts[(intent, intent_boost)] = np.array(
                    [1.0 + intent_boost if intent in d.intents else 1.0 for _, d in self.passages]
                )
            scores = np.minimum(scores * boost, 1.0)
        order = np.argsort(-scores, kind="stable")
        hits: list[Hit] = []
        for i, score in zip(order[:limit].tolist(), scores[order[:limit]].tolist()):
            if score <= 0.0:
                break
            passage, document = self.passages[i]
            hits.append(Hit(passage, document, round(min(max(score, 0.0), 1.0), 4)))
        return hits


#: Distinct words whose ``char_wb`` columns a query vector keeps before its cache is cleared.
_WORD_CACHE_SIZE = 20_000


class _QueryVector:
    """``vectorizer.transform([text])`` of a fitted ``TfidfVectorizer`` as a dense row.

    The same terms (the vectoriser's own analyser; ``char_wb`` n-grams cached per word), the
    same counts, and the same arithmetic in the same order as scikit-learn's ``transform``:
    columns sorted, ``np.log(count) + 1`` (sublinear tf), times ``idf_``, divided by the square
    root of the squares summed in column order (``normalize``'s loop), so every value is
    bit-for-bit equal. Only the configuration :class:`LanguageIndex` builds is supported.
    """

    def __init__(self, vectorizer: Any) -> None:
        if (
            vectorizer.binary
            or vectorizer.norm != "l2"
            or not vectorizer.use_idf
            or not vectorizer.sublinear_tf
            or vectorizer.dtype is not np.float64
            or vectorizer.analyzer not in ("word", "char_wb")
        ):
            raise ValueError("unsupported TfidfVectorizer configuration for the query fast path")
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.char_range: tuple[int, int] | None = (
            tuple(vectorizer.ngram_range) if vectorizer.analyzer == "char_wb" else None  # type: ignore[assignment]
        )
        self.preprocess = vectorizer.build_preprocessor()
        self.analyze = vectorizer.build_analyzer()
        self._word_columns: dict[str, list[int]] = {}

    def columns(self, text: str) -> list[int]:
        """The vocabulary column of every term occurrence in ``text`` (repeats kept)."""
        get = self.vocabulary.get
        if self.char_range is None:
            return [j for j in map(get, self.analyze(text)) if j is not None]
        cache = self._word_columns
        out: list[int] = []
        # scikit-learn first folds runs of white space to one space, which str.split() ignores
        for word in self.preprocess(text).split():
            ids = cache.get(word)
            if ids is None:
                ids = [j for j in map(get, char_wb_grams(word, self.char_range)) if j is not None]
                if len(cache) >= _WORD_CACHE_SIZE:
                    cache.clear()
                cache[word] = ids
            out += ids
        return out

    def transform(self, text: str) -> np.ndarray | None:
        """The TF-IDF row of ``text`` (dense), or ``None`` when no term of it is known."""
        found = self.columns(text)
        if not found:
            return None
        counts = np.bincount(np.array(found, dtype=np.intp), minlength=len(self.idf))
        cols = np.flatnonzero(counts)  # sorted, as after ``sort_indices``
        data = counts[cols].astype(np.float64)
        np.log(data, out=data)
        data += 1.0
        data *= self.idf[cols]
        # ``normalize`` adds the squares one after another from 0.0; so does cumsum
        data /= math.sqrt(float(np.cumsum(data * data)[-1]))
        row = np.zeros(len(self.idf))
        row[cols] = data
        return row
