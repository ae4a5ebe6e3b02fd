"""Residents' feedback on their chat groups in a real browser: a resident rates the group
serving their compound and sends a suggestion on the phone; community staff pick it as a
金点子 on a desktop, in English. No horizontal overflow, axe-clean; screenshots go to
var/test-artifacts/group-feedback/ (<page>-<lang>-<width>.png)."""

from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "group-feedback"


def test_resident_rates_and_suggests_staff_pick(page, org_tree, make_user):
    from gridgov.groups import services
    from gridgov.groups.models import GroupRating, Suggestion
    from gridgov.groups.tests.world import compounds_of, group_data
    from gridgov.org.models import Room
    from gridgov.people import services as people
    from gridgov.residents.services import bind_account

    places = compounds_of(org_tree)
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    group = services.group_create(actor=staff, data=group_data(places))
    services.group_transition(actor=staff, group=group, action="approve", version=1)
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="1-101", address="幸福家园1号楼101", kind="family"
    )
    household.room = Room.objects.create(building=places["happy_1"], unit_number="1", number="101")
    household.save()
    resident = people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "王秀英",
            "id_type": "none",
            "sex": "F",
            "birth_date": "1946-03-08",
            "relation": "head",
            "registration": "permanent",
        },
    )
    account = make_user(Role.RESIDENT, org_tree["c1"], username="wangxiuying")
    bind_account(staff, user=account, resident=resident)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "wangxiuying")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/resident/")
    page.wait_for_load_state()
    assert "幸福家园3栋服务群" in page.locator("#resident-groups").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="4 星").click()
    assert "您评了 4 星" in page.locator("#resident-groups").inner_text()
    page.locator("textarea").first.fill("晚上九点后也希望有人回复，电话13812345678")
    with page.expect_navigation():
        page.get_by_role("button", name="发送建议").click()
    assert "建议已发送" in page.locator("main").inner_text()
    assert_fits(page, "resident")
    page.screenshot(path=str(ARTEFACTS / "resident-zh-hans-390.png"), full_page=True)
    assert GroupRating.objects.get().stars == 4
    assert "13812345678" not in Suggestion.objects.get().text
    assert not page.console_errors, page.console_errors

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "juwei")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/suggestions/")
    page.wait_for_load_state()
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Pick as 金点子").click()
    assert "金点子" in page.locator("#suggestion-list").inner_text()
    assert "1" in page.locator("#golden-count").inner_text()
    assert_fits(page, "suggestions")
    page.screenshot(path=str(ARTEFACTS / "suggestions-en-1280.png"), full_page=True)
    assert Suggestion.objects.get().golden
    assert not page.console_errors, page.console_errors
