"""The inventory campaign in a real browser: the street opens its campaign board on day 40
(milestones in colours, the communities' six indicators, the daily report check), then a
resident opens the public progress page from its QR link without signing in. Phone (390 px)
and desktop (1280 px), zh-Hans and English: no horizontal overflow, axe-clean; screenshots
go to var/test-artifacts/groups-campaign/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "groups-campaign"


def _world(org_tree, make_user):
    from gridgov.groups import services
    from gridgov.groups import services_campaigns as campaigns
    from gridgov.groups.services_snapshots import snapshot_save
    from gridgov.groups.tests.world import compounds_of, group_data

    street = make_user(Role.STREET_STAFF, org_tree["s1"], username="street")
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    places = compounds_of(org_tree)
    today = timezone.localdate()
    for i in range(4):
        group = services.group_create(
            actor=staff,
            data=group_data(
                places,
                name=f"浏览器盘点群{i}",
                has_charter=True,
                has_admin=True,
                has_review=True,
                has_emergency_plan=i != 3,
                members_total=120,
                verified_residents=90,
            ),
        )
        group = services.group_transition(actor=staff, group=group, action="approve", version=1)
        if i < 3:
            snapshot_save(
                actor=staff,
                group=group,
                month=today.replace(day=1),
                data={"members_total": 120, "activity_pct": 70},
            )
    campaign = campaigns.campaign_create(
        actor=street,
        unit_code=org_tree["s1"].code,
        name="天平路街道小区群盘点",
        start_on=today - timedelta(days=39),
    )
    for day, late in [(10, 0), (15, 0), (25, 2)]:
        milestone = campaign.milestones.get(day=day)
        campaigns.milestone_done(
            actor=street,
            milestone=milestone,
            evidence_note="验收材料已归档",
            done_on=milestone.due_on + timedelta(days=late),
            version=milestone.version,
        )
    return campaign


def _shot(page, name: str) -> None:
    assert_fits(page, name)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_board_and_public_page_at_both_widths_in_both_languages(page, org_tree, make_user):
    campaign = _world(org_tree, make_user)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, "street")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/campaigns/{campaign.uid}/")
    assert "第40天" in page.locator("#campaign-day").inner_text()
    assert "实施阶段" in page.locator("#campaign-day").inner_text()
    colours = {
        m.get_attribute("data-day"): m.locator(".milestone-colour").get_attribute("data-colour")
        for m in page.locator(".milestone").all()
    }
    assert colours["10"] == "success" and colours["25"] == "warning"
    collection = page.locator('#community-board .indicator[data-code="collection"]').first
    assert "75.0%" in collection.inner_text() and collection.get_attribute("data-colour") == (
        "danger"
    )
    assert "盘点进度公示页二维码" in page.content()
    _shot(page, "board-zh-hans-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    _shot(page, "board-zh-hans-1280")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "day 40" in page.locator("#campaign-day").inner_text()
    assert "rules and training" in page.locator("#milestones").inner_text()
    _shot(page, "board-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _shot(page, "board-en-390")
    # The QR code is drawn by the server.
    qr = page.request.get(f"{page.base}/groups/campaigns/{campaign.uid}/qr.svg")
    assert qr.status == 200 and b"<svg" in qr.body()

    page.context.clear_cookies()
    page.goto(f"{page.base}/groups/progress/{campaign.public_token}/")
    body = page.content()
    assert "天平路街道小区群盘点" in body and "浏览器盘点群" not in body
    assert "keeper" not in body  # no names of people
    _shot(page, "public-zh-hans-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    _shot(page, "public-zh-hans-1280")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "Progress of the communities" in page.content()
    _shot(page, "public-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _shot(page, "public-en-390")
    assert not page.console_errors, page.console_errors
