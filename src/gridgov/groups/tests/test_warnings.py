"""Chat exports and early warning: the readers, the refusals (no consent, unknown format,
wrong encoding, too large, read twice) that store nothing, the figures of an export by
hand, de-duplication across exports, the spike rule on its boundaries, checking a
warning and turning it into a grid event, the risk index by hand, the retention purge
and the scope."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.notifications import Notification
from gridgov.groups import chat_formats, selectors_warnings, services
from gridgov.groups import services_messages as exports
from gridgov.groups import services_warnings as warnings
from gridgov.groups.models import ChatImport, ChatMessage, EarlyWarning, KeywordDay
from gridgov.groups.tests.world import compounds_of, group_data

BJ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 20, 0, tzinfo=BJ)


class Upload(io.BytesIO):
    name = "export.txt"


def upload(text: str, encoding="utf-8") -> Upload:
    return Upload(text.encode(encoding))


def chat(*lines: tuple[str, str, str]) -> str:
    """WeChat-tool text: (time, sender, text) → header line and body."""
    return "\n".join(f"{t} {who}\n{text}\n" for t, who, text in lines)


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    places = compounds_of(org_tree)
    group = services.group_create(
        actor=staff,
        data=group_data(places, members_total="40", age_60_plus="10", responsible=worker.username),
    )
    group = services.group_transition(actor=staff, group=group, action="approve", version=1)
    return {"staff": staff, "worker": worker, "group": group, "places": places, "tree": org_tree}


def consented(world):
    exports.consent_record(
        actor=world["staff"], group=world["group"], notice="群公告告知", noticed_on="2026-11-01"
    )
    return world["group"]


def stored_files() -> set[Path]:
    folder = Path(settings.DATA_DIR) / exports.EXPORT_FOLDER
    return set(folder.glob("*.bin")) if folder.is_dir() else set()


def kept_files() -> list[Path]:
    """The export files this test's rows name that exist."""
    paths = ChatImport.objects.values_list("stored_path", flat=True)
    return [Path(p) for p in paths if p and Path(p).exists()]


# Readers ---------------------------------------------------------------------------


def test_text_reader_wechat_and_qq_headers():
    text = (
        "2026-11-03 08:15:02 张三\n早上好\n第二行\n\n"
        "2026-11-03 08:16 李四(12345678)\n请问今天停水吗？\n"
        "2026/11/03 08:17:00 王五<wang@example.com>\n不停\n"
    )
    name, messages = chat_formats.detect(text)
    assert name == "text"
    assert [(m.sender, m.text) for m in messages] == [
        ("张三", "早上好\n第二行"),
        ("李四", "请问今天停水吗？"),
        ("王五", "不停"),
    ]
    assert messages[0].sent_at == datetime(2026, 11, 3, 8, 15, 2, tzinfo=BJ)


def test_csv_reader_named_columns_and_unix_seconds():
    _name, rows = chat_formats.detect("时间,发送者,内容\n2026-11-03 09:00:00,张三,你好\n")
    assert rows[0].sender == "张三" and rows[0].text == "你好"
    _name, rows = chat_formats.detect(
        "localId,CreateTime,NickName,StrContent\n1,1762131600,李四,在吗\n"
    )
    assert rows[0].sent_at == datetime(2025, 11, 3, 1, 0, tzinfo=ZoneInfo("UTC"))


def test_unknown_text_names_each_readers_reason():
    with pytest.raises(chat_formats.FormatNotRecognised) as caught:
        chat_formats.detect("这不是聊天记录\n随便写的")
    assert "text: line 1" in str(caught.value) and "csv:" in str(caught.value)


# Refusals store nothing --------------------------------------------------------------


