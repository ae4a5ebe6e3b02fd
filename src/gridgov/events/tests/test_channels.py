"""Reporting channels: API (idempotent resend), grid worker patrol, resident H5 page with
photos, hotline, device webhook; routing, suggestions and bad input."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.models import Notification
from gridgov.events.models import Event, EventPhoto, State

pytestmark = pytest.mark.django_db


def _jpeg(name="p.jpg", size=(64, 48), gps=True) -> SimpleUploadedFile:
    image = Image.new("RGB", size, "green")
    exif = Image.Exif()
    if gps:
        # GPS IFD: 31°12'18"N 121°24'18"E
        exif[0x8825] = {1: "N", 2: (31.0, 12.0, 18.0), 3: "E", 4: (121.0, 24.0, 18.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_api_report_is_idempotent_by_client_id(crew, login_client, client):
    login_client(crew["worker"])
    body = {"title": "井盖缺失", "lon": 121.405, "lat": 31.205, "client_id": "c-1"}
    first = client.post("/api/v1/events", body, content_type="application/json")
    again = client.post("/api/v1/events", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["uid"] == again.json()["uid"]
    assert Event.objects.count() == 1


def test_patrol_report_is_the_workers_own_at_once(crew, login_client, client):
    login_client(crew["worker"])
    response = client.post(
        "/api/v1/events",
        {"title": "楼道里有小广告", "lon": 121.405, "lat": 31.205},
        content_type="application/json",
    )
    event = Event.objects.get(uid=response.json()["uid"])
    assert event.channel == "patrol" and event.found_by_grid_worker
    assert (event.state, event.assignee, event.category.code) == (
        State.HANDLING,
        crew["worker"],
        "07001",
    )
    assert event.responsible_unit.code == "310104003001001"  # the worker's grid received it


def test_resident_report_gets_suggestion_and_suggested_worker(crew, report):
    event = report(title="楼上半夜装修噪音太吵", description="每天都这样")
    assert event.suggested_category.code in {"06028", "55001"}
    assert 0 < event.suggestion_confidence <= 1
    assert event.suggested_assignee in (crew["worker"], crew["worker2"])
    assert Notification.objects.filter(recipient=crew["dispatcher"], kind="new").exists()


def test_least_loaded_worker_is_suggested(crew, report, advance):
    advance(report(), "accept", "classify", "dispatch")  # worker_a now has one
    assert report(title="又一处垃圾").suggested_assignee == crew["worker2"]


def test_outside_every_grid_goes_to_the_community_queue(crew, report, org_tree):
    event = report(lon=121.43, lat=31.205)  # east of g1b, nearest to it
    assert event.grid is None and event.outside_grids
    assert event.scope_path == org_tree["c1"].path
    steps = event.actions.values_list("note", flat=True)
    assert any(steps)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "长" * 101}, "title"),
        ({"description": "长" * 2001}, "description"),
        ({"lon": 10.0}, "location"),
        ({"lon": None, "lat": None}, "location"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"urgency": "whenever"}, "urgency"),
        ({"category_code": "99999"}, "category"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_stored(fields, field, crew):
    from gridgov.core.errors import ValidationFailed
    from gridgov.events.services import ReportInput, report_event

    values = {"channel": "resident", "title": "垃圾", "lon": 121.405, "lat": 31.205, **fields}
    with pytest.raises(ValidationFailed) as caught:
        report_event(actor=None, data=ReportInput(**values))
    assert field in caught.value.details
    assert Event.objects.count() == 0


def test_api_errors_are_bilingual(crew, login_client, client):
    login_client(crew["dispatcher"])
    en = client.post("/api/v1/events", {"title": ""}, content_type="application/json")
    zh = client.post(
        "/api/v1/events",
        {"title": ""},
        content_type="application/json",
        headers={"accept-language": "zh-hans"},
    )
    assert en.status_code == zh.status_code == 422
    assert en.json()["message"] != zh.json()["message"]


def test_api_actions_and_illegal_transition_409(crew, report, login_client, client):
    event = report()
    login_client(crew["dispatcher"])
    url = f"/api/v1/events/{event.uid}/actions"
    ok = client.post(url, {"action": "accept", "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["state"] == "accepted"
    again = client.post(url, {"action": "accept"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    assert again.json()["details"]["state"] == "accepted"
    bad = client.post(
        url, {"action": "classify", "category": "99999"}, content_type="application/json"
    )
    assert bad.status_code == 422
    classify = client.post(
        url, {"action": "classify", "category": "06010"}, content_type="application/json"
    )
    assert classify.json()["handle_due"] and "classify" in [
        s["action"] for s in classify.json()["timeline"]
    ]
    dispatch = client.post(
        url,
        {"action": "dispatch", "assignee": crew["worker"].username},
        content_type="application/json",
    )
    assert dispatch.json()["assignee"] == crew["worker"].username


def test_api_lists_are_scoped(crew, report, login_client, client):
    report()
    report(lon=121.505)  # other district
    login_client(crew["dispatcher"])
    items = client.get("/api/v1/events").json()["items"]
    assert len(items) == 1 and items[0]["grid"] == "310104003001001"
    assert items[0]["contact_phone"] == ""


def test_public_h5_report_with_photos_strips_location(crew, client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    response = client.post(
        "/events/report/",
        {
            "title": "路灯不亮",
            "lon": "121.405",
            "lat": "31.205",
            "contact_phone": "13912345678",
            "photos": [_jpeg(), _jpeg("b.jpg", gps=False)],
        },
    )
    assert response.status_code == 302 and "code=E" in response.url
    event = Event.objects.get()
    assert event.channel == "resident" and event.contact_phone_masked == "139****5678"
    assert "13912345678" not in json.dumps(list(Event.objects.values()), default=str)
    photos = list(EventPhoto.objects.order_by("pk"))
    assert len(photos) == 2
    assert abs(photos[0].exif_lat - 31.205) < 0.001 and photos[1].exif_lat is None
    on_disk = Path(photos[0].stored_path).read_bytes()
    assert not on_disk.startswith(b"\xff\xd8\xff")  # encrypted at rest
    track = client.get(f"/events/track/?code={event.tracking_code}")
    assert track.status_code == 200 and event.title in track.content.decode()
    photo = client.get(f"/events/track/{event.tracking_code}/photos/{photos[0].uid}/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    served = b"".join(photo.streaming_content)
    assert hashlib.sha256(served).hexdigest() == photos[0].sha256
    with Image.open(io.BytesIO(served)) as stored:
        assert stored.format == "JPEG" and not stored.getexif()
    wrong = client.get(f"/events/track/EWRONGCODE/photos/{photos[0].uid}/")
    assert wrong.status_code == 404


def test_staff_opening_an_event_photo_is_audited(crew, client, login_client, settings, tmp_path):
    """A photo shows people and homes as they are: a staff member's opening is a reveal."""
    settings.DATA_DIR = tmp_path
    client.post(
        "/events/report/",
        {"title": "路灯不亮", "lon": "121.405", "lat": "31.205", "photos": [_jpeg()]},
    )
    photo = EventPhoto.objects.get()
    login_client(crew["dispatcher"])
    opened = client.get(f"/events/photos/{photo.uid}/")
    assert opened.status_code == 200 and opened["Cache-Control"] == "no-store"
    assert hashlib.sha256(b"".join(opened.streaming_content)).hexdigest() == photo.sha256
    record = AuditRecord.objects.get(action="events.photo.view")
    assert record.target_id == str(photo.uid) and record.outcome == "success"
    assert record.actor_name == crew["dispatcher"].username
    # A damaged file is not served, and the attempt is on record as failed.
    Path(photo.stored_path).write_bytes(b"not the photo")
    assert client.get(f"/events/photos/{photo.uid}/").status_code >= 400
    assert AuditRecord.objects.filter(action="events.photo.view", outcome="fail").count() == 1


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("x.jpg", b"MZ\x90\x00not an image", content_type="image/jpeg"),
        SimpleUploadedFile(
            "x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/svg+xml"
        ),
    ],
)
def test_photos_are_sniffed_not_trusted(upload, crew, client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    response = client.post(
        "/events/report/", {"title": "垃圾", "lon": "121.405", "lat": "31.205", "photos": [upload]}
    )
    assert response.status_code == 400
    assert Event.objects.count() == 0


def test_too_many_photos(crew, client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    response = client.post(
        "/events/report/",
        {
            "title": "垃圾",
            "lon": "121.405",
            "lat": "31.205",
            "photos": [_jpeg(f"{i}.jpg") for i in range(7)],
        },
    )
    assert response.status_code == 400 and Event.objects.count() == 0


def test_public_channel_is_rate_limited_per_phone(crew, client, make_user, org_tree):
    from gridgov.core.services import policy_update

    policy_update(
        actor=make_user(Role.SYSTEM_ADMIN, org_tree["d1"]),
        key="events.loop",
        value={"public_per_phone_per_day": 2},
        note="test",
    )
    for _ in range(2):
        ok = client.post(
            "/events/report/",
            {"title": "垃圾", "lon": "121.405", "lat": "31.205", "contact_phone": "13912345678"},
        )
        assert ok.status_code == 302
    refused = client.post(
        "/events/report/",
        {"title": "垃圾", "lon": "121.405", "lat": "31.205", "contact_phone": "13912345678"},
    )
    assert refused.status_code == 429 and Event.objects.count() == 2


def test_public_rating_by_tracking_code(crew, report, advance, client):
    from gridgov.events.tracking import issue_secret

    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle", "verify_pass")
    url = "/events/track/"
    # The reporter opens the report with its access key (no phone was given: no proof).
    opened = client.post(url, {"code": event.tracking_code, "secret": issue_secret(event)})
    assert opened.status_code == 302
    bad = client.post(url, {"code": event.tracking_code, "rating": "9", "actually_fixed": "yes"})
    assert bad.status_code == 200 and Event.objects.get(pk=event.pk).rating is None
    ok = client.post(url, {"code": event.tracking_code, "rating": "4", "actually_fixed": "no"})
    assert ok.status_code == 302
    event.refresh_from_db()
    assert (event.rating, event.actually_fixed) == (4, False)


def _signed(secret, body, ts=None, nonce="n-1"):
    ts = str(int(ts or time.time()))
    signature = hmac.new(secret.encode(), f"{ts}.{nonce}.".encode() + body, hashlib.sha256)
    return {
        "HTTP_X_GRIDGOV_TIMESTAMP": ts,
        "HTTP_X_GRIDGOV_NONCE": nonce,
        "HTTP_X_GRIDGOV_SIGNATURE": signature.hexdigest(),
    }


def test_device_webhook_signed_and_replay_protected(crew, client):
    from gridgov.events.services import device_register

    device, secret = device_register(
        actor=crew["district"],
        code="smoke-1",
        name="3号楼烟感",
        category_code="52001",
        lon=121.405,
        lat=31.205,
    )
    body = json.dumps({"message": "烟雾浓度超标"}).encode()
    url = "/events/hooks/device/smoke-1/"
    response = client.post(url, body, content_type="application/json", **_signed(secret, body))
    assert response.status_code == 201
    event = Event.objects.get(tracking_code=response.json()["tracking_code"])
    assert (event.channel, event.urgency, event.state) == ("device", "immediate", State.DISPATCHED)
    assert event.assignee in (crew["worker"], crew["worker2"])
    replay = client.post(url, body, content_type="application/json", **_signed(secret, body))
    assert replay.status_code == 409
    forged = client.post(
        url, body, content_type="application/json", **_signed("wrong", body, nonce="n-2")
    )
    assert forged.status_code == 401
    stale = client.post(
        url,
        body,
        content_type="application/json",
        **_signed(secret, body, ts=time.time() - 3600, nonce="n-3"),
    )
    assert stale.status_code == 401
    assert Event.objects.count() == 1


def test_contact_reveal_is_audited(crew, report, login_client, client):
    event = report(contact_phone="13912345678")
    login_client(crew["dispatcher"])
    response = client.post(f"/events/{event.uid}/reveal/", {"reason": "回访"})
    assert "13912345678" in response.content.decode()
    assert AuditRecord.objects.filter(action="events.event.reveal_contact").count() == 1


def test_contact_reveals_share_the_reveal_limit(crew, report, login_client, client):
    """A reporter's phone is a full value like a resident's: 10 reveals a minute (policy
    accounts.rate_limits), then 429 with Retry-After; refused reveals are not audited."""
    import time_machine

    event = report(contact_phone="13912345678")
    with time_machine.travel("2026-03-02 10:00:05 +08:00", tick=False):
        login_client(crew["dispatcher"])
        for _ in range(10):
            response = client.post(f"/events/{event.uid}/reveal/", {"reason": "回访"})
            assert response.status_code == 200
        refused = client.post(f"/events/{event.uid}/reveal/", {"reason": "回访"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "13912345678" not in refused.content.decode()
    assert AuditRecord.objects.filter(action="events.event.reveal_contact").count() == 10


def test_grid_worker_cannot_reveal(crew, report, login_client, client):
    event = report(contact_phone="13912345678")
    login_client(crew["worker"])
    assert client.post(f"/events/{event.uid}/reveal/", {"reason": "x"}).status_code == 403


def test_duplicates_are_suggested_nearby(crew, report, login_client, client):
    first = report(title="楼道垃圾堆放", lon=121.4050, lat=31.2050)
    second = report(title="楼道垃圾堆放", lon=121.4055, lat=31.2052)
    far = report(title="楼道垃圾堆放", lon=121.409, lat=31.209)
    from gridgov.events.selectors import duplicate_suggestions

    found = duplicate_suggestions(actor=crew["dispatcher"], event=second)
    assert first in found and far not in found


def test_workload_warning_above_the_policy(crew, report, advance, make_user, org_tree):
    from gridgov.core.services import policy_update
    from gridgov.events.routing import workload_warning

    policy_update(
        actor=make_user(Role.SYSTEM_ADMIN, org_tree["d1"]),
        key="events.workload",
        value={"max_events_per_day": 1},
        note="t",
    )
    for title in ("一", "二"):
        advance(report(title=title), "accept", "classify", "dispatch")
    assert workload_warning(crew["worker"]) == 2


def test_classifier_training_reports_held_out_accuracy(crew, report, advance):
    from gridgov.events import classify
    from gridgov.events.services import transition

    texts = {
        "06028": ["广场舞音响太吵", "夜里唱歌扰民", "楼下商铺音乐声大", "半夜有人大声喧哗"],
        "52003": ["闻到煤气味", "厨房燃气泄漏", "楼道有天然气味道", "燃气管道漏气"],
        "56003": ["路灯坏了", "小区路灯不亮", "路灯一闪一闪", "弄堂里灯不亮太黑"],
    }
    for code, lines in texts.items():
        for i, line in enumerate(lines * 3):
            event = report(title=f"{line}{i}")
            transition(actor=crew["dispatcher"], event=event, action="accept")
            transition(actor=crew["dispatcher"], event=event, action="classify", category_code=code)
    result = classify.train(seed=1)
    assert result.trained_on + result.tested_on == 36
    assert 0.6 <= result.accuracy <= 1.0
    suggestion = classify.suggest("煤气泄漏了")
    assert suggestion.category.code == "52003"


def test_classifier_needs_enough_events():
    from gridgov.events import classify

    with pytest.raises(ValueError, match="at least"):
        classify.train()


def test_role_matrix_roles_that_report(make_user, org_tree):
    from gridgov.events.api import channel_for

    assert channel_for(make_user(Role.RESIDENT, org_tree["g1a"]), "hotline") == "resident"
    assert channel_for(make_user(Role.COMMUNITY_STAFF, org_tree["c1"]), "hotline") == "hotline"
    assert channel_for(make_user(Role.GRID_WORKER, org_tree["g1a"]), "") == "patrol"


def test_public_channel_is_rate_limited_per_ip(crew, client, make_user, org_tree):
    from django.core.cache import cache

    from gridgov.core.services import policy_update

    cache.clear()
    policy_update(
        actor=make_user(Role.SYSTEM_ADMIN, org_tree["d1"]),
        key="events.loop",
        value={"public_per_ip_per_hour": 2},
        note="test",
    )
    form = {"title": "垃圾", "lon": "121.405", "lat": "31.205"}
    for _ in range(2):
        assert client.post("/events/report/", form, REMOTE_ADDR="10.1.1.1").status_code == 302
    assert client.post("/events/report/", form, REMOTE_ADDR="10.1.1.1").status_code == 429
    assert client.post("/events/report/", form, REMOTE_ADDR="10.1.1.2").status_code == 302
    assert Event.objects.count() == 3


def test_a_failed_report_leaves_no_photo_file(crew, settings, tmp_path, monkeypatch):
    from gridgov.events import services
    from gridgov.events.services import ReportInput, report_event

    settings.DATA_DIR = tmp_path

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        report_event(
            actor=None,
            data=ReportInput(
                channel="resident", title="垃圾", lon=121.405, lat=31.205, photos=[_jpeg()]
            ),
        )
    assert Event.objects.count() == 0 and EventPhoto.objects.count() == 0
    assert not list((tmp_path / "event_photos").glob("*.jpg"))
