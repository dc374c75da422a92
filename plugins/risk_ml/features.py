"""Text features shared by the risk and intent classifiers, and a fast single-message path.

The intent model is one scikit-learn :class:`~sklearn.pipeline.Pipeline` (:func:`make_pipeline`):
a :class:`~sklearn.pipeline.FeatureUnion` of TF-IDF word 1-2 grams and TF-IDF ``char_wb`` 2-5
grams, followed by a multinomial :class:`LogisticRegression` (well calibrated probabilities without a
separate calibration step). The risk model (:func:`make_risk_model`) is a soft vote of that pipeline
and a multinomial naive Bayes pipeline over TF-IDF word 1-3 grams (:func:`make_nb_pipeline`), both
reading texts with context-cue words appended (:func:`prepare_cued`).

scikit-learn spends about a millisecond of validation and sparse-matrix bookkeeping per call,
which is most of the cost of classifying one chat message. :class:`FastModel` converts a fitted
pipeline into plain dictionaries and arrays once, at load, and then scores a message with a few
dictionary look-ups and one small dense product per member (naive Bayes is linear in log space:
``feature_log_prob_`` and ``class_log_prior_`` act as weights and intercepts). Its probabilities
equal ``pipeline.predict_proba`` to within floating-point rounding (tested to 1e-9).

``training/`` imports this module; this module never imports ``training``.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import chain
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from switchboard.text import normalise

from .batch import TextBatch, WordTable, char_counts, counts_from_pairs, text_batch, word_char_grams

#: Default hyper-parameters (the data team may override them on the command line later).
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
TOKEN_PATTERN = r"(?u)\b\w+\b"


def prepare(text: str) -> str:
    """The preprocessing both the pipeline and :class:`FastModel` apply to raw text.

    It is :func:`switchboard.text.normalise` (NFKC, straight quotes, case-folded, single spaces),
    which is idempotent, so a message's ``normalised`` text may be passed as well.
    """
    return normalise(text)


#: The version of what :func:`cue_tags` reads and writes: a change to the tags or to how they are
#: read bumps it, and a model trained with another version is refused at load (see the card's
#: ``model.cue_version``), as one trained with another lexicon is.
CUE_VERSION = 1

#: The word each context cue of a message adds to its prepared risk text, in this order. They are
#: opaque words (no real word's n-grams match them), so they only add the cue features.
CUE_TAGS = {
    "now": "qjx1", "soft_now": "qjx2", "past": "qjx3", "question": "qjx4", "habitual": "qjx5",
    "negator": "qjx6", "frame": "qjx7", "progressive": "qjx8", "no_time": "qjx9",
}


@lru_cache(maxsize=1)
def _cue_reader() -> Any:
    """The keyword plugin's context reader over its built-in lexicon alone (no rules, so a
    force's own rules never change the model's features)."""
    from switchboard.plugins.risk_keywords.matcher import KeywordMatcher
    from switchboard.plugins.risk_keywords.normalise import load_lexicon

    return KeywordMatcher([], [], load_lexicon())


def cue_tags(normalised: str) -> str:
    """The :data:`CUE_TAGS` words of the context cues in a normalised text (happening now, over,
    a question, a habit, a negator, a fiction or legal frame, a progressive verb, no time at all),
    read by the keyword plugin's context rules (:meth:`KeywordMatcher.context`)."""
    found = _cue_reader().context(normalised)
    return " ".join(tag for name, tag in CUE_TAGS.items() if name in found)


def prepare_cued(text: str) -> str:
    """The risk model's preprocessing: :func:`prepare`, then the words of :func:`cue_tags`.

    Word n-grams say what a message is about; the tags say whether it is happening now, and let
    every phrase of one kind of cue share one weight (rare cue phrases count too). Measured on
    cross-validation that holds out whole authors, the model alone catches more emergencies at the
    same false diversion with them; beside the keyword rules the two are level
    (``docs/data-team.md``, "The risk model"). Like :func:`prepare`, it gives the same text for a raw
    message and for its normalised form.
    """
    return with_cue_tags(prepare(text))


