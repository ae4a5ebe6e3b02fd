"""The collection plan in a real browser: community staff see each compound's collection
method, share aged 60+ with the assisted flag, the functions its groups leave unmet and the
grid workers' load, on the phone and on a desktop, in Chinese and English; the methods and
flags are beside the compounds on the registration form. No horizontal overflow, axe-clean;
screenshots go to var/test-artifacts/groups/ (<page>-<lang>-<width>.png)."""

from datetime import date
from pathlib import Path

import pytest

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "groups"


def _world(org_tree, make_user):
    from gridgov.groups.models import Group
    from gridgov.groups.tests.test_collection import _household, _residents
    from gridgov.groups.tests.world import compounds_of
    from gridgov.org.models import Compound, GridAssignment

    places = compounds_of(org_tree)
    Compound.objects.filter(pk=places["peace"].pk).update(household_count=2)
    Compound.objects.filter(pk=places["happy"].pk).update(household_count=520)
    _residents(_household(org_tree["g1a"], places["peace_1"], "101"), [72, 66, 35])
    _residents(_household(org_tree["g1a"], places["peace_1"], "102"), [40, 12])
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="wangge")
    GridAssignment.objects.create(
        user=worker, grid=org_tree["g1a"], duty="full_time", start_date=date(2025, 1, 1)
    )
    for name, function, compound in [
        ("和平里通知群", "notice", "peace"),
        ("和平里综合群", "mixed", "peace"),
        ("幸福家园通知群", "notice", "happy"),
        ("幸福家园服务群", "service", "happy"),
    ]:
        group = Group.objects.create(
            name=name,
            platform="wechat",
            function=function,
            manager="committee",
            community=org_tree["c1"],
            scope_path=org_tree["c1"].path,
            state="approved",
            responsible=worker,
        )
        group.compounds.set([places[compound]])
    return places


def test_collection_plan_pages(page, org_tree, make_user):
    places = _world(org_tree, make_user)
    make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "juwei")
    page.wait_for_load_state()
    page.goto(f"{page.base}/groups/collection/")
    plan = page.locator(f"#plan-{places['peace'].pk}").inner_text()
    assert "楼栋长代为填报+社区抽查" in plan and "专人上门协助" in plan, plan
    # 2 of 5 residents aged 60+; a 通知群 and a 综合群 (which counts for nothing by default).
    assert "40.0 %" in plan and "未满足：服务群、互助群" in plan, plan
    happy = page.locator(f"#plan-{places['happy'].pk}").inner_text()
    assert "线上问卷+实地核查" in happy and "60岁以上比例未知" in happy, happy
    # The grid worker is responsible for 4 groups: within 3–5, not flagged.
    assert page.locator(".worker-row[data-flag='']").count() == 1
    assert "4 个群" in page.locator("#worker-loads").inner_text()
    assert_fits(page, "plan-zh-390")
    page.screenshot(path=str(ARTEFACTS / "collection-zh-hans-390.png"), full_page=True)

    page.goto(f"{page.base}/groups/new/")
    assert page.locator("#compound-choices .compound-plan[data-assisted='yes']").count() == 1
    assert_fits(page, "form-zh-390")
    page.screenshot(path=str(ARTEFACTS / "register-plan-zh-hans-390.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base}/groups/collection/")
    assert_fits(page, "plan-zh-1280")
    page.screenshot(path=str(ARTEFACTS / "collection-zh-hans-1280.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    plan = page.locator(f"#plan-{places['peace'].pk}").inner_text()
    assert "building head fills in" in plan, plan
    assert "unmet: service group (服务群)、mutual-aid group (互助群)" in plan, plan
    assert_fits(page, "plan-en-1280")
    page.screenshot(path=str(ARTEFACTS / "collection-en-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base}/groups/collection/")
    assert_fits(page, "plan-en-390")
    page.screenshot(path=str(ARTEFACTS / "collection-en-390.png"), full_page=True)
    assert not page.console_errors, page.console_errors
