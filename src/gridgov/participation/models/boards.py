"""Public boards (红黑榜) and the community bylaws (社区公约 / 居民自治章程).

A community keeps its bylaws as articles; staff record compliance entries against an
article for a household or a building — red (红榜, good) or black (黑榜, bad). A household
appears by name and room on the public board only with its recorded consent; otherwise the
board shows its building only ("X号楼 一户"). The grid service board (网格服务红黑榜) ranks
the community's grid workers each month from the residents' ratings and the timeliness of
their events; it is stored at month end (``ServiceBoardEntry``) with the policy version
that placed each worker."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Bylaw(models.Model):
    class Kind(models.TextChoices):
        CONVENTION = "convention", _("community convention (社区公约)")
        CHARTER = "charter", _("residents' self-governance charter (居民自治章程)")

    community = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="bylaws",
        limit_choices_to={"level": "community"},
    )
    scope_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    preamble = models.TextField(_("preamble"), max_length=2000, blank=True)
    adopted_on = models.DateField(_("adopted on"))
    # The deliberation topic whose decision adopted it, when there was one.
    topic = models.ForeignKey(
        "participation.Topic",
        verbose_name=_("adopted by topic"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bylaws",
    )
    # Goes up by one with every saved change of the text or its articles.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("bylaw")
        verbose_name_plural = _("bylaws")
        ordering = ["scope_path", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["community", "kind"], name="bylaw_one_per_kind")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="bylaw_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.scope_path = self.community.path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class BylawArticle(models.Model):
    bylaw = models.ForeignKey(Bylaw, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveSmallIntegerField(_("article number"))
    title = models.CharField(_("title"), max_length=60)
    text = models.TextField(_("text"), max_length=2000)
    # An article with compliance entries is retired rather than deleted; numbers are unique
    # among the articles in force.
    is_active = models.BooleanField(_("in force"), default=True)

    class Meta:
        verbose_name = _("bylaw article")
        verbose_name_plural = _("bylaw articles")
        ordering = ["bylaw", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["bylaw", "number"],
                condition=models.Q(is_active=True),
                name="bylaw_article_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ComplianceEntryQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(removed_at__isnull=True)


class ComplianceEntry(models.Model):
    class Colour(models.TextChoices):
        RED = "red", _("red list (红榜)")
        BLACK = "black", _("black list (黑榜)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    # The building's grid: grid staff see the entries of their grids.
    scope_path = models.CharField(max_length=255, editable=False)
    colour = models.CharField(_("list"), max_length=5, choices=Colour.choices)
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    building = models.ForeignKey(
        "org.Building", verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    article = models.ForeignKey(
        BylawArticle, verbose_name=_("article"), on_delete=models.PROTECT, related_name="entries"
    )
    occurred_on = models.DateField(_("date"))
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM of occurred_on
    evidence = models.CharField(_("evidence note"), max_length=500, blank=True)
    # Consent of the household to appear by name and room on the public board.
    consent_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_recorded_by_name = models.CharField(max_length=150, blank=True)
    public_name = models.CharField(_("name shown with consent"), max_length=30, blank=True)
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by_name = models.CharField(max_length=150, blank=True)
    removed_reason = models.CharField(_("reason for removal"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ComplianceEntryQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("compliance entry")
        verbose_name_plural = _("compliance entries")
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(
                fields=["scope_path", "period"],
                name="compliance_scope_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.colour} {self.period} {self.building_id}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def is_named(self) -> bool:
        return self.household_id is not None and self.consent_on is not None


class ServiceBoardEntry(models.Model):
    """One grid worker's line on a community's monthly service board, as published."""

    class Band(models.TextChoices):
        RED = "red", _("red list (红榜)")
        BLACK = "black", _("black list (黑榜)")
        MIDDLE = "middle", _("ranked")
        INSUFFICIENT = "insufficient", _("insufficient data")

    community = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    scope_path = models.CharField(max_length=255, editable=False)
    period = models.CharField(_("period"), max_length=7)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shown_name = models.CharField(max_length=60)
    band = models.CharField(_("band"), max_length=12, choices=Band.choices)
    rank = models.PositiveSmallIntegerField(null=True)
    score = models.FloatField(null=True)
    satisfaction = models.FloatField(null=True)
    ratings = models.PositiveIntegerField(default=0)
    on_time = models.FloatField(null=True)
    handled = models.PositiveIntegerField(default=0)
    rule = models.CharField(max_length=300)
    policy_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("service board line")
        verbose_name_plural = _("service board lines")
        ordering = ["period", "rank", "shown_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "period", "worker"], name="service_board_one_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.shown_name} {self.band}"
