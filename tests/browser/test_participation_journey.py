"""Resident participation end to end, residents on a 390 px phone and staff at a desk:
a resident proposes, two neighbours co-sign, staff take the proposal into a topic, open a
vote, three residents vote, staff close it, record the decision and report back, and the
proposer reads the report-back; a volunteer signs up for a shift, checks in and out at
the place, the organiser approves the hours, the points and the banked hours appear on
the volunteer's pages and the volunteer redeems points for an item of the catalogue.
Every page on the way is axe-clean and no wider than the screen; screenshots go to
var/test-artifacts/participation/ (or $GRIDGOV_SHOTS)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.screens import assert_fits
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(
    os.environ.get("GRIDGOV_SHOTS")
    or Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "participation"
)
PLACE = (121.4052, 31.2051)


def _shot(page, name: str) -> None:
    assert_fits(page, name)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _world(org_tree, make_user) -> dict:
    from gridgov.core.services import policy_update
    from gridgov.participation import services_points as points
    from gridgov.participation import services_volunteers as volunteers
    from gridgov.participation.tests.ledger_world import resource
    from gridgov.people import services as people
    from gridgov.residents.services import bind_account

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="keeper")
    admin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    # Two co-signers make a proposal a candidate topic in this community.
    policy_update(
        actor=admin,
        key="participation.deliberation",
        value={"cosign_threshold": 2},
        note="two co-signers for this community's trial",
    )
    residents = {}
    for n, (username, name, role) in enumerate(
        [
            ("proposer", "王提案", Role.RESIDENT),
            ("cosigner1", "李附议", Role.RESIDENT),
            ("cosigner2", "赵附议", Role.RESIDENT),
            ("helper", "钱志愿", Role.VOLUNTEER),
        ]
    ):
        household = people.household_create(
            actor=staff, grid=org_tree["g1a"], number=f"J{n}", address=f"{n + 1}号楼", kind="family"
        )
        person = people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": "F",
                "birth_date": "1975-05-05",
                "relation": "head",
                "registration": "permanent",
            },
        )
        unit = org_tree["c1"] if role == Role.VOLUNTEER else org_tree["g1a"]
        bind_account(staff, user=make_user(role, unit, username=username), resident=person)
        residents[username] = person
    volunteer_user = residents["helper"].account.user
    volunteers.register_volunteer(actor=volunteer_user, data={"skills": ["care"]})
    activity = volunteers.activity_create(
        actor=staff,
        data={
            "org_unit": org_tree["c1"].code,
            "title": "楼道清洁",
            "place": "1号楼门口",
            "lon": PLACE[0],
            "lat": PLACE[1],
        },
    )
    start = timezone.now() + timedelta(minutes=10)
    volunteers.shift_create(
        actor=staff,
        activity=activity,
        data={"start": start, "end": start + timedelta(hours=2), "slots": 3},
    )
    item = points.item_create(
        actor=staff,
        org_unit_id=org_tree["c1"].pk,
        resource_uid=resource(org_tree["c1"]).uid,
        name="理发",
        price=10,
        stock=2,
    )
    return {"staff": staff, "residents": residents, "item": item}


def _as(page, username: str, width: int) -> None:
    page.context.clear_cookies()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, username)
    page.wait_for_load_state()


def test_propose_cosign_vote_decide_report_back_and_volunteer_earn_and_redeem(
    browser, live_server, org_tree, make_user
):
    from gridgov.participation import selectors_points as ledgers
    from gridgov.participation.models import Proposal, Redemption, Topic

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    world = _world(org_tree, make_user)
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        geolocation={"longitude": PLACE[0] + 0.0004, "latitude": PLACE[1]},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    page.base = live_server.url

    # A resident proposes on the phone; they land on their participation page.
    _as(page, "proposer", 390)
    assert page.url == f"{page.base}/participation/me/"
    _shot(page, "01-me-zh-hans-390")
    page.goto(f"{page.base}/participation/me/proposals/new/")
    page.locator("#title").fill("1号楼门口加装扶手")
    page.locator("#body").fill("老人进出不方便，建议在台阶两侧加装扶手。")
    page.locator("#org_unit").select_option(org_tree["c1"].code)
    _shot(page, "02-propose-zh-hans-390")
    page.locator("#propose-form button").click()
    page.wait_for_load_state()
    proposal = Proposal.objects.get(title="1号楼门口加装扶手")

    # Two neighbours co-sign it.
    for username in ("cosigner1", "cosigner2"):
        _as(page, username, 390)
        page.goto(f"{page.base}/participation/me/proposals/")
        page.locator(f"form[action*='{proposal.uid}'] button").click()
        page.wait_for_load_state()
        assert page.locator(".alert-success").count() == 1, username
    _shot(page, "03-cosigned-zh-hans-390")
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SECONDED

    # Staff take it into a new topic, select it, open the discussion and put it to the vote.
    _as(page, "keeper", 1280)
    page.goto(f"{page.base}/participation/proposals/")
    _shot(page, "04-proposals-zh-hans-1280")
    page.locator(f"form[action*='{proposal.uid}'] button[value=include]").click()
    page.wait_for_load_state()
    proposal.refresh_from_db()
    topic = proposal.topic
    assert topic is not None and topic.state == Topic.State.COLLECTING
    for action in ("select", "open_discussion"):
        page.goto(f"{page.base}/participation/topics/{topic.pk}/")
        page.locator(f"button[name=action][value={action}]").click()
        page.wait_for_load_state()
    _shot(page, "05-topic-zh-hans-1280")
    response = page.goto(f"{page.base}/participation/votes/new/{topic.pk}/")
    assert response.status == 200, (response.status, errors, page.content()[-3000:])
    page.get_by_label("表决事项").fill("是否同意在1号楼门口加装扶手？")
    page.get_by_label("选项（每行一个）").fill("同意\n不同意")
    closes = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("截止时间").fill(closes)
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="开始表决").click()
    page.wait_for_load_state()
    vote_url = page.url
    # The electorate, frozen now: the four adults living in the community.
    assert "0 / 4" in page.locator("#turnout").inner_text()

    # Three residents vote on the phone.
    for username in ("proposer", "cosigner1", "cosigner2"):
        _as(page, username, 390)
        page.goto(f"{page.base}/participation/me/votes/")
        page.get_by_role("link", name="去投票").click()
        page.locator("label[for=choice-0]").click()
        page.get_by_role("button", name="投票").click()
        page.wait_for_load_state()
        assert len(page.locator("#receipt .font-monospace").inner_text().strip()) == 14
    _shot(page, "06-receipt-zh-hans-390")

    # Staff close and count (3 of 4 took part, all agree), decide and report back.
    _as(page, "keeper", 1280)
    page.goto(vote_url)
    page.get_by_role("button", name="结束并计票").click()
    page.wait_for_load_state()
    assert "3 / 4" in page.locator("#turnout").inner_text()
    _shot(page, "07-result-zh-hans-1280")
    page.goto(f"{page.base}/participation/topics/{topic.pk}/decision/")
    page.locator("label[for=outcome-adopted]").click()
    page.locator("#summary").fill("同意加装扶手，由社区出资，两周内完成。")
    page.locator("#decision-form button").click()
    page.wait_for_load_state()
    page.goto(f"{page.base}/participation/topics/{topic.pk}/report-back/")
    page.locator("#report_text").fill("扶手已于本周安装完毕，欢迎居民检查使用。")
    page.locator("#report-form button").click()
    page.wait_for_load_state()
    topic.refresh_from_db()
    assert topic.state == Topic.State.REPORTED
    # The timeline names the vote's result in the reader's language, not by its code.
    timeline = page.locator("#timeline").inner_text()
    assert "表决结束：通过" in timeline and "3/4" in timeline and "close_vote" not in timeline
    _shot(page, "08-reported-zh-hans-1280")

    # The proposer reads the report-back; the adopted proposal earned points.
    _as(page, "proposer", 390)
    page.goto(f"{page.base}/participation/me/topics/{topic.pk}/")
    assert "扶手已于本周安装完毕" in page.content()
    _shot(page, "09-report-back-zh-hans-390")
    proposer = world["residents"]["proposer"]
    assert ledgers.balances(proposer)["points"] > 0

    # The volunteer signs up, checks in and out at the place.
    _as(page, "helper", 390)
    page.goto(f"{page.base}/participation/me/volunteer/")
    page.get_by_role("link", name="找班次报名").click()
    page.get_by_role("button", name="报名").click()
    page.wait_for_load_state()
    # The forms post the phone's position once the browser gives it: wait for the answer.
    page.get_by_role("button", name="在此签到").click()
    page.get_by_role("button", name="签退").wait_for()
    assert "已签到" in page.locator("#record-state").inner_text()
    page.get_by_role("button", name="签退").click()
    page.wait_for_function(
        "() => document.querySelector('#record-state').innerText.includes('待确认')"
    )
    _shot(page, "10-checked-out-zh-hans-390")

    # The organiser approves 1.5 hours.
    _as(page, "keeper", 1280)
    page.goto(f"{page.base}/participation/volunteers/approvals/")
    row = page.locator(".approval-row").first
    row.locator("input[name=hours]").fill("1.5")
    row.locator("select[name=rating]").select_option("5")
    row.locator("button").click()
    page.wait_for_load_state()
    page.locator("#no-approvals").wait_for()  # the page after the post, not the form's

    # Points and banked hours appear on the volunteer's pages; points buy a haircut.
    helper = world["residents"]["helper"]
    _as(page, "helper", 390)
    page.goto(f"{page.base}/participation/me/timebank/")
    assert page.locator("#hours-balance").inner_text() == "1.50"
    _shot(page, "11-timebank-zh-hans-390")
    page.goto(f"{page.base}/participation/me/points/")
    earned = int(page.locator("#points-balance").inner_text())
    assert earned == ledgers.balances(helper)["points"] > 0
    _shot(page, "12-points-zh-hans-390")
    page.get_by_role("link", name="积分兑换").click()
    page.get_by_role("button", name="兑换 理发").click()
    page.wait_for_load_state()
    code = page.locator("#pickup-code").inner_text().strip()
    assert len(code) == 8 and code.isdigit()
    _shot(page, "13-redeemed-zh-hans-390")
    assert Redemption.objects.filter(item=world["item"]).count() == 1
    assert ledgers.balances(helper)["points"] == earned - 10
    page.goto(f"{page.base}/participation/me/")
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Take part").wait_for()
    _shot(page, "14-me-en-390")
    assert not errors, errors
    context.close()
