"""The grid service board 网格服务红黑榜: the ranking on hand-computed figures (weights, ties,
bands in both modes, the minimum of ratings), then the figures read from the events and
service orders of one community in October 2026 (the lists' hand-built month), and the
monthly publication with its policy version."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.services import policy_update
from gridgov.events.models import Event
from gridgov.lists.tests import month as built
from gridgov.org.models import GridAssignment
from gridgov.participation import service_board
from gridgov.participation.models import ServiceBoardEntry
from gridgov.participation.policies_boards import ServiceBoardPolicy
from gridgov.participation.selectors_boards import public_board
from gridgov.participation.service_board import Figures, rank_workers

F = Figures


def _bands(lines):
    return {x.name: (x.band, x.rank, x.score) for x in lines}


def test_score_weights_and_the_minimum_of_ratings():
    policy = ServiceBoardPolicy()  # threshold mode: red ≥ 90, black < 60; 70/30; min 5
    lines = rank_workers(
        [
            # 9 of 10 good = 90 %, 4 of 5 on time = 80 % → 0.7·90 + 0.3·80 = 87
            F(1, "甲", good=9, ratings=10, on_time=4, handled=5),
            # 5 of 5 = 100 %, no events handled → the satisfaction carries the weight: 100
            F(2, "乙", good=5, ratings=5),
            # 2 of 6 = 33.33 %, 1 of 2 = 50 % → 23.331 + 15 = 38.33
            F(3, "丙", good=2, ratings=6, on_time=1, handled=2),
            # 4 ratings: fewer than 5, never ranked, whatever the figures
            F(4, "丁", good=4, ratings=4, on_time=9, handled=9),
            # nothing at all
            F(5, "戊"),
        ],
        policy,
        version=0,
    )
    assert _bands(lines) == {
        "乙": ("red", 1, 100.0),
        "甲": ("middle", 2, 87.0),
        "丙": ("black", 3, 38.33),
        "丁": ("insufficient", None, None),
        "戊": ("insufficient", None, None),
    }
    # Red first, then the ranked, black, and the unranked last.
    assert [x.name for x in lines] == ["乙", "甲", "丙", "丁", "戊"]
    assert all(x.extra["policy_version"] == 0 for x in lines)
    assert {x.rule for x in lines} == {"threshold", "insufficient"}


def test_rank_mode_ties_share_rank_and_band():
    policy = ServiceBoardPolicy(band_mode="rank", red_count=1, black_count=1)
    lines = rank_workers(
        [
            F(1, "A", good=10, ratings=10),  # 100
            F(2, "B", good=10, ratings=10),  # 100, tied first
            F(3, "C", good=8, ratings=10),  # 80
            F(4, "D", good=5, ratings=10),  # 50
            F(5, "E", good=5, ratings=10),  # 50, tied last
            F(6, "F", good=7, ratings=10),  # 70
        ],
        policy,
        version=3,
    )
    # Ranks 1, 1, 3, 4, 5, 5: both first are red, both last black.
    assert _bands(lines) == {
        "A": ("red", 1, 100.0),
        "B": ("red", 1, 100.0),
        "C": ("middle", 3, 80.0),
        "F": ("middle", 4, 70.0),
        "D": ("black", 5, 50.0),
        "E": ("black", 5, 50.0),
    }


def test_rank_mode_never_bands_more_than_half():
    policy = ServiceBoardPolicy(band_mode="rank", red_count=3, black_count=3)
    two = rank_workers([F(1, "A", good=9, ratings=10), F(2, "B", good=6, ratings=10)], policy, 1)
    assert _bands(two) == {"A": ("red", 1, 90.0), "B": ("black", 2, 60.0)}
    one = rank_workers([F(1, "A", good=9, ratings=10)], policy, 1)
    assert _bands(one) == {"A": ("middle", 1, 90.0)}
    # All equal: nobody is better or worse; half of two rounds to one, both share rank 1.
    equal = rank_workers([F(1, "A", good=9, ratings=10), F(2, "B", good=9, ratings=10)], policy, 1)
    assert {x.band for x in equal} == {"red"}


def test_threshold_edges():
    policy = ServiceBoardPolicy(red_min_score=90, black_below_score=60)
    lines = rank_workers(
        [F(1, "A", good=9, ratings=10), F(2, "B", good=6, ratings=10), F(3, "C", 5, 9)],
        policy,
        0,
    )
    # 90 is red (at or above); 60 is not black (below); 55.56 is black.
    assert _bands(lines) == {
        "A": ("red", 1, 90.0),
        "B": ("middle", 2, 60.0),
        "C": ("black", 3, 55.56),
    }


def test_the_policy_refuses_nonsense():
    with pytest.raises(ValueError):
        ServiceBoardPolicy(satisfaction_weight=0, on_time_weight=0)
    with pytest.raises(ValueError):
        ServiceBoardPolicy(red_min_score=50, black_below_score=60)


# From the records ---------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _event(n, grid, worker, *, rating=None, fixed=None, handled=None, due=None, when=None):
    when = when or datetime(2026, 10, 16, 10, tzinfo=SHANGHAI)
    return Event.objects.create(
        tracking_code=f"B{n:07d}",
        channel="patrol",
        title="测试",
        grid=grid,
        scope_path=grid.path,
        reported_at=when - timedelta(days=2),
        classified_at=when - timedelta(days=2),
        assignee=worker,
        state="closed",
        rating=rating,
        actually_fixed=fixed,
        rated_at=when if rating else None,
        handled_at=handled,
        handle_due=due,
        closed_at=when,
    )


@pytest.fixture
def october(org_tree, make_user, time_machine):
    month = built.build(org_tree, make_user, time_machine)
    # o1 5★, o2 3★, o6 4★ rated on 19 Oct by the residents of g1a: 3 ratings, 2 good.
    tree = org_tree
    w1 = make_user(Role.GRID_WORKER, tree["g1a"], username="w1", display_name="王小明")
    w2 = make_user(Role.GRID_WORKER, tree["g1b"], username="w2", display_name="李娜")
    gone = make_user(Role.GRID_WORKER, tree["g1a"], username="gone")
    volunteer = make_user(Role.VOLUNTEER, tree["g1a"], username="vol")
    outsider = make_user(Role.GRID_WORKER, tree["g2a"], username="w_c2")
    duty = GridAssignment.Duty
    for user, grid, kind, start, end in [
        (w1, "g1a", duty.FULL_TIME, date(2026, 1, 1), None),
        (w2, "g1b", duty.PART_TIME, date(2026, 10, 10), None),
        (gone, "g1a", duty.FULL_TIME, date(2026, 1, 1), date(2026, 9, 30)),
        (volunteer, "g1a", duty.VOLUNTEER, date(2026, 1, 1), None),
        (outsider, "g2a", duty.FULL_TIME, date(2026, 1, 1), None),
    ]:
        GridAssignment.objects.create(
            grid=tree[grid], user=user, duty=kind, start_date=start, end_date=end
        )
    on_time = datetime(2026, 10, 15, 9, tzinfo=SHANGHAI)
    due = datetime(2026, 10, 15, 18, tzinfo=SHANGHAI)
    late = datetime(2026, 10, 16, 9, tzinfo=SHANGHAI)
    g1a, g1b, g2a = tree["g1a"], tree["g1b"], tree["g2a"]
    # w1: events rated 5, 4, 2, and 5 but not actually fixed → 2 good of 4;
    # handled 2 on time and 1 late (3 with a deadline) → on time 2 of 3.
    _event(1, g1a, w1, rating=5, handled=on_time, due=due)
    _event(2, g1a, w1, rating=4, handled=on_time, due=due)
    _event(3, g1a, w1, rating=2, handled=late, due=due)
    _event(4, g1a, w1, rating=5, fixed=False)
    # Not counted: in the other community, and in November.
    _event(5, g2a, w1, rating=1, handled=late, due=due)
    _event(6, g1a, w1, rating=1, when=datetime(2026, 11, 2, 10, tzinfo=SHANGHAI))
    # w2: five events of g1b rated 5, each handled on time.
    for n in range(10, 15):
        _event(n, g1b, w2, rating=5, handled=on_time, due=due)
    time_machine.move_to("2026-11-03 10:00 +08:00", tick=False)
    return {"month": month, "w1": w1, "w2": w2, "tree": tree}


def test_figures_from_events_and_service_orders(october):
    period = service_board.month_period("2026-10")
    figures = {f.name: f for f in service_board.figures_for(october["tree"]["c1"], period)}
    # The worker whose duty ended in September, the volunteer and c2's worker are not on it.
    assert set(figures) == {"王小明", "李娜"}
    w1 = figures["王小明"]
    # Events 2 good of 4, orders of g1a 2 good of 3.
    assert (w1.good, w1.ratings, w1.on_time, w1.handled) == (4, 7, 2, 3)
    w2 = figures["李娜"]
    assert (w2.good, w2.ratings, w2.on_time, w2.handled) == (5, 5, 5, 5)


def test_publication_stores_the_board_with_its_policy_version(october, make_user):
    c1 = october["tree"]["c1"]
    call_command("participation_boards", "--month", "2026-10")
    rows = {r.shown_name: r for r in ServiceBoardEntry.objects.filter(community=c1)}
    # 王小明: satisfaction 4/7 = 57.14, on time 2/3 = 66.67 → 0.7·57.14 + 0.3·66.67 = 60.0
    assert rows["王小明"].score == pytest.approx(60.0, abs=0.01)
    assert (rows["王小明"].band, rows["王小明"].rank) == ("middle", 2)
    assert (rows["李娜"].band, rows["李娜"].rank, rows["李娜"].score) == ("red", 1, 100.0)
    assert {r.policy_version for r in rows.values()} == {0}
    # One publication per community with workers: c1, and c2 (its worker has no ratings).
    assert AuditRecord.objects.filter(action="participation.service_board.publish").count() == 2
    (c2_line,) = ServiceBoardEntry.objects.exclude(community=c1)
    assert (c2_line.band, c2_line.rank, c2_line.score) == ("insufficient", None, None)
    # A new policy version: initials, rank mode; republishing shows the new version.
    admin = make_user(Role.SYSTEM_ADMIN, october["tree"]["d1"])
    policy_update(
        actor=admin,
        key="participation.service_board",
        value={"names": "initials", "band_mode": "rank", "red_count": 1, "black_count": 1},
        note="月度榜单改为排名制",
    )
    call_command("participation_boards", "--month", "2026-10")
    board = public_board(c1, "2026-10")
    assert [(s.name, s.band, s.policy_version) for s in board.service] == [
        ("李*", "red", 1),
        ("王**", "black", 1),
    ]
    assert "王小明" not in str(vars(board))
    assert "top 1 red" in board.service[0].rule


def test_a_running_month_is_not_published(october):
    from gridgov.audit.services import SystemActor
    from gridgov.core.errors import ValidationFailed
    from gridgov.participation.services_boards import publish_service_board

    with pytest.raises(ValidationFailed):
        publish_service_board(
            SystemActor("t"), community=october["tree"]["c1"], period_label="2026-11"
        )
    assert not ServiceBoardEntry.objects.exists()


def test_the_hourly_job_publishes_each_finished_month_once(october):
    """``--loop`` runs publish only the communities not yet published for last month, so the
    job's hourly runs after the first leave the stored board alone."""
    from gridgov.participation.services_boards import publish_service_boards

    assert publish_service_boards(period_label="2026-10", only_missing=True) == 3
    first = set(ServiceBoardEntry.objects.values_list("pk", flat=True))
    assert publish_service_boards(period_label="2026-10", only_missing=True) == 0
    assert set(ServiceBoardEntry.objects.values_list("pk", flat=True)) == first
    publishes = AuditRecord.objects.filter(action="participation.service_board.publish")
    assert publishes.count() == 2


