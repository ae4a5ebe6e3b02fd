"""Binding an account to its resident (in person by staff, for now the one way; the
resident portal adds self-service matching by name and ID number)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.accounts.roles import ADMIN_ROLES
from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.scoping import require_in_scope
from gridgov.people.models import Resident
from gridgov.residents.models import ResidentAccount


def bind_account(
    actor, *, user, resident: Resident, method: str = ResidentAccount.Method.IN_PERSON
) -> ResidentAccount:
    """Staff who keep the resident's registry (``people.change`` in its scope) confirm that
    the account is this person. One account per resident and one resident per account."""
    require_in_scope(actor, resident.scope_path, "people.change")
    if resident.archived_at is not None:
        raise ValidationFailed(_("This resident's record is archived."), code="archived")
    if any(m.role in ADMIN_ROLES for m in user.memberships_cached):
        raise ValidationFailed(
            _("An administrator's account cannot be a resident's account."), code="admin_account"
        )
    try:
        with transaction.atomic():
            account = ResidentAccount.objects.create(
                user=user,
                resident=resident,
                method=method,
                bound_by_name=actor.get_username(),
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This account or this resident is already bound to another."), code="already_bound"
        ) from exc
    audit_record(
        "residents.account.bind",
        actor=actor,
        target=account,
        changes={"user": user.get_username(), "method": method},
    )
    return account


def unbind_account(actor, account: ResidentAccount) -> None:
    require_in_scope(actor, account.resident.scope_path, "people.change")
    with transaction.atomic():
        audit_record(
            "residents.account.unbind",
            actor=actor,
            target=account,
            changes={"user": account.user.get_username()},
        )
        account.delete()
