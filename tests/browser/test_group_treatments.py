"""The treatments of the classes in a real browser: community staff pair a 潜力提升群 with a
高效能群 from the group's page on a phone, then read the area's pairings and split-or-merge
tasks; the same list in English on a desktop. No horizontal overflow, axe-clean; screenshots
go to var/test-artifacts/groups/ (<page>-<lang>-<width>.png)."""

from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "groups"


def test_pair_a_group_and_read_the_treatments(page, org_tree, make_user):
    from gridgov.groups import services
    from gridgov.groups.models import Pairing, RestructureTask
    from gridgov.groups.services_snapshots import snapshot_save
    from gridgov.groups.tests.world import compounds_of, group_data

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    mentor_admin = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="qunzhu")
    places = compounds_of(org_tree)

    def registered(name, month_values, **extra):
        group = services.group_create(actor=staff, data=group_data(places, name=name, **extra))
        group = services.group_transition(actor=staff, group=group, action="approve", version=1)
        snapshot_save(actor=staff, group=group, month="2026-10", data=month_values)
        return group

    mentee = registered("幸福家园3栋互助群", {"activity_pct": 60})
    registered(
        "和平里示范服务群",
        {"activity_pct": 88, "response_hours": 1, "satisfaction_pct": 95},
        admins=[{"user": mentor_admin.username}],
    )
    registered("幸福家园综合群", {"activity_pct": 60, "mixed_function": True})
    assert RestructureTask.objects.count() == 1
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "juwei")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/{mentee.uid}/")
    treatment = page.locator("#group-treatment")
    assert "结对帮扶" in treatment.inner_text()
    page.locator("#mentor").select_option(label="和平里示范服务群 · 宛平南路社区")
    with page.expect_navigation():
        treatment.get_by_role("button").click()
    assert Pairing.objects.filter(mentee=mentee).exists()
    assert "和平里示范服务群" in page.locator("#group-treatment").inner_text()
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "paired-zh-hans-390.png"), full_page=True)

    page.goto(f"{page.base}/groups/treatments/")
    page.wait_for_load_state()
    listing = page.locator("main").inner_text()
    assert "幸福家园3栋互助群" in listing and "和平里示范服务群" in listing
    assert "幸福家园综合群" in listing
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "treatments-zh-hans-390.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    listing = page.locator("main").inner_text()
    assert "Mentor" in listing or "mentor" in listing, listing[:400]
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "treatments-en-1280.png"), full_page=True)
    assert not page.console_errors, page.console_errors
