"""Approved guidance: document validation, expiry, retrieval quality, Welsh, the hook."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from switchboard.errors import DataError
from switchboard.plugins.guidance.documents import load_documents, parse_document, split_passages
from switchboard.plugins.guidance.plugin import GuidancePlugin, expired_documents
from switchboard.types import DEFAULT_INTENTS

DEMO = Path(__file__).resolve().parents[1] / "core" / "forces" / "demo" / "guidance"
TODAY = date(2026, 11, 27)
KNOWN = set(DEFAULT_INTENTS) | {"out_of_scope"}


@pytest.fixture(scope="module")
def plugin():
    from switchboard.config import load_settings

    p = GuidancePlugin(today=lambda: TODAY)
    p.configure(settings=load_settings(environ={}))
    return p


def top(plugin, query, language="en", intent=None):
    found = plugin.find_guidance(query=query, language=language, intent=intent, limit=3) or []
    return found[0] if found else None


# -- the demo documents ------------------------------------------------------------------------------


def test_demo_documents_load_and_cover_both_languages():
    docs = load_documents(DEMO, KNOWN)
    en = [d for d in docs if d.language == "en" and not d.expired(TODAY)]
    cy = [d for d in docs if d.language == "cy" and not d.expired(TODAY)]
    assert len(en) >= 12 and len(cy) >= 4
    for doc in docs:
        assert doc.source_url.startswith("https://")
        assert doc.approved_by
        assert doc.passages
        if doc.id != "christmas-opening-2024":
            assert doc.review_date.year == 2027


@pytest.mark.parametrize(
    ("query", "intent", "expected"),
    [
        ("my neighbour plays loud music every night", "anti_social_behaviour", "noise-nuisance"),
        ("kids hanging around being intimidating and graffiti everywhere", None, "anti-social-behaviour"),
        ("I lost my wallet on the bus", "lost_found_property", "lost-property"),
        ("I found a bank card in the street", None, "found-property"),
        ("someone phoned saying they were police and asked me to withdraw cash for a courier", None, "courier-fraud"),
        ("I met a man on a dating site who keeps asking for money", None, "romance-fraud"),
        ("how do I report a scam and get my money back from the bank", None, "fraud-reporting"),
        ("somebody reversed into my car and drove off without leaving details", "road_traffic", "road-traffic-collision-no-injury"),
        ("how do I send you dashcam footage", None, "dashcam-footage"),
        ("there's an untaxed car parked on my road for months", None, "abandoned-untaxed-vehicles"),
        ("how do I renew my shotgun certificate", None, "firearms-licensing"),
        ("I need a DBS check for a job", None, "police-certificates-dbs"),
        ("can I give information without giving my name", None, "anonymous-information"),
        ("can I find out if my new partner has been abusive before", None, "clares-law"),
        ("someone shouted racist abuse at me", "crime_report", "hate-crime"),
        ("I'm deaf, how can I contact you by textphone", None, "accessibility-contact"),
        ("what is my crime reference number", "follow_up", "crime-reference-follow-up"),
        ("what happens after I report a burglary", None, "after-you-report"),
        ("neigbour noise musik", None, "noise-nuisance"),  # typos
    ],
)
def test_retrieval_finds_the_right_document(plugin, query, intent, expected):
    hit = top(plugin, query, intent=intent)
    assert hit is not None, query
    assert hit.doc_id == expected
    assert 0.2 <= hit.score <= 1.0  # above the demo force's guidance_confidence


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mae fy nghymdogion yn swnllyd ac yn fygythiol", "cy-anti-social-behaviour"),
        ("rwyf wedi colli arian i dwyll", "cy-fraud-reporting"),
        ("sut ydw i'n defnyddio ffôn testun", "cy-accessibility-contact"),
        ("rhoi gwybodaeth yn ddienw", "cy-anonymous-information"),
    ],
)
def test_welsh_queries_get_welsh_passages(plugin, query, expected):
    hit = top(plugin, query, language="cy")
    assert hit is not None and hit.doc_id == expected
    assert hit.score >= 0.2


@pytest.mark.parametrize("query", ["what's the weather tomorrow", "can you recommend a good pizza place", "", "   "])
def test_unrelated_questions_score_below_threshold(plugin, query):
    hit = top(plugin, query)
    assert hit is None or hit.score < 0.2


def test_intent_boost_raises_tagged_documents_within_bounds(plugin):
    plain = top(plugin, "my neighbour plays loud music every night")
    boosted = top(plugin, "my neighbour plays loud music every night", intent="anti_social_behaviour")
    assert boosted.doc_id == plain.doc_id == "noise-nuisance"
    assert boosted.score > plain.score
    assert boosted.score <= 1.0
    other = top(plugin, "my neighbour plays loud music every night", intent="fraud_scam")
    assert other.score == pytest.approx(plain.score)


def test_passage_carries_provenance(plugin):
    hit = top(plugin, "how do I send you dashcam footage")
    assert hit.title == "Sending us dashcam or helmet camera footage"
    assert hit.source_url.startswith("https://www.demo-constabulary.police.uk/")
    assert hit.approved_by == "Roads Policing Unit, Demo Constabulary"
    assert hit.review_date == "2027-06-30"
    assert hit.plugin == "guidance"
    assert "14 days" in " ".join(p.text for p in plugin.find_guidance(
        query="dashcam footage how soon", language="en", intent=None, limit=3))


def test_limit_is_respected(plugin):
    assert len(plugin.find_guidance(query="report fraud scam bank money", language="en", intent=None, limit=2)) == 2


# -- expiry ------------------------------------------------------------------------------------------


def test_expired_document_is_never_returned_and_is_reported(plugin):
    hits = plugin.find_guidance(query="front counters closed over Christmas 2024", language="en", intent=None, limit=10)
    assert all(h.doc_id != "christmas-opening-2024" for h in hits)
    assert [d["id"] for d in plugin.expired_documents()] == ["christmas-opening-2024"]
    health = plugin.report_health()
    assert health.status == "ok"
    assert "christmas-opening-2024" in health.detail and "2025-01-01" in health.detail


def test_expired_documents_function_for_cli(sb_settings):
    expired = expired_documents(sb_settings(), today=TODAY)
    assert [(d["id"], d["review_date"]) for d in expired] == [("christmas-opening-2024", "2025-01-01")]
    # on the review date itself a document is still current; the day after it is expired
    assert expired_documents(sb_settings(), today=date(2024, 12, 31)) == []


def test_configure_logs_a_warning_for_expired_documents(sb_settings, caplog):
    p = GuidancePlugin(today=lambda: TODAY)
    with caplog.at_level(logging.WARNING, logger="switchboard.plugins.guidance"):
        p.configure(settings=sb_settings())
    assert any("christmas-opening-2024" in r.getMessage() for r in caplog.records)


def test_documents_expire_while_running(sb_settings):
    day = [date(2027, 6, 30)]
    p = GuidancePlugin(today=lambda: day[0])
    p.configure(settings=sb_settings())
    assert top(p, "how do I send you dashcam footage").doc_id == "dashcam-footage"
    day[0] = date(2027, 7, 1)  # every demo document passes its review date
    assert p.find_guidance(query="how do I send you dashcam footage", language="en", intent=None, limit=3) in (None, [])
    assert len(p.expired_documents()) == len(p.documents)


# -- validation ---------------------------------------------------------------------------------------

GOOD = """+++
id = "doc-1"
title = "A title"
source_url = "https://www.gov.uk/x"
approved_by = "Contact Management, Demo Constabulary"
review_date = 2027-01-31
language = "en"
intents = ["crime_report"]
+++

