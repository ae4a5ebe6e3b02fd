"""The visit campaign board (入户走访调度看板) on a 390 px phone and a 1366 px desktop: the
street's communities with coloured figures, no horizontal overflow of the page; screenshots go
to var/test-artifacts/visit-board/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import TEST_PASSWORD
from gridgov.accounts.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "visit-board"


def test_street_staff_read_the_board_on_a_phone_and_a_desktop(page, org_tree, make_user):
    import uuid

    from gridgov.kpis import daily
    from gridgov.org.models import GridAssignment
    from gridgov.people import services as people
    from gridgov.visits import services as visits

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="wgy")
    GridAssignment.objects.create(
        grid=org_tree["g1a"], user=worker, duty="full_time", start_date=timezone.localdate()
    )
    make_user(Role.STREET_STAFF, org_tree["s1"], username="jiedao")
    now = timezone.now()
    for i, outcome in enumerate(["refused", "not_home"]):
        home = people.household_create(
            actor=staff, grid=org_tree["g1a"], number=f"H{i}", address=f"{i}号", kind="family"
        )
        visits.visit_submit(
            actor=worker,
            data=visits.VisitInput(
                client_uuid=str(uuid.uuid4()),
                household=str(home.uid),
                outcome=outcome,
                refusal_reason="privacy" if outcome == "refused" else "",
                started_at=(now - timedelta(minutes=30)).isoformat(),
                ended_at=(now - timedelta(minutes=5)).isoformat(),
                versions={str(home.uid): home.version},
            ),
        )
    daily.refresh_recent()
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("用户名").fill("jiedao")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base + "/")
    page.get_by_role("link", name="入户走访调度看板").first.click()
    page.locator("#board-table").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        text = page.locator("#board-table").inner_text()
        assert "宛平南路社区" in text and "天平路街道" in text
        assert page.locator("#board-table .text-bg-danger").count() >= 2  # 拒访率 50 %
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        page.screenshot(path=str(ARTIFACTS / f"board-{width}.png"), full_page=True)
    assert "拒访率最高" not in page.content()  # one community: no "worst of" sentence
    assert not page.console_errors, page.console_errors
