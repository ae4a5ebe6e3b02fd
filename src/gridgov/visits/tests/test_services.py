"""Visit records: the catalogue, idempotent submission, validation, consent, review,
corrections through the people services, merge and the conflict queue, resubmission."""

from __future__ import annotations

import pytest

from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.people import services as people
from gridgov.people.models import Household, Resident, ResidentHistory
from gridgov.visits import services
from gridgov.visits.models import (
    Correction,
    Indicator,
    IndicatorCategory,
    Visit,
    VisitAnswer,
    VisitReview,
)

pytestmark = pytest.mark.django_db


def test_catalogue_is_seeded_as_data():
    assert IndicatorCategory.objects.count() == 12
    assert Indicator.objects.count() == 86
    assert set(IndicatorCategory.objects.values_list("name", flat=True)) >= {
        "基础信息",
        "健康",
        "残障与康复",
        "心理与关爱",
        "诉求与建议",
    }
    sensitive = Indicator.objects.filter(sensitivity="sensitive")
    assert sensitive.exists()
    assert set(sensitive.values_list("category__code", flat=True)) <= {
        "health",
        "eldercare",
        "work",
        "disability",
        "care",
    }
    assert Indicator.objects.filter(short_form=True).exists()
    assert set(Indicator.objects.values_list("frequency", flat=True)) == {
        "weekly",
        "monthly",
        "quarterly",
        "yearly",
    }


def test_submit_stores_once_and_a_resend_changes_nothing(world):
    data = world.visit_input()
    visit, created = services.visit_submit(actor=world.worker, data=data)
    assert created and visit.state == Visit.State.SUBMITTED
    answers = VisitAnswer.objects.count()
    audits = AuditRecord.objects.count()
    again, created = services.visit_submit(
        actor=world.worker, data=world.visit_input(**{**data.__dict__})
    )
    assert not created and again.pk == visit.pk
    assert VisitAnswer.objects.count() == answers
    assert AuditRecord.objects.count() == audits


def test_same_uuid_with_another_body_is_a_conflict(world):
    data = world.visit_input()
    services.visit_submit(actor=world.worker, data=data)
    tampered = world.visit_input(**{**data.__dict__, "note": "改过"})
    with pytest.raises(Conflict) as exc:
        services.visit_submit(actor=world.worker, data=tampered)
    assert exc.value.code == "client_uuid_reused"
    assert Visit.objects.count() == 1
    # Another collector replaying the UUID gets the same refusal, not the record.
    with pytest.raises(Conflict):
        services.visit_submit(actor=world.worker2, data=data)


def test_household_outside_scope_is_not_found_and_nothing_is_stored(world):
    data = world.visit_input(household=str(world.household_out.uid))
    with pytest.raises(NotFound):
        services.visit_submit(actor=world.worker, data=data)
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("answers", "key", "words"),
    [
        ({"ZZ99": True}, "answers.ZZ99", "Unknown indicator ZZ99"),
        ({"B01": "three"}, "answers.B01", "常住人数 people living here"),
        ({"B01": 99}, "answers.B01", "between 0 and 30"),
        ({"B02": "castle"}, "answers.B02", "居住状态 occupancy"),
        ({"B03": "yes"}, "answers.B03", "联系电话可用 contact phone works"),
        ({"B01": 2.5}, "answers.B01", "whole number"),
    ],
)
def test_bad_answers_name_the_indicator(world, answers, key, words):
    data = world.visit_input(outcome="partial", answers=answers)
    with pytest.raises(ValidationFailed) as exc:
        services.visit_submit(actor=world.worker, data=data)
    assert exc.value.status == 422
    assert words in " ".join(exc.value.details[key])
    assert not Visit.objects.exists()


def test_completed_visit_needs_the_required_indicators(world):
    data = world.visit_input(answers={"B01": 2})
    with pytest.raises(ValidationFailed) as exc:
        services.visit_submit(actor=world.worker, data=data)
    assert "answers.B02" in exc.value.details


