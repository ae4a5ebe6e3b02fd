"""Writes of the group registry: register, change, approve and the 「四有」 evidence.

Every write checks permission and scope, writes one audit record in the same transaction
and fails as a whole. Bad input is refused field by field (422) and nothing is written.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core import attachments
from gridgov.core.crypto import blind_index
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.core.text import TextInvalid, free_text, normalise_text
from gridgov.core.workflow import locked_for_transition
from gridgov.groups.errors import CommercialGroupRefused, ImpossibleNumbers
from gridgov.groups.models import Group, GroupAdmin, GroupEvidence
from gridgov.groups.workflow import GROUP_MACHINE

EXTERNAL_ID_PURPOSE = "groups.external_id"
EVIDENCE_FOLDER = "group_evidence"
MAX_COUNT = 100_000


def actor_name(actor) -> str:
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return actor.get_username()


def _text(value: Any, key: str, max_length: int, errors: dict, multiline=False) -> str:
    try:
        text = normalise_text(str(value or ""), max_length=max_length, multiline=multiline)
    except TextInvalid as exc:
        errors[key] = [exc.message]
        return ""
    return text


def count_or_none(value: Any, key: str, errors: dict) -> int | None:
    """A count: empty is "not measured" (None), never zero; negative is refused."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[key] = [_("Give a whole number.")]
        return None
    if number < 0:
        errors[key] = [_("A count cannot be negative.")]
        return None
    if number > MAX_COUNT:
        errors[key] = [_("At most %(n)s.") % {"n": MAX_COUNT}]
        return None
    return number


def check_member_numbers(stats: dict[str, int | None], errors: dict) -> None:
    """Parts never exceed the whole: each age band, occupation, special group and the
    verified residents at most the members, and the bands together too."""
    total = stats.get("members_total")
    if total is None:
        return
    for key, value in stats.items():
        if key != "members_total" and value is not None and value > total and key not in errors:
            errors[key] = [
                _("%(n)s is more than the %(total)s members.") % {"n": value, "total": total}
            ]
    for keys in (
        ("age_0_18", "age_19_60", "age_60_plus"),
        (
            "occupation_students",
            "occupation_employed",
            "occupation_retired",
            "occupation_other",
        ),
    ):
        parts = [stats.get(k) for k in keys]
        if all(p is not None for p in parts) and sum(parts) > total and keys[-1] not in errors:
            errors[keys[-1]] = [
                _("Together these are %(n)s, more than the %(total)s members.")
                % {"n": sum(parts), "total": total}
            ]


def _ids(value: Any, key: str, errors: dict) -> list[int]:
    if value in (None, ""):
        return []
    if isinstance(value, (str, int)):
        value = [value]
    try:
        return sorted({int(v) for v in value if str(v).strip()})
    except (TypeError, ValueError):
        errors[key] = [_("Choose from the list.")]
        return []


def _place(actor, data: dict, errors: dict):
    """The compounds and buildings served, all in one community the actor registers in;
    the grid is the one grid of all buildings served, if there is one."""
    from gridgov.org.models import Building, Compound

    compound_ids = _ids(data.get("compounds"), "compounds", errors)
    building_ids = _ids(data.get("buildings"), "buildings", errors)
    compounds = list(Compound.objects.select_related("community").filter(pk__in=compound_ids))
    buildings = list(
        Building.objects.select_related("compound__community", "grid").filter(pk__in=building_ids)
    )

    def reachable(compound) -> bool:
        return path_in_scope(actor, compound.community.path, "groups.register") or any(
            path_in_scope(actor, b.grid.path, "groups.register")
            for b in compound.buildings.select_related("grid")
        )

    if len(compounds) != len(compound_ids) or not all(reachable(c) for c in compounds):
        errors["compounds"] = [_("No such compound in your area.")]
        return None
    if len(buildings) != len(building_ids):
        errors["buildings"] = [_("No such building in your area.")]
        return None
    if not compounds:
        errors["compounds"] = [_("Name at least one compound the group serves.")]
        return None
    communities = {c.community_id for c in compounds}
    if len(communities) > 1:
        errors["compounds"] = [_("A group is registered in one community: split the list.")]
        return None
    if any(b.compound_id not in {c.pk for c in compounds} for b in buildings):
        errors["buildings"] = [_("Each building must belong to a compound served.")]
        return None
    community = compounds[0].community
    grid_source = buildings or list(
        Building.objects.select_related("grid").filter(compound__in=compounds)
    )
    grids = {b.grid_id: b.grid for b in grid_source}
    grid = next(iter(grids.values())) if len(grids) == 1 else None
    scope_path = grid.path if grid is not None else community.path
    if not path_in_scope(actor, scope_path, "groups.register"):
        errors["buildings" if buildings else "compounds"] = [
            _("The buildings served lie outside your area.")
        ]
        return None
    return community, grid, scope_path, compounds, buildings


