"""A vote in a real browser: staff set it up and open it on a desktop, a resident casts on
the phone and gets the receipt, checks it, staff close it and read the result. Both
widths and both languages: no horizontal overflow, axe-clean; screenshots go to
var/test-artifacts/votes/ (or $GRIDGOV_SHOTS)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.participation.models import Topic
from gridgov.participation.tests.vote_world import bind, household, resident
from gridgov.participation.workflow import move_topic
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(
    os.environ.get("GRIDGOV_SHOTS")
    or Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "votes"
)


def _fits(page, name: str) -> None:
    assert_fits(page, name)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_set_up_cast_on_the_phone_close_and_read(page, org_tree, make_user):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    topic = Topic.objects.create(
        org_unit=org_tree["c1"],
        title="3号楼加装电梯",
        source=Topic.Source.COMMITTEE,
        created_by=staff,
        is_major=True,
    )
    move_topic(actor=staff, topic=topic, action="select", version=1)
    voter = make_user(Role.RESIDENT, org_tree["g1a"], username="voter")
    bind(voter, resident(household(org_tree["g1a"], "301"), "张居民"))
    resident(household(org_tree["g1a"], "302"), "李居民")

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "keeper")
    page.goto(f"{page.base}/participation/votes/")
    _fits(page, "list-zh-hans-1280")
    page.get_by_role("link", name="发起表决").click()
    page.get_by_label("表决事项").fill("是否同意3号楼加装电梯？")
    page.get_by_label("选项（每行一个）").fill("同意\n不同意")
    closes = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("截止时间").fill(closes)
    _fits(page, "setup-zh-hans-1280")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="开始表决").click()
    assert "0 / 2" in page.locator("#turnout").inner_text()
    _fits(page, "open-zh-hans-1280")
    vote_url = page.url
    assert not page.console_errors, page.console_errors

    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "voter")
    page.goto(f"{page.base}/participation/me/votes/")
    _fits(page, "my-votes-zh-hans-390")
    page.get_by_role("link", name="去投票").click()
    _fits(page, "ballot-zh-hans-390")
    page.locator("label[for=choice-0]").click()
    page.get_by_role("button", name="投票").click()
    receipt = page.locator("#receipt .font-monospace").inner_text().strip()
    assert len(receipt) == 14
    _fits(page, "receipt-zh-hans-390")
    page.get_by_role("link", name="核对我的回执").click()
    page.get_by_label("回执码").fill(receipt)
    page.get_by_role("button", name="核对").click()
    page.locator("#counted").wait_for()  # the page after the post, not the form's
    _fits(page, "check-zh-hans-390")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "Check my receipt" in page.content()
    _fits(page, "check-en-390")
    assert not page.console_errors, page.console_errors

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "keeper")
    page.goto(vote_url)
    page.get_by_role("button", name="结束并计票").click()
    # 1 of 2 took part: exactly half is no quorum.
    assert "未达法定人数" in page.locator("#vote-outcome").inner_text()
    assert "1 / 2" in page.locator("#turnout").inner_text()
    _fits(page, "result-zh-hans-1280")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert "no quorum" in page.locator("#vote-outcome").inner_text()
    _fits(page, "result-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page, "result-en-390")
    assert not page.console_errors, page.console_errors
