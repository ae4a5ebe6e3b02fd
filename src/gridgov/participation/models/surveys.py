"""Surveys 调研: a questionnaire edited as a draft, published (its questions frozen, its
audience counted from the registry and frozen as one target row per person or household),
answered through the resident's pages, a public H5/QR link, door-to-door or by phone (代填,
the assisting worker recorded), then closed.

One response per resident or per household is a unique constraint on the respondent's
*keyed hash* (HMAC-SM3 of survey and person or household), so an anonymous survey prevents
doubles without storing who answered."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Survey(models.Model):
    class Purpose(models.TextChoices):
        NEEDS = "needs", _("needs research (需求调研)")
        SATISFACTION = "satisfaction", _("satisfaction (满意度)")
        AWARENESS = "awareness", _("awareness (认知度)")
        TRUST = "trust", _("trust (信任评分)")
        OTHER = "other", _("other")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft (草稿)")
        PUBLISHED = "published", _("published (进行中)")
        CLOSED = "closed", _("closed (已结束)")

    class Per(models.TextChoices):
        RESIDENT = "resident", _("one response per resident")
        HOUSEHOLD = "household", _("one response per household")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("unit running it"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    title = models.CharField(_("title"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=14, choices=Purpose.choices)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    per = models.CharField(
        _("one response per"), max_length=10, choices=Per.choices, default=Per.RESIDENT
    )
    # Anyone with the link or QR code may answer (anonymous surveys only).
    public_link = models.BooleanField(_("open H5 link and QR code"), default=False)
    token = models.CharField(max_length=32, unique=True, editable=False)
    # Audience: units (none = the running unit), people tags, an age band.
    audience_units = models.ManyToManyField(
        "org.OrgUnit", verbose_name=_("audience units"), blank=True, related_name="+"
    )
    audience_tags = models.JSONField(_("audience tags"), default=list, blank=True)
    age_min = models.PositiveSmallIntegerField(_("youngest age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("oldest age"), null=True, blank=True)
    # What another app's unit the survey rates (a service, an event category, a group).
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="draft")
    # The published version answers refer to (0 while a draft).
    published_version = models.PositiveIntegerField(default=0)
    target_count = models.PositiveIntegerField(_("target"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="survey_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.scope_path = self.org_unit.path
        if not self.token:
            self.token = uuid.uuid4().hex
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        SCALE5 = "scale5", _("scale 1–5")
        SCALE100 = "scale100", _("score 0–100")
        NUMBER = "number", _("count")
        TEXT = "text", _("text")

    class Measures(models.TextChoices):
        NONE = "", _("nothing special")
        SATISFACTION = "satisfaction", _("satisfaction (满意度)")
        AWARENESS = "awareness", _("awareness: services named (认知度)")
        TRUST = "trust", _("trust score (信任评分)")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    # [{"code": "a", "label": "…"}] for the choice kinds.
    options = models.JSONField(_("options"), default=list, blank=True)
    measures = models.CharField(
        _("indicator"), max_length=14, choices=Measures.choices, blank=True, default=""
    )
    # Skip rule: shown only when the answer to ``show_if`` is one of ``show_if_values``.
    show_if = models.ForeignKey(
        "self",
        verbose_name=_("shown if the answer to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    show_if_values = models.JSONField(_("is one of"), default=list, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text

    def option_label(self, code: str) -> str:
        for option in self.options:
            if option.get("code") == code:
                return option.get("label", code)
        return code


class SurveyTarget(models.Model):
    """The audience frozen at publication: one row per person (or household), identified
    only by the respondent's keyed hash, under its grid; answered when they respond."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="targets")
    respondent_key = models.CharField(max_length=64)
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    scope_path = models.CharField(max_length=255)
    published_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent_key"], name="survey_target_once")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="survey_tgt_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.unit_id}"


class SurveyResponse(models.Model):
    class Channel(models.TextChoices):
        H5 = "h5", _("online (H5)")
        QR = "qr", _("QR code")
        DOOR = "door", _("door to door (入户)")
        PHONE = "phone", _("phone (电话)")
        PROXY = "proxy", _("filled in for the resident (代填)")

    ASSISTED = (Channel.DOOR, Channel.PHONE, Channel.PROXY)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    survey_version = models.PositiveIntegerField()
    # Keyed hash of the person or household; NULL for an unverified answer through the
    # public link (not counted towards the response rate).
    respondent_key = models.CharField(max_length=64, null=True, blank=True)
    # Identified surveys only; an anonymous survey never stores who answered.
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255)
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assisted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent_key"], name="survey_response_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="survey_resp_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return str(self.uid)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class SurveyAnswer(models.Model):
    """One question's answer: the choice codes, a number (a scale, a count, or how many
    options were ticked), or text."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    measures = models.CharField(max_length=14, blank=True)
    choices = models.JSONField(default=list, blank=True)
    number = models.IntegerField(null=True, blank=True)
    text = models.TextField(max_length=2000, blank=True)
    unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255)
    answered_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="survey_ans_scope_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["measures", "answered_at"], name="survey_ans_measure_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"