def _admins(actor, raw: Any, community_path: str, errors: dict) -> list[tuple]:
    """``[{"user": username} | {"resident": uid}]``: staff with a scope in the community,
    or residents living in it."""
    from gridgov.accounts.models import User
    from gridgov.people.models import Resident

    out: list[tuple] = []
    for item in raw or []:
        if not isinstance(item, dict):
            errors["admins"] = [_("Name each admin as a staff account or a resident.")]
            return []
        if item.get("user"):
            user = User.objects.filter(username=str(item["user"]), is_active=True).first()
            if user is None or not any(
                p.startswith(community_path) or community_path.startswith(p)
                for p in user.scope_paths("groups.view")
            ):
                errors["admins"] = [
                    _("No staff account %(name)s works in this community.") % {"name": item["user"]}
                ]
                return []
            out.append((user, None))
        elif item.get("resident"):
            try:
                resident = Resident.objects.get(
                    uid=uuid.UUID(str(item["resident"])), scope_path__startswith=community_path
                )
            except (Resident.DoesNotExist, ValueError):
                errors["admins"] = [_("No such resident in this community.")]
                return []
            out.append((None, resident))
        else:
            errors["admins"] = [_("Name each admin as a staff account or a resident.")]
            return []
    return out


def _responsible(value: Any, scope_path: str, errors: dict):
    from gridgov.accounts.models import User

    if not value:
        return None
    user = User.objects.filter(username=str(value), is_active=True).first()
    if user is None or not path_in_scope(user, scope_path, "groups.register"):
        errors["responsible"] = [
            _("%(name)s is not a grid worker of the area the group serves.") % {"name": value}
        ]
        return None
    return user


def _predecessors(actor, raw: Any, community_id: int, errors: dict) -> list[Group]:
    out = []
    for value in raw or []:
        try:
            group = Group.objects.visible_to(actor, "register").get(uid=uuid.UUID(str(value)))
        except (Group.DoesNotExist, ValueError):
            errors["predecessors"] = [_("No such group in your area.")]
            return []
        if group.community_id != community_id:
            errors["predecessors"] = [_("Splits and merges stay within one community.")]
            return []
        out.append(group)
    return out


