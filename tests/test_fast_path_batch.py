"""The batch fast path: ``prepare_batch``, batch scoring and the batch CLI decide exactly as the
unoptimised pipeline (scikit-learn ``predict_proba`` on each message) and the live path do."""

from __future__ import annotations

import csv
import dataclasses
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from switchboard import hookimpl
from switchboard.cli import decision_row, triage_rows
from switchboard.dispatch import _replace
from switchboard.plugins.risk_ml.artefact import load_model
from switchboard.plugins.risk_ml.batch import TextBatch, WordTable, text_batch
from switchboard.plugins.risk_ml.features import TOKEN_PATTERN
from switchboard.text import normalise
from switchboard.training.registry import GateResult, promote
from switchboard.training.testing import tiny_registry
from switchboard.types import ConversationState, IntentScore, RiskLevel, Status

ROOT = Path(__file__).resolve().parent.parent
EVAL_RISK = ROOT / "training" / "data" / "eval" / "risk_eval.csv"

AWKWARD = [
    "someone is trying to kick my back door in RIGHT NOW!!!",
    "there's a man outside with a knife right now",
    "my bike was stolen from the shed last week",
    "my bike was stolen from the shed last week",  # a repeat in the same batch
    "Ｍｙ　ＰＨＯＮＥ was nicked… “today”",  # full-width, curly quotes, ellipsis
    "café naïve über straße – señor",  # non-ASCII words and a dash
    "snake_case and_underscores 123 4x4 __init__",
    "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a",
    "!!! ??? ...",  # no word at all
    "x",
    "Dw i eisiau siarad â rhywun am fy nghar",
    "\u200bzero\u200bwidth\u00a0spaces\ttabs\n\nnewlines",
]


