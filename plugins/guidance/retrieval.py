"""TF-IDF retrieval over approved passages (scikit-learn), one index per language.

Each passage is indexed with its document title and section heading, so a short paragraph is
still found by the words of its title. Scores are cosine similarities in 0..1; a passage of a
document tagged with the current intent is boosted (``score * (1 + intent_boost)``, capped at 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

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

    @staticmethod
    def _index_text(passage: Passage, document: Document) -> str:
        # The title twice and the heading once give a short passage its document's context.
        return " ".join((document.title, document.title, passage.heading, passage.text))

    def search(self, query: str, intent: str | None, limit: int, intent_boost: float) -> list[Hit]:
        if self.matrix is None or not query.strip() or limit <= 0:
            return []
        q = self.vectorizer.transform([query])
        if q.nnz == 0:
            return []  # no meaningful word in common with any passage
        scores = WORD_WEIGHT * (self.matrix @ q.T).toarray().ravel()
        qc = self.char_vectorizer.transform([query])
        scores += (1.0 - WORD_WEIGHT) * (self.char_matrix @ qc.T).toarray().ravel()
        if intent:
            boost = np.array([1.0 + intent_boost if intent in d.intents else 1.0 for _, d in self.passages])
            scores = np.minimum(scores * boost, 1.0)
        order = np.argsort(-scores, kind="stable")
        hits: list[Hit] = []
        for i in order[: max(limit * 3, limit)]:
            score = float(scores[i])
            if score <= 0.0:
                break
            passage, document = self.passages[i]
            hits.append(Hit(passage, document, round(min(max(score, 0.0), 1.0), 4)))
        return hits[:limit]
