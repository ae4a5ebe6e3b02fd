"""Early warning 「群健康度评估」: keyword hits per topic and day, the spike rule, and what
staff do with a warning (check it, turn it into a grid event).

The lexicons of the ``groups.warnings`` policy are matched with one Aho-Corasick automaton
(every term found in one pass) over chat exports and admins' monthly reports. A day's
hits of a topic raise a warning when they are at least ``spike_factor`` × the group's
daily mean over the ``baseline_days`` before and at least ``spike_min_hits`` — only for
days within ``recent_days`` (an old export raises nothing). A warning is raised once per
group, topic and day and pushed to the group's grid worker and its admins' accounts.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import ahocorasick
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core import notifications
from gridgov.core.crypto import decrypt_field, encrypt_field
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.masking import mask_text
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import path_in_scope
from gridgov.groups.models import EarlyWarning, Group, KeywordDay
from gridgov.groups.services import _text, actor_name, lock_current

EXCERPT_CHARS = 60


@dataclass
class DayHits:
    hits: int = 0
    terms: Counter = field(default_factory=Counter)
    excerpts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Matcher:
    automaton: ahocorasick.Automaton | None
    names: dict[str, str]  # topic code → name
    excerpts_per_day: int
    version: int


@lru_cache(maxsize=4)
def _matcher(version: int, topics_json: str, excerpts_per_day: int) -> Matcher:
    topics = json.loads(topics_json)
    automaton = ahocorasick.Automaton()
    words: dict[str, list[tuple[str, int]]] = {}
    for topic in topics:
        for term in topic["terms"]:
            word = term["term"].strip().lower()
            if word:
                words.setdefault(word, []).append((topic["code"], term["weight"]))
    for word, targets in words.items():
        automaton.add_word(word, (word, tuple(targets)))
    if words:
        automaton.make_automaton()
    return Matcher(
        automaton if words else None,
        {t["code"]: t["name"] for t in topics},
        excerpts_per_day,
        version,
    )


def matcher() -> Matcher:
    """The automaton of the lexicons in force (built once per policy version)."""
    in_force = policy_in_force("groups.warnings")
    policy = in_force.value
    topics = json.dumps([t.model_dump() for t in policy.topics], sort_keys=True)
    return _matcher(in_force.version, topics, policy.excerpts_per_day)


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def count_hits(matcher: Matcher, message, hits_by_day: dict) -> int:
    """Add a message's hits to ``hits_by_day[(day, topic)]``; the message's total hits."""
    if matcher.automaton is None or not message.text:
        return 0
    found: Counter = Counter()
    terms: dict[str, Counter] = {}
    for _end, (word, targets) in matcher.automaton.iter(message.text.lower()):
        for topic, weight in targets:
            found[topic] += weight
            terms.setdefault(topic, Counter())[word] += 1
    if not found:
        return 0
    day = local_day(message.sent_at)
    for topic, hits in found.items():
        entry = hits_by_day[(day, topic)]
        entry.hits += hits
        entry.terms.update(terms[topic])
        if len(entry.excerpts) < matcher.excerpts_per_day:
            entry.excerpts.append(mask_text(" ".join(message.text.split()))[:EXCERPT_CHARS])
    return sum(found.values())


def _excerpt_ad(group_id: int, topic: str, day: date) -> str:
    return f"groups.keywordday:{group_id}:{topic}:{day.isoformat()}"


def excerpts_of(row: KeywordDay) -> list[str]:
    if not row.excerpts:
        return []
    return json.loads(
        decrypt_field(row.excerpts, associated_data=_excerpt_ad(row.group_id, row.topic, row.day))
    )


def record_hits(group: Group, hits_by_day: dict, *, now: datetime) -> list[EarlyWarning]:
    """Add the hits to the group's days and raise the warnings the spike rule gives.
    Runs inside the caller's transaction."""
    if not hits_by_day:
        return []
    limit = matcher().excerpts_per_day
    days = {day for day, _topic in hits_by_day}
    existing = {
        (row.day, row.topic): row
        for row in KeywordDay.objects.select_for_update().filter(
            group=group, day__in=days, topic__in={t for _d, t in hits_by_day}
        )
    }
    for (day, topic), found in hits_by_day.items():
        row = existing.get((day, topic))
        if row is None:
            row = KeywordDay(group=group, scope_path=group.scope_path, topic=topic, day=day)
            excerpts: list[str] = []
        else:
            excerpts = excerpts_of(row)
        row.hits += found.hits
        row.terms = dict(Counter(row.terms) + found.terms)
        excerpts = (excerpts + found.excerpts)[:limit]
        row.excerpts = (
            encrypt_field(
                json.dumps(excerpts, ensure_ascii=False),
                associated_data=_excerpt_ad(group.pk, topic, day),
            )
            if excerpts
            else ""
        )
        row.save()
    return evaluate_spikes(group, set(hits_by_day), now=now)


