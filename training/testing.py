"""Tiny labelled datasets and models for tests (the project's and a force's own).

:func:`tiny_registry` trains, with the real training code, two risk versions and one intent
version into a registry folder once per test session (memoised on disk), so the tests of the
plugins, the registry and the CLI share them without binary files in the repository.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

RISK_ROWS: list[tuple[str, str, str]] = [
    # immediate
    ("there's a man outside with a knife right now", "immediate", "violence_weapons"),
    ("he has got a knife and is threatening my mum now", "immediate", "violence_weapons"),
    ("someone is waving a machete in the street now", "immediate", "violence_weapons"),
    ("a man with a gun is outside the shop right now", "immediate", "violence_weapons"),
    ("my neighbour is stabbing someone, please hurry", "immediate", "violence_weapons"),
    ("i have taken all my pills and want to die", "immediate", "self_harm"),
    ("i am going to jump off the bridge tonight", "immediate", "self_harm"),
    ("i cut myself and the bleeding will not stop", "immediate", "self_harm"),
    ("i am standing on the roof and going to end it", "immediate", "self_harm"),
    ("took an overdose an hour ago, feel very sleepy", "immediate", "self_harm"),
    ("someone is breaking into my house right now", "immediate", "crime_in_progress"),
    ("there is an intruder downstairs as we speak", "immediate", "crime_in_progress"),
    # high
    ("my ex keeps following me home from work every day", "high", "stalking_harassment"),
    ("someone has been stalking me online for months", "high", "stalking_harassment"),
    ("he keeps turning up at my work and sending messages", "high", "stalking_harassment"),
    ("my partner hit me last year and still controls my money", "high", "domestic_abuse"),
    ("i was abused by my husband for years, i am safe now", "high", "domestic_abuse"),
    ("my ex used to hurt me and i want advice", "high", "domestic_abuse"),
    ("i think my niece is being groomed on snapchat", "high", "child_safeguarding"),
    ("the kids next door look neglected and hungry", "high", "child_safeguarding"),
    ("a grown man keeps messaging my 13 year old", "high", "child_safeguarding"),
    ("i was assaulted at a party two years ago", "high", "sexual_offence"),
    # elevated
    ("worried about my elderly neighbour, not seen him", "elevated", "other"),
    ("people dealing drugs on the corner most nights", "elevated", "other"),
    ("my neighbour shouted that he would sort me out", "elevated", "other"),
    ("lads selling weed outside the park", "elevated", "other"),
    ("someone posted nasty comments about me online", "elevated", "stalking_harassment"),
    ("got a rude message on facebook from a stranger", "elevated", "stalking_harassment"),
    ("neighbour threatened me verbally last month", "elevated", "other"),
    ("the man upstairs seems confused and wanders about", "elevated", "other"),
    # none
    ("my bike was stolen from the shed last week", "none", "none"),
    ("i lost my wallet in town yesterday", "none", "none"),
    ("loud music from next door every weekend", "none", "none"),
    ("how do i apply for a firearms licence", "none", "none"),
    ("i want an update on my crime reference", "none", "none"),
    ("a car has been parked on my drive all day", "none", "none"),
    ("the traffic was murder this morning", "none", "none"),
    ("i found a set of keys on the pavement", "none", "none"),
    ("my tyres were slashed overnight", "none", "none"),
    ("what time does the police station open", "none", "none"),
    ("we got slaughtered at football on saturday", "none", "none"),
    ("someone scammed me on an online shop", "none", "none"),
]

INTENT_ROWS: list[tuple[str, str]] = [
    ("loud music from the flat upstairs every night", "anti_social_behaviour"),
    ("teenagers shouting and kicking bins in the street", "anti_social_behaviour"),
    ("noisy neighbours partying till 4am again", "anti_social_behaviour"),
    ("i want to report suspicious people hanging around", "neighbourhood_concern"),
    ("worried about cars speeding past the school", "neighbourhood_concern"),
    ("there have been lots of break ins in my area lately", "neighbourhood_concern"),
    ("i know who stole the van, i want to tell you", "information_sharing"),
    ("i have information about a drug dealer", "information_sharing"),
    ("i saw who broke the shop window, can i pass it on", "information_sharing"),
    ("i want an update on my crime reference number", "follow_up"),
    ("following up on the report i made last week", "follow_up"),
    ("any news on my case, reference 12345/23", "follow_up"),
    ("my bike was stolen from outside the station", "crime_report"),
    ("someone broke into my shed last night", "crime_report"),
    ("my car was keyed in the car park", "crime_report"),
    ("i lost my wallet in town yesterday", "lost_found_property"),
    ("found a phone on the bus, who do i give it to", "lost_found_property"),
    ("i have lost my passport", "lost_found_property"),
    ("a car is parked across my driveway", "road_traffic"),
    ("there was a minor crash, no one hurt, need to report", "road_traffic"),
    ("abandoned car on our road for weeks", "road_traffic"),
    ("i was scammed buying a puppy online", "fraud_scam"),
    ("got a phishing email pretending to be my bank", "fraud_scam"),
    ("someone took money from my account by fraud", "fraud_scam"),
    ("how do i apply for a firearms licence", "general_enquiry"),
    ("what are the opening times of the front counter", "general_enquiry"),
    ("how do i get a copy of my dbs check", "general_enquiry"),
    ("what is the weather tomorrow", "out_of_scope"),
    ("my bin was not collected by the council", "out_of_scope"),
    ("how do i reset my online banking password", "out_of_scope"),
]


def write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def train_tiny(kind: str, folder: Path, models_dir: Path, C: float = 10.0, out: Path | None = None) -> Path:
    """Train a tiny model with the real training code; returns its folder."""
    from switchboard.training.train import TrainOptions, train

    folder.mkdir(parents=True, exist_ok=True)
    if kind == "risk":
        data = write_csv(folder / f"risk_{C}.csv", ["text", "label", "category"], RISK_ROWS)
    else:
        data = write_csv(folder / f"intent_{C}.csv", ["text", "label"], INTENT_ROWS)
    result = train(TrainOptions(kind=kind, data=[data], models_dir=models_dir, out=out, folds=2, C=C,
                                target_recall=0.9, max_false_diversion=0.2))
    return result.model_dir


@dataclass(frozen=True)
class TinyRegistry:
    models_dir: Path  # registry with risk v1 promoted, risk v2 not promoted, intent v1 promoted
    risk_v1: Path
    risk_v2: Path
    intent_v1: Path
    data_dir: Path  # the CSVs used


def tiny_registry(base: Path) -> TinyRegistry:
    """Build (once) a registry of tiny models under ``base``; later calls reuse it."""
    marker = base / "tiny-registry.json"
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        return TinyRegistry(**{k: Path(v) for k, v in info.items()})
    from .registry import GateResult, promote

    models_dir = base / "models"
    data_dir = base / "data"
    risk_v1 = train_tiny("risk", data_dir, models_dir, C=10.0)
    risk_v2 = train_tiny("risk", data_dir, models_dir, C=1.0)
    intent_v1 = train_tiny("intent", data_dir, models_dir, C=10.0)
    passed = lambda kind, folder: GateResult(True, {"note": "test registry"})  # noqa: E731
    promote(models_dir, str(risk_v1), passed, kind="risk")
    promote(models_dir, str(intent_v1), passed, kind="intent")
    reg = TinyRegistry(models_dir, risk_v1, risk_v2, intent_v1, data_dir)
    marker.write_text(json.dumps({k: str(v) for k, v in reg.__dict__.items()}), encoding="utf-8")
    return reg


def text_key(text: str) -> str:
    """Lower-case and collapse whitespace: the key the data-set tests compare texts by."""
    return " ".join(text.split()).casefold()


def read_csv_with_header(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a UTF-8 CSV file (the data-set tests' reader)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


#: The kinds of rows in the labelled risk test sets (development, evaluation, hold-out).
RISK_SET_KINDS = ("plain", "hard_negative", "tricky_positive", "welsh")


def risk_set_row_problems(rows: list[dict[str, str]]) -> list[str]:
    """Problems of a labelled risk test set's rows (``text,label,category,kind``), each named by its
    CSV line and never quoting the text: empty, padded or multi-line text, unknown label, category
    or kind, and a category that disagrees with the label (``none`` exactly when the label is)."""
    from switchboard.types import RISK_CATEGORIES

    labels = ("none", "elevated", "high", "immediate")
    categories = tuple(c for c in RISK_CATEGORIES if c != "plugin_failure") + ("none",)
    problems = []
    for n, r in enumerate(rows, start=2):
        text = r["text"]
        if not text or text != text.strip() or "\n" in text:
            problems.append(f"line {n}: empty, padded or multi-line text")
        if r["label"] not in labels:
            problems.append(f"line {n}: label {r['label']!r}")
        if r["category"] not in categories or (r["category"] == "none") != (r["label"] == "none"):
            problems.append(f"line {n}: category {r['category']!r} with label {r['label']!r}")
        if r["kind"] not in RISK_SET_KINDS:
            problems.append(f"line {n}: kind {r['kind']!r}")
    return problems


def near_duplicate_pairs(left: list[str], right: list[str], threshold: float = 0.9) -> list[tuple[float, int, int]]:
    """``(similarity, left index, right index)`` of every pair of texts whose character 3-5 gram
    TF-IDF cosine reaches ``threshold``, most similar first (the data-set tests' near-duplicate check)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit(left + right)
    sim = cosine_similarity(vectoriser.transform(left), vectoriser.transform(right), dense_output=False).tocoo()
    return sorted(((float(s), int(i), int(j)) for i, j, s in zip(sim.row, sim.col, sim.data) if s >= threshold),
                  reverse=True)
