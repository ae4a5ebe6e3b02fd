"""Smart devices: registration and its refusals, heartbeats, fault reports and alarms
through the signed webhook, the offline scan → repair ticket → overdue after 24 h, the
ticket and device actions, alarm verdicts, the KPIs by hand, scoping, the API and the
pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.models import Notification
from gridgov.events.models import DeviceSource, Event
from gridgov.kpis.registry import REGISTRY, parse_period
from gridgov.operations import selectors_devices as selectors
from gridgov.operations import services_devices as services
from gridgov.operations.models import Device, DeviceAlarm, RepairTicket
from gridgov.org.models import Building, Compound, GridAssignment

pytestmark = pytest.mark.django_db

NOW = "2026-06-10 09:00:00 +08:00"


@pytest.fixture
def staff(org_tree, make_user):
    people = {
        "community": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="c1staff"),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"], username="s1staff"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="g1aworker"),
        "outsider": make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="c2staff"),
    }
    GridAssignment.objects.create(
        grid=org_tree["g1a"],
        user=people["worker"],
        duty=GridAssignment.Duty.FULL_TIME,
        start_date=date(2024, 1, 1),
    )
    return people


def register(actor, unit, code="smoke-1", kind="smoke", **data):
    fields = {
        "code": code,
        "kind": kind,
        "grid": unit.code,
        "lon": 121.405,
        "lat": 31.205,
        "installer": "安装公司",
        "installed_on": "2025-01-15",
        "keeper_name": "李四",
        "keeper_phone": "13912345678",
        **data,
    }
    return services.device_register(actor=actor, data=fields)


def signed(secret, body: bytes, nonce: str, ts=None) -> dict:
    ts = str(int(ts if ts is not None else time.time()))
    mac = hmac.new(secret.encode(), f"{ts}.{nonce}.".encode() + body, hashlib.sha256)
    return {
        "HTTP_X_GRIDGOV_TIMESTAMP": ts,
        "HTTP_X_GRIDGOV_NONCE": nonce,
        "HTTP_X_GRIDGOV_SIGNATURE": mac.hexdigest(),
    }


def send(client, device, secret, payload: dict, nonce: str):
    body = json.dumps(payload).encode()
    return client.post(
        f"/events/hooks/device/{device.source.code}/",
        body,
        content_type="application/json",
        **signed(secret, body, nonce),
    )


# Registration ----------------------------------------------------------------------------------


def test_register_keeps_the_secret_once_the_phone_masked_and_the_replacement_date(org_tree, staff):
    device, secret = register(staff["community"], org_tree["g1a"])
    assert len(secret) >= 40
    source = DeviceSource.objects.get(code="smoke-1")
    assert secret not in source.secret_encrypted
    assert source.category.code == "52001"  # the type's alarm category
    assert device.replace_due_on == date(2028, 1, 15)  # smoke: 3-year cycle
    assert device.sampling_minutes == 5 and device.status == Device.Status.OFFLINE
    assert device.keeper_phone_masked == "139****5678"
    assert "13912345678" not in device.keeper_phone_encrypted
    assert device.scope_path == org_tree["g1a"].path
    assert AuditRecord.objects.filter(action="operations.device.create").count() == 1
    terminal, _secret = register(
        staff["community"], org_tree["g1a"], code="pt-1", kind="patrol_terminal"
    )
    assert terminal.replace_due_on == date(2030, 1, 15)  # terminals: 5 years


def test_register_takes_the_buildings_position(org_tree, staff):
    compound = Compound.objects.create(community=org_tree["c1"], name="康乐小区", kind="commercial")
    building = Building.objects.create(
        compound=compound, grid=org_tree["g1a"], number="3", lon=121.4031, lat=31.2042
    )
    device, _secret = register(
        staff["community"], org_tree["g1a"], building=building.pk, lon="", lat=""
    )
    assert (device.source.lon, device.source.lat) == (121.4031, 31.2042)
    assert device.building == building


@pytest.mark.parametrize(
    "change,field",
    [
        ({"kind": "toaster"}, "kind"),
        ({"code": "坏 code"}, "code"),
        ({"installed_on": "2099-01-01"}, "installed_on"),
        ({"warranty_until": "2024-01-01"}, "warranty_until"),
        ({"sampling_minutes": 60}, "sampling_minutes"),
        ({"lon": 10}, "lon"),
        ({"grid": "nope"}, "grid"),
        ({"keeper_name": ""}, "keeper_name"),
        ({"keeper_phone": "12"}, "keeper_phone"),
        ({"building": 999999}, "building"),
    ],
)
def test_bad_registrations_are_refused_with_nothing_written(org_tree, staff, change, field):
    with pytest.raises(ValidationFailed) as refused:
        register(staff["community"], org_tree["g1a"], **change)
    assert field in refused.value.details
    assert Device.objects.count() == 0 and DeviceSource.objects.count() == 0


def test_a_code_is_registered_once(org_tree, staff):
    register(staff["community"], org_tree["g1a"])
    with pytest.raises(ValidationFailed) as refused:
        register(staff["community"], org_tree["g1b"])
    assert "code" in refused.value.details
    assert Device.objects.count() == 1


def test_registering_outside_ones_area_looks_like_a_missing_grid(org_tree, staff):
    with pytest.raises(NotFound):
        register(staff["outsider"], org_tree["g1a"])
    # A grid worker reads devices and maintains them but does not register them.
    assert staff["worker"].has_permission("operations.maintain")
    assert not staff["worker"].has_permission("operations.manage")
    assert Device.objects.count() == 0


# Heartbeats, the offline scan and the repair clock -----------------------------------------


def test_heartbeat_offline_ticket_overdue_and_recovery(org_tree, staff, client):
    with time_machine.travel(NOW, tick=False):
        device, secret = register(staff["community"], org_tree["g1a"])
        response = send(client, device, secret, {"type": "heartbeat"}, "h-1")
        assert response.status_code == 200 and response.json() == {"status": "online"}
        device.refresh_from_db()
        assert device.status == Device.Status.ONLINE
        assert device.first_seen_at == device.last_seen_at == timezone.now()
        # Within 3 intervals of 5 minutes nothing happens.
    with time_machine.travel("2026-06-10 09:14:00 +08:00", tick=False):
        assert services.scan_offline() == 0
    with time_machine.travel("2026-06-10 09:15:01 +08:00", tick=False):
        assert services.scan_offline() == 1
        assert services.scan_offline() == 0  # once
        device.refresh_from_db()
        assert device.status == Device.Status.OFFLINE
        ticket = RepairTicket.objects.get(device=device)
        assert ticket.cause == "offline" and ticket.state == "open"
        assert ticket.due_at == timezone.now() + timedelta(hours=24)
        assert selectors.ticket_list(actor=staff["street"], overdue_only=True).count() == 0
        assert services.notify_overdue() == 0
    with time_machine.travel("2026-06-11 09:16:00 +08:00", tick=False):
        overdue = selectors.ticket_list(actor=staff["street"], overdue_only=True)
        assert list(overdue) == [ticket]
        assert services.notify_overdue() == 1
        assert services.notify_overdue() == 0  # once per ticket
        told = Notification.objects.filter(kind="deadline", recipient=staff["worker"])
        assert told.count() == 1 and "smoke-1" in told.get().message
        # The device comes back by itself: the offline ticket closes as repaired.
        assert send(client, device, secret, {"type": "heartbeat"}, "h-2").json() == {
            "status": "online"
        }
    ticket.refresh_from_db()
    assert ticket.state == "fixed" and ticket.repair_hours == 24.0
    device.refresh_from_db()
    assert device.status == Device.Status.ONLINE


def test_webhook_refusals(org_tree, staff, client):
    device, secret = register(staff["community"], org_tree["g1a"])
    assert send(client, device, "wrong", {"type": "heartbeat"}, "x-1").status_code == 401
    assert send(client, device, secret, {"type": "heartbeat"}, "x-2").status_code == 200
    replay = send(client, device, secret, {"type": "heartbeat"}, "x-2")
    assert replay.status_code == 409 and replay.json()["code"] == "replayed"
    unknown = send(client, device, secret, {"type": "selfie"}, "x-3")
    assert unknown.status_code == 422 and unknown.json()["code"] == "bad_type"
    body = json.dumps({"type": "heartbeat"}).encode()
    stale = client.post(
        f"/events/hooks/device/{device.source.code}/",
        body,
        content_type="application/json",
        **signed(secret, body, "x-4", ts=time.time() - 3600),
    )
    assert stale.status_code == 401


def test_heartbeat_of_a_source_outside_the_registry_is_refused(crew_source, client):
    source, secret = crew_source
    body = json.dumps({"type": "heartbeat"}).encode()
    response = client.post(
        f"/events/hooks/device/{source.code}/",
        body,
        content_type="application/json",
        **signed(secret, body, "u-1"),
    )
    assert response.status_code == 409 and response.json()["code"] == "not_registered"


@pytest.fixture
def crew_source(org_tree, staff):
    from gridgov.events.services import device_register

    return device_register(
        actor=staff["street"],
        code="legacy-1",
        name="旧烟感",
        category_code="52001",
        lon=121.405,
        lat=31.205,
    )


def test_fault_report_ticket_start_and_fix(org_tree, staff, client):
    device, secret = register(staff["community"], org_tree["g1a"])
    send(client, device, secret, {"type": "heartbeat"}, "f-0")
    response = send(client, device, secret, {"type": "fault", "message": "电池电量低"}, "f-1")
    assert response.status_code == 201
    ticket = RepairTicket.objects.get(uid=response.json()["ticket"])
    device.refresh_from_db()
    assert device.status == Device.Status.FAULT and ticket.cause == "fault"
    # A second fault report keeps the one open ticket.
    send(client, device, secret, {"type": "fault", "message": "again"}, "f-2")
    assert RepairTicket.objects.filter(device=device).count() == 1
    # Heartbeats do not hide a fault.
    assert send(client, device, secret, {"type": "heartbeat"}, "f-3").json()["status"] == "fault"
    worker = staff["worker"]
    ticket = services.ticket_transition(actor=worker, ticket=ticket, action="start", version=1)
    device.refresh_from_db()
    assert device.status == Device.Status.REPAIRING
    with pytest.raises(ValidationFailed) as refused:
        services.ticket_transition(actor=worker, ticket=ticket, action="fix", version=2, note="")
    assert "note" in refused.value.details
    with pytest.raises(Conflict):
        services.ticket_transition(actor=worker, ticket=ticket, action="fix", version=1, note="x")
    services.ticket_transition(actor=worker, ticket=ticket, action="fix", version=2, note="换电池")
    ticket.refresh_from_db()
    device.refresh_from_db()
    assert ticket.state == "fixed" and ticket.close_note == "换电池"
    assert device.status == Device.Status.ONLINE
    with pytest.raises(NotFound):
        selectors.ticket_get(actor=staff["outsider"], uid=ticket.uid)


def test_repaired_device_gets_a_fresh_allowance_then_goes_offline_again(org_tree, staff):
    with time_machine.travel(NOW, tick=False):
        device, _secret = register(staff["community"], org_tree["g1a"])
        device = services.device_transition(
            actor=staff["worker"], device=device, action="report_fault", version=1, note="外壳破损"
        )
        ticket = device.tickets.get()
        services.ticket_transition(
            actor=staff["worker"], ticket=ticket, action="fix", version=1, note="换外壳"
        )
    with time_machine.travel("2026-06-10 09:14:00 +08:00", tick=False):
        assert services.scan_offline() == 0
    with time_machine.travel("2026-06-10 09:15:01 +08:00", tick=False):
        assert services.scan_offline() == 1
    assert device.tickets.filter(state="open", cause="offline").count() == 1


def test_out_of_service_closes_the_ticket_and_silences_the_webhook(org_tree, staff, client):
    device, secret = register(staff["community"], org_tree["g1a"])
    device = services.device_transition(
        actor=staff["worker"], device=device, action="report_fault", version=1, note="不亮"
    )
    with pytest.raises(PermissionDenied):
        services.device_transition(
            actor=staff["worker"], device=device, action="disable", version=2, note="x"
        )
    with pytest.raises(ValidationFailed):
        services.device_transition(
            actor=staff["community"], device=device, action="disable", version=2, note=""
        )
    device = services.device_transition(
        actor=staff["community"], device=device, action="disable", version=2, note="拆除装修"
    )
    assert device.status == Device.Status.DISABLED and device.retired_at is not None
    assert device.tickets.get().state == "cancelled"
    assert send(client, device, secret, {"type": "heartbeat"}, "d-1").status_code == 401
    device = services.device_transition(
        actor=staff["community"], device=device, action="enable", version=3
    )
    assert device.status == Device.Status.ONLINE and device.retired_at is None
    assert send(client, device, secret, {"type": "heartbeat"}, "d-2").status_code == 200
    device = services.device_transition(
        actor=staff["community"], device=device, action="scrap", version=4, note="到期报废"
    )
    assert device.status == Device.Status.SCRAPPED
    with pytest.raises(Conflict):
        services.device_transition(
            actor=staff["community"], device=device, action="enable", version=5
        )


# Alarms ---------------------------------------------------------------------------------------


def test_alarm_opens_an_event_and_is_judged_once(org_tree, staff, client):
    device, secret = register(staff["community"], org_tree["g1a"])
    response = send(client, device, secret, {"message": "烟雾浓度超标"}, "a-1")
    assert response.status_code == 201
    event = Event.objects.get(tracking_code=response.json()["tracking_code"])
    assert event.assignee == staff["worker"] and event.urgency == "immediate"
    alarm = DeviceAlarm.objects.get(event=event)
    device.refresh_from_db()
    assert alarm.device == device and device.first_seen_at is not None
    with pytest.raises(NotFound):
        services.alarm_verify(actor=staff["outsider"], alarm=alarm, is_true=True)
    with pytest.raises(ValidationFailed):
        services.alarm_verify(actor=staff["worker"], alarm=alarm, is_true=None)
    services.alarm_verify(actor=staff["worker"], alarm=alarm, is_true=False, note="做饭油烟")
    with pytest.raises(Conflict) as again:
        services.alarm_verify(actor=staff["worker"], alarm=alarm, is_true=True)
    assert again.value.code == "already_verified"
    alarm.refresh_from_db()
    assert alarm.is_true is False and alarm.verified_by == staff["worker"]


# KPIs by hand --------------------------------------------------------------------------------


# Counted by hand in test_device_kpis_by_hand.
KPI_CODES = {
    "devices.access",
    "devices.good",
    "devices.overdue_service",
    "devices.repair_hours",
    "devices.alarm_accuracy",
    "devices.alarm_response",
}


def _kpi(code, unit, moment_text):
    with time_machine.travel(moment_text, tick=False):
        period = parse_period("month")
        return REGISTRY[code].snapshot_values(unit.path, period)[None]


def test_device_kpis_by_hand(org_tree, staff, client):
    """Five devices of g1a: d1 online, d2 never heard from, d3 offline with a ticket,
    d4 fixed after 6 h, d5 installed in 2022 (past its 3-year cycle), d6 scrapped (out of
    service). Alarms: 3 judged (2 true), 1 not judged; one answered 8 minutes after."""
    c, g = staff["community"], org_tree["g1a"]
    with time_machine.travel(NOW, tick=False):
        d1, s1 = register(c, g, code="d1")
        d2, _s2 = register(c, g, code="d2")
        d3, s3 = register(c, g, code="d3")
        d4, s4 = register(c, g, code="d4")
        d5, s5 = register(c, g, code="d5", installed_on="2022-03-01")
        d6, _s6 = register(c, g, code="d6")
        for device, secret in ((d1, s1), (d3, s3), (d4, s4), (d5, s5)):
            send(client, device, secret, {"type": "heartbeat"}, f"k-{device.pk}")
        services.device_transition(actor=c, device=d6, action="scrap", version=1, note="坏了")
        d4.refresh_from_db()
        d4 = services.device_transition(
            actor=staff["worker"], device=d4, action="report_fault", version=d4.version, note="x"
        )
        alarms = []
        for i in range(4):
            r = send(client, d1, s1, {"message": f"alarm {i}"}, f"al-{i}")
            alarms.append(DeviceAlarm.objects.get(event__tracking_code=r.json()["tracking_code"]))
        for alarm, verdict in zip(alarms[:3], (True, True, False), strict=True):
            services.alarm_verify(actor=staff["worker"], alarm=alarm, is_true=verdict)
    with time_machine.travel("2026-06-10 09:08:00 +08:00", tick=False):
        from gridgov.events.services import transition

        transition(actor=staff["worker"], event=alarms[0].event, action="check_in")
    with time_machine.travel("2026-06-10 09:16:00 +08:00", tick=False):
        # d1 and d5 keep beating; d3 falls silent.
        send(client, d1, s1, {"type": "heartbeat"}, "k2-1")
        send(client, d5, s5, {"type": "heartbeat"}, "k2-5")
        services.scan_offline()
    with time_machine.travel("2026-06-10 15:00:00 +08:00", tick=False):
        ticket = d4.tickets.get()
        services.ticket_transition(
            actor=staff["worker"], ticket=ticket, action="fix", version=1, note="修好"
        )
    moment = "2026-06-10 16:00:00 +08:00"
    access = _kpi("devices.access", org_tree["c1"], moment)
    assert (access.numerator, access.denominator) == (4, 5)  # d2 never heard from
    good = _kpi("devices.good", org_tree["c1"], moment)
    assert (good.numerator, good.denominator) == (4, 5)  # d3 has an open ticket
    overdue = _kpi("devices.overdue_service", org_tree["c1"], moment)
    assert (overdue.numerator, overdue.denominator) == (1, 5)
    hours = _kpi("devices.repair_hours", org_tree["c1"], moment)
    assert (hours.numerator, hours.denominator, hours.value) == (6.0, 1, 6.0)
    accuracy = _kpi("devices.alarm_accuracy", org_tree["c1"], moment)
    assert (accuracy.numerator, accuracy.denominator) == (2, 3)
    response = _kpi("devices.alarm_response", org_tree["c1"], moment)
    assert (response.numerator, response.denominator, response.value) == (8.0, 1, 8.0)
    # As of before d4's fault was fixed, it counted as broken.
    earlier = _kpi("devices.good", org_tree["c1"], "2026-06-10 09:10:00 +08:00")
    assert (earlier.numerator, earlier.denominator) == (4, 5)  # d4 broken, d3 still online
    # The board shows the same numbers.
    with time_machine.travel(moment, tick=False):
        board = selectors.board(actor=staff["street"])
    assert (board.in_service, board.connected, board.good, board.overdue_service) == (5, 4, 4, 1)
    smoke = next(a for a in board.accuracy if a["kind"] == "smoke")
    assert (smoke["judged"], smoke["true"], smoke["met"]) == (3, 2, False)
    assert board.alarms_pending == 1
    # Another district sees none of it.
    assert selectors.board(actor=staff["outsider"]).in_service == 0


# Scoping, API and pages ------------------------------------------------------------------------


def test_devices_are_scoped(org_tree, staff):
    device, _secret = register(staff["community"], org_tree["g1a"])
    assert list(selectors.device_list(actor=staff["worker"])) == [device]
    assert list(selectors.device_list(actor=staff["outsider"])) == []
    with pytest.raises(NotFound):
        selectors.device_get(actor=staff["outsider"], uid=device.uid)


def test_api_register_act_and_judge(org_tree, staff, client, login_client):
    login_client(staff["community"])
    base = "/api/v1/operations"
    bad = client.post(
        f"{base}/devices",
        {
            "code": "cam-1",
            "kind": "camera",
            "grid": org_tree["g1a"].code,
            "installer": "x",
            "installed_on": "2099-01-01",
            "keeper_name": "王",
            "lon": 121.405,
            "lat": 31.205,
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 422 and "installed_on" in bad.json()["details"]
    assert "未来" in bad.json()["details"]["installed_on"][0]
    assert Device.objects.count() == 0
    created = client.post(
        f"{base}/devices",
        {
            "code": "cam-1",
            "kind": "camera",
            "grid": org_tree["g1a"].code,
            "installer": "x",
            "installed_on": "2025-02-01",
            "keeper_name": "王",
            "lon": 121.405,
            "lat": 31.205,
            "spec": "1080P",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"] and body["status"] == "offline" and body["replace_due_on"] == "2028-02-01"
    listed = client.get(f"{base}/devices").json()
    assert listed["count"] == 1 and "secret" not in listed["items"][0]
    uid = body["uid"]
    fault = client.post(
        f"{base}/devices/{uid}/actions",
        {"action": "report_fault", "version": 1, "note": "画面模糊"},
        content_type="application/json",
    )
    assert fault.status_code == 200 and fault.json()["status"] == "fault"
    tickets = client.get(f"{base}/repair-tickets").json()
    assert tickets["count"] == 1
    ticket = tickets["items"][0]
    fixed = client.post(
        f"{base}/repair-tickets/{ticket['uid']}/actions",
        {"action": "fix", "version": ticket["version"], "note": "清洁镜头"},
        content_type="application/json",
    )
    assert fixed.status_code == 200 and fixed.json()["state"] == "fixed"
    board = client.get(f"{base}/devices/board").json()
    assert board["in_service"] == 1 and board["open_tickets"] == 0
    types = client.get(f"{base}/device-types").json()
    assert {t["code"] for t in types} >= {"smoke", "gas", "camera", "water_meter"}
    login_client(staff["outsider"])
    assert client.get(f"{base}/devices/{uid}").status_code == 404
    assert client.get(f"{base}/devices").json()["count"] == 0


def test_pages_register_fix_and_judge(org_tree, staff, client, login_client):
    login_client(staff["community"])
    page = client.post(
        "/operations/devices/new/",
        {
            "code": "gas-1",
            "kind": "gas",
            "grid": org_tree["g1a"].code,
            "installer": "",
            "installed_on": "2025-01-01",
            "keeper_name": "王",
            "lon": "121.405",
            "lat": "31.205",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert page.status_code == 422 and "请写明安装单位" in page.content.decode()
    assert Device.objects.count() == 0
    done = client.post(
        "/operations/devices/new/",
        {
            "code": "gas-1",
            "kind": "gas",
            "grid": org_tree["g1a"].code,
            "installer": "燃气公司",
            "installed_on": "2025-01-01",
            "keeper_name": "王",
            "lon": "121.405",
            "lat": "31.205",
        },
    )
    assert done.status_code == 200 and "/events/hooks/device/gas-1/" in done.content.decode()
    device = Device.objects.get()
    board = client.get("/operations/devices/")
    assert board.status_code == 200 and "gas-1" in board.content.decode()
    client.post(
        f"/operations/devices/{device.uid}/action/",
        {"action": "report_fault", "version": 1, "note": "报警灯不亮"},
    )
    ticket = RepairTicket.objects.get()
    assert client.get("/operations/devices/repairs/").status_code == 200
    client.post(
        f"/operations/devices/repairs/{ticket.uid}/",
        {"action": "fix", "version": ticket.version, "note": "更换探头"},
    )
    ticket.refresh_from_db()
    assert ticket.state == "fixed"
    assert client.get(f"/operations/devices/{device.uid}/").status_code == 200
    assert client.get("/operations/devices/alarms/").status_code == 200


def test_the_clock_command_scans_and_notifies(org_tree, staff):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(NOW, tick=False):
        device, _secret = register(staff["community"], org_tree["g1a"])
        services.heartbeat(device.source, {})
    out = StringIO()
    with time_machine.travel("2026-06-11 10:00:00 +08:00", tick=False):
        call_command("operations_devices", stdout=out)
    assert "1 went offline" in out.getvalue()
    assert RepairTicket.objects.filter(device=device, state="open").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections")
def test_concurrent_scans_and_fault_reports_open_one_ticket(org_tree, make_user):
    """Two offline scans and a fault report of the same silent device at once: one open
    ticket, the device's status changed once by the scan or the report that won."""
    import threading

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="c1conc")
    device, _secret = register(staff, org_tree["g1a"])
    services.heartbeat(device.source, {})
    Device.objects.filter(pk=device.pk).update(offline_after=timezone.now() - timedelta(seconds=1))
    barrier = threading.Barrier(3)
    errors: list = []

    def run(job):
        from django.db import connections

        try:
            barrier.wait(timeout=20)
            job()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connections.close_all()

    jobs = [
        services.scan_offline,
        services.scan_offline,
        lambda: services.fault_report(device.source, {"message": "传感器故障"}),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert RepairTicket.objects.filter(device=device, state="open").count() == 1
    device.refresh_from_db()
    assert device.status in (Device.Status.OFFLINE, Device.Status.FAULT)
