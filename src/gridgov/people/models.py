"""Households and residents (一户一档), with privacy by design.

ID and phone numbers are stored only as SM4-GCM ciphertext (bound to the row's ``uid``),
a keyed HMAC-SM3 blind index for exact search, and a masked form for display. Every
scoped row carries ``scope_path`` (its grid's path) so scoped lists are one indexed
prefix filter without a join.
"""

import uuid

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Household(models.Model):
    class Kind(models.TextChoices):
        FAMILY = "family", _("family household")
        COLLECTIVE = "collective", _("collective household")

    class Status(models.TextChoices):
        ACTIVE = "active", _("living here")
        AWAY = "away", _("away")
        MOVED_OUT = "moved_out", _("moved out")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grid = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": "grid"},
    )
    scope_path = models.CharField(max_length=255, editable=False)
    number = models.CharField(_("household number"), max_length=32)
    address = models.CharField(_("address"), max_length=200)
    room = models.ForeignKey(
        "org.Room", verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(_("household type"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    version = models.PositiveIntegerField(default=1)
    # The import that created it (its generated number is unique thanks to the import's).
    import_job = models.ForeignKey(
        "ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "people"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(fields=["grid", "number"], name="household_number_unique")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="household_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.address}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class ResidentQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)


class Resident(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("resident ID card")
        HMT_PERMIT = "hmt_permit", _("residence permit for HK/Macao/Taiwan residents")
        FOREIGN_PR = "foreign_pr", _("foreigner's permanent residence ID")
        PASSPORT = "passport", _("passport")
        NONE = "none", _("none")

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("father or mother")
        GRANDCHILD = "grandchild", _("grandchild")
        GRANDPARENT = "grandparent", _("grandparent")
        SIBLING = "sibling", _("sibling")
        OTHER = "other", _("other relative or non-relative")

    class Registration(models.TextChoices):
        REGISTERED = "registered", _("registered (户籍人口)")
        PERMANENT = "permanent", _("permanent resident (常住人口)")
        MIGRANT = "migrant", _("migrant / new citizen (流动人口·新市民)")
        LODGER = "lodger", _("lodger (寄住)")

    class Residence(models.TextChoices):
        PRESENT = "present", _("living here")
        AWAY = "away", _("away")
        MOVED_OUT = "moved_out", _("moved out")
        DECEASED = "deceased", _("deceased")

    class Occupation(models.TextChoices):
        STUDENT = "student", _("student")
        EMPLOYED = "employed", _("employed")
        RETIRED = "retired", _("retired")
        UNEMPLOYED = "unemployed", _("not working")
        FLEXIBLE = "flexible", _("flexible / new forms of employment")

    class Education(models.TextChoices):
        NONE = "none", _("no schooling")
        PRIMARY = "primary", _("primary school")
        JUNIOR = "junior", _("junior secondary")
        SENIOR = "senior", _("senior secondary / vocational")
        COLLEGE = "college", _("college")
        BACHELOR = "bachelor", _("bachelor")
        POSTGRADUATE = "postgraduate", _("postgraduate")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=50)
    name_initials = models.CharField(max_length=50, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    id_type = models.CharField(_("ID type"), max_length=12, choices=IdType.choices)
    id_number_encrypted = models.CharField(max_length=200, blank=True)
    id_number_index = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_number_masked = models.CharField(_("ID number"), max_length=40, blank=True)
    id_last4 = models.CharField(max_length=4, blank=True, db_index=True)
    phone_encrypted = models.CharField(max_length=200, blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=30, blank=True)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True)
    relation = models.CharField(_("relation to head"), max_length=12, choices=Relation.choices)
    registration = models.CharField(
        _("registration status"), max_length=12, choices=Registration.choices
    )
    residence = models.CharField(
        _("residence status"), max_length=12, choices=Residence.choices, default=Residence.PRESENT
    )
    occupation = models.CharField(
        _("occupation"), max_length=12, choices=Occupation.choices, blank=True
    )
    education = models.CharField(
        _("education"), max_length=14, choices=Education.choices, blank=True
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    # Last time staff confirmed the record against the person (created, edited or 核实):
    # the data-freshness KPI counts records verified within the policy window.
    verified_at = models.DateTimeField(_("last verified"), null=True, default=timezone.now)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    import_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "people"

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            models.Index(
                fields=["scope_path", "name"],
                name="resident_scope_name_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["name_initials"],
                name="resident_initials_idx",
                opclasses=["varchar_pattern_ops"],  # pinyin-initial prefixes
                condition=Q(archived_at__isnull=True),
            ),
            # Active-resident lists: counting a scope, paging in name order, and name
            # prefixes, each from an index rather than a scan of every row.
            models.Index(
                fields=["scope_path"],
                name="resident_active_scope_idx",
                opclasses=["varchar_pattern_ops"],
                condition=Q(archived_at__isnull=True),
            ),
            # Names in byte order (serves "name starts with" and "order by name") are
            # indexed by migration 0006: the collation is spelled differently per database.
            models.Index(fields=["birth_date"], name="resident_birth_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @classmethod
    def extra_scope_filter(cls, actor, action: str) -> Q | None:
        """Minors are visible only to the roles the visibility policy names."""
        from gridgov.people.privacy import minors_hidden_filter

        return minors_hidden_filter(actor)


class TagCategory(models.Model):
    """The admin-editable catalogue of special-population tags (特殊人群)."""

    class Sensitivity(models.TextChoices):
        NORMAL = "normal", _("normal")
        SENSITIVE = "sensitive", _("sensitive (health, disability, allowance, minors)")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=10, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    derived = models.BooleanField(
        _("derived from other data"), default=False, help_text=_("e.g. 80+ from the birth date")
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("special-population tag")
        verbose_name_plural = _("special-population tags")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    category = models.ForeignKey(TagCategory, verbose_name=_("tag"), on_delete=models.PROTECT)
    scope_path = models.CharField(max_length=255, editable=False)
    source = models.CharField(_("source"), max_length=100, blank=True)
    # Details such as a disability certificate's category and level, SM4-GCM encrypted.
    detail_encrypted = models.CharField(max_length=400, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "people"

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        constraints = [
            models.UniqueConstraint(fields=["resident", "category"], name="resident_tag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.category_id}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @classmethod
    def extra_scope_filter(cls, actor, action: str) -> Q | None:
        from gridgov.people.privacy import sensitive_tags_hidden_filter

        return sensitive_tags_hidden_filter(actor)


class Consent(models.Model):
    """告知同意: what the resident agreed to, how, and whether it was withdrawn."""

    class Method(models.TextChoices):
        PAPER = "paper", _("paper signature (scan)")
        SCREEN = "screen", _("on screen")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="consents")
    scope_path = models.CharField(max_length=255, editable=False)
    purpose = models.CharField(_("purpose"), max_length=40)
    notice_version = models.CharField(_("notice version"), max_length=20)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(_("given at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "people"

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    PURPOSE_LABELS = {
        "care_services": _("care services"),
        "registry": _("household registry"),
        "visit": _("household visits"),
        "event_contact": _("event contact"),
    }

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.purpose}"

    @property
    def purpose_label(self) -> str:
        return str(self.PURPOSE_LABELS.get(self.purpose, self.purpose))


class ResidentHistory(models.Model):
    """One version of a resident: who changed what, when (values masked)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="history")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict)
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version", "-id"]

    ACTION_LABELS = {
        "create": _("created"),
        "import": _("imported"),
        "demo": _("created with the demo data"),
        "update": _("changed"),
        "archive": _("archived"),
        "verify": _("confirmed unchanged"),
        "merged_into": _("merged into another record"),
        "merged_from": _("merged with a duplicate"),
    }

    def __str__(self) -> str:
        return f"{self.resident_id} v{self.version} {self.action}"

    @property
    def action_label(self) -> str:
        return str(self.ACTION_LABELS.get(self.action, self.action))

    @property
    def changed_fields(self) -> list[str]:
        """The names of the changed fields in the user's language."""
        names = []
        for key in self.changes if isinstance(self.changes, dict) else []:
            try:
                names.append(str(Resident._meta.get_field(key).verbose_name))
            except FieldDoesNotExist:
                continue  # e.g. the uid of a merged record: shown by the action itself
        return names


class DuplicateCandidate(models.Model):
    """A pair that may be the same person, waiting for a person to decide."""

    class Reason(models.TextChoices):
        PHONE_AND_NAME = "phone_name", _("same phone and name")
        SIMILAR_NAME_SAME_ADDRESS = "similar_name", _("near-identical name at the same address")

    class Status(models.TextChoices):
        OPEN = "open", _("to review")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("not the same person")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    scope_path = models.CharField(max_length=255, editable=False)
    reason = models.CharField(_("reason"), max_length=14, choices=Reason.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "people"

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["resident", "other"], name="duplicate_pair_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}~{self.other_id}"


class ImportJob(models.Model):
    class Mode(models.TextChoices):
        PREVIEW = "preview", _("check and preview only, write nothing")
        ALL_OR_NOTHING = "all", _("all or nothing")
        VALID_ROWS = "valid", _("import valid rows, report the rest")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        VALIDATING = "validating", _("checking")
        CHECKED = "checked", _("checked, waiting for your go-ahead")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("done")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")
        DECIDE = "decide", _("waiting for your decision on columns")

    class Grouping(models.TextChoices):
        RELATION = "relation", _("by 与户主关系 order: a 户主 (or 本人) row starts a household")
        ADDRESS = "address", _("by address: rows with the same address form a household")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255)
    file_name = models.CharField(_("file"), max_length=200)
    stored_path = models.CharField(max_length=400)
    file_sha256 = models.CharField(max_length=64)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    mapping = models.JSONField(default=dict, blank=True)
    # The uploader's language: the background run writes its messages in it.
    language = models.CharField(max_length=10, blank=True)
    # Columns the uploader chose to leave out (headers, or “#F” for a column without one).
    ignored_columns = models.JSONField(default=list, blank=True)
    # Every column of the file: letter, header, the field it fills, or why it is undecided.
    columns = models.JSONField(default=list, blank=True)
    # The grid of rows without a grid code, and how rows without a household number are
    # grouped into households.
    target_grid = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grouping = models.CharField(
        _("households"), max_length=10, choices=Grouping.choices, default=Grouping.RELATION
    )
    # The households the rows form (counts and the first ones), for the preview.
    households = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    unchanged_rows = models.PositiveIntegerField(default=0)
    rejected_rows = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    # The first rows as they will be stored (personal numbers masked), for the preview.
    sample = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "people"

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def undecided_columns(self) -> list[dict]:
        return [c for c in self.columns if c.get("status") == "undecided"]


class ColumnMapping(models.Model):
    """A saved header mapping for files exported by another system (数据转换中间件)."""

    name = models.CharField(_("name"), max_length=60)
    scope_path = models.CharField(max_length=255, editable=False)
    mapping = models.JSONField(_("mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "people"

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(fields=["scope_path", "name"], name="mapping_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