def evaluate_spikes(group: Group, keys: set[tuple[date, str]], *, now: datetime) -> list:
    in_force = policy_in_force("groups.warnings")
    policy = in_force.value
    names = {t.code: t.name for t in policy.topics}
    today = local_day(now)
    raised = []
    for day, topic in sorted(keys):
        if day > today or (today - day).days >= policy.recent_days or topic not in names:
            continue
        row = KeywordDay.objects.filter(group=group, topic=topic, day=day).first()
        if row is None:
            continue
        start = day - timedelta(days=policy.baseline_days)
        before = (
            KeywordDay.objects.filter(
                group=group, topic=topic, day__gte=start, day__lt=day
            ).aggregate(n=Sum("hits"))["n"]
            or 0
        )
        mean = before / policy.baseline_days
        if row.hits < policy.spike_min_hits or row.hits < policy.spike_factor * mean:
            continue
        rule = _(
            "%(hits)s hits ≥ %(factor)s × the daily mean %(mean)s of the %(days)s days "
            "before, and ≥ %(min)s"
        ) % {
            "hits": row.hits,
            "factor": f"{policy.spike_factor:g}",
            "mean": f"{mean:.1f}",
            "days": policy.baseline_days,
            "min": policy.spike_min_hits,
        }
        warning, created = EarlyWarning.objects.get_or_create(
            group=group,
            topic=topic,
            day=day,
            defaults={
                "scope_path": group.scope_path,
                "topic_name": names[topic],
                "window_start": start,
                "hits": row.hits,
                "baseline": round(mean, 2),
                "terms": row.terms,
                "rule": rule[:300],
                "policy_version": in_force.version,
            },
        )
        if not created:
            if warning.state == EarlyWarning.State.OPEN and warning.hits != row.hits:
                warning.hits, warning.terms, warning.rule = row.hits, row.terms, rule[:300]
                warning.save(update_fields=["hits", "terms", "rule"])
            continue
        _push(warning, group)
        raised.append(warning)
    return raised


def _push(warning: EarlyWarning, group: Group) -> None:
    """The group's grid worker and the admins with an account hear of it at once."""
    admins = [a.user for a in group.admins.select_related("user") if a.user_id]
    message = _("Chat group %(group)s: %(topic)s, %(hits)s hits on %(day)s (mean before %(mean)s)")
    notifications.inbox(
        [group.responsible, *admins],
        kind="groups.warning",
        message=message
        % {
            "group": group.name,
            "topic": warning.topic_name,
            "hits": warning.hits,
            "day": warning.day.isoformat(),
            "mean": f"{warning.baseline:.1f}",
        },
        subject=warning,
    )


def record_report_hits(group: Group, text: str, *, day: date, now: datetime) -> list:
    """An admin's monthly report is matched like the messages (its remarks count on the
    day it is entered)."""
    from gridgov.groups.chat_formats import Message

    if not text:
        return []
    hits_by_day: dict = defaultdict(DayHits)
    moment = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    count_hits(matcher(), Message(moment, "", text), hits_by_day)
    return record_hits(group, hits_by_day, now=now)


