"""A resident's account bound to their record in the registry (the resident portal's
identity). Participation — one vote per eligible person, points landing in one account —
needs to know which resident an account is; an account with no binding can do only what
an anonymous visitor can."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ResidentAccount(models.Model):
    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("confirmed in person by staff")
        ID_MATCH = "id_match", _("name and ID number matched, household confirmed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident_account"
    )
    # One account per person: a resident bound twice would vote twice.
    resident = models.OneToOneField(
        "people.Resident", on_delete=models.PROTECT, related_name="account"
    )
    method = models.CharField(_("how it was bound"), max_length=12, choices=Method.choices)
    bound_by_name = models.CharField(max_length=150)
    bound_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")

    def __str__(self) -> str:
        return f"{self.user} → {self.resident_id}"

    @property
    def audit_org_path(self) -> str:
        return self.resident.scope_path