@pytest.mark.django_db
def test_refusals_store_nothing(world):
    staff, group = world["staff"], world["group"]
    files_before = stored_files()
    good = chat(("2026-11-20 08:00:00", "张三", "早"))
    with pytest.raises(ValidationFailed) as caught:
        exports.ingest_export(actor=staff, group=group, upload=upload(good))
    assert "consent" in str(caught.value.details["file"][0])
    consented(world)
    for kwargs, words in [
        ({"upload": upload("不是导出文件")}, "not a chat export"),
        ({"upload": Upload("2026-11-20 08:00 张三\n早".encode("gb18030"))}, "not UTF-8"),
        ({"upload": upload(good), "file_format": "xml"}, "Unknown format"),
        ({"upload": upload(good), "encoding": "latin-1"}, "UTF-8 or GB18030"),
        ({"upload": Upload(b"")}, "empty"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            exports.ingest_export(actor=staff, group=group, **kwargs)
        assert caught.value.code == "export_refused"
        assert words in caught.value.details["file"][0]
    assert ChatImport.objects.count() == 0 and ChatMessage.objects.count() == 0
    assert stored_files() == files_before


@pytest.mark.django_db
def test_size_policy_and_the_same_file_twice(world, make_user):
    from gridgov.core.services import policy_update

    group = consented(world)
    admin = make_user(Role.SYSTEM_ADMIN, world["tree"]["d1"])
    policy_update(actor=admin, key="groups.messages", value={"max_export_mb": 1}, note="试行")
    big = upload("2026-11-20 08:00:00 张三\n" + "字" * (1024 * 1024 // 3 + 1))
    with pytest.raises(ValidationFailed) as caught:
        exports.ingest_export(actor=world["staff"], group=group, upload=big)
    assert "larger than 1 MB" in caught.value.details["file"][0]
    text = chat(("2026-11-20 08:00:00", "张三", "早"))
    exports.ingest_export(actor=world["staff"], group=group, upload=upload(text))
    with pytest.raises(Conflict) as caught:
        exports.ingest_export(actor=world["staff"], group=group, upload=upload(text))
    assert caught.value.code == "export_exists"
    assert ChatImport.objects.count() == 1


@pytest.mark.django_db
def test_gb18030_when_chosen(world):
    group = consented(world)
    data = "2026-11-20 08:00:00 张三\n早上好\n".encode("gb18030")
    done = exports.ingest_export(
        actor=world["staff"], group=group, upload=Upload(data), encoding="gb18030"
    )
    assert done.messages_new == 1 and done.encoding == "gb18030"


# The figures of an export by hand ----------------------------------------------------


@pytest.mark.django_db
def test_figures_by_hand_and_deduplication(world):
    group = consented(world)
    text = chat(
        ("2026-11-10 08:00:00", "居民甲", "请问明天停水吗？"),  # question 1
        ("2026-11-10 09:30:00", "居民乙", "不知道"),  # not an admin: no reply
        ("2026-11-10 10:00:00", "管理员", "明天不停水"),  # answers q1 after 2 h
        ("2026-11-12 20:00:00", "居民乙", "快递放哪里？"),  # question 2
        ("2026-11-12 20:30:00", "居民乙", "有人吗"),  # question 3 (same asker)
        ("2026-11-12 21:00:00", "管理员", "放门卫"),  # answers q2 (1 h) and q3 (0.5 h)
        ("2026-11-13 07:00:00", "居民丙", "能不能修一下路灯"),  # question 4, unanswered
    )
    with time_machine.travel(NOW, tick=False):
        done = exports.ingest_export(
            actor=world["staff"], group=group, upload=upload(text), admin_names="管理员"
        )
    assert (done.messages_read, done.messages_new) == (7, 7)
    assert (done.questions, done.answered) == (4, 3)
    assert done.response_hours == 1.0  # median of 2, 1, 0.5
    assert done.posters_30d == 4
    assert done.activity_pct == 10.0  # 4 of the 40 members
    # 7 messages over the 71 hours (10 Nov 08:00 – 13 Nov 07:00) the messages cover
    assert done.messages_per_day == round(7 / (71 / 24), 2)
    # A later export that repeats two messages and adds one.
    later = chat(
        ("2026-11-13 07:00:00", "居民丙", "能不能修一下路灯"),
        ("2026-11-12 21:00:00", "管理员", "放门卫"),
        ("2026-11-14 07:00:00", "居民丁", "好的"),
    )
    with time_machine.travel(NOW, tick=False):
        second = exports.ingest_export(actor=world["staff"], group=group, upload=upload(later))
    assert (second.messages_read, second.messages_new) == (3, 1)
    assert second.posters_30d == 5
    assert ChatMessage.objects.filter(group=group).count() == 8
    # No names or text stored: the sender is a keyed hash.
    assert not ChatMessage.objects.filter(sender__contains="居民").exists()


# The spike rule ----------------------------------------------------------------------


def _days_of_hits(world, hits_by_day: dict[date, int], topic_word="发热"):
    """An export with ``n`` messages naming the word on each day (08:00 Beijing time)."""
    lines = []
    for day, n in sorted(hits_by_day.items()):
        for i in range(n):
            lines.append((f"{day.isoformat()} 08:{i:02d}:00", f"居民{i}", f"家里有人{topic_word}"))
    return chat(*lines)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("before", "today", "raised"),
    [
        ({}, 5, True),  # mean 0: the minimum alone decides
        ({}, 4, False),  # below the minimum
        ({10: 7}, 5, True),  # mean 1 → 3 × 1 = 3 ≤ 5
        ({10: 14}, 6, True),  # mean 2 → 6 ≥ 6: on the boundary
        ({10: 14}, 5, False),  # mean 2 → 5 < 6
        ({10: 21, 19: 7}, 12, True),  # mean 4 → 12 ≥ 12
        ({10: 21, 19: 8}, 12, False),  # mean 29/7 → 12.4 > 12
    ],
)
def test_spike_rule_boundaries(world, before, today, raised):
    group = consented(world)
    days = {date(2026, 11, d): n for d, n in before.items() if n}
    days[date(2026, 11, 20)] = today
    # Spread the earlier hits over single days inside the 7 days before (13–19 Nov).
    spread: dict[date, int] = {}
    for day, n in days.items():
        if day == date(2026, 11, 20):
            spread[day] = n
            continue
        for i in range(n):
            d = date(2026, 11, 13 + i % 7)
            spread[d] = spread.get(d, 0) + 1
    with time_machine.travel(NOW, tick=False):
        exports.ingest_export(
            actor=world["staff"], group=group, upload=upload(_days_of_hits(world, spread))
        )
    found = EarlyWarning.objects.filter(group=group, topic="health", day=date(2026, 11, 20))
    assert found.exists() is raised
    if raised:
        warning = found.get()
        assert warning.hits == today
        assert warning.terms == {"发热": today}
        # Pushed to the grid worker responsible for the group.
        assert Notification.objects.filter(
            recipient=world["worker"], kind="groups.warning"
        ).exists()


@pytest.mark.django_db
def test_old_days_raise_nothing_and_a_day_raises_once(world):
    group = consented(world)
    with time_machine.travel(NOW, tick=False):
        exports.ingest_export(
            actor=world["staff"],
            group=group,
            upload=upload(_days_of_hits(world, {date(2026, 11, 1): 9, date(2026, 11, 20): 6})),
        )
        assert list(EarlyWarning.objects.values_list("day", flat=True)) == [date(2026, 11, 20)]
        # More hits the same day: the open warning is updated, not doubled.
        more = chat(*[(f"2026-11-20 09:{i:02d}:00", "居民x", "发烧了") for i in range(3)])
        exports.ingest_export(actor=world["staff"], group=group, upload=upload(more))
    warning = EarlyWarning.objects.get()
    assert warning.hits == 9 and warning.terms == {"发热": 6, "发烧": 3}
    row = KeywordDay.objects.get(group=group, topic="health", day=date(2026, 11, 20))
    excerpts = warnings.excerpts_of(row)
    assert len(excerpts) == 5 and excerpts[0] == "家里有人发热"


@pytest.mark.django_db
def test_excerpts_are_masked_and_encrypted(world):
    group = consented(world)
    lines = [(f"2026-11-20 08:0{i}:00", "居民", f"发热 电话13812345678 {i}") for i in range(5)]
    with time_machine.travel(NOW, tick=False):
        exports.ingest_export(actor=world["staff"], group=group, upload=upload(chat(*lines)))
    row = KeywordDay.objects.get(topic="health")
    assert "138" not in row.excerpts and "发热" not in row.excerpts
    assert all("13812345678" not in e for e in warnings.excerpts_of(row))


# What staff do with a warning ----------------------------------------------------------


def _warning(world):
    group = consented(world)
    with time_machine.travel(NOW, tick=False):
        exports.ingest_export(
            actor=world["staff"],
            group=group,
            upload=upload(_days_of_hits(world, {date(2026, 11, 20): 6})),
        )
    return EarlyWarning.objects.get()


@pytest.mark.django_db
def test_check_once_and_precision(world, make_user):
    warning = _warning(world)
    with pytest.raises(ValidationFailed):
        warnings.warning_decide(actor=world["staff"], warning=warning, verdict="maybe")
    warnings.warning_decide(
        actor=world["staff"], warning=warning, verdict="false_alarm", note="玩笑", version=1
    )
    with pytest.raises(Conflict) as caught:
        warnings.warning_decide(actor=world["staff"], warning=warning, verdict="confirmed")
    assert caught.value.code == "already_decided"
    assert selectors_warnings.warning_precision(actor=world["staff"]) == (0, 1)
    with pytest.raises(Conflict):
        warnings.warning_to_event(actor=world["staff"], warning=warning)
    outsider = make_user(Role.COMMUNITY_STAFF, world["tree"]["c2"])
    with pytest.raises(NotFound):
        selectors_warnings.warning_get(actor=outsider, uid=warning.uid)


@pytest.mark.django_db
def test_warning_becomes_a_grid_event_once(world):
    from gridgov.events.models import Event

    warning = _warning(world)
    done = warnings.warning_to_event(actor=world["staff"], warning=warning, version=1)
    event = Event.objects.get(pk=done.event_id)
    assert event.suggested_category.code == "57001"
    assert event.grid == world["tree"]["g1a"]
    assert done.state == EarlyWarning.State.CONFIRMED
    with pytest.raises(Conflict) as caught:
        warnings.warning_to_event(actor=world["staff"], warning=done)
    assert caught.value.code == "already_event"
    assert Event.objects.count() == 1


# The risk index by hand -----------------------------------------------------------------


@pytest.mark.django_db
def test_risks_of_many_compounds_are_read_at_once_and_equal_one_by_one(
    world, django_assert_max_num_queries
):
    _warning(world)
    places = world["places"]
    compounds = [places["happy"], places["peace"], places["other"]]
    with time_machine.travel(NOW, tick=False):
        one_by_one = {
            c.pk: selectors_warnings.compound_risk(actor=world["staff"], compound=c)
            for c in compounds
        }
        # One query per kind of input, whatever the number of compounds (the map's layer
        # shows up to 300).
        with django_assert_max_num_queries(7):
            together = selectors_warnings.compound_risks(actor=world["staff"], compounds=compounds)
    assert together == one_by_one
    happy = together[places["happy"].pk]
    assert happy.groups == 1 and happy.index is not None
    shares = [i.share for i in happy.inputs if i.share is not None]
    assert sum(shares) == pytest.approx(1.0)
    # 华阳小区 lies in another community: the staff member sees none of its groups.
    assert together[places["other"].pk].groups == 0
    assert together[places["other"].pk].index is None


@pytest.mark.django_db
def test_risk_index_by_hand(world):
    warning = _warning(world)  # one open warning, 40 members, 10 aged 60+
    with time_machine.travel(NOW, tick=False):
        risk = selectors_warnings.compound_risk(
            actor=world["staff"], compound=world["places"]["happy"]
        )
    by = {i.code: i for i in risk.inputs}
    assert by["warnings_per_1000"].value == 25.0  # 1 per 40 members
    assert by["warnings_per_1000"].points == 100.0  # full at 10
    assert by["confirmed_warnings"].points == 0.0
    assert by["elderly_share"].value == 25.0 and by["elderly_share"].points == 50.0
    assert by["special_share"].value is None  # not reported: leaves the mean
    assert by["class_mix"].value is None  # no month entered yet
    assert by["open_rectifications"].points == 0.0
    assert by["unanswered_share"].value is None  # no questions asked
    # (100×25 + 0×15 + 50×15 + 0×10) / (25+15+15+10) = 3250 / 65 = 50.0 → 中
    assert risk.index == 50.0 and risk.level == "medium"
    assert warning.state == "open"


# Retention ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_purge_deletes_text_then_rows(world):
    group = consented(world)
    with time_machine.travel(datetime(2025, 9, 10, tzinfo=BJ), tick=False):
        old = exports.ingest_export(
            actor=world["staff"],
            group=group,
            upload=upload(chat(("2025-09-09 08:00:00", "张三", "早"))),
        )
    with time_machine.travel(NOW, tick=False):
        recent = exports.ingest_export(
            actor=world["staff"],
            group=group,
            upload=upload(chat(("2026-11-19 08:00:00", "张三", "早"))),
        )
    assert len(kept_files()) == 2
    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        report = exports.purge_messages()
    assert report.files_deleted == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.stored_path == "" and old.text_deleted_at is not None
    assert recent.stored_path and Path(recent.stored_path).exists()
    # The 2025-09 message is past the 400 days of rows; the 2026-11 one stays.
    assert report.rows_deleted + report.partitions_dropped >= 1
    assert list(ChatMessage.objects.values_list("chat_import_id", flat=True)) == [recent.pk]
    if connection.vendor == "postgresql":
        names = [n for n, _upper in exports.message_partitions()]
        assert "groups_chatmessage_y2025m09" not in names
        assert "groups_chatmessage_y2026m11" in names
    with time_machine.travel(NOW + timedelta(days=31), tick=False):
        assert exports.purge_messages().files_deleted == 1
    assert kept_files() == []


# The KPI ----------------------------------------------------------------------------------

KPI_CODES = {"groups.warning_precision"}


@pytest.mark.django_db
def test_warning_precision_kpi_by_hand(world):
    """Checked in the 30 days to the period's end: 2 confirmed, 1 false alarm; an open one
    and one checked 40 days before do not count; another district's are apart."""
    from gridgov.kpis.registry import REGISTRY, parse_period

    group = world["group"]
    end = datetime(2026, 11, 30, 12, 0, tzinfo=BJ)
    for n, (state, days_ago) in enumerate(
        [("confirmed", 1), ("confirmed", 5), ("false_alarm", 10), ("open", 0), ("confirmed", 40)]
    ):
        EarlyWarning.objects.create(
            group=group,
            scope_path=group.scope_path,
            topic=f"t{n}",
            topic_name="公共卫生",
            day=date(2026, 11, 1),
            window_start=date(2026, 10, 25),
            hits=6,
            baseline=0,
            rule="r",
            state=state,
            decided_at=None if state == "open" else end - timedelta(days=days_ago),
        )
    kpi = REGISTRY["groups.warning_precision"]
    with time_machine.travel(end, tick=False):
        period = parse_period("month", "2026-11-15")
        value = kpi.snapshot_values(world["tree"]["d1"].path, period)[None]
        assert (value.numerator, value.denominator, value.value) == (2, 3, 66.67)
        other = kpi.snapshot_values(world["tree"]["d2"].path, period)[None]
        assert other.value is None
