"""The fast path equals scikit-learn, and artefacts load only when they verify against their card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from switchboard.errors import ModelLoadError
from switchboard.plugins.risk_ml.artefact import CARD_FILE, MODEL_FILE, load_current, load_model
from switchboard.plugins.risk_ml.features import FastModel, make_nb_pipeline, make_pipeline, make_risk_model
from switchboard.training.testing import INTENT_ROWS, RISK_ROWS, tiny_registry

UNSEEN = [
    "Théres   a MAN with a ｋｎｉｆｅ outside!!",
    "",
    "   ",
    "knife knife knife knife",
    "completely unrelated words qwerty zxcvb",
    "I\u2019ve lost my purse \u2014 help",
    "a",
]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return tiny_registry(tmp_path_factory.getbasetemp() / "sb-tiny")


def test_fast_model_equals_sklearn_predict_proba_for_every_head(tiny) -> None:
    model = load_model(tiny.risk_v1, "risk")
    texts = [t for t, _l, _c in RISK_ROWS] + [t for t, _l in INTENT_ROWS] + UNSEEN
    expected = model.pipeline.predict_proba(texts)
    got = model.fast.predict_proba(texts)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-9
    assert model.category_pipeline is not None
    cat_expected = model.category_pipeline.predict_proba(texts)
    assert np.abs(model.fast.predict_proba(texts, head=1) - cat_expected).max() < 1e-9
    assert model.fast.classes == [str(c) for c in model.pipeline.classes_]


def test_fast_model_equals_sklearn_for_a_binary_model() -> None:
    texts = ["he has a knife now", "lost my wallet", "intruder in my house now", "parking on my drive"] * 3
    labels = ["immediate", "none", "immediate", "none"] * 3
    pipe = make_pipeline().fit(texts, labels)
    fast = FastModel(pipe)
    probe = texts + UNSEEN
    assert np.abs(fast.predict_proba(probe) - pipe.predict_proba(probe)).max() < 1e-9


def test_the_risk_model_is_a_soft_vote_of_logistic_regression_and_naive_bayes(tiny) -> None:
    from sklearn.ensemble import VotingClassifier

    model = load_model(tiny.risk_v1, "risk")
    vote = model.pipeline
    assert isinstance(vote, VotingClassifier) and vote.voting == "soft"
    lr, nb = vote.estimators_
    assert type(nb.named_steps["clf"]).__name__ == "MultinomialNB"
    texts = [t for t, _l, _c in RISK_ROWS] + UNSEEN
    lr_p, nb_p = lr.predict_proba(texts), nb.predict_proba(texts)
    assert np.abs(lr_p - nb_p).max() > 0.05  # two different opinions ...
    got = model.fast.predict_proba(texts)
    assert np.abs(got - (lr_p + nb_p) / 2).max() < 1e-9  # ... averaged, on the single-message path
    assert np.array_equal(model.fast.predict_batch(texts)[0], vote.predict_proba(texts))  # and bit for bit in a batch
    # the category head shares the first member's fitted features
    assert model.category_pipeline.named_steps["features"] is lr.named_steps["features"]


def test_a_weighted_vote_is_averaged_with_its_weights() -> None:
    texts = [t for t, _l, _c in RISK_ROWS]
    labels = [lab for _t, lab, _c in RISK_ROWS]
    vote = make_risk_model().set_params(weights=[3, 1]).fit(texts, labels)
    fast = FastModel(vote)
    assert fast.classes == sorted(set(labels))
    probe = texts + UNSEEN
    assert np.abs(fast.predict_proba(probe) - vote.predict_proba(probe)).max() < 1e-9


@pytest.mark.parametrize("change", ["hard voting", "complement nb", "dropped member"])
def test_unsupported_vote_shapes_are_refused_not_misread(change: str) -> None:
    from sklearn.naive_bayes import ComplementNB

    texts = [t for t, _l, _c in RISK_ROWS]
    labels = [lab for _t, lab, _c in RISK_ROWS]
    vote = make_risk_model()
    if change == "hard voting":
        vote.set_params(voting="hard")
    elif change == "complement nb":
        nb = make_nb_pipeline()
        nb.set_params(clf=ComplementNB())
        vote.set_params(nb=nb)
    else:
        vote.set_params(weights=[1, 1, 1], estimators=[*vote.estimators, ("off", "drop")])
    vote.fit(texts, labels)
    with pytest.raises(ValueError):
        FastModel(vote)


def test_intent_model_probabilities_match_and_cover_out_of_scope(tiny) -> None:
    model = load_model(tiny.intent_v1, "intent")
    texts = [t for t, _l in INTENT_ROWS] + UNSEEN
    assert np.abs(model.fast.predict_proba(texts) - model.pipeline.predict_proba(texts)).max() < 1e-9
    assert "out_of_scope" in model.fast.classes


def test_round_trip_card_records_what_the_data_team_needs(tiny) -> None:
    model = load_current(tiny.models_dir, "risk")
    card = model.card
    assert model.version == card["version"] == tiny.risk_v1.name
    for key in ("artefact_sha256", "training_data_sha256", "label_counts", "cross_validation", "thresholds",
                "versions", "git_commit", "created_at"):
        assert key in card, key
    assert set(card["versions"]) >= {"sklearn", "numpy", "python"}
    assert card["label_counts"] == {"elevated": 8, "high": 10, "immediate": 12, "none": 12}
    assert set(card["cross_validation"]["per_class"]) == {"none", "elevated", "high", "immediate"}
    assert 0.0 < card["thresholds"]["immediate"] <= 1.0
    assert (tiny.risk_v1 / "report.html").is_file()


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_a_changed_byte_in_the_artefact_is_refused(tiny, tmp_path: Path) -> None:
    folder = _copy(tiny.risk_v1, tmp_path / "m")
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelLoadError) as err:
        load_model(folder, "risk")
    assert err.value.path == str(folder / MODEL_FILE)
    assert "sha256" in err.value.reason


def test_a_model_trained_with_another_sklearn_version_is_refused(tiny, tmp_path: Path) -> None:
    folder = _copy(tiny.risk_v1, tmp_path / "m")
    card = json.loads((folder / CARD_FILE).read_text())
    card["versions"]["sklearn"] = "0.24.2"
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError) as err:
        load_model(folder, "risk")
    assert "scikit-learn 0.24.2" in str(err.value) and str(folder / MODEL_FILE) in str(err.value)


def test_missing_card_missing_artefact_and_wrong_kind_are_clear_errors(tiny, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="model card not found"):
        load_model(tmp_path, "risk")
    folder = _copy(tiny.risk_v1, tmp_path / "m")
    with pytest.raises(ModelLoadError, match="is a 'risk' model, expected a 'intent' model"):
        load_model(folder, "intent")
    (folder / MODEL_FILE).unlink()
    with pytest.raises(ModelLoadError, match="artefact not found"):
        load_model(folder, "risk")
    (folder / CARD_FILE).write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model(folder, "risk")


# -- context-cue features (prepare_cued) ----------------------------------------------------------


@pytest.mark.parametrize(("text", "present", "absent"), [
    ("hes outside with a knife rn", "now", "past"),
    ("he hit me last week", "past", "now"),
    ("what's the law on carrying a multitool?", "question", "now"),
    ("my ex keeps texting me", "habitual", "now"),
    ("someone is kicking my door in", "progressive", "past"),
    ("lost my purse", "no_time", "now"),
])
def test_cue_tags_say_when_a_message_happens(text: str, present: str, absent: str) -> None:
    from switchboard.plugins.risk_ml.features import CUE_TAGS, cue_tags, prepare

    tags = cue_tags(prepare(text)).split()
    assert CUE_TAGS[present] in tags
    assert CUE_TAGS[absent] not in tags


def test_prepare_cued_gives_the_same_document_for_a_raw_text_and_its_normalised_form() -> None:
    from switchboard.plugins.risk_ml.features import CUE_TAGS, prepare, prepare_cued

    for text in UNSEEN + ["He\u2019s  OUTSIDE   right now with a KNIFE"]:
        assert prepare_cued(text) == prepare_cued(prepare(text))
    assert prepare_cued("He\u2019s OUTSIDE right now").endswith(CUE_TAGS["now"])


def test_the_risk_model_reads_cue_tags_and_the_intent_model_does_not(tiny) -> None:
    from switchboard.plugins.risk_ml.features import CUE_TAGS, prepare

    risk = load_model(tiny.risk_v1, "risk")
    intent = load_model(tiny.intent_v1, "intent")
    assert risk.fast.preprocessor == "prepare_cued" and risk.card["model"]["preprocessor"] == "prepare_cued"
    assert intent.fast.preprocessor == "prepare" and intent.card["model"]["preprocessor"] == "prepare"
    assert risk.card["model"]["context_cues"] == list(CUE_TAGS)
    assert "cue_lexicon_sha256" not in intent.card["model"]
    doc = risk.fast.document("someone is outside my door right now", prepared=False)
    assert CUE_TAGS["now"] in doc.split()
    assert intent.fast.document("someone is outside my door right now") == prepare("someone is outside my door right now")
    # the tags are real features of the fitted model: its vocabulary holds them
    lr = risk.pipeline.estimators_[0]
    assert CUE_TAGS["now"] in lr.named_steps["features"].transformer_list[0][1].vocabulary_


def test_a_cued_model_is_refused_when_the_cue_lexicon_changed(tiny, tmp_path: Path) -> None:
    folder = tmp_path / "risk"
    shutil.copytree(tiny.risk_v1, folder)
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card["model"]["cue_lexicon_sha256"] = "0" * 64
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="lexicon"):
        load_model(folder, "risk")
    del card["model"]["cue_lexicon_sha256"]
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="lexicon"):
        load_model(folder, "risk")


def test_a_cued_model_is_refused_when_the_cue_words_changed_version(tiny, tmp_path: Path) -> None:
    from switchboard.plugins.risk_ml.features import CUE_VERSION

    folder = tmp_path / "risk"
    shutil.copytree(tiny.risk_v1, folder)
    assert load_model(folder, "risk").card["model"]["cue_version"] == CUE_VERSION
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card["model"]["cue_version"] = CUE_VERSION + 1
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="version"):
        load_model(folder, "risk")


def test_a_model_whose_vectorisers_disagree_on_preprocessing_is_refused() -> None:
    from switchboard.plugins.risk_ml.features import make_features, prepare, prepare_cued

    texts = [t for t, _l, _c in RISK_ROWS]
    labels = [lab for _t, lab, _c in RISK_ROWS]
    pipe = make_pipeline(preprocessor=prepare)
    mixed = make_features(prepare_cued)
    pipe.set_params(features=type(mixed)([pipe.named_steps["features"].transformer_list[0], mixed.transformer_list[1]]))
    pipe.fit(texts, labels)
    with pytest.raises(ValueError, match="same preprocessor"):
        FastModel(pipe)


def test_default_C_is_the_risk_models_own_and_the_intent_models_own(tmp_path) -> None:
    """Left unset, ``C`` is ``RISK_C`` (with naive Bayes ``NB_ALPHA``) for the risk model, and 10
    for its category head and for the intent model; the card records what was fitted."""
    import joblib

    from switchboard.plugins.risk_ml.features import LINEAR_C, NB_ALPHA, RISK_C, main_pipeline
    from switchboard.training.testing import INTENT_ROWS, RISK_ROWS, write_csv
    from switchboard.training.train import TrainOptions, train

    CATEGORY_C = INTENT_C = LINEAR_C
    risk_csv = write_csv(tmp_path / "risk.csv", ["text", "label", "category"], RISK_ROWS)
    intent_csv = write_csv(tmp_path / "intent.csv", ["text", "label"], INTENT_ROWS)
    risk = train(TrainOptions(kind="risk", data=[risk_csv], models_dir=tmp_path / "m", folds=2,
                              target_recall=0.9, max_false_diversion=0.2))
    intent = train(TrainOptions(kind="intent", data=[intent_csv], models_dir=tmp_path / "m", folds=2))
    bundle = joblib.load(risk.model_dir / "model.joblib")
    assert main_pipeline(bundle["pipeline"]).named_steps["clf"].C == RISK_C == risk.card["model"]["C"]
    assert bundle["pipeline"].estimators_[-1].named_steps["clf"].alpha == NB_ALPHA
    assert bundle["category_pipeline"].named_steps["clf"].C == CATEGORY_C
    intent_bundle = joblib.load(intent.model_dir / "model.joblib")
    assert intent_bundle["pipeline"].named_steps["clf"].C == INTENT_C == intent.card["model"]["C"]
    assert RISK_C != INTENT_C  # the two defaults really differ, so the checks above tell them apart
