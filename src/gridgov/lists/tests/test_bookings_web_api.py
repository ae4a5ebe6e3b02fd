"""Bookings through the pages and the API over the same services: a resource made bookable
on its settings page, a slot booked from the calendar, approved, the calendar showing it;
the API's create (201, 409 slot_taken, 422 in zh-Hans), list, actions, slots and
utilisation; the applicant leaves only masked."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.lists import booking_services as services
from gridgov.lists import services as list_services
from gridgov.lists.models import BookableSpace, Booking


@pytest.fixture
def office(org_tree, make_user):
    keeper = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    resource = list_services.resource_create(
        actor=keeper,
        data={
            "name": "党群服务中心多功能厅",
            "resource_class": "government",
            "provider_kind": "department",
            "provider_name": "宛平南路社区居委会",
            "categories": ["culture"],
            "owner": org_tree["c1"].code,
            "capacity": 50,
            "area_paths": [org_tree["c1"].code],
        },
    )
    return {"keeper": keeper, "worker": worker, "resource": resource, "tree": org_tree}


def _local(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour))


def test_pages_from_settings_to_approved(office, login_client, client):
    keeper, worker, resource = office["keeper"], office["worker"], office["resource"]
    login_client(keeper)
    page = client.get(f"/lists/resources/{resource.uid}/bookable/")
    assert page.status_code == 200 and b"08:30-11:30" in page.content
    bad = client.post(
        f"/lists/resources/{resource.uid}/bookable/",
        {"kind": "room", "slot_minutes": "50", "capacity_people": "30", "schedule_0": "9-8"},
    )
    assert bad.status_code == 400 and b"multiple of 15" in bad.content
    assert not BookableSpace.objects.exists()
    week = {f"schedule_{d}": "08:00-12:00, 14:00-18:00" for d in range(7)}
    saved = client.post(
        f"/lists/resources/{resource.uid}/bookable/",
        {
            "kind": "room",
            "slot_minutes": "60",
            "capacity_people": "30",
            "needs_approval": "1",
            "is_open": "1",
            **week,
        },
    )
    assert saved.status_code == 302
    space = BookableSpace.objects.get(resource=resource)
    assert space.schedule["0"] == [["08:00", "12:00"], ["14:00", "18:00"]] and space.needs_approval

    # the grid worker books a slot from the calendar
    client.logout()
    login_client(worker)
    listing = client.get("/lists/bookings/")
    assert listing.status_code == 200 and "党群服务中心多功能厅" in listing.content.decode()
    start = _local(1, 9)
    calendar = client.get(f"/lists/bookings/resources/{resource.uid}/?week={start.date()}")
    body = calendar.content.decode()
    assert 'id="calendar-grid"' in body and 'id="calendar-days"' in body
    link = f"/lists/bookings/resources/{resource.uid}/book/?start={start:%Y-%m-%dT%H:%M}"
    assert link in body
    form = client.get(link)
    assert form.status_code == 200 and f"{start:%Y-%m-%dT%H:%M}" in form.content.decode()
    too_many = client.post(
        link,
        {
            "start": f"{start:%Y-%m-%dT%H:%M}",
            "slots": "1",
            "attendees": "31",
            "purpose": "讲座",
            "applicant_name": "周讲座",
        },
    )
    assert too_many.status_code == 400 and b"at most 30 people" in too_many.content
    booked = client.post(
        link,
        {
            "start": f"{start:%Y-%m-%dT%H:%M}",
            "slots": "2",
            "attendees": "25",
            "purpose": "防诈骗讲座",
            "applicant_name": "周讲座",
            "applicant_phone": "13700001234",
            "group_name": "社区老年大学",
        },
    )
    booking = Booking.objects.get()
    assert booked.status_code == 302 and booked.url == f"/lists/bookings/{booking.uid}/"
    detail = client.get(booked.url).content.decode()
    assert "周*" in detail and "137****1234" in detail and "周讲座" not in detail
    assert 'value="cancel"' in detail and 'value="approve"' not in detail
    # the same slot again: refused, the message says why
    again = client.post(
        link,
        {
            "start": f"{start:%Y-%m-%dT%H:%M}",
            "slots": "1",
            "attendees": "5",
            "purpose": "另约",
            "applicant_name": "吴另约",
        },
    )
    assert again.status_code == 200 and b"booked by someone else" in again.content
    assert Booking.objects.count() == 1

    # the keeper approves from the booking page; the calendar shows it booked
    client.logout()
    login_client(keeper)
    assert "防诈骗讲座" in client.get("/lists/bookings/").content.decode()
    detail = client.get(f"/lists/bookings/{booking.uid}/").content.decode()
    assert 'value="approve"' in detail and 'value="reject"' in detail
    done = client.post(
        f"/lists/bookings/{booking.uid}/action/", {"action": "approve", "version": "1"}
    )
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.state == Booking.State.APPROVED
    calendar = client.get(f"/lists/bookings/resources/{resource.uid}/?week={start.date()}")
    assert "社区老年大学" in calendar.content.decode()
    assert "Utilisation" in calendar.content.decode()


def test_calendar_in_chinese(office, login_client, client):
    services.space_save(
        actor=office["keeper"],
        resource=office["resource"],
        data={
            "schedule": {str(d): "09:00-12:00" for d in range(7)},
            "slot_minutes": 60,
            "capacity_people": 10,
        },
    )
    login_client(office["worker"])
    page = client.get(
        f"/lists/bookings/resources/{office['resource'].uid}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "利用率" in body and "下一周" in body and "星期一" in body
    # last week: nothing to book; on the phone each day is one line saying it is past
    last_week = timezone.localdate() - timedelta(days=7)
    body = client.get(
        f"/lists/bookings/resources/{office['resource'].uid}/?week={last_week}",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert "/book/" not in body
    phone = body.split('id="calendar-days"', 1)[1].split('id="calendar-grid"', 1)[0]
    assert phone.count("已过") == 7


@pytest.fixture
def api(office, client):
    from gridgov.accounts.services import token_create

    services.space_save(
        actor=office["keeper"],
        resource=office["resource"],
        data={
            "schedule": {str(d): "08:00-20:00" for d in range(7)},
            "slot_minutes": 30,
            "capacity_people": 20,
            "needs_approval": True,
        },
    )
    tokens = {who: token_create(user=office[who], name="t")[1] for who in ("keeper", "worker")}

    def call(who, method, url, body=None, **headers):
        kwargs = {"headers": {"Authorization": f"Bearer {tokens[who]}", **headers}}
        if body is not None:
            kwargs["data"] = body
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(url, **kwargs)

    return call


def test_api_create_conflict_actions_slots_and_utilisation(office, api):
    uid = str(office["resource"].uid)
    start = _local(2, 10)
    body = {
        "resource": uid,
        "start": start.isoformat(),
        "slots": 3,
        "purpose": "亲子阅读",
        "attendees": 8,
        "applicant_name": "钱阅读",
        "applicant_phone": "13600009999",
    }
    created = api("worker", "post", "/api/v1/bookings", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "requested" and data["actions"] == ["cancel"]
    assert data["applicant_name_masked"] == "钱**" and "钱阅读" not in created.content.decode()
    clash = api(
        "worker",
        "post",
        "/api/v1/bookings",
        {**body, "start": _local(2, 11).isoformat(), "slots": 1},
    )
    assert clash.status_code == 409 and clash.json()["code"] == "slot_taken"
    past = api(
        "worker",
        "post",
        "/api/v1/bookings",
        {**body, "start": _local(-1, 10).isoformat()},
        **{"Accept-Language": "zh-hans"},
    )
    assert past.status_code == 422 and "已过去" in past.json()["details"]["start"][0]
    backwards = api(
        "worker",
        "post",
        "/api/v1/bookings",
        {**body, "end": _local(2, 9).isoformat(), "slots": None},
    )
    assert backwards.status_code == 422
    assert backwards.json()["details"]["end"] == ["The end must be after the start."]
    assert Booking.objects.count() == 1

    listed = api("keeper", "get", f"/api/v1/bookings?resource={uid}&state=requested").json()
    assert listed["count"] == 1
    assert api("worker", "get", "/api/v1/bookings?mine=true").json()["count"] == 1
    booking_uid = data["uid"]
    refused = api(
        "worker",
        "post",
        f"/api/v1/bookings/{booking_uid}/transitions",
        {"action": "approve", "version": 1},
    )
    assert refused.status_code == 403
    approved = api(
        "keeper",
        "post",
        f"/api/v1/bookings/{booking_uid}/transitions",
        {"action": "approve", "version": 1},
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    stale = api(
        "keeper",
        "post",
        f"/api/v1/bookings/{booking_uid}/transitions",
        {"action": "reject", "version": 1, "reason": "x"},
    )
    assert stale.status_code == 409

    slots = api(
        "worker", "get", f"/api/v1/bookable-resources/{uid}/slots?start={start.date()}&days=1"
    ).json()
    statuses = [s["status"] for s in slots[0]["slots"]]
    assert len(statuses) == 24 and statuses.count("booked") == 3
    assert statuses[4:7] == ["booked"] * 3 and statuses[0] == "free"
    spaces = api("worker", "get", "/api/v1/bookable-resources").json()
    assert spaces["count"] == 1 and spaces["items"][0]["slot_minutes"] == 30
    month = f"{start:%Y-%m}"
    usage = api("worker", "get", f"/api/v1/bookable-resources/{uid}/utilisation?month={month}")
    assert usage.status_code == 200 and usage.json()["used_hours"] == 0
    assert usage.json()["booked_hours"] == 1.5

    put = api(
        "keeper",
        "put",
        f"/api/v1/bookable-resources/{uid}",
        {
            "schedule": {"0": [["09:00", "10:00"]]},
            "slot_minutes": 60,
            "capacity_people": 5,
            "version": 1,
        },
    )
    assert put.status_code == 200 and put.json()["version"] == 2
    bad = api(
        "keeper",
        "put",
        f"/api/v1/bookable-resources/{uid}",
        {"schedule": {"0": [["10:00", "09:00"]]}, "version": 2},
    )
    assert bad.status_code == 422 and "schedule_0" in bad.json()["details"]
    by_worker = api(
        "worker",
        "put",
        f"/api/v1/bookable-resources/{uid}",
        {"schedule": {"0": [["09:00", "10:00"]]}, "version": 2},
    )
    assert by_worker.status_code == 403