def _texts(n: int = 80) -> list[str]:
    texts = list(AWKWARD)
    if EVAL_RISK.exists():
        with EVAL_RISK.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        texts += [r["text"] for r in rows[:: max(1, len(rows) // n)][:n]]
    return texts


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return tiny_registry(tmp_path_factory.getbasetemp() / "sb-tiny")


@pytest.fixture
def models_dispatcher(tiny, sb_settings, sb_dispatcher, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(tiny.models_dir, models)

    def make(**kwargs):
        settings = sb_settings(overrides={"models": {"dir": str(models)}})
        return sb_dispatcher(settings=settings, **kwargs)

    make.models = models  # type: ignore[attr-defined]
    return make


# -- batch scoring is bit-for-bit scikit-learn --------------------------------------------------


@pytest.mark.parametrize("kind", ["risk", "intent"])
def test_predict_batch_equals_sklearn_predict_proba_on_each_message(tiny, kind):
    model = load_model(tiny.risk_v1 if kind == "risk" else tiny.intent_v1, kind)
    texts = _texts()
    docs = [normalise(t) for t in texts]
    heads = model.fast.predict_batch(docs, prepared=True)
    pipelines = [model.pipeline] + ([model.category_pipeline] if model.category_pipeline is not None else [])
    assert len(heads) == len(pipelines)
    for head, pipeline in zip(heads, pipelines):
        assert head.shape == (len(texts), len(pipeline.classes_))
        for i, text in enumerate(texts):
            expected = pipeline.predict_proba([text])[0]
            assert np.array_equal(head[i], expected), (text, head[i], expected)  # exact, not approximate


def test_predict_batch_matches_the_single_message_fast_path(tiny):
    model = load_model(tiny.risk_v1, "risk")
    docs = [normalise(t) for t in _texts(40)]
    heads = model.fast.predict_batch(docs, prepared=True)
    for i, doc in enumerate(docs):
        for head, one in zip(heads, model.fast.predict_all_one(doc, prepared=True)):
            np.testing.assert_allclose(head[i], one, rtol=0, atol=1e-12)


def test_count_matrices_equal_the_fitted_vectorisers(tiny):
    from sklearn.feature_extraction.text import CountVectorizer

    model = load_model(tiny.intent_v1, "intent")
    docs = [normalise(t) for t in _texts(40)]
    batch = TextBatch(docs)
    offset = 0
    for (name, vec), block, width in zip(
        model.pipeline.named_steps["features"].transformer_list, model.fast._blocks, model.fast._widths
    ):
        ours = block.batch_counts(batch, offset, width)
        counts = CountVectorizer.transform(vec, docs)  # the counts its TF-IDF step starts from
        assert ours.shape == counts.shape, name
        assert np.array_equal(ours.indptr, counts.indptr), name
        assert np.array_equal(ours.indices, counts.indices), name
        assert np.array_equal(ours.data, counts.data), name
        offset += width


def test_word_table_refuses_a_vocabulary_it_cannot_key():
    # a bigram whose second word is not itself a term (e.g. pruned by min_df) cannot be keyed
    assert WordTable.build({"knife": 0, "a knife": 1, "with a": 2}, 0, (1, 2)) is None
    # a trigram whose bigram prefix is not a term, and a 4-gram in a 1-3 vocabulary
    assert WordTable.build({"a": 0, "knife": 1, "a knife": 2, "with a knife": 3, "with": 4}, 0, (1, 3)) is None
    assert WordTable.build({"a": 0, "b": 1, "a b": 2, "a b a": 3, "a b a b": 4}, 0, (1, 3)) is None
    table = WordTable.build({"knife": 5, "a": 6, "a knife": 7}, 5, (1, 2))
    assert table is not None
    counts = table.counts(TextBatch(["a knife a knife", "knife"]).tokens(TOKEN_PATTERN), 3)
    assert counts.toarray().tolist() == [[2.0, 2.0, 2.0], [1.0, 0.0, 0.0]]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3), (1, 4), (2, 3)])
def test_word_table_counts_equal_count_vectorizer(ngram_range):
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [normalise(t) for t in _texts(60)] + ["a b a b a b", "knife", "", "with a knife with a knife"]
    vec = CountVectorizer(ngram_range=ngram_range, token_pattern=TOKEN_PATTERN, lowercase=False).fit(docs[::2])
    table = WordTable.build({t: j + 7 for t, j in vec.vocabulary_.items()}, 7, ngram_range)  # columns after 7 others
    if ngram_range[0] == 2:
        assert table is None  # no unigram table to key on: the per-document path is used
        return
    assert table is not None
    got = table.counts(TextBatch(docs).tokens(TOKEN_PATTERN), len(vec.vocabulary_))
    expected = vec.transform(docs).tocsr()
    expected.sort_indices()
    assert got.shape == expected.shape
    assert got.indptr.tolist() == expected.indptr.tolist()
    assert got.indices.tolist() == expected.indices.tolist()
    assert got.data.tolist() == expected.data.tolist()


def test_tokens_equal_the_token_pattern():
    import re

    docs = [normalise(t) for t in AWKWARD] + ["l'homme d'état", "a-b_c", "ｆｕｌｌ", "٣ arabic digits"]
    tokens = TextBatch(docs).tokens(TOKEN_PATTERN)
    flat = [tokens.unique[i] for i in tokens.ids]
    expected = [t for d in docs for t in re.findall(TOKEN_PATTERN, d)]
    assert flat == expected
    assert tokens.lengths.tolist() == [len(re.findall(TOKEN_PATTERN, d)) for d in docs]


def test_text_batch_is_shared_for_the_same_texts_only():
    a = text_batch(["one two", "three"])
    assert text_batch(["one two", "three"]) is a
    assert text_batch(["one two", "four"]) is not a


# -- prepare_batch through the dispatcher and the CLI -------------------------------------------


def test_batch_cli_rows_equal_one_message_at_a_time_and_the_sklearn_pipeline(models_dispatcher, monkeypatch):
    texts = _texts()
    d = models_dispatcher()
    rows = [(str(i), t) for i, t in enumerate(texts)]
    batched = list(triage_rows(d, rows, progress=False, chunk=32))
    one_by_one = [decision_row(str(i), d.triage(t)) for i, t in enumerate(texts)]
    assert batched == one_by_one

    # the unoptimised pipeline: every score from scikit-learn's predict_proba on each message
    for name in ("risk_ml", "intent_ml"):
        model = d.pm.get_plugin(name).holder.get()
        monkeypatch.setattr(model.fast, "predict_batch", _sklearn_batch(model))
        monkeypatch.setattr(model.fast, "predict_all_one", _sklearn_one(model))
        monkeypatch.setattr(model.fast, "predict_proba_one", lambda t, prepared=False, m=model: _sklearn_one(m)(t)[0])
    slow = list(triage_rows(d, rows, progress=False, chunk=32))
    assert slow == batched
    assert any(r["emergency"] for r in batched) and any(r["intent"] for r in batched)
    assert any(r["risk_level"] == "none" for r in batched)


def _sklearn_one(model):
    def one(text, prepared=False):
        out = [model.pipeline.predict_proba([text])[0]]
        if model.category_pipeline is not None:
            out.append(model.category_pipeline.predict_proba([text])[0])
        return out

    return one


def _sklearn_batch(model):
    def batch(texts, prepared=False):
        rows = [_sklearn_one(model)(t) for t in texts]
        return [np.vstack([r[h] for r in rows]) for h in range(len(rows[0]))]

    return batch


class _Recorder:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    @hookimpl
    def prepare_batch(self, messages):
        self.batches.append([m.text for m in messages])


def test_triage_rows_prepares_each_chunk_in_order_and_ends_the_batch(models_dispatcher):
    recorder = _Recorder()
    d = models_dispatcher(plugins=[("recorder", recorder)])
    texts = [f"my bike number {i} was stolen" for i in range(7)]
    rows = [(str(i), t) for i, t in enumerate(texts)]
    out = list(triage_rows(d, rows, progress=False, chunk=3))
    assert [r["id"] for r in out] == [str(i) for i in range(7)]
    assert recorder.batches == [texts[0:3], texts[3:6], texts[6:7], []]


class _Broken:
    @hookimpl
    def prepare_batch(self, messages):
        raise RuntimeError("batch store down")


def test_a_failing_prepare_batch_is_logged_and_changes_nothing(models_dispatcher, caplog):
    texts = _texts(20)
    rows = [(str(i), t) for i, t in enumerate(texts)]
    expected = list(triage_rows(models_dispatcher(), rows, progress=False))
    with caplog.at_level(logging.ERROR, logger="switchboard.dispatch"):
        got = list(triage_rows(models_dispatcher(plugins=[("broken", _Broken)]), rows, progress=False))
    assert got == expected
    assert any("broken" in r.getMessage() and "prepare_batch" in r.getMessage() for r in caplog.records)


def test_answers_kept_for_a_swapped_model_are_not_used(models_dispatcher, tiny):
    d = models_dispatcher()
    plugin = d.pm.get_plugin("risk_ml")
    texts = ["there's a man outside with a knife right now", "my bike was stolen from the shed last week"]
    messages = [d.make_message(t) for t in texts]
    d.prepare_batch(messages=messages)
    old = plugin.holder.get()
    found, kept = plugin.batch.lookup(old, messages[0].normalised)
    assert found and kept is not None and kept.model_version == tiny.risk_v1.name

    promote(models_dispatcher.models, str(tiny.risk_v2), lambda k, f: GateResult(True, {}), kind="risk")
    plugin.holder.refresh()
    new = plugin.holder.get()
    assert new is not old and new.version == tiny.risk_v2.name
    assert plugin.batch.lookup(new, messages[0].normalised) == (False, None)
    signal = plugin.assess_risk(message=messages[0])
    assert signal is None or signal.model_version == tiny.risk_v2.name


def test_an_empty_batch_drops_the_kept_answers(models_dispatcher):
    d = models_dispatcher()
    messages = [d.make_message("my purse was taken on the bus")]
    d.prepare_batch(messages=messages)
    for name in ("risk_ml", "intent_ml"):
        plugin = d.pm.get_plugin(name)
        assert plugin.batch.lookup(plugin.holder.get(), messages[0].normalised)[0]
    d.prepare_batch(messages=())
    for name in ("risk_ml", "intent_ml"):
        plugin = d.pm.get_plugin(name)
        assert plugin.batch.lookup(plugin.holder.get(), messages[0].normalised) == (False, None)


def test_prepared_intent_answers_are_fresh_lists(models_dispatcher):
    d = models_dispatcher()
    message = d.make_message("I lost my wallet in town")
    plugin = d.pm.get_plugin("intent_ml")
    d.prepare_batch(messages=[message])
    first = plugin.categorise_intent(message=message)
    first.clear()  # a caller mutating its answer must not change the next one
    second = plugin.categorise_intent(message=message)
    assert second and all(isinstance(s, IntentScore) for s in second)
    assert abs(sum(s.confidence for s in second) - 1.0) < 1e-9


# -- the dispatcher's copy-on-write helper -------------------------------------------------------


def test_fast_replace_equals_dataclasses_replace():
    state = ConversationState(turn=2, slots={"postcode": "AB1 2CD"}, handover_reasons=("risk_high",))
    changes = {"status": Status.QUEUED, "risk_level": RiskLevel.HIGH, "queued_at": "2026-11-27T09:00:00+00:00"}
    fast = _replace(state, **changes)
    slow = dataclasses.replace(state, **changes)
    assert fast == slow and type(fast) is ConversationState
    assert fast.__dict__ == slow.__dict__
    assert state.status is Status.BOT  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.turn = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        _replace(state, no_such_field=1)


def test_fast_replace_runs_post_init_of_classes_that_have_one():
    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: int
        plugin: str = ""

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    assert _replace(Checked(1), value=2) == Checked(2)
    with pytest.raises(ValueError):
        _replace(Checked(1), value=-1)


def test_char_grams_equal_scikit_learns_char_wb_analyser():
    from sklearn.feature_extraction.text import CountVectorizer

    from switchboard.plugins.risk_ml.batch import word_char_grams

    docs = [normalise(t) for t in AWKWARD] + ["a", "ab abc abcd abcde abcdef", "é ß 日本語 x_y 12"]
    for ngram_range in ((2, 5), (1, 3), (3, 3), (4, 6)):
        analyse = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range).build_analyzer()
        for doc in docs:
            ours = [g for w in doc.split() for g in word_char_grams(w, ngram_range)]
            assert ours == analyse(doc), (doc, ngram_range)


