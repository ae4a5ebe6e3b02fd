"""The inventory's collection plan (docs/groups.md, *Collection plan*), through
``core.scoping`` (``groups.view``):

- each compound's collection method by its households (policy ``groups.collection``):
  large (≥ 500) 线上问卷+实地核查, small (≤ 100) 楼栋长代为填报+社区抽查, between them
  网格员填报+社区核查; a compound without a household count has no method;
- its share of residents aged 60+ from the household registry (the birth date, the same
  age bracket as the registry's ``60+`` filter) and the flag for assisted door-to-door
  collection when the share is strictly above 30 %. A resident counts for a compound
  through their household's room, else through their household's grid when all the grid's
  buildings belong to that compound; residents placed in no compound are not counted. The
  share is **unknown** — never guessed — when no resident is placed in the compound, or the
  households placed are fewer than ``min_households_on_file`` % of its households;
- the functions its registered, active groups cover against those its kind needs (policy
  ``groups.function_match``; 群功能与需求匹配度);
- the grid workers' load: active groups (not refused) each one is responsible for, flagged
  below 3 or above 5 (包片负责制).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Min, Q
from django.utils import timezone

from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import path_filter
from gridgov.groups.models import Group
from gridgov.groups.policies_collection import CollectionPolicy, FunctionMatchPolicy

# The order functions are listed in.
FUNCTION_ORDER = ("notice", "service", "mutual_aid", "deliberation")


def size_and_method(households: int, policy: CollectionPolicy) -> tuple[str, str]:
    """("large" | "medium" | "small", method), or ("", "") when the households are not
    recorded (0)."""
    if not households:
        return "", ""
    if households >= policy.large_from_households:
        return "large", policy.large_method
    if households <= policy.small_up_to_households:
        return "small", policy.small_method
    return "medium", policy.medium_method


def aged_share(
    households: int, households_on_file: int, residents: int, aged: int, policy
) -> tuple[float | None, str]:
    """(share of residents aged 60+ in %, or None, why it is unknown: "" when known,
    ``none_on_file`` or ``few_on_file``)."""
    if not residents:
        return None, "none_on_file"
    if households and 100.0 * households_on_file / households < policy.min_households_on_file:
        return None, "few_on_file"
    return 100.0 * aged / residents, ""


def covered_functions(functions, policy: FunctionMatchPolicy) -> set[str]:
    """The needed functions a compound's groups of ``functions`` cover (a 综合群 counts for
    ``mixed_covers``)."""
    covered = {f for f in functions if f != Group.Function.MIXED}
    if Group.Function.MIXED in functions:
        covered |= set(policy.mixed_covers)
    return covered


def needed_functions(kind: str, policy: FunctionMatchPolicy) -> list[str]:
    return list(getattr(policy.needs, kind, []) or [])


def unmet_functions(kind: str, functions, policy: FunctionMatchPolicy) -> list[str]:
    covered = covered_functions(functions, policy)
    needed = needed_functions(kind, policy)
    return [f for f in FUNCTION_ORDER if f in needed and f not in covered]


def registered_functions(compound_ids, moment=None) -> dict[int, set[str]]:
    """{compound id: functions of its registered (approved, active) groups}; ``moment``:
    registered before it."""
    through = Group.compounds.through.objects.filter(
        compound_id__in=compound_ids,
        group__state=Group.State.APPROVED,
        group__status=Group.Status.ACTIVE,
    )
    if moment is not None:
        through = through.filter(group__created_at__lt=moment)
    out: dict[int, set[str]] = {}
    for compound_id, function in through.values_list("compound_id", "group__function"):
        out.setdefault(compound_id, set()).add(function)
    return out


@dataclass
class CompoundPlan:
    compound: object
    size: str
    method: str
    households: int
    households_on_file: int
    residents: int
    aged: int
    aged_share: float | None
    aged_unknown: str  # "", "none_on_file", "few_on_file"
    assisted: bool | None  # None: the 60+ share is unknown
    groups: int  # registered, active
    pending: int  # waiting for approval
    needed: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool | None:
        """Every needed function covered; None while no group is registered."""
        return None if not self.groups else not self.unmet


def _residents_by_compound(compound_ids) -> dict[int, dict]:
    """{compound id: {"households", "residents", "aged"}} from the registry (aggregates)."""
    from gridgov.org.models import Building
    from gridgov.people.models import Household, Resident
    from gridgov.people.selectors import age_bracket_filter

    base = (
        Resident.objects.filter(archived_at__isnull=True)
        .exclude(residence__in=[Resident.Residence.MOVED_OUT, Resident.Residence.DECEASED])
        .exclude(household__status=Household.Status.MOVED_OUT)
    )
    aged_q = age_bracket_filter("60+", timezone.localdate())
    out = {cid: {"households": 0, "residents": 0, "aged": 0} for cid in compound_ids}

    def add(rows, key, to_compound):
        for row in (
            rows.values(key)
            .annotate(
                n=Count("pk"), aged=Count("pk", filter=aged_q), hh=Count("household", distinct=True)
            )
            .order_by()
        ):
            entry = out[to_compound(row[key])]
            entry["households"] += row["hh"]
            entry["residents"] += row["n"]
            entry["aged"] += row["aged"]

    add(
        base.filter(household__room__building__compound_id__in=compound_ids),
        "household__room__building__compound_id",
        lambda cid: cid,
    )
    # Households without a room: through a grid whose buildings all lie in one compound.
    grids = Building.objects.filter(compound_id__in=compound_ids).values("grid_id")
    sole = {
        row["grid_id"]: row["compound"]
        for row in Building.objects.filter(grid_id__in=grids)
        .values("grid_id")
        .annotate(kinds=Count("compound_id", distinct=True), compound=Min("compound_id"))
        .order_by()
        if row["kinds"] == 1 and row["compound"] in out
    }
    if sole:
        add(
            base.filter(household__room__isnull=True, household__grid_id__in=list(sole)),
            "household__grid_id",
            lambda gid: sole[gid],
        )
    return out


def compounds_in_plan(*, actor):
    """The compounds of the actor's area (as the risk index: a grid worker's are those with
    a building in the grid)."""
    from gridgov.groups.selectors_warnings import compounds_visible

    return compounds_visible(actor=actor)


def collection_plan(*, actor, compounds=None) -> tuple[list[CompoundPlan], int]:
    """(the plan of each compound, the ``groups.collection`` version) for the compounds
    given (of the actor's area) or every compound of the actor's area."""
    from gridgov.groups.policies_collection import function_match_policy

    in_force = policy_in_force("groups.collection")
    policy = in_force.value
    needs = function_match_policy()
    visible = compounds_in_plan(actor=actor)
    if compounds is not None:
        visible = visible.filter(pk__in=[c.pk for c in compounds])
    compounds = list(visible)
    ids = [c.pk for c in compounds]
    people = _residents_by_compound(ids)
    functions = registered_functions(ids)
    pending = dict(
        Group.compounds.through.objects.filter(
            compound_id__in=ids,
            group__state=Group.State.PENDING,
            group__status=Group.Status.ACTIVE,
        )
        .values("compound_id")
        .annotate(n=Count("group_id"))
        .values_list("compound_id", "n")
        .order_by()
    )
    registered = dict(
        Group.compounds.through.objects.filter(
            compound_id__in=ids,
            group__state=Group.State.APPROVED,
            group__status=Group.Status.ACTIVE,
        )
        .values("compound_id")
        .annotate(n=Count("group_id"))
        .values_list("compound_id", "n")
        .order_by()
    )
    plans = []
    for c in compounds:
        size, method = size_and_method(c.household_count, policy)
        p = people[c.pk]
        share, unknown = aged_share(
            c.household_count, p["households"], p["residents"], p["aged"], policy
        )
        plans.append(
            CompoundPlan(
                compound=c,
                size=size,
                method=method,
                households=c.household_count,
                households_on_file=p["households"],
                residents=p["residents"],
                aged=p["aged"],
                aged_share=share,
                aged_unknown=unknown,
                assisted=None if share is None else share > policy.aged_share_above,
                groups=registered.get(c.pk, 0),
                pending=pending.get(c.pk, 0),
                needed=[f for f in FUNCTION_ORDER if f in needed_functions(c.kind, needs)],
                unmet=unmet_functions(c.kind, functions.get(c.pk, set()), needs),
            )
        )
    return plans, in_force.version


@dataclass
class WorkerLoad:
    user: object
    groups: int
    flag: str  # "", "few" or "many"


def worker_loads(*, actor) -> list[WorkerLoad]:
    """The grid workers of the actor's area and the active groups (not refused) of the area
    each is responsible for: those with a grid-worker duty in a grid of the area today, and
    anyone responsible for a group of the area. Flagged outside the policy's 3–5; the
    flagged first."""
    from django.contrib.auth import get_user_model

    from gridgov.org.models import GridAssignment

    policy = policy_in_force("groups.collection").value
    counts = dict(
        Group.objects.visible_to(actor, "view")
        .filter(status=Group.Status.ACTIVE, responsible__isnull=False)
        .exclude(state=Group.State.REJECTED)
        .values("responsible")
        .annotate(n=Count("pk"))
        .values_list("responsible", "n")
        .order_by()
    )
    user_ids = set(counts)
    grids = path_filter(actor, "groups.view", "grid__path")
    if grids is not None:
        today = timezone.localdate()
        user_ids |= set(
            GridAssignment.objects.filter(
                grids,
                duty__in=[GridAssignment.Duty.FULL_TIME, GridAssignment.Duty.PART_TIME],
                start_date__lte=today,
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values_list("user_id", flat=True)
        )
    out = []
    for user in get_user_model().objects.filter(pk__in=user_ids).order_by("username"):
        n = counts.get(user.pk, 0)
        flag = (
            "few"
            if n < policy.min_groups_per_worker
            else ("many" if n > policy.max_groups_per_worker else "")
        )
        out.append(WorkerLoad(user, n, flag))
    out.sort(key=lambda w: (w.flag == "", w.user.username))
    return out
