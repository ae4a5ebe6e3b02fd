"""The quarterly cross-check 季度复核 in a real browser: one community worker entered the
quarter's reports; a second one opens the group on the phone, confirms two months and
records a discrepancy in the second (its note masked), then reads the community's board of
the quarter on a desktop, in Chinese and in English. No horizontal overflow, axe-clean;
screenshots go to var/test-artifacts/group-crosschecks/ (<page>-<lang>-<width>.png)."""

from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "group-crosschecks"


def test_second_person_cross_checks_the_quarter(page, org_tree, make_user):
    from gridgov.groups import services
    from gridgov.groups import services_crosschecks as xc
    from gridgov.groups.models import CrossCheck, CrossCheckDiscrepancy, Snapshot
    from gridgov.groups.services_snapshots import snapshot_save
    from gridgov.groups.tests.world import compounds_of, group_data

    places = compounds_of(org_tree)
    reporter = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="fuhe")
    group = services.group_create(actor=reporter, data=group_data(places))
    group = services.group_transition(actor=reporter, group=group, action="approve", version=1)
    other = services.group_create(actor=reporter, data=group_data(places, name="和平里通知群"))
    other = services.group_transition(actor=reporter, group=other, action="approve", version=1)
    quarter = xc.quarter_for(timezone.localdate())
    label = xc.quarter_label(quarter)
    snapshot_save(actor=reporter, group=other, month=quarter, data={"members_total": 80})
    for month in xc.quarter_months(quarter):
        snapshot_save(
            actor=reporter,
            group=group,
            month=month,
            data={"members_total": 200, "activity_pct": 62, "response_hours": 3},
        )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "fuhe")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/{group.uid}/")
    section = page.locator("#group-crosscheck")
    assert "季度复核" in section.inner_text() and label in section.inner_text()
    with page.expect_navigation():
        page.locator("#start-crosscheck").click()
    snaps = list(Snapshot.objects.filter(group=group).order_by("month"))
    page.locator(f"#confirm-{snaps[0].uid}-yes").check()
    page.locator(f"#confirm-{snaps[2].uid}-yes").check()
    page.locator(f"#confirm-{snaps[1].uid}-no").check()
    page.locator(".crosscheck-report").nth(1).locator("summary").click()
    page.locator(f"#ind-{snaps[1].uid}-0").select_option("members_total")
    page.locator(f"#found-{snaps[1].uid}-0").fill("185")
    page.locator(f"#note-{snaps[1].uid}-0").fill("群主电话13812345678，15人已退群")
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "form-zh-hans-390.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#save-crosscheck").click()
    done = page.locator("#group-crosscheck").inner_text()
    assert "185" in done and "13812345678" not in done, done
    assert page.locator("#start-crosscheck").count() == 0
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "group-zh-hans-390.png"), full_page=True)
    check = CrossCheck.objects.get()
    assert check.checked_by_name == "fuhe" and check.items.filter(confirmed=True).count() == 2
    assert "13812345678" not in CrossCheckDiscrepancy.objects.get().note
    assert not page.console_errors, page.console_errors

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base}/groups/cross-checks/")
    page.wait_for_load_state()
    rows = page.locator("#crosscheck-list").inner_text()
    assert group.name in rows and "和平里通知群" in rows
    assert page.locator(".crosscheck-row").count() == 2
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "board-zh-hans-1280.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert "Quarterly cross-checks" in page.content()
    assert "done" in page.locator("#crosscheck-list").inner_text()
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "board-en-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base}/groups/{group.uid}/")
    page.wait_for_load_state()
    assert "waiting for the correction" in page.locator("#group-crosscheck").inner_text()
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "group-en-390.png"), full_page=True)
    page.goto(f"{page.base}/groups/{other.uid}/cross-check/?quarter={label}")
    page.wait_for_load_state()
    assert "2 months of the quarter have no report" in page.locator("#months-missing").inner_text()
    assert page.locator(".crosscheck-report").count() == 1
    assert_fits(page)
    page.screenshot(path=str(ARTEFACTS / "form-en-390.png"), full_page=True)
    assert not page.console_errors, page.console_errors