def _fake_model(classes, thresholds, proba=None):
    from types import SimpleNamespace

    fast = SimpleNamespace(
        classes=list(classes),
        predict_batch=lambda texts, prepared=False: [np.asarray(proba)],
        head_classes=lambda head: list(classes),
    )
    return SimpleNamespace(fast=fast, thresholds=thresholds, version="v-test")


@pytest.mark.parametrize(
    "classes", [["elevated", "high", "immediate", "none"], ["high", "immediate", "none"], ["none", "immediate"]]
)
def test_vectorised_risk_levels_equal_the_one_row_rule(classes):
    from switchboard.plugins.risk_ml.plugin import risk_level_for, risk_levels_for

    rng = np.random.default_rng(7)
    rows = rng.dirichlet(np.ones(len(classes)) * 0.4, size=400)
    thresholds = {"immediate": 0.3, "high": 0.45, "elevated": 0.5}
    # rows sitting exactly on a threshold (>= must choose the level)
    edge = np.zeros((1, len(classes)))
    edge[0, classes.index("immediate")] = 0.3
    edge[0, classes.index("none")] = 0.7
    rows = np.vstack([rows, edge])
    model = _fake_model(classes, thresholds)
    levels, scores = risk_levels_for(model, rows)
    for i, row in enumerate(rows):
        level, score = risk_level_for(model, row)
        assert levels[i] is level
        assert float(scores[i]) == score  # exactly: same additions in the same order
    assert levels[-1] is RiskLevel.IMMEDIATE
    assert len({lv for lv in levels}) >= 2


