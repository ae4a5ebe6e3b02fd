"""Password rules of GB/T 22239 level 3, read from the password policy."""

from __future__ import annotations

import string

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridgov.core.policies import policy_get


def character_classes(password: str) -> int:
    return sum(
        [
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )


class PolicyPasswordValidator:
    """Length, character classes, and not containing the username."""

    def validate(self, password: str, user=None) -> None:
        policy = policy_get("accounts.password")
        errors = []
        if len(password) < policy.min_length:
            errors.append(
                ValidationError(
                    ngettext(
                        "The password must have at least %(n)d character.",
                        "The password must have at least %(n)d characters.",
                        policy.min_length,
                    )
                    % {"n": policy.min_length},
                    code="password_too_short",
                )
            )
        if len(password) > 128:
            errors.append(ValidationError(_("The password is too long."), code="too_long"))
        if character_classes(password) < policy.min_classes:
            errors.append(
                ValidationError(
                    _(
                        "The password must mix at least %(n)d of: lower-case letters, "
                        "upper-case letters, digits, symbols."
                    )
                    % {"n": policy.min_classes},
                    code="password_classes",
                )
            )
        username = getattr(user, "username", "") or ""
        if username and username.lower() in password.lower():
            errors.append(
                ValidationError(
                    _("The password must not contain the user name."),
                    code="password_contains_username",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        policy = policy_get("accounts.password")
        return _(
            "At least %(len)d characters mixing %(classes)d of: lower-case, upper-case, "
            "digits, symbols; not your user name; not a common password."
        ) % {"len": policy.min_length, "classes": policy.min_classes}


class PasswordHistoryValidator:
    """The last N passwords (policy) may not be used again."""

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        # The current password counts as one of the last N.
        history = policy_get("accounts.password").history
        previous = list(user.password_history.values_list("password", flat=True)[: history - 1])
        if user.password:
            previous.append(user.password)
        if any(check_password(password, encoded) for encoded in previous):
            raise ValidationError(
                _("This password was used recently; choose another."), code="password_reused"
            )

    def get_help_text(self) -> str:
        return _("Your recent passwords cannot be reused.")
