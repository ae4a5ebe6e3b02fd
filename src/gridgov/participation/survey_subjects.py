"""What a satisfaction survey can be about (满意度调查的对象): a kind of record another part
of the product keeps (a service resource of the three lists, a unit's grid service, a chat
group …), registered with how to find one in the actor's scope. The survey stores the kind
and the record's id; the record decides the unit whose residents are asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.core.scoping import path_in_scope
from gridgov.org.models import OrgUnit


@dataclass(frozen=True)
class Subject:
    label: str  # what the survey asks about, as residents read it
    unit: OrgUnit  # the unit whose residents are asked (the survey's unit)
    url: str = ""  # the record's staff page, if it has one


@dataclass(frozen=True)
class SubjectKind:
    code: str  # "app_label.model"
    name: str | Promise
    # (actor, id) → the subject in the actor's scope, else NotFound
    resolve: Callable[[object, str], Subject]


_KINDS: dict[str, SubjectKind] = {}


def register_survey_subject(kind: SubjectKind) -> None:
    _KINDS[kind.code] = kind


def subject_kinds() -> dict[str, SubjectKind]:
    return dict(_KINDS)


def survey_subject(actor, code: str, subject_id: str) -> Subject:
    """The record a satisfaction survey is about, found in the actor's scope (404 else)."""
    kind = _KINDS.get(str(code or ""))
    if kind is None:
        raise ValidationFailed(details={"subject_type": [_("Choose what the survey is about.")]})
    if not str(subject_id or "").strip() or len(str(subject_id)) > 64:
        raise ValidationFailed(details={"subject_id": [_("Name the record the survey rates.")]})
    return kind.resolve(actor, str(subject_id).strip())


def subject_shown(actor, survey) -> Subject | None:
    """The survey's subject for its page, or None (no subject, or not in the reader's scope)."""
    if not survey.subject_type:
        return None
    try:
        return survey_subject(actor, survey.subject_type, survey.subject_id)
    except (NotFound, ValidationFailed):
        return None


# The kinds the product keeps ------------------------------------------------------------


def _unit_service(actor, code: str) -> Subject:
    unit = OrgUnit.objects.filter(
        code=code, level__in=["street", "community", "grid"], is_active=True
    ).first()
    if unit is None or not path_in_scope(actor, unit.path, "participation.manage"):
        raise NotFound()
    return Subject(_("the grid service of %(unit)s") % {"unit": unit.name}, unit)


def _resource(actor, uid: str) -> Subject:
    from gridgov.lists.selectors import resource_get

    resource = resource_get(actor=actor, uid=uid)
    if not path_in_scope(actor, resource.owner.path, "participation.manage"):
        raise NotFound()
    return Subject(
        resource.name, resource.owner, reverse("lists:resource_edit", args=[resource.uid])
    )


register_survey_subject(SubjectKind("org.orgunit", _lazy("grid service of a unit"), _unit_service))
register_survey_subject(SubjectKind("lists.resource", _lazy("service resource"), _resource))
