"""The visit pages: the worker's list (overdue first, by building and floor, members masked,
what is stale), the form (sensitive questions only with consent; a double post stores one
visit), the review page and queue, and the home sections."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.people import services as people
from gridgov.visits import services
from gridgov.visits.models import Visit, VisitTask

ARTEFACTS = Path(__file__).resolve().parents[4] / "var" / "test-artifacts" / "visits"

pytestmark = pytest.mark.django_db


def _place(world, household, building_number, room_number):
    from gridgov.org.models import Building, Compound, Room

    compound, _ = Compound.objects.get_or_create(
        community=world.org["c1"], name="宛平小区", defaults={"kind": "commercial"}
    )
    building, _ = Building.objects.get_or_create(
        compound=compound, grid=world.org["g1a"], number=building_number
    )
    room = Room.objects.create(building=building, unit_number="1", number=room_number)
    household.room = room
    household.save(update_fields=["room"])


def test_today_lists_overdue_first_then_building_and_floor(world, login_client):
    upper = people.household_create(
        actor=world.staff, grid=world.org["g1a"], number="502", address="1号楼502", kind="family"
    )
    late = people.household_create(
        actor=world.staff, grid=world.org["g1a"], number="901", address="2号楼901", kind="family"
    )
    _place(world, world.household, "1", "101")
    _place(world, upper, "1", "502")
    _place(world, late, "2", "901")
    today = timezone.localdate()
    for household, due in ((upper, today), (world.household, today), (late, today - timedelta(1))):
        services.task_create(
            actor=world.staff, household=household, due_date=due, assignee="worker_a"
        )
    client = login_client(world.worker)
    page = client.get("/visits/today/").content.decode()
    assert page.index("2号楼901") < page.index("宛平南路1号101室") < page.index("1号楼502")
    assert "王**" in page and "王建国" not in page  # members masked
    assert "138****5678" in page
    home = client.get("/").content.decode()
    assert "My visits" in home


def test_form_hides_sensitive_questions_without_consent_and_stores_once(world, login_client):
    client = login_client(world.worker)
    url = f"/visits/households/{world.household.uid}/new/"
    page = client.get(url).content.decode()
    assert 'name="a_B01"' in page and 'name="a_M01"' not in page
    assert "separate consent" in page
    from gridgov.visits.tests.conftest import required_answers

    post = {
        "client_uuid": "3f0f8a2e-1c1d-4c4e-8a51-1f0e5a6b7c8d",
        "versions": f'{{"{world.household.uid}": 1}}',
        "outcome": "completed",
        "notice_given": "1",
        f"confirm_{world.head.uid}": "1",
    }
    for code, value in required_answers().items():
        post[f"a_{code}"] = (
            {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
        )
    post = {k: (v[0] if isinstance(v, list) else v) for k, v in post.items()}
    post["versions"] = f'{{"{world.household.uid}": 1, "{world.head.uid}": {world.head.version}}}'
    first = client.post(url, post)
    assert first.status_code == 302, first.content.decode()[:2000]
    second = client.post(url, post)  # a double tap on the button
    assert second.status_code == 302
    assert Visit.objects.count() == 1
    people.consent_record(
        actor=world.staff,
        resident=world.spouse,
        purpose="care_services",
        notice_version="v1",
        method="paper",
    )
    assert 'name="a_M01"' in client.get(url).content.decode()


def test_form_errors_name_the_indicator(world, login_client):
    client = login_client(world.worker)
    url = f"/visits/households/{world.household.uid}/new/"
    response = client.post(
        url,
        {
            "client_uuid": "9a0f8a2e-1c1d-4c4e-8a51-1f0e5a6b7c8d",
            "versions": f'{{"{world.household.uid}": 1}}',
            "outcome": "partial",
            "a_B01": "99",
        },
    )
    assert response.status_code == 200
    assert "people living here" in response.content.decode()
    assert not Visit.objects.exists()


def test_review_page_and_queue(world, login_client):
    visit, _ = services.visit_submit(actor=world.worker, data=world.visit_input())
    staff = login_client(world.staff)
    queue = staff.get("/visits/reviews/").content.decode()
    assert f"/visits/{visit.uid}/" in queue
    detail = staff.get(f"/visits/{visit.uid}/").content.decode()
    assert 'value="pass"' in detail
    response = staff.post(
        f"/visits/{visit.uid}/review/", {"decision": "pass", "version": str(visit.version)}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.state == Visit.State.APPROVED
    assert "Visits to review" in staff.get("/").content.decode()


def test_collector_is_not_offered_the_review(world, login_client):
    visit, _ = services.visit_submit(actor=world.leader, data=world.visit_input())
    leader = login_client(world.leader)
    assert 'value="pass"' not in leader.get(f"/visits/{visit.uid}/").content.decode()
    assert f"/visits/{visit.uid}/" not in leader.get("/visits/reviews/").content.decode()
    leader.post(f"/visits/{visit.uid}/review/", {"decision": "pass", "version": "1"})
    visit.refresh_from_db()
    assert visit.state == Visit.State.SUBMITTED
    assert VisitTask.objects.count() == 0


def test_conflict_decided_on_the_review_page(world, login_client):
    from gridgov.people.models import Resident
    from gridgov.visits.models import Correction

    data = world.visit_input(
        corrections=[{"resident": str(world.head.uid), "field": "phone", "value": "13700001111"}]
    )
    visit, _ = services.visit_submit(actor=world.worker, data=data)
    people.resident_update(
        actor=world.staff,
        resident=world.head,
        data={"phone": "13655556666"},
        expected_version=world.head.version,
    )
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=1)
    correction = Correction.objects.get(visit=visit)
    staff = login_client(world.staff)
    page = staff.get("/visits/reviews/").content.decode()
    assert f"/visits/conflicts/{correction.uid}/" in page and "136****6666" in page
    assert (
        staff.post(f"/visits/conflicts/{correction.uid}/", {"take": "proposal"}).status_code == 302
    )
    correction.refresh_from_db()
    assert correction.status == Correction.Status.APPLIED
    assert Resident.objects.get(pk=world.head.pk).phone_masked == "137****1111"


def test_the_visit_list_is_kept_for_offline_use(client):
    assert "/visits/today/" in client.get("/sw.js").content.decode()


def test_the_paper_form_is_a_masked_pdf_of_the_short_form_and_printing_is_audited(
    world, login_client
):
    from pypdf import PdfReader

    from gridgov.audit.models import AuditRecord
    from gridgov.visits.models import Indicator

    client = login_client(world.worker)
    response = client.get(
        f"/visits/households/{world.household.uid}/paper.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)  # kept to be looked at
    (ARTEFACTS / "paper-form.pdf").write_bytes(response.content)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert "入户走访简表" in compact and world.household.number in compact
    assert "王建国" not in compact and "13812345678" not in compact  # masked only
    assert "王**" in compact or "王*" in compact
    short = Indicator.objects.filter(is_active=True, short_form=True, sensitivity="normal")
    assert short.exists()
    for indicator in short[:5]:
        assert indicator.name.replace(" ", "") in compact, indicator.name
    record = AuditRecord.objects.get(action="visits.paper_form.print")
    assert record.changes["household"] == world.household.number
    outside = client.get(f"/visits/households/{world.household_out.uid}/paper.pdf")
    assert outside.status_code == 404
    assert AuditRecord.objects.filter(action="visits.paper_form.print").count() == 1


def test_spot_checks_are_drawn_and_recorded_on_their_pages(world, login_client):
    from gridgov.visits.models import SpotCheck, SpotCheckDraw
    from gridgov.visits.tests.test_tasks_and_spot_checks import _approved_visits, _households

    _approved_visits(world, _households(world, 2), [world.worker2, world.worker])
    period = timezone.localdate().strftime("%Y-%m")
    staff = login_client(world.staff)
    bad = staff.post(
        "/visits/spot-checks/",
        {"community": world.org["c1"].code, "period": "last month"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()
    assert not SpotCheckDraw.objects.exists()
    drawn = staff.post(
        "/visits/spot-checks/", {"community": world.org["c1"].code, "period": period}
    )
    assert drawn.status_code == 302 and SpotCheckDraw.objects.count() == 1

    leader = login_client(world.leader)
    page = leader.get("/visits/spot-checks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    check = SpotCheck.objects.select_related("visit__household").get(collector=world.worker)
    assert f"/visits/spot-checks/{check.uid}/" in page and "待抽查" in page
    form = leader.get(f"/visits/spot-checks/{check.uid}/").content.decode()
    assert 'name="f_B01"' in form
    done = leader.post(f"/visits/spot-checks/{check.uid}/", {"f_B01": "match", "f_B02": "mismatch"})
    assert done.status_code == 302
    check.refresh_from_db()
    assert check.result == SpotCheck.Result.MISMATCH and check.fields == {
        "B01": True,
        "B02": False,
    }
    assert check.correction_task.assignee == world.worker
    # The reviewer may not check what they reviewed: the page says so, nothing changes.
    other = SpotCheck.objects.get(collector=world.worker2)
    refused = login_client(world.staff).post(
        f"/visits/spot-checks/{other.uid}/", {"f_B01": "match"}, follow=True
    )
    other.refresh_from_db()
    assert refused.status_code == 200 and other.checked_at is None


def test_staff_see_the_areas_due_visits_and_reassign_or_cancel_them(world, login_client):
    from gridgov.audit.models import AuditRecord

    services.tasks_generate(grid=world.org["g1a"])
    task = VisitTask.objects.get(household=world.household, status="open")
    staff = login_client(world.staff)
    page = staff.get("/visits/tasks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "辖区待走访" in page and world.household.number in page
    assert world.household_out.number not in page
    other = world.worker2 if task.assignee == world.worker else world.worker
    moved = staff.post(
        "/visits/tasks/",
        {"task": str(task.uid), "version": task.version, "assignee": other.username},
    )
    task.refresh_from_db()
    assert moved.status_code == 302 and task.assignee == other
    assert AuditRecord.objects.filter(action="visits.task.reassign").count() == 1
    stale = staff.post(
        "/visits/tasks/",
        {"task": str(task.uid), "version": task.version - 1, "action": "cancel"},
        follow=True,
    )
    task.refresh_from_db()
    assert stale.status_code == 200 and task.status == "open"  # someone changed it first
    staff.post(
        "/visits/tasks/", {"task": str(task.uid), "version": task.version, "action": "cancel"}
    )
    task.refresh_from_db()
    assert task.status == "cancelled"
    assert staff.post("/visits/tasks/", {"task": "not-a-uuid", "version": 1}).status_code == 404
    outsider = login_client(world.outsider)
    assert outsider.post("/visits/tasks/", {"task": str(task.uid), "version": 1}).status_code == 404