def with_cue_tags(normalised: str) -> str:
    """A normalised text followed by its :func:`cue_tags` words (:func:`prepare_cued` without the
    normalising, for text that is normalised already)."""
    tags = cue_tags(normalised)
    return f"{normalised} {tags}" if tags else normalised


def cue_lexicon_sha256() -> str:
    """sha256 of the keyword plugin's built-in lexicon, where :func:`cue_tags` reads its cues: a
    model trained with the tags records it, and is loaded only with the same lexicon."""
    import hashlib

    from switchboard.plugins.risk_keywords.normalise import LEXICON_PATH

    return hashlib.sha256(LEXICON_PATH.read_bytes()).hexdigest()


#: The preprocessors a fast-path model may use, by name (the card records which).
PREPROCESSORS = {"prepare": prepare, "prepare_cued": prepare_cued}


#: ``C`` of the intent model's and the risk category head's logistic regression (see :data:`RISK_C`).
LINEAR_C = 10.0


def make_pipeline(
    C: float = LINEAR_C, max_iter: int = 1000, class_weight: str | None = "balanced", preprocessor: Callable[[str], str] = prepare,
    word_ngrams: tuple[int, int] = WORD_NGRAMS, char_ngrams: tuple[int, int] = CHAR_NGRAMS,
) -> Any:
    """A fresh, unfitted text-classification pipeline (the artefact's shape).

    ``newton-cg`` converges in a handful of iterations on these sparse features (several times
    faster than ``lbfgs`` here); the objective, and so the model, is the same.
    """
    from sklearn.pipeline import Pipeline

    features = make_features(preprocessor, word_ngrams, char_ngrams)
    return Pipeline(
        [
            ("features", features),
            ("clf", make_classifier(C=C, max_iter=max_iter, class_weight=class_weight)),
        ]
    )


#: The naive Bayes member of the risk model: word 1-3 grams, light smoothing.
NB_WORD_NGRAMS = (1, 3)
NB_ALPHA = 0.005

#: The risk model's logistic-regression ``C`` (the intent model and the category head use
#: :data:`LINEAR_C`).
#: ``C`` 20 with ``alpha`` 0.005 caught more emergencies than 10 with 0.01 on cross-validation
#: that holds out whole authors (``docs/data-team.md``, "The risk model").
RISK_C = 20.0


def make_nb_pipeline(
    alpha: float = NB_ALPHA, preprocessor: Callable[[str], str] = prepare, ngrams: tuple[int, int] = NB_WORD_NGRAMS,
) -> Any:
    """A fresh, unfitted multinomial naive Bayes pipeline over TF-IDF word 1-3 grams.

    Naive Bayes weighs rare phrases very differently from logistic regression (each word counts on
    its own, with no regularisation to share weight between correlated n-grams), so the two make
    different mistakes: averaged, they separate emergencies from the rest better than either
    (``docs/data-team.md``, "The risk model").
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import FeatureUnion, Pipeline

    words = TfidfVectorizer(
        analyzer="word", ngram_range=ngrams, token_pattern=TOKEN_PATTERN, preprocessor=preprocessor,
        sublinear_tf=True, min_df=1, dtype=np.float64,
    )
    return Pipeline([("features", FeatureUnion([("word", words)])), ("clf", MultinomialNB(alpha=alpha))])


def make_risk_model(
    C: float = RISK_C, alpha: float = NB_ALPHA, preprocessor: Callable[[str], str] = prepare_cued,
    weights: Sequence[float] | None = None, **lr_features: Any,
) -> Any:
    """The risk model: the mean of the probabilities of :func:`make_pipeline` (logistic regression
    over word and character n-grams) and :func:`make_nb_pipeline` (scikit-learn's soft
    :class:`~sklearn.ensemble.VotingClassifier`, equal weights), both over texts prepared by
    :func:`prepare_cued` (with the context-cue words). ``weights`` weighs the two in the vote;
    ``lr_features`` (``word_ngrams``, ``char_ngrams``) go to :func:`make_pipeline`."""
    from sklearn.ensemble import VotingClassifier

    return VotingClassifier(
        [("lr", make_pipeline(C=C, preprocessor=preprocessor, **lr_features)),
         ("nb", make_nb_pipeline(alpha=alpha, preprocessor=preprocessor))],
        voting="soft", weights=weights,
    )


def main_pipeline(model: Any) -> Any:
    """The logistic-regression pipeline of a model: the model itself, or the first member of a
    soft vote (the one whose fitted features extra heads such as risk category share)."""
    members = getattr(model, "estimators_", None)
    return members[0] if members else model


def make_classifier(C: float = LINEAR_C, max_iter: int = 1000, class_weight: str | None = "balanced") -> Any:
    """The linear classifier of a pipeline (also used for extra heads such as risk category)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight, solver="newton-cg")