def test_batched_intent_scores_keep_sorted_order_on_ties():
    from switchboard.plugins.intent_ml.plugin import _scores, scores_for

    classes = ["crime_report", "fraud_scam", "general_enquiry", "road_traffic"]
    proba = [[0.25, 0.25, 0.25, 0.25], [0.1, 0.4, 0.4, 0.1], [0.7, 0.1, 0.1, 0.1]]
    model = _fake_model(classes, {}, proba)
    batched = scores_for(model, ["a", "b", "c"])
    for row, got in zip(proba, batched):
        assert list(got) == _scores(model, np.asarray(row))
    assert [s.intent for s in batched[1]] == ["fraud_scam", "general_enquiry", "crime_report", "road_traffic"]


def test_a_fixed_clock_makes_batch_triage_repeatable(models_dispatcher):
    from datetime import datetime, timezone

    from switchboard.cli import triage_decisions

    d = models_dispatcher()
    rows = [("1", "my car was broken into an hour ago on the high street")]
    ten = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
    eleven = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
    first = [dec for _i, dec in triage_decisions(d, rows, progress=False, at=ten)]
    again = [dec for _i, dec in triage_decisions(d, rows, progress=False, at=ten)]
    later = [dec for _i, dec in triage_decisions(d, rows, progress=False, at=eleven)]
    assert first[0].slots == again[0].slots and first[0].state == again[0].state
    assert first[0].slots["when"].value == "2026-11-24T09:00"
    assert later[0].slots["when"].value == "2026-11-24T10:00"  # relative times follow the given clock