def test_staff_publish_from_the_board_page_and_the_api(october, make_user, login_client):
    """The community's staff publish a finished month from the board page and through the
    API; a running month is refused with the reason and nothing is stored."""
    c1 = october["tree"]["c1"]
    staff = make_user(Role.COMMUNITY_STAFF, c1, username="keeper")
    client = login_client(staff)
    page = client.get(f"/participation/boards/?community={c1.code}&period=2026-10")
    assert b'id="board-publish"' in page.content
    running = client.get(f"/participation/boards/?community={c1.code}&period=2026-11")
    assert b'id="board-publish"' not in running.content
    answer = client.post(
        "/participation/boards/publish/", {"community": c1.code, "period": "2026-10"}, follow=True
    )
    assert "was published: 2 workers" in answer.content.decode()
    assert ServiceBoardEntry.objects.filter(community=c1, period="2026-10").count() == 2
    refused = client.post(
        "/api/v1/participation/boards/publish",
        {"community": c1.code, "period": "2026-11"},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "finished month" in refused.content.decode()
    assert not ServiceBoardEntry.objects.filter(period="2026-11").exists()
    again = client.post(
        "/api/v1/participation/boards/publish",
        {"community": c1.code, "period": "2026-10"},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["lines"] == 2
    worker = login_client(october["w1"], c=type(client)(HTTP_ACCEPT_LANGUAGE="en"))
    denied = worker.post(
        "/api/v1/participation/boards/publish",
        {"community": c1.code, "period": "2026-10"},
        content_type="application/json",
    )
    assert denied.status_code in (403, 404)
