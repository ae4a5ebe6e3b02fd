"""A volunteer's shift in a real browser: the volunteer finds an open shift on the phone,
signs up, checks in and out with the phone's location (geolocation granted, at the
place), and the organiser approves the hours with a rating on a desktop; the volunteer
list shows the hours. Both widths and both languages: no horizontal overflow, axe-clean;
screenshots go to var/test-artifacts/volunteers/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "volunteers"
PLACE = (121.405, 31.205)


def _world(org_tree, make_user):
    from gridgov.participation import services_volunteers as services
    from gridgov.people import services as people
    from gridgov.residents.services import bind_account

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="organiser")
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="8", address="宛平南路8号", kind="family"
    )
    resident = people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "李志愿",
            "id_type": "none",
            "sex": "F",
            "birth_date": "1980-01-01",
            "phone": "13912345678",
            "relation": "head",
            "registration": "permanent",
        },
    )
    volunteer = make_user(Role.VOLUNTEER, org_tree["c1"], username="volunteer")
    bind_account(staff, user=volunteer, resident=resident)
    services.register_volunteer(actor=volunteer, data={"skills": ["care"]})
    activity = services.activity_create(
        actor=staff,
        data={
            "org_unit": org_tree["c1"].code,
            "title": "平安巡防",
            "place": "社区警务室门口",
            "lon": PLACE[0],
            "lat": PLACE[1],
        },
    )
    start = timezone.now() + timedelta(minutes=10)
    services.shift_create(
        actor=staff,
        activity=activity,
        data={"start": start, "end": start + timedelta(hours=2), "slots": 3},
    )


def _shot(page, name):
    assert_fits(page, name)
    page.screenshot(path=str(ARTEFACTS / name), full_page=True)


def test_sign_up_check_in_out_on_the_phone_and_approve_on_the_desktop(
    browser, live_server, org_tree, make_user
):
    _world(org_tree, make_user)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        geolocation={"longitude": PLACE[0] + 0.0005, "latitude": PLACE[1]},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    page.base = live_server.url
    sign_in(page, "volunteer")
    page.goto(f"{page.base}/participation/me/volunteer/")
    assert "志愿者编号" in page.content() or "ZY000001" in page.content()
    _shot(page, "me-zh-hans-390.png")
    page.get_by_role("link", name="找班次报名").click()
    _shot(page, "shifts-zh-hans-390.png")
    page.get_by_role("button", name="报名").click()
    assert "已报名" in page.locator("#record-state").inner_text()
    # The form posts once the browser gives the position: wait for the answer.
    page.get_by_role("button", name="在此签到").click()
    page.get_by_role("button", name="签退").wait_for()
    assert "签到" in page.locator("#record-state").inner_text()
    assert "已签到" in page.content()
    _shot(page, "checked-in-zh-hans-390.png")
    page.get_by_role("button", name="签退").click()
    page.wait_for_function(
        "() => document.querySelector('#record-state').innerText.includes('待确认')"
    )
    _shot(page, "checked-out-zh-hans-390.png")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "waiting for approval" in page.locator("#record-state").inner_text()
    _shot(page, "checked-out-en-390.png")

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "organiser")
    page.goto(f"{page.base}/participation/volunteers/approvals/")
    page.wait_for_load_state()
    _shot(page, "approvals-zh-hans-1280.png")
    row = page.locator(".approval-row").first
    row.locator("input[name=hours]").fill("1.5")
    row.locator("select[name=rating]").select_option("5")
    row.locator("button").click()
    page.wait_for_load_state()
    page.locator("#no-approvals").wait_for()  # the page after the post, not the form's
    page.goto(f"{page.base}/participation/volunteers/")
    assert "1.5" in page.locator("#volunteer-table").inner_text()
    assert "李*" in page.content() and "李志愿" not in page.content()
    assert "139****5678" in page.content()
    _shot(page, "volunteers-zh-hans-1280.png")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "Approved hours" in page.content()
    _shot(page, "volunteers-en-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "volunteers-en-390.png")
    page.goto(f"{page.base}/participation/volunteers/activities/")
    page.locator("#activity-table a").first.click()
    _shot(page, "activity-en-390.png")
    assert not errors, errors
    context.close()
