"""The registry's part of each home (core/workbench.py): imports waiting for their
uploader and possible duplicates waiting for a decision."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.workbench import Queue, Section, register_section
from gridgov.people.selectors import duplicate_list, import_job_list


@register_section(40)
def registry_section(user) -> Section | None:
    out = []
    if user.has_permission("people.import"):
        out.append(
            Queue(
                "imports",
                _("Imports needing attention"),
                import_job_list(actor=user, needs_attention=True).count(),
                f"{reverse('people:import_list')}?attention=1",
                "warning",
            )
        )
    if user.has_permission("people.merge"):
        out.append(
            Queue(
                "duplicates",
                _("Possible duplicates"),
                duplicate_list(actor=user).count(),
                reverse("people:duplicate_list"),
                "warning",
            )
        )
    return Section("registry", _("Residents"), out) if out else None