def test_sensitive_indicator_needs_the_separate_consent(world):
    data = world.visit_input(answers=world.visit_input().answers | {"M01": 1})
    with pytest.raises(ValidationFailed) as exc:
        services.visit_submit(actor=world.worker, data=data)
    message = " ".join(exc.value.details["answers.M01"])
    assert "consent" in message and "慢性病患者人数" in message
    people.consent_record(
        actor=world.staff,
        resident=world.head,
        purpose="care_services",
        notice_version="v1",
        method="paper",
    )
    visit, _ = services.visit_submit(actor=world.worker, data=data)
    answer = VisitAnswer.objects.get(visit=visit, indicator__code="M01")
    assert answer.value is None and answer.value_encrypted  # ciphertext only
    assert services.answer_value(answer) == 1


def test_refusal_needs_a_reason_and_closes_no_answers(world):
    with pytest.raises(ValidationFailed) as exc:
        services.visit_submit(
            actor=world.worker, data=world.visit_input(outcome="refused", answers={})
        )
    assert "refusal_reason" in exc.value.details
    visit, _ = services.visit_submit(
        actor=world.worker,
        data=world.visit_input(outcome="refused", refusal_reason="privacy", answers={}),
    )
    assert visit.outcome == "refused"


def _correction_visit(world, **fields):
    corrections = fields.pop(
        "corrections",
        [
            {"resident": str(world.head.uid), "field": "phone", "value": "13700001111"},
            {"resident": str(world.spouse.uid), "confirm": True},
        ],
    )
    visit, _ = services.visit_submit(
        actor=world.worker, data=world.visit_input(corrections=corrections, **fields)
    )
    return visit


def test_the_collector_cannot_review(world):
    visit = _correction_visit(world)
    with pytest.raises(PermissionDenied) as exc:
        services.visit_review(actor=world.worker, visit=visit, decision="pass", version=1)
    assert exc.value.code in ("reviewer_is_collector", "permission_denied")
    # A grid leader who went along on the visit cannot review it either.
    visit.companions.add(world.leader)
    with pytest.raises(PermissionDenied) as exc:
        services.visit_review(actor=world.leader, visit=visit, decision="pass", version=1)
    assert exc.value.code == "reviewer_is_collector"
    assert not VisitReview.objects.exists()


def test_corrections_reach_the_registry_only_after_review(world):
    visit = _correction_visit(world)
    head = Resident.objects.get(pk=world.head.pk)
    assert head.phone_masked == "138****5678" and head.version == world.head.version
    spouse_verified = Resident.objects.get(pk=world.spouse.pk).verified_at
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=1)
    head = Resident.objects.get(pk=world.head.pk)
    assert head.phone_masked == "137****1111"
    assert head.version == world.head.version + 1
    history = ResidentHistory.objects.filter(resident=head, action="update").get()
    assert "phone" in history.changes
    assert AuditRecord.objects.filter(
        action="people.resident.update", target_id=str(head.pk)
    ).exists()
    spouse = Resident.objects.get(pk=world.spouse.pk)
    assert spouse.verified_at > spouse_verified  # a confirmed member counts as verified
    statuses = set(visit.corrections.values_list("status", flat=True))
    assert statuses == {Correction.Status.APPLIED}


def test_non_overlapping_change_merges(world):
    visit = _correction_visit(
        world,
        corrections=[{"resident": str(world.head.uid), "field": "phone", "value": "13700001111"}],
    )
    # Meanwhile the office corrects the head's residence status (another field).
    people.resident_update(
        actor=world.staff,
        resident=world.head,
        data={"residence": "away"},
        expected_version=world.head.version,
    )
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=1)
    head = Resident.objects.get(pk=world.head.pk)
    assert head.phone_masked == "137****1111" and head.residence == "away"
    assert visit.corrections.get().status == Correction.Status.MERGED


def test_overlapping_change_goes_to_the_conflict_queue(world):
    visit = _correction_visit(
        world,
        corrections=[{"resident": str(world.head.uid), "field": "phone", "value": "13700001111"}],
    )
    people.resident_update(
        actor=world.staff,
        resident=world.head,
        data={"phone": "13655556666"},
        expected_version=world.head.version,
    )
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=1)
    correction = visit.corrections.get()
    assert correction.status == Correction.Status.CONFLICT
    assert correction.server_value_masked == "136****6666"
    assert Resident.objects.get(pk=world.head.pk).phone_masked == "136****6666"  # not overwritten
    services.correction_resolve(actor=world.staff, correction=correction, take="proposal")
    correction.refresh_from_db()
    assert correction.status == Correction.Status.APPLIED
    assert Resident.objects.get(pk=world.head.pk).phone_masked == "137****1111"