First paragraph.

## A heading

Second paragraph
over two lines.

- a list
- of items
"""


def write(tmp_path: Path, text: str, name: str = "doc.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_document_parses_into_passages(tmp_path):
    doc = parse_document(write(tmp_path, GOOD), KNOWN)
    assert doc.review_date == date(2027, 1, 31)
    assert [(p.heading, p.text) for p in doc.passages] == [
        ("", "First paragraph."),
        ("A heading", "Second paragraph\nover two lines."),
        ("A heading", "- a list\n- of items"),
    ]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (('title = "A title"\n', ""), "title", "required field is missing"),
        (('approved_by = "Contact Management, Demo Constabulary"\n', ""), "approved_by", "missing"),
        (("review_date = 2027-01-31", 'review_date = "31/01/2027"'), "review_date", "YYYY-MM-DD"),
        (("review_date = 2027-01-31", 'review_date = "2027-02-30"'), "review_date", "YYYY-MM-DD"),
        (('intents = ["crime_report"]', 'intents = ["crime_reprot"]'), "intents", "unknown intent 'crime_reprot'"),
        (('language = "en"', 'language = "fr"'), "language", "expected one of"),
        (('source_url = "https://www.gov.uk/x"', 'source_url = "www.gov.uk"'), "source_url", "https://"),
        (('id = "doc-1"', 'id = "Doc 1"'), "id", "lower-case"),
        (('id = "doc-1"', 'id = "doc-1"\nauthor = "me"'), "author", "unknown field"),
    ],
)
def test_bad_documents_name_file_and_field(tmp_path, change, field, words):
    old, new = change
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(DataError) as err:
        parse_document(path, KNOWN)
    assert err.value.location == f"{path}: {field}"
    assert words in err.value.problem


def test_missing_front_matter_and_empty_body(tmp_path):
    with pytest.raises(DataError, match="front matter"):
        parse_document(write(tmp_path, "# Just markdown\n"), KNOWN)
    with pytest.raises(DataError, match="not closed"):
        parse_document(write(tmp_path, "+++\nid = 'x'\n"), KNOWN)
    with pytest.raises(DataError, match="no text"):
        parse_document(write(tmp_path, GOOD.split("First")[0]), KNOWN)


def test_duplicate_ids_rejected(tmp_path):
    write(tmp_path, GOOD, "a.md")
    write(tmp_path, GOOD, "b.md")
    with pytest.raises(DataError, match="duplicate document id 'doc-1'"):
        load_documents(tmp_path, KNOWN)


def test_bad_document_stops_start_up_naming_file(tmp_path, sb_settings, sb_dispatcher):
    write(tmp_path, GOOD.replace("review_date = 2027-01-31", "review_date = 2027-13-01"))
    settings = sb_settings(overrides={"guidance": {"folder": str(tmp_path)}})
    with pytest.raises(Exception) as err:
        sb_dispatcher(settings=settings)
    assert "doc.md" in str(err.value)


def test_missing_folder_is_degraded_not_fatal(tmp_path, sb_settings):
    p = GuidancePlugin(today=lambda: TODAY)
    p.configure(settings=sb_settings(overrides={"guidance": {"folder": str(tmp_path / "nope")}}))
    assert p.report_health().status == "degraded"
    assert p.find_guidance(query="noise", language="en", intent=None, limit=3) is None


def test_validate_config_names_keys(sb_settings):
    p = GuidancePlugin()
    problems = p.validate_config(settings=sb_settings(overrides={"guidance": {"foldr": "x", "intent_boost": 5}}))
    assert any(x.startswith("guidance.foldr: unknown key") for x in problems)
    assert any(x.startswith("guidance.intent_boost: must be between") for x in problems)


def test_split_passages_ignores_blank_runs():
    assert [p.text for p in split_passages("x", "\n\n# T\n\n\nOne\n\n\n\nTwo\n")] == ["One", "Two"]


# -- through the dispatcher --------------------------------------------------------------------------


def test_dispatcher_find_guidance_merges_and_cites(sb_dispatcher):
    d = sb_dispatcher()
    passages = d.find_guidance(query="how do I report an untaxed vehicle", language="en", intent="road_traffic", limit=3)
    assert passages and passages[0].doc_id == "abandoned-untaxed-vehicles"
    assert passages[0].plugin == "guidance"


# -- the fast query path -------------------------------------------------------------------------------

AWKWARD_QUERIES = [
    "", "   ", "the and of", "x", "lost   property\twhat to do\n\nplease", "LOST PROPERTY What To Do",
    "I lost my wallet lost my wallet lost my wallet", "Ｍｙ　ＰＨＯＮＥ was nicked… “today”",
    "café naïve über straße – señor", "it's the neighbour's dog's barking", "12345/23 4x4 __init__",
    "eiddo coll beth i'w wneud", "mae fy nghymdogion yn swnllyd", "\u200bzero\u200bwidth\u00a0spaces",
]


def _training_queries(every: int = 15) -> list[str]:
    import csv

    from switchboard.training.paths import DEFAULT_TRAIN

    texts: list[str] = []
    for path in DEFAULT_TRAIN.values():
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as fh:
                texts += [row["text"] for row in csv.DictReader(fh) if row.get("text")]
    return texts[::every]


def test_fast_query_rows_equal_scikit_learns_transform_bit_for_bit(plugin):
    import numpy as np

    for index in plugin.indexes.values():
        for query in AWKWARD_QUERIES + _training_queries(every=40):
            for vectorizer, fast in ((index.vectorizer, index._query_words), (index.char_vectorizer, index._query_chars)):
                expected = vectorizer.transform([query])
                row = fast.transform(query)
                if expected.nnz == 0:
                    assert row is None
                else:
                    assert row.tobytes() == expected.toarray().ravel().tobytes(), query


def test_fast_search_gives_exactly_scikit_learns_scores_and_hits(plugin):
    queries = AWKWARD_QUERIES + _training_queries()
    assert len(queries) > 300
    for index in plugin.indexes.values():
        for query in queries:
            fast, reference = index.scores(query), index.scores_reference(query)
            assert (fast is None) == (reference is None)
            if fast is not None:
                assert fast.tobytes() == reference.tobytes(), query  # every bit of every score
    # ranking, boost, limit and rounding are shared by both paths
    index = plugin.indexes["en"]
    for query in AWKWARD_QUERIES + ["I lost my wallet on the bus", "how do I send you dashcam footage"]:
        for intent, limit in ((None, 3), ("lost_found_property", 1), ("general_enquiry", 5)):
            assert index.search(query, intent, limit, 0.25) == index.search_reference(query, intent, limit, 0.25)