def make_features(
    preprocessor: Callable[[str], str] = prepare, word_ngrams: tuple[int, int] = WORD_NGRAMS,
    char_ngrams: tuple[int, int] = CHAR_NGRAMS,
) -> Any:
    """The unfitted feature union (word 1-2 grams + char_wb 2-5 grams, TF-IDF, sublinear tf)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=word_ngrams,
                    token_pattern=TOKEN_PATTERN,
                    preprocessor=preprocessor,
                    sublinear_tf=True,
                    min_df=1,
                    dtype=np.float64,
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=char_ngrams,
                    preprocessor=preprocessor,
                    sublinear_tf=True,
                    min_df=2,
                    dtype=np.float64,
                ),
            ),
        ]
    )


# -- the fast path ----------------------------------------------------------------------------------

_WHITE_SPACES = re.compile(r"\s\s+")
_EMPTY_IDX = np.zeros(0, dtype=np.intp)
_EMPTY_VAL = np.zeros(0, dtype=np.float64)


#: How many distinct words the per-model char n-gram cache holds before it is cleared.
_WORD_CACHE_SIZE = 50_000


@dataclass
class _Block:
    """One TF-IDF vectoriser turned into plain data (columns are global: offset into the union)."""

    analyzer: str  # "word" or "char_wb"
    vocab: dict[str, int]  # term -> column in the union's output
    ngram_range: tuple[int, int]
    token_findall: Callable[[str], list[str]] | None
    word_cache: dict[str, tuple[int, ...]]
    token_pattern: str = TOKEN_PATTERN
    word_table: WordTable | None = None  # the batch path's arrays (word analyzer, 1-n grams)

    def column_ids(self, doc: str) -> list[int]:
        """Vocabulary columns of every term occurrence in ``doc`` (repeats kept)."""
        vocab = self.vocab
        if self.token_findall is not None:  # word analyzer
            get = vocab.get
            return [j for j in map(get, _word_ngrams(self.token_findall(doc), self.ngram_range)) if j is not None]
        # char_wb: n-grams never cross white space, so each word's columns are cached
        cache = self.word_cache
        out: list[int] = []
        extend = out.extend
        word_columns = self.word_columns
        for w in _WHITE_SPACES.sub(" ", doc).split():
            ids = cache.get(w)
            extend(ids if ids is not None else word_columns(w))
        return out

    def word_columns(self, word: str, grams: Callable[[str, tuple[int, int]], list[str]] | None = None) -> tuple[int, ...]:
        """``char_wb`` columns of one word's n-grams, repeats kept (cached per word).

        :param grams: where to get a new word's n-grams (a batch shares them between models).
        """
        ids = self.word_cache.get(word)
        if ids is None:
            get = self.vocab.get
            found = (grams or word_char_grams)(word, self.ngram_range)
            ids = tuple([j for j in map(get, found) if j is not None])
            if len(self.word_cache) >= _WORD_CACHE_SIZE:
                self.word_cache.clear()
            self.word_cache[word] = ids
        return ids

    def batch_counts(self, batch: TextBatch, offset: int, width: int) -> Any:
        """The canonical CSR count matrix ``CountVectorizer.transform(batch.docs)`` gives
        (float64 counts, block-local columns)."""
        if self.token_findall is None:
            cache = self.word_cache
            word_columns = self.word_columns
            grams = batch.char_grams

            def columns(word: str) -> tuple[int, ...]:
                ids = cache.get(word)
                return ids if ids is not None else word_columns(word, grams)

            return char_counts(batch.words(), columns, offset, width)
        if self.word_table is not None:
            return self.word_table.counts(batch.tokens(self.token_pattern), width)
        rows: list[int] = []
        cols: list[int] = []
        for i, doc in enumerate(batch.docs):
            ids = self.column_ids(doc)
            cols.extend(ids)
            rows.extend([i] * len(ids))
        return counts_from_pairs(
            np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64) - offset, len(batch.docs), width
        )


def _word_ngrams(tokens: list[str], ngram_range: tuple[int, int]) -> list[str]:
    min_n, max_n = ngram_range
    out = list(tokens) if min_n == 1 else []
    start = max(min_n, 2)
    n_tok = len(tokens)
    for n in range(start, min(max_n + 1, n_tok + 1)):
        for i in range(n_tok - n + 1):
            out.append(" ".join(tokens[i : i + n]))
    return out


#: 1 + log(count) for small counts (sublinear tf), so one message needs no ``np.log`` call.
_LOG_TABLE_SIZE = 1 << 14
_ONE_PLUS_LOG = np.log(np.arange(1, _LOG_TABLE_SIZE, dtype=np.float64))
_ONE_PLUS_LOG += 1.0
_ONE_PLUS_LOG = np.concatenate([[0.0], _ONE_PLUS_LOG])


class FastModel:
    """A fitted pipeline turned into dictionaries and arrays for one-message-at-a-time scoring.

    :param pipeline: a fitted pipeline from :func:`make_pipeline` (a ``features`` FeatureUnion of
        TF-IDF vectorisers with the :func:`prepare` preprocessor, then a linear ``clf`` with
        ``coef_``, ``intercept_`` and ``classes_``).
    :param heads: further fitted pipelines that share the same fitted ``features`` step (for
        example a risk-category head); scored from the same feature vector.
    :raises ValueError: if the pipeline is not of the supported shape.

    Per message: term look-ups in plain dicts (character n-grams cached per word), one
    ``Counter``, then a handful of small numpy operations; every head's coefficients sit in one
    matrix so all heads cost one gather and one product.
    """

    def __init__(self, pipeline: Any, heads: Sequence[Any] = ()) -> None:
        # A soft vote (see make_risk_model): the first member carries the heads; the others are
        # scored on their own and averaged into the main head.
        self._members: list[FastModel] = []
        self._vote_weights: Any = None
        vote_classes: list[str] | None = None
        if hasattr(pipeline, "estimators_"):
            if getattr(pipeline, "voting", None) != "soft":
                raise ValueError("only a soft VotingClassifier is supported by the fast path")
            members = list(pipeline.estimators_)
            vote_classes = [str(c) for c in pipeline.classes_]
            self._members = [FastModel(m) for m in members[1:]]
            if len(members) != len(pipeline.estimators):
                raise ValueError("dropped vote members are not supported by the fast path")
            self._vote_weights = None if pipeline.weights is None else [float(w) for w in pipeline.weights]
            pipeline = members[0]
            for m in [pipeline, *members[1:]]:
                if [int(c) for c in m.classes_] != list(range(len(vote_classes))):
                    raise ValueError("vote members must be fitted on the vote's encoded classes")
        features = pipeline.named_steps["features"]
        names = {_preprocessor_name(vec) for _name, vec in features.transformer_list}
        names |= {m.preprocessor for m in self._members}
        if len(names) != 1:
            raise ValueError("every vectoriser of a model must use the same preprocessor")
        #: ``prepare`` or ``prepare_cued``: how a text becomes the document the vectorisers read
        self.preprocessor: str = names.pop() or "prepare"
        self._blocks: list[_Block] = []
        idf_parts: list[np.ndarray] = []
        offset = 0
        if getattr(features, "transformer_weights", None):
            raise ValueError("FeatureUnion transformer_weights are not supported by the fast path")
        for _name, vec in features.transformer_list:
            self._blocks.append(_block_from(vec, offset))
            idf_parts.append(np.asarray(vec.idf_, dtype=np.float64))
            offset += len(vec.vocabulary_)
            if not vec.sublinear_tf or vec.norm != "l2":
                raise ValueError("the fast path needs sublinear_tf=True and norm='l2'")
        self.n_features = offset
        self._idf = np.concatenate(idf_parts) if idf_parts else np.zeros(0)
        parsed = [_linear_head(pipeline.named_steps["clf"], offset)]
        for head in heads:
            if head.named_steps["features"] is not features:
                raise ValueError("a head must share the fitted 'features' step of the main pipeline")
            parsed.append(_linear_head(head.named_steps["clf"], offset))
        self._classes = [h[0] for h in parsed]
        self._binary = [h[3] for h in parsed]
        widths = [h[1].shape[1] for h in parsed]
        bounds = np.cumsum([0, *widths])
        self._slices = [(int(bounds[i]), int(bounds[i + 1])) for i in range(len(parsed))]
        self._coef = np.ascontiguousarray(np.hstack([h[1] for h in parsed]))
        self._intercept = np.concatenate([h[2] for h in parsed])
        if vote_classes is not None:
            self._classes[0] = vote_classes
        self.classes: list[str] = self._classes[0]
        # The fitted scikit-learn steps the batch path hands its count matrices to, so a batch
        # is scored by scikit-learn's own arithmetic (see :meth:`predict_batch`).
        self._tfidf = [getattr(vec, "_tfidf", None) for _name, vec in features.transformer_list]
        self._widths = [len(vec.vocabulary_) for _name, vec in features.transformer_list]
        self._clfs = [pipeline.named_steps["clf"], *(head.named_steps["clf"] for head in heads)]

    def head_classes(self, head: int) -> list[str]:
        return self._classes[head]

    def document(self, text: str, prepared: bool = False) -> str:
        """The document the vectorisers read for a text (``prepared``: the text is already
        normalised, as :func:`prepare` or a message's ``normalised`` field gives it)."""
        doc = text if prepared else prepare(text)
        return with_cue_tags(doc) if self.preprocessor == "prepare_cued" else doc

    def features(self, text: str, prepared: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of the (sparse) feature vector of one text."""
        return self._features_doc(self.document(text, prepared))

    def _features_doc(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        counters = [Counter(block.column_ids(doc)) for block in self._blocks]
        sizes = [len(c) for c in counters]
        n = sum(sizes)
        if n == 0:
            return _EMPTY_IDX, _EMPTY_VAL
        idx = np.fromiter(chain.from_iterable(c.keys() for c in counters), dtype=np.intp, count=n)
        cnt = np.fromiter(chain.from_iterable(c.values() for c in counters), dtype=np.intp, count=n)
        if sum(sum(c.values()) for c in counters) < _LOG_TABLE_SIZE:
            val = _ONE_PLUS_LOG[cnt]  # sublinear tf: 1 + log(count)
        else:
            val = np.log(cnt.astype(np.float64))
            val += 1.0
        val *= self._idf[idx]
        # l2 norm per vectoriser (each TfidfVectorizer of the union normalises its own block)
        sq = val * val
        start = 0
        for size in sizes:
            if size:
                end = start + size
                val[start:end] /= np.sqrt(sq[start:end].sum())
                start = end
        return idx, val

    def _scores(self, doc: str) -> np.ndarray:
        """Every head's linear scores for one document (see :meth:`document`)."""
        idx, val = self._features_doc(doc)
        if len(idx) == 0:
            return self._intercept.copy()
        z = val @ self._coef[idx]
        z += self._intercept
        return z

    def predict_proba_one(self, text: str, prepared: bool = False) -> np.ndarray:
        """Class probabilities (ordered as :attr:`classes`) of one text."""
        doc = self.document(text, prepared)
        return self._main_proba(doc, self._scores(doc))

    def predict_all_one(self, text: str, prepared: bool = False) -> list[np.ndarray]:
        """Probabilities of every head (main first) for one text, featurising it once."""
        return self._all_doc(self.document(text, prepared))

    def _all_doc(self, doc: str) -> list[np.ndarray]:
        z = self._scores(doc)
        return [self._main_proba(doc, z), *(self._head_proba(h, z) for h in range(1, len(self._slices)))]

    def _main_proba(self, doc: str, z: np.ndarray) -> np.ndarray:
        """The main head's probabilities from its scores ``z``, averaged with the other vote
        members' (scored on the same document ``doc``) when the model is a soft vote."""
        p = self._head_proba(0, z)
        if self._members:
            p = self._vote(p, [m._main_proba(doc, m._scores(doc)) for m in self._members])
        return p

    def predict_proba(self, texts: Iterable[str], head: int = 0) -> np.ndarray:
        """Probabilities for many texts (rows ordered as given)."""
        if head == 0:
            rows = [self.predict_proba_one(t) for t in texts]
        else:
            rows = [self._head_proba(head, self._scores(self.document(t))) for t in texts]
        n_classes = len(self._classes[head])
        return np.vstack(rows) if rows else np.zeros((0, n_classes))

    def predict_batch(self, texts: Sequence[str], prepared: bool = False) -> list[np.ndarray]:
        """Probabilities of every head (main first) for many texts: one ``(len(texts), n_classes)``
        array per head, rows ordered as ``texts``.

        Only the term counting runs here (in Python, with the same per-word caches as the
        single-message path); the counts then go through the fitted pipeline's own TF-IDF
        transformers, ``scipy.sparse.hstack`` (as :class:`~sklearn.pipeline.FeatureUnion` does)
        and each head's ``predict_proba``. Every row is computed independently by those steps,
        so the probabilities are bit-for-bit those of ``pipeline.predict_proba([text])``, while
        scikit-learn's per-call overhead is paid once per batch instead of once per message.
        """
        return self._batch_docs([self.document(t, prepared) for t in texts])

    def _batch_docs(self, docs: list[str]) -> list[np.ndarray]:
        """:meth:`predict_batch` of documents (see :meth:`document`)."""
        if not docs:
            return [np.zeros((0, len(c))) for c in self._classes]
        if any(t is None for t in self._tfidf):  # not a TfidfVectorizer we know: one by one
            rows = [self._all_doc(doc) for doc in docs]
            return [np.vstack([r[h] for r in rows]) for h in range(len(self._classes))]
        import scipy.sparse as sp

        batch = text_batch(docs)
        blocks = []
        offset = 0
        for block, tfidf, width in zip(self._blocks, self._tfidf, self._widths):
            blocks.append(tfidf.transform(block.batch_counts(batch, offset, width), copy=False))
            offset += width
        x = sp.hstack(blocks).tocsr()
        out = [np.asarray(clf.predict_proba(x)) for clf in self._clfs]
        if self._members:
            out[0] = self._vote(out[0], [m._batch_docs(docs)[0] for m in self._members])
        return out

    def _vote(self, main: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
        """The soft vote's average, computed as scikit-learn's ``VotingClassifier`` computes it."""
        return np.average(np.asarray([main, *others]), axis=0, weights=self._vote_weights)

    def _head_proba(self, head: int, z_all: np.ndarray) -> np.ndarray:
        lo, hi = self._slices[head]
        if self._binary[head]:
            p = _expit(float(z_all[lo]))
            return np.array([1.0 - p, p])
        z = z_all[lo:hi] - z_all[lo:hi].max()
        e = np.exp(z)
        e /= e.sum()
        return e


def _expit(x: float) -> float:
    from scipy.special import expit

    return float(expit(x))


def _preprocessor_name(vec: Any) -> str | None:
    """Which of :data:`PREPROCESSORS` a fitted vectoriser uses (``None``: another one)."""
    for name, fn in PREPROCESSORS.items():
        if vec.preprocessor is fn or getattr(vec.preprocessor, "__qualname__", "") == name:
            return name
    return None


def preprocessor_of(model: Any) -> str | None:
    """The name of the preprocessor a fitted or unfitted pipeline (or vote) applies to its texts."""
    union = main_pipeline(model).named_steps["features"]
    return _preprocessor_name(union.transformer_list[0][1])


def _block_from(vec: Any, offset: int) -> _Block:
    analyzer = getattr(vec, "analyzer", None)
    if analyzer not in ("word", "char_wb"):
        raise ValueError(f"unsupported analyzer {analyzer!r} (word or char_wb)")
    if _preprocessor_name(vec) is None:
        raise ValueError("vectoriser must use switchboard.plugins.risk_ml.features.prepare or prepare_cued as preprocessor")
    if vec.stop_words is not None or vec.tokenizer is not None or vec.strip_accents:
        raise ValueError("stop words, custom tokenizers and accent stripping are not supported by the fast path")
    if not getattr(vec, "use_idf", True):
        raise ValueError("the fast path needs use_idf=True")
    vocab = {term: offset + int(j) for term, j in vec.vocabulary_.items()}
    findall = re.compile(vec.token_pattern).findall if analyzer == "word" else None
    ngram_range = tuple(vec.ngram_range)
    return _Block(
        analyzer=analyzer,
        vocab=vocab,
        ngram_range=ngram_range,  # type: ignore[arg-type]
        token_findall=findall,
        word_cache={},
        token_pattern=vec.token_pattern,
        word_table=WordTable.build(vocab, offset, ngram_range) if analyzer == "word" else None,  # type: ignore[arg-type]
    )


def _linear_head(clf: Any, n_features: int) -> tuple[list[str], np.ndarray, np.ndarray, bool]:
    if type(clf).__name__ == "MultinomialNB":
        # log P(class | x) = x . feature_log_prob[class] + log prior[class] - normaliser: a
        # linear head whose softmax is the naive Bayes posterior (never the binary shortcut)
        coef = np.asarray(clf.feature_log_prob_, dtype=np.float64)
        if coef.shape[1] != n_features:
            raise ValueError(f"classifier expects {coef.shape[1]} features, the vectorisers give {n_features}")
        classes = [str(c) for c in clf.classes_]
        return classes, np.ascontiguousarray(coef.T), np.asarray(clf.class_log_prior_, dtype=np.float64), False
    if not hasattr(clf, "coef_") or not hasattr(clf, "intercept_"):
        raise ValueError(f"unsupported classifier {type(clf).__name__} (a linear model or MultinomialNB)")
    coef = np.asarray(clf.coef_, dtype=np.float64)
    if coef.shape[1] != n_features:
        raise ValueError(f"classifier expects {coef.shape[1]} features, the vectorisers give {n_features}")
    classes = [str(c) for c in clf.classes_]
    binary = len(classes) == 2
    return classes, np.ascontiguousarray(coef.T), np.asarray(clf.intercept_, dtype=np.float64), binary
