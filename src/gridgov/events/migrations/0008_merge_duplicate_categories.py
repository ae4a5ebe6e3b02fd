"""One category per thing: the local extension range (51–56) had five categories that the
national standard (GB/T 47678.5, codes 06xxx–09xxx) already has. Each local duplicate is
merged into the standard's category and retired:

- events (their category and the suggestion) and device sources move to the standard code;
- the local keywords join the standard category's, so classification still finds them;
- the standard category takes the local department and time-limit overrides where it has
  none of its own, and the sensitive flag when the local one had it;
- both categories get a new version with a revision (the local one names the code it was
  merged into), and an audit record says what moved.

The local category is deactivated, not deleted: old revisions, audit records and reports
that name it stay readable. Reversing restores both categories' catalogue content from the
revisions written here; events stay on the standard code, since events classified after
the merge cannot be told apart from the moved ones.
"""

import secrets

from django.db import migrations

# Local duplicate -> the national standard's category it duplicates.
MERGES = {
    "55005": "06010",  # 暴露垃圾
    "55003": "09006",  # 占道经营
    "52002": "09012",  # 消防通道占用 / 占用消防通道
    "55001": "06028",  # 噪音 / 噪声扰民
    "55002": "06041",  # 垃圾分类违规 / 垃圾未分类
}
MERGE_MARK = "merged_into"
MERGE_FROM = "merged_from"


def _snapshot(category) -> dict:
    return {
        "name": category.name,
        "name_en": category.name_en,
        "default_urgency": category.default_urgency,
        "sla_overrides": category.sla_overrides,
        "keywords": category.keywords,
        "on_site_resolvable": category.on_site_resolvable,
        "sensitive": category.sensitive,
        "is_active": category.is_active,
        "department": category.department_id,
    }


def _revise(Revision, category, extra: dict) -> None:
    category.version += 1
    category.save()
    Revision.objects.create(
        category=category, version=category.version, content={**_snapshot(category), **extra}
    )


def merge(apps, schema_editor):
    Category = apps.get_model("events", "Category")
    Revision = apps.get_model("events", "CategoryRevision")
    Event = apps.get_model("events", "Event")
    DeviceSource = apps.get_model("events", "DeviceSource")
    batch = secrets.token_hex(8)
    for local_code, kept_code in MERGES.items():
        local = Category.objects.filter(kind="matter", code=local_code, is_active=True).first()
        kept = Category.objects.filter(kind="matter", code=kept_code).first()
        if local is None or kept is None:
            continue
        before_kept = _snapshot(kept)
        before_local = _snapshot(local)
        kept.keywords = list(
            dict.fromkeys([*(kept.keywords or []), *(local.keywords or [])])
        )  # keeps order, drops repeats
        if kept.department_id is None:
            kept.department_id = local.department_id
        kept.sla_overrides = {**(local.sla_overrides or {}), **(kept.sla_overrides or {})}
        kept.sensitive = kept.sensitive or local.sensitive
        kept.is_active = True
        _revise(Revision, kept, {MERGE_FROM: local_code, "before": before_kept})
        moved = Event.objects.filter(category=local).update(
            category=kept, category_version=kept.version
        )
        suggested = Event.objects.filter(suggested_category=local).update(suggested_category=kept)
        devices = DeviceSource.objects.filter(category=local).update(category=kept)
        local.is_active = False
        _revise(Revision, local, {MERGE_MARK: kept_code, "before": before_local})
        _audit(batch, kept, local, moved, suggested, devices)


def _audit(batch, kept, local, moved, suggested, devices) -> None:
    # The live service keeps the hash chain; only reached where the catalogue had the
    # duplicates (a fresh install seeds none).
    from gridgov.audit.services import SystemActor, audit_record

    audit_record(
        "events.category.change",
        actor=SystemActor("migration:events.0008", batch_id=batch),
        target_type="events.category",
        target_id=str(local.pk),
        changes={
            "code": local.code,
            "merged_into": kept.code,
            "is_active": [True, False],
            "events": moved,
            "suggestions": suggested,
            "device_sources": devices,
            "keywords_moved": local.keywords or [],
        },
    )


def unmerge(apps, schema_editor):
    Category = apps.get_model("events", "Category")
    Revision = apps.get_model("events", "CategoryRevision")
    for local_code, kept_code in MERGES.items():
        local = Category.objects.filter(kind="matter", code=local_code).first()
        kept = Category.objects.filter(kind="matter", code=kept_code).first()
        if local is None or kept is None:
            continue
        marks = Revision.objects.filter(category=local, content__merged_into=kept_code)
        mark = marks.order_by("-version").first()
        if mark is None:
            continue
        for category, revision in (
            (local, mark),
            (
                kept,
                Revision.objects.filter(category=kept, content__merged_from=local_code)
                .order_by("-version")
                .first(),
            ),
        ):
            if revision is None:
                continue
            before = revision.content["before"]
            for field in (
                "name",
                "name_en",
                "default_urgency",
                "sla_overrides",
                "keywords",
                "on_site_resolvable",
                "sensitive",
                "is_active",
            ):
                setattr(category, field, before[field])
            category.department_id = before["department"]
            _revise(Revision, category, {"restored_from": revision.version})


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_visit_channel"),
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [migrations.RunPython(merge, unmerge)]
