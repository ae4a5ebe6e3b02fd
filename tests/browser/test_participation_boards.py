"""The resident's board (phone, 390 px) and the staff's boards and bylaws pages (desktop,
1280 px), in Chinese and in English: nothing wider than the screen, no serious or critical
axe-core finding, the household without consent shown by building only; screenshots in
var/test-artifacts/boards/ (or $BOARDS_SHOTS)."""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from tests.browser.axe import axe_violations
from tests.browser.test_layout import _session_cookies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTEFACTS = Path(
    os.environ.get("BOARDS_SHOTS")
    or Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "boards"
)
OVERFLOW = """() => [...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 1
    && !e.closest('.table-responsive') && !e.closest('.overflow-auto'))
  .slice(0, 3).map((e) => e.tagName + '.' + e.className)"""


def test_boards_fit_phone_and_desktop_in_both_languages(browser, live_server, org_tree, make_user):
    from gridgov.org.models import Building, Compound, GridAssignment
    from gridgov.participation import services_boards as services
    from gridgov.participation.tests.test_boards import ARTICLES, _household
    from gridgov.residents.services import bind_account

    tree = org_tree
    staff = make_user(Role.COMMUNITY_STAFF, tree["c1"], username="c1staff")
    worker = make_user(Role.GRID_WORKER, tree["g1a"], username="gw", display_name="王小明")
    GridAssignment.objects.create(
        grid=tree["g1a"], user=worker, duty="full_time", start_date=timezone.localdate()
    )
    compound = Compound.objects.create(community=tree["c1"], name="宛平小区", kind="old")
    b3 = Building.objects.create(compound=compound, grid=tree["g1a"], number="3号楼")
    named = _household(staff, tree, "g1a", b3, "H301", "301", "赵秀英")
    hidden = _household(staff, tree, "g1a", b3, "H302", "302", "钱建国")
    bylaw = services.bylaw_create(
        staff,
        community=tree["c1"],
        data=services.BylawInput(
            title="宛平南路社区公约", adopted_on="2026-03-01", articles=ARTICLES
        ),
    )
    today = timezone.localdate().isoformat()
    first = bylaw.articles.get(number=1)
    entry = services.entry_create(
        staff,
        community=tree["c1"],
        data=services.EntryInput(
            colour="red", household=str(named.uid), article=first.pk, occurred_on=today
        ),
    )
    services.entry_consent(staff, entry=entry, consent_on=today, public_name="赵家", version=1)
    black = services.entry_create(
        staff,
        community=tree["c1"],
        data=services.EntryInput(
            colour="black",
            household=str(hidden.uid),
            article=bylaw.articles.get(number=2).pk,
            occurred_on=today,
            evidence="车辆占用消防通道，拍照留存",
        ),
    )
    # Last month's service board, as published: one red, one black, one without enough data.
    from gridgov.participation.models import ServiceBoardEntry
    from gridgov.participation.service_board import previous_month_label

    last = previous_month_label()
    for n, (name, band, rank, score, ratings) in enumerate(
        [
            ("王小明", "red", 1, 94.5, 23),
            ("李娜", "black", 2, 58.2, 17),
            ("陈刚", "insufficient", None, None, 3),
        ]
    ):
        user = worker if n == 0 else make_user(Role.GRID_WORKER, tree["g1b"], username=f"gw{n}")
        ServiceBoardEntry.objects.create(
            community=tree["c1"],
            scope_path=tree["c1"].path,
            period=last,
            worker=user,
            shown_name=name,
            band=band,
            rank=rank,
            score=score,
            satisfaction=score,
            ratings=ratings,
            on_time=None,
            handled=0,
            rule="insufficient" if rank is None else "threshold",
            policy_version=0,
            computed_at=timezone.now(),
        )
    resident = make_user(Role.RESIDENT, tree["g1a"], username="resi")
    bind_account(staff, user=resident, resident=named.members.get())
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = []
    pages = [
        (resident, "mine", "/participation/me/boards/", 390),
        (resident, "mine-last-month", f"/participation/me/boards/?period={last}", 390),
        (staff, "staff-board", f"/participation/boards/?community={tree['c1'].code}", 1280),
        (staff, "entries", f"/participation/compliance/?community={tree['c1'].code}", 1280),
        (staff, "entry", f"/participation/compliance/{black.uid}/", 1280),
        (staff, "bylaws", "/participation/bylaws/", 1280),
        (staff, "bylaw-edit", f"/participation/bylaws/{bylaw.pk}/", 1280),
        (staff, "staff-board-phone", f"/participation/boards/?community={tree['c1'].code}", 390),
    ]
    for language in ("zh-hans", "en"):
        for user, name, path, width in pages:
            context.clear_cookies()
            context.add_cookies(_session_cookies(user, live_server, language))
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            over = page.evaluate(OVERFLOW)
            if over:
                problems.append(f"{name} {language} {width}: wider than the screen {over}")
            page.screenshot(path=str(ARTEFACTS / f"{name}-{language}-{width}.png"), full_page=True)
            problems += [f"{name} {language}: axe {v}" for v in axe_violations(page)]
            if name in {"mine", "staff-board"}:
                text = page.inner_text("main")
                assert "赵家" in text
                assert "钱建国" not in text and "302" not in text and "H302" not in text
                assert "3号楼" in text
        # The resident's text is large: the board's names at least 20 px on the phone.
        context.clear_cookies()
        context.add_cookies(_session_cookies(resident, live_server, language))
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(live_server.url + "/participation/me/boards/")
        size = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('#red-list .fw-bold')).fontSize)"
        )
        assert size >= 19, size
    context.close()
    assert not problems, problems
