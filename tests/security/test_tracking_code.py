"""The review's tracking-code abuse: the public Open311 feed lists every event with its public
id; with nothing more, nobody may see the reporter's tracking page or photos, nor rate the
event (which would forge the satisfaction KPIs in bulk). The reporter opens their report
with the secret they were given plus a proof (policy ``events.public``: by default the last
four digits of the phone they gave). Refusals are audited; only photos staff approved are
public (docs/events.md)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def _jpeg(name="p.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def crew(org_tree, make_user, settings, tmp_path):
    from gridgov.org.models import GridAssignment

    settings.DATA_DIR = tmp_path
    people = {
        "dispatcher": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="disp"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker_a"),
        "worker2": make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker_b"),
    }
    for key in ("worker", "worker2"):
        GridAssignment.objects.create(
            grid=org_tree["g1a"], user=people[key], duty="full_time", start_date=date(2024, 1, 1)
        )
    return people


def _close(crew, event):
    from gridgov.events.services import transition

    steps = [
        ("accept", "dispatcher", {}),
        ("classify", "dispatcher", {"category_code": "06010"}),
        ("dispatch", "dispatcher", {"assignee": crew["worker"]}),
        ("check_in", "worker", {}),
        ("handle", "worker", {"result": "已清理"}),
        ("verify_pass", "worker2", {}),
    ]
    for action, who, params in steps:
        transition(actor=crew[who], event=event, action=action, **params)
        event.refresh_from_db()
    return event


def _report(client, *, phone=PHONE, title="楼道里堆满了垃圾") -> tuple[str, str]:
    """A resident reports on the H5 page; returns the public id and the secret shown once."""
    data = {"title": title, "lon": "121.405", "lat": "31.205", "photos": [_jpeg()]}
    if phone:
        data["contact_phone"] = phone
    response = client.post("/events/report/", data, follow=True)
    body = response.content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', body).group(1)
    secret = re.search(r'id="tracking-secret">([^<]+)<', body).group(1)
    assert code != secret
    return code, secret


def _fail_records(action):
    from gridgov.audit.models import AuditRecord

    return AuditRecord.objects.filter(action=action, outcome="fail")


def test_codes_from_the_public_feed_open_nothing_and_rating_is_refused_and_audited(crew):
    from gridgov.events.models import Event, EventPhoto

    reporter = Client()
    code, secret = _report(reporter)
    _report(Client(), title="路灯不亮")
    for event in Event.objects.all():
        _close(crew, event)
    photo = EventPhoto.objects.get(event__tracking_code=code)

    attacker = Client()
    feed = attacker.get("/open311/v2/requests.json?jurisdiction_id=310104").json()
    codes = [item["service_request_id"] for item in feed]
    assert code in codes and len(codes) == 2
    assert secret not in str(feed)
    for public_id in codes:
        event = Event.objects.get(tracking_code=public_id)
        page = attacker.get(f"/events/track/?code={public_id}").content.decode()
        assert 'id="rate-form"' not in page and "/photos/" not in page
        assert "已清理" not in page  # the result and the timeline are the reporter's
        # The public id as the secret, any four digits as the proof: refused.
        tried = attacker.post(
            "/events/track/", {"code": public_id, "secret": public_id, "proof": PHONE[-4:]}
        )
        assert tried.status_code == 403 and "/photos/" not in tried.content.decode()
        for p in event.photos.all():
            assert attacker.get(f"/events/track/{public_id}/photos/{p.uid}/").status_code == 404
        rated = attacker.post(
            "/events/track/", {"code": public_id, "rating": "1", "actually_fixed": "no"}
        )
        assert rated.status_code == 403
    assert not Event.objects.exclude(rating=None).exists()
    assert _fail_records("events.event.rate").count() == 2
    assert _fail_records("events.event.track").count() == 2
    assert _fail_records("events.event.photo").count() == 2
    assert {r.changes["reason"] for r in _fail_records("events.event.rate")} == {"not_reporter"}

    # The secret without the proof, or with a wrong one, is refused too.
    assert attacker.post("/events/track/", {"code": code, "secret": secret}).status_code == 403
    assert (
        attacker.post(
            "/events/track/", {"code": code, "secret": secret, "proof": "0000"}
        ).status_code
        == 403
    )

    # The real reporter, on another device: secret + the last four digits of their phone.
    device = Client()
    opened = device.post("/events/track/", {"code": code, "secret": secret, "proof": "5678"})
    assert opened.status_code == 302
    page = device.get(opened.url).content.decode()
    assert f"/events/track/{code}/photos/{photo.uid}/" in page and 'id="rate-form"' in page
    assert device.get(f"/events/track/{code}/photos/{photo.uid}/").status_code == 200
    rated = device.post("/events/track/", {"code": code, "rating": "5", "actually_fixed": "yes"})
    assert rated.status_code == 302
    event = Event.objects.get(tracking_code=code)
    assert (event.rating, event.actually_fixed) == (5, True)
    # The attacker still cannot see the photo.
    assert attacker.get(f"/events/track/{code}/photos/{photo.uid}/").status_code == 404


def test_a_reporter_without_phone_opens_with_the_secret_alone(crew):
    from gridgov.events.models import Event

    code, secret = _report(Client(), phone="")
    _close(crew, Event.objects.get(tracking_code=code))
    device = Client()
    assert device.post("/events/track/", {"code": code, "secret": "EWRONG"}).status_code == 403
    opened = device.post("/events/track/", {"code": code, "secret": secret})
    assert opened.status_code == 302
    assert 'id="rate-form"' in device.get(opened.url).content.decode()


def test_the_secret_only_policy_drops_the_phone_proof(crew):
    from gridgov.core.services import policy_update

    code, secret = _report(Client())
    secadmin = crew["dispatcher"].__class__.objects.create(username="sec")
    from gridgov.accounts.models import Membership
    from gridgov.org.models import OrgUnit

    Membership.objects.create(
        user=secadmin, role=Role.SECURITY_ADMIN, org_unit=OrgUnit.objects.get(code="310104")
    )
    policy_update(actor=secadmin, key="events.public", value={"phone_proof": False}, note="t")
    assert Client().post("/events/track/", {"code": code, "secret": secret}).status_code == 302


def test_only_photos_staff_approved_are_public(crew, login_client):
    from gridgov.audit.models import AuditRecord
    from gridgov.events.models import EventPhoto

    code, _secret = _report(Client())
    photo = EventPhoto.objects.get(event__tracking_code=code)
    anonymous = Client()
    assert anonymous.get(f"/events/track/{code}/photos/{photo.uid}/").status_code == 404
    feed = anonymous.get(f"/open311/v2/requests/{code}.json?jurisdiction_id=310104").json()
    assert feed[0]["media_url"] is None
    # A grid worker sees the event but does not dispatch: refused.
    worker = login_client(crew["worker"], Client())
    assert worker.post(f"/events/photos/{photo.uid}/public/", {"public": "1"}).status_code == 403
    assert anonymous.get(f"/events/track/{code}/photos/{photo.uid}/").status_code == 404
    staff = login_client(crew["dispatcher"], Client())
    response = staff.post(f"/events/photos/{photo.uid}/public/", {"public": "1"})
    assert response.status_code == 302
    assert AuditRecord.objects.filter(action="events.photo.publish", outcome="success").count() == 1
    assert anonymous.get(f"/events/track/{code}/photos/{photo.uid}/").status_code == 200
    feed = anonymous.get(f"/open311/v2/requests/{code}.json?jurisdiction_id=310104").json()
    assert feed[0]["media_url"].endswith(f"/events/track/{code}/photos/{photo.uid}/")
    anonymous_try = Client().post(f"/events/photos/{photo.uid}/public/", {"public": "1"})
    assert anonymous_try.status_code in (302, 401, 403)


def test_guessing_keys_from_one_address_is_throttled(crew):
    from gridgov.core.services import policy_update
    from gridgov.org.models import OrgUnit

    sysadmin = crew["dispatcher"].__class__.objects.create(username="sys")
    from gridgov.accounts.models import Membership

    Membership.objects.create(
        user=sysadmin, role=Role.SYSTEM_ADMIN, org_unit=OrgUnit.objects.get(code="310104")
    )
    policy_update(actor=sysadmin, key="events.loop", value={"public_per_ip_per_hour": 3}, note="t")
    code, secret = _report(Client())
    guesser = Client()
    for guess in ("AAAA", "BBBB", "CCCC"):
        assert guesser.post("/events/track/", {"code": code, "secret": guess}).status_code == 403
    # The right key and digits, from the same address, now wait.
    right = {"code": code, "secret": secret, "proof": PHONE[-4:]}
    throttled = guesser.post("/events/track/", right)
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
