"""One category per thing: the migration that merges the local duplicates into the national
standard's categories, and the catalogue a fresh install seeds."""

from __future__ import annotations

import importlib
import json
from itertools import combinations

import pytest
from django.apps import apps as django_apps

from gridgov.audit.models import AuditRecord
from gridgov.audit.readable import change_lines
from gridgov.events.catalogue import SEED_FILE
from gridgov.events.classify import suggest
from gridgov.events.models import Category, CategoryRevision, DeviceSource, Event

pytestmark = pytest.mark.django_db

migration = importlib.import_module("gridgov.events.migrations.0008_merge_duplicate_categories")

# The local duplicates as the catalogue had them before the merge.
OLD_LOCAL = [
    ("55", "55005", "暴露垃圾", ["建筑垃圾", "大件垃圾", "垃圾堆放"], {"on_site_resolvable": True}),
    ("55", "55003", "占道经营", ["摊位", "小贩", "夜市"], {}),
    ("52", "52002", "消防通道占用", ["消防车道", "占用消防", "车堵住"], {}),
    ("55", "55001", "噪音", ["装修噪音", "半夜", "音响"], {}),
    ("55", "55002", "垃圾分类违规", ["乱扔", "垃圾桶", "投放"], {}),
]


def _old_catalogue(crew) -> dict[str, Category]:
    """Put the catalogue back as it was: the local duplicates active, the standard's
    categories without the local keywords, a department on a local category only."""
    seed = {r["code"]: r for r in json.loads(SEED_FILE.read_text())["categories"]}
    for code in migration.MERGES.values():
        original = [
            k for k in seed[code]["keywords"] if k not in sum((o[3] for o in OLD_LOCAL), [])
        ]
        Category.objects.filter(kind="matter", code=code).update(keywords=original)
    local = {}
    for parent, code, name, keywords, extra in OLD_LOCAL:
        local[code] = Category.objects.create(
            kind="matter",
            code=code,
            parent=Category.objects.get(kind="matter", code=parent),
            name=name,
            keywords=keywords,
            **extra,
        )
    local["55003"].department = crew["department"]
    local["55003"].sla_overrides = {"deadline": {"working_days": 3}}
    local["55003"].save()
    return local


def _event_in(category, report, **fields):
    event = report(title=f"{category.name}问题")
    Event.objects.filter(pk=event.pk).update(
        category=category, category_version=category.version, **fields
    )
    return Event.objects.get(pk=event.pk)


def test_migration_moves_events_keywords_routing_and_retires_the_local_codes(crew, report):
    local = _old_catalogue(crew)
    kept = {c: Category.objects.get(kind="matter", code=c) for c in migration.MERGES.values()}
    events = {code: _event_in(cat, report) for code, cat in local.items()}
    suggested_only = report(title="夜市摊位占了人行道")
    Event.objects.filter(pk=suggested_only.pk).update(suggested_category=local["55003"])
    device = DeviceSource.objects.create(
        code="cam-7", name="7号楼消防车道摄像头", category=local["52002"], lon=121.405, lat=31.205
    )
    standard_event = _event_in(kept["06010"], report)
    audit_before = AuditRecord.objects.count()

    migration.merge(django_apps, None)

    for local_code, kept_code in migration.MERGES.items():
        retired = Category.objects.get(kind="matter", code=local_code)
        target = Category.objects.get(kind="matter", code=kept_code)
        assert not retired.is_active
        assert target.is_active
        moved = Event.objects.get(pk=events[local_code].pk)
        assert (moved.category_id, moved.category_version) == (target.pk, target.version)
        # Every local keyword now points at the standard category.
        assert set(OLD_KEYWORDS[local_code]) <= set(target.keywords)
        revision = CategoryRevision.objects.get(category=retired, version=retired.version)
        assert revision.content["merged_into"] == kept_code
        assert CategoryRevision.objects.filter(
            category=target, content__merged_from=local_code
        ).exists()
    assert Event.objects.get(pk=suggested_only.pk).suggested_category.code == "09006"
    assert DeviceSource.objects.get(pk=device.pk).category.code == "09012"
    assert Event.objects.get(pk=standard_event.pk).category_id == kept["06010"].pk
    vending = Category.objects.get(kind="matter", code="09006")
    assert vending.department == crew["department"]
    assert vending.sla_overrides == {"deadline": {"working_days": 3}}
    assert AuditRecord.objects.count() == audit_before + len(migration.MERGES)
    record = AuditRecord.objects.filter(target_id=str(local["55003"].pk)).get()
    assert record.batch_id and record.actor_name == "system:migration:events.0008"
    lines = change_lines(record.target_type, record.changes)
    assert "merged into: 09006" in lines and "events: 1" in lines
    assert "suggestions: 1" in lines
    assert not Event.objects.filter(category__is_active=False).exists()
    # Classification still finds the local words, now on the standard code.
    assert suggest("小区门口有夜市摊位").category.code == "09006"
    assert suggest("楼下消防车道被车堵住了").category.code == "09012"
    assert suggest("楼道里堆了大件垃圾").category.code == "06010"

    # Running it again finds nothing left to merge.
    migration.merge(django_apps, None)
    assert AuditRecord.objects.count() == audit_before + len(migration.MERGES)


OLD_KEYWORDS = {code: keywords for _p, code, _n, keywords, _e in OLD_LOCAL}


def test_reverse_restores_the_catalogue(crew, report):
    local = _old_catalogue(crew)
    before = {
        c.code: (c.keywords, c.department_id, c.sla_overrides, c.is_active)
        for c in Category.objects.filter(
            kind="matter", code__in=[*migration.MERGES, *migration.MERGES.values()]
        )
    }
    migration.merge(django_apps, None)
    migration.unmerge(django_apps, None)
    after = {
        c.code: (c.keywords, c.department_id, c.sla_overrides, c.is_active)
        for c in Category.objects.filter(kind="matter", code__in=before)
    }
    assert after == before
    assert all(Category.objects.get(pk=c.pk).is_active for c in local.values())


def test_a_fresh_catalogue_has_no_near_duplicates():
    active = list(Category.objects.filter(is_active=True, parent__isnull=False))
    assert active
    names = [c.name for c in active]
    assert len(names) == len(set(names))
    for a, b in combinations(active, 2):
        assert not _near(a.name, b.name), (a, b)
    # Every keyword belongs to one active category.
    words = [k for c in active for k in c.keywords]
    assert len(words) == len(set(words))


SYNONYMS = {"噪音": "噪声"}


def _near(a: str, b: str) -> bool:
    """Two names for the same thing: after synonyms, one contains the other, they use the
    same characters, or they share all but one character of the shorter (and at least
    three): 噪音/噪声扰民, 消防通道占用/占用消防通道, 垃圾分类违规/垃圾未分类."""
    for word, same in SYNONYMS.items():
        a, b = a.replace(word, same), b.replace(word, same)
    if a in b or b in a or set(a) == set(b):
        return True
    shorter, longer = sorted((set(a), set(b)), key=len)
    shared = len(shorter & longer)
    return shared >= max(3, len(shorter) - 1)


def test_the_near_duplicate_check_knows_the_old_pairs():
    seed = {r["code"]: r["name"] for r in json.loads(SEED_FILE.read_text())["categories"]}
    for _p, code, name, _k, _e in OLD_LOCAL:
        assert _near(name, seed[migration.MERGES[code]]), name
