"""The grid workforce 网格员队伍: each worker's profile over their account (grade, education,
hire date, the birth year for the age statistics only), certificates with their expiry, and
the training ledger (course, category, hours, provider, score; a re-test links to the
training it tests again). A worker is in a reader's area through their grid assignments
(``org.GridAssignment``, whose duty says full-time or part-time)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WorkerProfile(models.Model):
    class Grade(models.TextChoices):
        JUNIOR = "junior", _("junior (初级)")
        MIDDLE = "middle", _("intermediate (中级)")
        SENIOR = "senior", _("senior (高级)")

    class Education(models.TextChoices):
        SECONDARY = "secondary", _("secondary school")
        COLLEGE = "college", _("college (大专)")
        BACHELOR = "bachelor", _("bachelor")
        MASTER = "master", _("master or above")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="worker_profile"
    )
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices, default="junior")
    education = models.CharField(_("education"), max_length=10, choices=Education.choices)
    hire_date = models.DateField(_("hired on"))
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("worker profile")
        verbose_name_plural = _("worker profiles")

    def __str__(self) -> str:
        return str(self.user_id)


class Certificate(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="worker_certificates"
    )
    name = models.CharField(_("certificate"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("worker certificate")
        verbose_name_plural = _("worker certificates")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("issued_on")),
                name="certificate_expires_after_issued",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TrainingRecord(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records"
    )
    course = models.CharField(_("course"), max_length=100)
    category = models.CharField(_("category"), max_length=20)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    held_on = models.DateField(_("held on"), db_index=True)
    score = models.PositiveSmallIntegerField(_("test score"), null=True, blank=True)
    retest_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retests",
        verbose_name=_("re-test of"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.course} {self.held_on}"
