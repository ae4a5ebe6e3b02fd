"""Category and urgency suggestions from an event's text.

Two signals: the catalogue's keyword dictionary, matched with an Aho-Corasick automaton
(every keyword found in one pass), and a text classifier trained on this deployment's
own events that people classified. Character 1–3-grams need no word segmentation and
suit short Chinese reports. A suggestion carries a confidence; a person confirms it.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick
import joblib
from django.db.models import Count, Max

from gridgov.events.models import Category, ClassifierModel, Event, State

MIN_TRAINING_EVENTS = 20
# States in which a person has confirmed the category.
LABELLED_STATES = [
    State.CLASSIFIED,
    State.DISPATCHED,
    State.HANDLING,
    State.WAITING,
    State.HANDLED,
    State.CLOSED,
    State.UNFOUNDED,
    State.SUSPENDED,
]


@dataclass(frozen=True)
class Suggestion:
    category: Category
    confidence: float
    urgency: str
    matched: tuple[str, ...]


@lru_cache(maxsize=4)
def _automaton(fingerprint: tuple) -> tuple[ahocorasick.Automaton | None, dict[int, Category]]:
    categories = {c.pk: c for c in Category.objects.filter(is_active=True, parent__isnull=False)}
    automaton = ahocorasick.Automaton()
    words: dict[str, list[int]] = {}
    for category in categories.values():
        for keyword in category.keywords or []:
            if keyword.strip():
                words.setdefault(keyword.strip().lower(), []).append(category.pk)
    for word, pks in words.items():
        automaton.add_word(word, (word, tuple(pks)))
    if not words:
        return None, categories
    automaton.make_automaton()
    return automaton, categories


def _catalogue_fingerprint() -> tuple:
    agg = Category.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def keyword_scores(text: str) -> tuple[dict[int, float], dict[int, list[str]]]:
    automaton, _ = _automaton(_catalogue_fingerprint())
    scores: Counter = Counter()
    matched: dict[int, list[str]] = {}
    if automaton is None:
        return {}, {}
    for _end, (word, pks) in automaton.iter(text.lower()):
        for pk in pks:
            scores[pk] += len(word)  # longer keywords are more specific
            matched.setdefault(pk, []).append(word)
    return dict(scores), matched


@lru_cache(maxsize=2)
def _load_model(model_id: int):
    row = ClassifierModel.objects.get(pk=model_id)
    # Written only by ``train`` below from this database: a trusted source.
    return joblib.load(io.BytesIO(bytes(row.blob)))


def latest_model() -> ClassifierModel | None:
    return ClassifierModel.objects.defer("blob").order_by("-pk").first()


def _model_probabilities(text: str) -> dict[int, float]:
    row = latest_model()
    if row is None:
        return {}
    pipeline = _load_model(row.pk)
    probabilities = pipeline.predict_proba([text])[0]
    return {int(c): float(p) for c, p in zip(pipeline.classes_, probabilities, strict=True)}


def suggest(text: str) -> Suggestion | None:
    """The most likely category for ``text``, or None when nothing points anywhere."""
    text = (text or "").strip()
    if not text:
        return None
    scores, matched = keyword_scores(text)
    total = sum(scores.values())
    combined: Counter = Counter()
    for pk, score in scores.items():
        combined[pk] += score / total
    model = _model_probabilities(text)
    if model:
        weight = 0.5 if combined else 1.0
        for pk in list(combined):
            combined[pk] *= 1 - weight
        for pk, p in model.items():
            combined[pk] += weight * p
    if not combined:
        return None
    pk, confidence = combined.most_common(1)[0]
    category = Category.objects.filter(pk=pk, is_active=True).first()
    if category is None:
        return None
    return Suggestion(
        category, round(confidence, 3), category.default_urgency, tuple(matched.get(pk, ()))
    )


@dataclass(frozen=True)
class TrainingReport:
    trained_on: int
    tested_on: int
    accuracy: float
    keyword_accuracy: float
    model: ClassifierModel | None


def _labelled_events():
    return Event.objects.filter(
        state__in=LABELLED_STATES, category__isnull=False, category__is_active=True
    )


def labelled_count() -> int:
    return _labelled_events().count()


def _labelled() -> list[tuple[str, int]]:
    rows = _labelled_events().values_list("title", "description", "category_id")
    return [(f"{t} {d}", c) for t, d, c in rows]


def train(*, seed: int = 42, test_share: float = 0.2, save: bool = True) -> TrainingReport:
    """Train on people-confirmed events, report accuracy on a held-out split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data = _labelled()
    if len(data) < MIN_TRAINING_EVENTS:
        raise ValueError(f"need at least {MIN_TRAINING_EVENTS} classified events, have {len(data)}")
    random.Random(seed).shuffle(data)
    cut = max(1, int(len(data) * test_share))
    test, training = data[:cut], data[cut:]
    if len({c for _, c in training}) < 2:
        raise ValueError("need classified events of at least two categories")
    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(max_iter=1000),
    )
    pipeline.fit([t for t, _ in training], [c for _, c in training])
    predicted = pipeline.predict([t for t, _ in test])
    accuracy = sum(int(p) == c for p, (_, c) in zip(predicted, test, strict=True)) / len(test)
    keyword_hits = 0
    for text, category in test:
        scores, _ = keyword_scores(text)
        if scores and max(scores, key=scores.get) == category:
            keyword_hits += 1
    row = None
    if save:
        buffer = io.BytesIO()
        joblib.dump(pipeline, buffer)
        row = ClassifierModel.objects.create(
            trained_on=len(training),
            tested_on=len(test),
            accuracy=accuracy,
            blob=buffer.getvalue(),
        )
    return TrainingReport(len(training), len(test), accuracy, keyword_hits / len(test), row)
