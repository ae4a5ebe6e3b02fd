"""The demo's surveys in community 310104003001: an identified needs survey per household
(助餐 needs, with a skip rule), answered door to door by the grid worker and the grid leader,
some filled in for the resident (代填), others online (H5); and an anonymous satisfaction /
awareness / trust survey with an open link and QR code, answered online, by QR and by
phone. Answers are spread unevenly over the grids, so the results show some cells and hide
others. ``demo_resident`` is left to answer both. Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone, translation

from gridgov.accounts.models import User
from gridgov.audit.services import SystemActor
from gridgov.org.models import OrgUnit
from gridgov.participation import services_surveys as services
from gridgov.participation.models import Survey
from gridgov.people.models import Resident

COMMUNITY = "310104003001"
NEEDS_TITLE = "宛平南路社区助餐需求调研"
SATISFACTION_TITLE = "网格服务满意度、认知度与信任测评"
# The share of each grid's audience that answers, by the grid's place in the community:
# the first grids answer well, the last only a handful (its cells are hidden).
SHARES = [0.55, 0.35, 0.2, 0.03]


def _respondents(survey: Survey, skip: set[int], rng: random.Random):
    """(resident, grid index) for the people who answer (``skip``: households left out)."""
    grids = list(
        OrgUnit.objects.filter(path__startswith=survey.org_unit.path, level="grid").order_by("code")
    )
    chosen = []
    for index, grid in enumerate(grids):
        share = SHARES[min(index, len(SHARES) - 1)]
        residents = list(
            services.audience_residents(survey)
            .filter(household__grid=grid)
            .exclude(household_id__in=skip)
            .select_related("household")
            .order_by("pk")
        )
        seen_households: set[int] = set()
        picked = []
        for resident in residents:
            if survey.per == Survey.Per.HOUSEHOLD:
                if resident.household_id in seen_households:
                    continue
                seen_households.add(resident.household_id)
            picked.append(resident)
        count = max(1, round(len(picked) * share)) if picked else 0
        chosen += [(r, index) for r in rng.sample(picked, min(count, len(picked)))]
    return chosen


def _needs_survey(staff, worker, leader, skip, rng) -> int:
    today = timezone.localdate()
    survey = services.survey_create(
        actor=staff,
        unit_code=COMMUNITY,
        data={
            "title": NEEDS_TITLE,
            "purpose": "needs",
            "intro": "了解社区居民对助餐服务的需求,为长者饭堂选址和送餐服务做准备。",
            "opens_on": today - timedelta(days=10),
            "closes_on": today + timedelta(days=20),
            "anonymous": False,
            "per": "household",
        },
    )
    need = services.question_add(
        actor=staff,
        survey=survey,
        data={
            "kind": "single",
            "text": "您家是否需要社区助餐服务?",
            "options": ["需要", "暂不需要", "已在使用"],
        },
    )
    when = services.question_add(
        actor=staff,
        survey=survey,
        data={
            "kind": "multiple",
            "text": "希望在哪些时段用餐?",
            "options": ["午餐", "晚餐", "送餐上门"],
            "show_if": need.pk,
            "show_if_values": ["o1"],
        },
    )
    sat = services.question_add(
        actor=staff,
        survey=survey,
        data={
            "kind": "scale5",
            "text": "您对目前社区为老服务的满意程度?",
            "measures": "satisfaction",
        },
    )
    other = services.question_add(
        actor=staff,
        survey=survey,
        data={"kind": "text", "text": "其他需求或建议", "required": False},
    )
    survey.refresh_from_db()
    survey = services.survey_publish(actor=staff, survey=survey, version=survey.version)
    answered = 0
    worker_paths = worker.scope_paths("participation.assist") if worker else []
    for resident, _grid in _respondents(survey, skip, rng):
        choice = rng.choices(["o1", "o2", "o3"], weights=[5, 4, 1])[0]
        answers = {str(need.pk): choice, str(sat.pk): rng.choices([5, 4, 3, 2], [4, 4, 2, 1])[0]}
        if choice == "o1":
            answers[str(when.pk)] = rng.sample(["o1", "o2", "o3"], rng.randint(1, 2))
        if rng.random() < 0.2:
            answers[str(other.pk)] = rng.choice(
                ["希望增加清淡菜品", "希望送餐时间固定", "价格希望再优惠一些", "希望有无障碍通道"]
            )
        roll = rng.random()
        in_worker_grid = any(resident.scope_path.startswith(p) for p in worker_paths)
        if roll < 0.45:
            helper = worker if in_worker_grid else leader
            channel = "proxy" if rng.random() < 0.3 else "door"
            services.response_submit_assisted(
                actor=helper,
                survey=survey,
                resident_uid=str(resident.uid),
                channel=channel,
                answers=answers,
            )
        else:
            # Answered in the resident portal (demo: recorded as if online).
            services.response_record(
                survey=survey,
                answers=answers,
                resident=resident,
                channel="h5",
                audit_actor=SystemActor("demo-seed"),
            )
        answered += 1
    return answered


def _satisfaction_survey(staff, leader, skip, rng) -> int:
    today = timezone.localdate()
    survey = services.survey_create(
        actor=staff,
        unit_code=COMMUNITY,
        data={
            "title": SATISFACTION_TITLE,
            "purpose": "satisfaction",
            "intro": "匿名测评:您的回答不会与您本人关联。",
            "opens_on": today - timedelta(days=14),
            "closes_on": today + timedelta(days=30),
            "anonymous": True,
            "public_link": True,
            "age_min": 18,
        },
    )
    sat = services.question_add(
        actor=staff,
        survey=survey,
        data={
            "kind": "scale5",
            "text": "您对本网格服务的总体满意程度?",
            "measures": "satisfaction",
        },
    )
    aware = services.question_add_template(actor=staff, survey=survey, code="awareness")
    trust = services.question_add_template(actor=staff, survey=survey, code="trust")
    survey.refresh_from_db()
    survey = services.survey_publish(actor=staff, survey=survey, version=survey.version)
    codes = [o["code"] for o in aware.options]
    answered = 0
    for resident, _grid in _respondents(survey, skip, rng):
        answers = {
            str(sat.pk): rng.choices([5, 4, 3, 2, 1], [5, 4, 1, 1, 0.3])[0],
            str(aware.pk): rng.sample(codes, rng.choices([1, 2, 3, 4, 5], [2, 2, 3, 3, 2])[0]),
            str(trust.pk): max(0, min(100, int(rng.gauss(78, 12)))),
        }
        channel = rng.choices(["h5", "qr", "phone"], [4, 3, 2])[0]
        if channel == "phone":
            services.response_submit_assisted(
                actor=leader,
                survey=survey,
                resident_uid=str(resident.uid),
                channel="phone",
                answers=answers,
            )
        else:
            services.response_record(
                survey=survey,
                answers=answers,
                resident=resident,
                channel=channel,
                audit_actor=SystemActor("demo-seed"),
            )
        answered += 1
    return answered


def seed_participation_surveys() -> int:
    """The two demo surveys and their answers; 0 when they are there already."""
    staff = User.objects.filter(username="demo_community").first()
    leader = User.objects.filter(username="demo_gridleader").first()
    worker = User.objects.filter(username="demo_gridworker").first()
    if staff is None or leader is None:
        return 0
    if Survey.objects.filter(org_unit__code=COMMUNITY, title=NEEDS_TITLE).exists():
        return 0
    rng = random.Random(20261130)
    # demo_resident's household keeps both surveys to answer on the phone.
    skip = set(
        Resident.objects.filter(account__user__username="demo_resident").values_list(
            "household_id", flat=True
        )
    )
    # The standard questions are worded in the language of whoever adds them: Chinese here.
    with translation.override("zh-hans"):
        made = _needs_survey(staff, worker, leader, skip, rng)
        made += _satisfaction_survey(staff, leader, skip, rng)
    return made