def test_conflict_known_at_submission_is_reported(world):
    people.resident_update(
        actor=world.staff,
        resident=world.head,
        data={"phone": "13655556666"},
        expected_version=world.head.version,
    )
    results = services.visits_sync(
        actor=world.worker,
        records=[
            world.visit_input(
                corrections=[
                    {"resident": str(world.head.uid), "field": "phone", "value": "13700001111"}
                ]
            )
        ],
    )
    assert results[0]["status"] == 201 and results[0]["conflicts"] == 1


def test_return_resubmit_pass_keeps_every_round(world):
    visit = _correction_visit(world)
    services.visit_review(
        actor=world.leader,
        visit=visit,
        decision="return",
        version=1,
        comments={"answers.B01": "人数与户内成员不符"},
    )
    visit.refresh_from_db()
    assert visit.state == Visit.State.RETURNED
    with pytest.raises(PermissionDenied):  # only the collector corrects
        services.visit_resubmit(
            actor=world.worker2,
            visit=visit,
            version=visit.version,
            answers={},
            corrections=[],
            versions={},
        )
    visit = services.visit_resubmit(
        actor=world.worker,
        visit=visit,
        version=visit.version,
        answers=world.visit_input().answers | {"B01": 2},
        corrections=[{"resident": str(world.spouse.uid), "confirm": True}],
        versions={},
    )
    assert visit.round == 2 and visit.state == Visit.State.SUBMITTED
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=visit.version)
    assert list(visit.reviews.values_list("round", "decision")) == [(1, "return"), (2, "pass")]
    assert visit.reviews.first().comments == {"answers.B01": "人数与户内成员不符"}
    assert VisitAnswer.objects.filter(visit=visit, round=1).exists()
    assert VisitAnswer.objects.get(visit=visit, round=2, indicator__code="B01").value == 2
    # The first round's phone change was replaced: the registry keeps its number.
    assert Resident.objects.get(pk=world.head.pk).phone_masked == "138****5678"


def test_moved_out_starts_the_registry_move_out_after_review(world):
    visit, _ = services.visit_submit(
        actor=world.worker, data=world.visit_input(outcome="moved_out", answers={})
    )
    assert Household.objects.get(pk=world.household.pk).status == "active"
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=1)
    assert Household.objects.get(pk=world.household.pk).status == "moved_out"


def test_sync_answers_each_record(world):
    good = world.visit_input()
    bad = world.visit_input(answers={"B01": -1}, outcome="partial")
    outside = world.visit_input(household=str(world.household_out.uid))
    results = services.visits_sync(
        actor=world.worker, records=[good, bad, outside, good, {"client_uuid": "x", "what": 1}]
    )
    assert [r["status"] for r in results] == [201, 422, 404, 200, 422]
    assert results[1]["details"]["answers.B01"]
    assert results[3]["code"] == "already_stored"
    assert Visit.objects.count() == 1


def test_location_far_from_the_building_is_flagged_not_refused(world):
    from gridgov.org.models import Building, Compound, Room

    compound = Compound.objects.create(
        community=world.org["c1"], name="宛平小区", kind="commercial"
    )
    building = Building.objects.create(
        compound=compound, grid=world.org["g1a"], number="1", lon=121.4050, lat=31.2050
    )
    room = Room.objects.create(building=building, unit_number="1", number="101")
    Household.objects.filter(pk=world.household.pk).update(room=room)
    near, _ = services.visit_submit(
        actor=world.worker, data=world.visit_input(lon=121.4051, lat=31.2050)
    )
    far, _ = services.visit_submit(
        actor=world.worker, data=world.visit_input(lon=121.4150, lat=31.2050)
    )
    assert not near.location_flagged and near.distance_m < 20
    assert far.location_flagged and 900 < far.distance_m < 1000