# What staff do ----------------------------------------------------------------------

VERDICTS = (EarlyWarning.State.CONFIRMED, EarlyWarning.State.FALSE_ALARM)


def may_check(actor, warning: EarlyWarning) -> bool:
    """Who keeps the group (community, grid worker) or supervises it (street) checks it."""
    return any(
        path_in_scope(actor, warning.scope_path, p) for p in ("groups.register", "groups.supervise")
    )


def _require_checker(actor, warning: EarlyWarning) -> None:
    if not may_check(actor, warning):
        raise PermissionDenied()


def warning_decide(*, actor, warning: EarlyWarning, verdict: str, note: str = "", version=None):
    """Mark a warning true (属实) or a false alarm (误报), once."""
    _require_checker(actor, warning)
    errors: dict = {}
    if verdict not in VERDICTS:
        errors["verdict"] = [_("Choose: confirmed or false alarm.")]
    note = _text(note, "note", 300, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        warning = lock_current(warning, version, related=("group",))
        if warning.state != EarlyWarning.State.OPEN:
            raise Conflict(_("This warning was already checked."), code="already_decided")
        warning.state = verdict
        warning.decision_note = note
        warning.decided_by_name = actor_name(actor)
        warning.decided_at = timezone.now()
        warning.version += 1
        warning.save()
        audit_record(
            "groups.warning.decide",
            actor=actor,
            target=warning,
            org_unit_path=warning.scope_path,
            changes={"state": verdict},
        )
    return warning


def _grid_of(group: Group):
    if group.grid_id:
        return group.grid
    building = group.buildings.select_related("grid").first()
    if building is not None:
        return building.grid
    from gridgov.org.models import Building

    building = (
        Building.objects.filter(compound__in=group.compounds.all())
        .select_related("grid")
        .order_by("id")
        .first()
    )
    return building.grid if building is not None else None


def warning_to_event(*, actor, warning: EarlyWarning, category_code: str = "", version=None):
    """One action: a grid event in the topic's category (舆情/公共卫生 by default) in the
    group's grid, linked to the warning, which counts as confirmed."""
    from gridgov.events.services import ReportInput, report_event

    _require_checker(actor, warning)
    topics = {t.code: t for t in policy_in_force("groups.warnings").value.topics}
    topic = topics.get(warning.topic)
    category_code = (category_code or (topic.event_category if topic else "")).strip()
    with transaction.atomic():
        warning = lock_current(warning, version, related=("group",))
        if warning.event_id:
            raise Conflict(_("This warning is already a grid event."), code="already_event")
        if warning.state == EarlyWarning.State.FALSE_ALARM:
            raise Conflict(_("A false alarm does not become an event."), code="false_alarm")
        grid = _grid_of(warning.group)
        if grid is None:
            raise ValidationFailed(
                details={"grid": [_("The group serves no building with a grid yet.")]}
            )
        terms = "、".join(f"{term}×{n}" for term, n in sorted(warning.terms.items()))
        event, _created = report_event(
            actor=actor,
            data=ReportInput(
                channel="staff",
                title=_("Chat group warning: %(topic)s (%(group)s)")
                % {"topic": warning.topic_name, "group": warning.group.name},
                description=_("%(day)s: %(hits)s hits (%(terms)s). %(rule)s")
                % {
                    "day": warning.day.isoformat(),
                    "hits": warning.hits,
                    "terms": terms,
                    "rule": warning.rule,
                },
                grid_code=grid.code,
                category_code=category_code,
                client_id=f"groups-warning-{warning.uid}",
            ),
        )
        warning.event = event
        if warning.state == EarlyWarning.State.OPEN:
            warning.state = EarlyWarning.State.CONFIRMED
            warning.decided_by_name = actor_name(actor)
            warning.decided_at = timezone.now()
        warning.version += 1
        warning.save()
        audit_record(
            "groups.warning.event",
            actor=actor,
            target=warning,
            org_unit_path=warning.scope_path,
            changes={"event": event.tracking_code, "category": category_code},
        )
    return warning