def _clean(actor, data: dict, *, group: Group | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    clean["name"] = _text(data.get("name"), "name", 100, errors)
    if not clean["name"] and "name" not in errors:
        errors["name"] = [_("Give the group's name.")]
    function = str(data.get("function") or "")
    if function == Group.COMMERCIAL:
        raise CommercialGroupRefused(
            details={"function": [str(CommercialGroupRefused.default_message)]}
        )
    for key, choices in (
        ("platform", Group.Platform),
        ("function", Group.Function),
        ("manager", Group.Manager),
    ):
        value = str(data.get(key) or "")
        if value not in choices.values:
            errors[key] = [_("Choose from the list.")]
        clean[key] = value
    external = _text(data.get("external_id"), "external_id", 100, errors)
    clean["external_id"] = external
    raw_date = data.get("created_on")
    clean["created_on"] = None
    if raw_date not in (None, ""):
        parsed = raw_date if isinstance(raw_date, date) else parse_date(str(raw_date))
        if parsed is None or parsed > timezone.localdate():
            errors["created_on"] = [_("Give a date, not in the future (YYYY-MM-DD).")]
        clean["created_on"] = parsed
    for key in Group.FOUR_HAVES:
        clean[key] = bool(data.get(key))
    stats = {key: count_or_none(data.get(key), key, errors) for key in Group.STAT_FIELDS}
    check_member_numbers(stats, errors)
    clean.update(stats)
    clean["note"] = free_text(data.get("note"), "note", 500, errors)
    status = str(data.get("status") or Group.Status.ACTIVE)
    if status not in Group.Status.values:
        errors["status"] = [_("Choose from the list.")]
    clean["status"] = status
    place = _place(actor, data, errors)
    if place is not None:
        community, grid, scope_path, compounds, buildings = place
        clean.update(
            community=community,
            grid=grid,
            scope_path=scope_path,
            compounds=compounds,
            buildings=buildings,
        )
        clean["admins"] = _admins(actor, data.get("admins"), community.path, errors)
        clean["responsible"] = _responsible(data.get("responsible"), scope_path, errors)
        clean["predecessors"] = _predecessors(actor, data.get("predecessors"), community.pk, errors)
        if group is not None and any(p.pk == group.pk for p in clean["predecessors"]):
            errors["predecessors"] = [_("A group cannot be formed from itself.")]
    if errors:
        kind = (
            ImpossibleNumbers if any(k in Group.STAT_FIELDS for k in errors) else ValidationFailed
        )
        raise kind(details=errors)
    if external:
        digest = blind_index(external, purpose=EXTERNAL_ID_PURPOSE)
        clash = Group.objects.filter(platform=clean["platform"], external_id_hash=digest)
        if group is not None:
            clash = clash.exclude(pk=group.pk)
        if clash.exists():
            raise Conflict(
                _("This group is already registered."),
                code="duplicate_group",
                details={"external_id": [_("This group is already registered.")]},
            )
        clean["external_id_hash"] = digest
    return clean


def _apply(group: Group, clean: dict) -> None:
    for key in (
        "name",
        "platform",
        "function",
        "manager",
        "created_on",
        "note",
        "status",
        "community",
        "grid",
        "scope_path",
        "responsible",
        *Group.FOUR_HAVES,
        *Group.STAT_FIELDS,
    ):
        setattr(group, key, clean[key])
    if clean.get("external_id_hash"):
        group.external_id_hash = clean["external_id_hash"]


def _relations(group: Group, clean: dict) -> None:
    group.compounds.set(clean["compounds"])
    group.buildings.set(clean["buildings"])
    group.admins.all().delete()
    GroupAdmin.objects.bulk_create(
        [GroupAdmin(group=group, user=u, resident=r) for u, r in clean["admins"]]
    )
    group.predecessors.set(clean["predecessors"])
    # Lineage: formed from several → they were merged; from one → it was split.
    ended = Group.Status.MERGED if len(clean["predecessors"]) > 1 else Group.Status.SPLIT
    for old in clean["predecessors"]:
        if old.status == Group.Status.ACTIVE:
            Group.objects.filter(pk=old.pk).update(status=ended, version=old.version + 1)


def _changes(group: Group, clean: dict) -> dict:
    return {
        "name": group.name,
        "platform": group.platform,
        "function": group.function,
        "manager": group.manager,
        "status": group.status,
        "compounds": [c.pk for c in clean["compounds"]],
        "buildings": [b.pk for b in clean["buildings"]],
        "admins": len(clean["admins"]),
        "four_haves": [k for k in Group.FOUR_HAVES if getattr(group, k)],
        "predecessors": [str(p.uid) for p in clean["predecessors"]],
        "external_id": "hashed" if clean.get("external_id_hash") else "",
    }


def group_create(*, actor, data: dict) -> Group:
    """Register a group; it waits for the 居委会's approval before it counts."""
    if not actor.has_permission("groups.register"):
        raise PermissionDenied()
    clean = _clean(actor, data)
    require_in_scope(actor, clean["scope_path"], "groups.register")
    with transaction.atomic():
        group = Group(created_by=actor)
        _apply(group, clean)
        group.save()
        _relations(group, clean)
        audit_record(
            "groups.group.create", actor=actor, target=group, changes=_changes(group, clean)
        )
    return group


def group_update(*, actor, group: Group, data: dict, version: int) -> Group:
    """Change a group (all fields given again); the version read must still be current."""
    require_in_scope(actor, group.scope_path, "groups.register")
    clean = _clean(actor, data, group=group)
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        if locked.version != version:
            raise Conflict(details={"version": locked.version})
        _apply(locked, clean)
        locked.version += 1
        locked.save()
        _relations(locked, clean)
        audit_record(
            "groups.group.update", actor=actor, target=locked, changes=_changes(locked, clean)
        )
    return locked


def lock_current(record, version=None, *, related: tuple[str, ...] = ()):
    """The row locked for a change (call inside the transaction); 409 with the current
    version when ``version`` (the one the caller read) is no longer it."""
    rows = type(record).objects.select_for_update()
    if related:
        rows = rows.select_related(*related)
    locked = rows.get(pk=record.pk)
    if version is not None and str(locked.version) != str(version):
        raise Conflict(details={"version": locked.version})
    return locked


def group_transition(*, actor, group: Group, action: str, version: int, note: str = "") -> Group:
    """Approve, refuse (with a reason) or submit again."""
    with transaction.atomic():
        locked, definition, note = locked_for_transition(
            GROUP_MACHINE, group, actor=actor, action=action, version=version, note=(note, 300)
        )
        before = locked.state
        locked.state = definition.target
        if action in ("approve", "reject"):
            locked.decided_by_name = actor_name(actor)
            locked.decided_at = timezone.now()
            locked.decision_note = note
        locked.version += 1
        locked.save()
        audit_record(
            "groups.group.transition",
            actor=actor,
            target=locked,
            changes={"action": action, "from": before, "to": locked.state, "note": note},
        )
    return locked


def evidence_add(*, actor, group: Group, item: str, files) -> list[GroupEvidence]:
    """Photos or PDF scans proving one 「四有」 item (type sniffed, re-encoded, EXIF
    stripped, encrypted at rest by ``core.attachments``)."""
    require_in_scope(actor, group.scope_path, "groups.register")
    if item not in GroupEvidence.Item.values:
        raise ValidationFailed(details={"item": [_("Choose from the list.")]})

    def create(uid, stored) -> GroupEvidence:
        return GroupEvidence.objects.create(
            uid=uid,
            group=group,
            item=item,
            stored_path=str(stored.path),
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_name=actor_name(actor),
        )

    def audit(kept) -> None:
        audit_record(
            "groups.evidence.add",
            actor=actor,
            target=group,
            changes={"item": item, "files": [str(e.uid) for e in kept]},
        )

    return evidence_store(files, folder=EVIDENCE_FOLDER, create=create, audit=audit)


def evidence_store(files, *, folder: str, create, audit) -> list:
    """Photos or PDF scans (up to 5 of 10 MB; type sniffed, re-encoded, EXIF stripped,
    encrypted at rest by ``core.attachments``): each stored under ``folder`` and given its
    row by ``create(uid, stored)``, then ``audit(rows)``, all in one transaction; the files
    of a failed transaction are removed."""
    if not files:
        raise ValidationFailed(details={"files": [_("Choose a photo or a PDF scan.")]})
    attachments.check_uploads(files, field="files", max_files=5, max_mb=10)
    prepared = [
        attachments.prepare(f, field="files", accept_pdf=True, max_pdf_pages=20) for f in files
    ]
    with attachments.written_files(), transaction.atomic():
        kept = []
        for upload in prepared:
            uid = uuid.uuid4()
            kept.append(create(uid, attachments.write(upload, folder=folder, uid=uid)))
        audit(kept)
    return kept


def evidence_read(*, actor, evidence: GroupEvidence) -> bytes:
    """The plain bytes of one piece of evidence for a reader of its group."""
    if not path_in_scope(actor, evidence.group.scope_path, "groups.view"):
        raise NotFound()
    return attachments.read(evidence.stored_path, sha256=evidence.sha256)
