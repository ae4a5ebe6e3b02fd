"""The shared inbox: any app's notice about any record, read back by page, API and badge;
one user never reads or marks another's."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core import notifications
from gridgov.core.models import Notification
from gridgov.org.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_staff(org_tree, make_user):
    return (
        make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="inbox_a"),
        make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="inbox_b"),
    )


def test_a_notice_about_any_record_links_to_it_once_per_key(two_staff, org_tree):
    a, _ = two_staff
    unit = org_tree["c1"]
    for _attempt in range(2):  # a retried task adds nothing
        notifications.inbox([a, a, None], kind="test", message="看这里", subject=unit, key="k1")
    notice = Notification.objects.get(recipient=a)
    assert (notice.subject_type, notice.subject_id) == ("org.orgunit", str(unit.pk))
    assert notice.link == ""  # a unit has no page of its own to link to
    assert notifications.unread_count(a) == 1


def test_inbox_page_api_and_badge_show_only_ones_own(two_staff, org_tree, login_client, client):
    from gridgov.events.models import Event

    a, b = two_staff
    notifications.inbox([a], kind="test", message="notice for a", key="a1")
    notifications.inbox([b], kind="test", message="notice for b", key="b1")
    login_client(a)
    page = client.get("/inbox/").content.decode()
    assert "notice for a" in page and "notice for b" not in page
    listed = client.get("/api/v1/notifications").json()
    assert [n["message"] for n in listed] == ["notice for a"]
    assert listed[0]["read"] is False and listed[0]["subject_type"] == ""

    # Marking b's notice through a's session changes nothing.
    b_notice = Notification.objects.get(recipient=b)
    assert client.post(f"/api/v1/notifications/{b_notice.pk}/read").status_code == 204
    b_notice.refresh_from_db()
    assert b_notice.read_at is None
    assert client.post("/inbox/read/").status_code == 302
    assert notifications.unread_count(a) == 0 and notifications.unread_count(b) == 1
    assert Event.objects.count() == 0  # the inbox needs no event to exist


def test_an_event_notice_links_to_the_event(two_staff, org_tree, login_client, client):
    from gridgov.events.models import Category, Event

    a, _ = two_staff
    category = Category.objects.filter(is_active=True).first()
    grid = org_tree["g1a"]
    event = Event.objects.create(
        title="路灯不亮",
        tracking_code="T-INBOX-1",
        reported_at=timezone.now(),
        category=category,
        grid=grid,
        responsible_unit=OrgUnit.objects.get(pk=grid.pk),
        scope_path=grid.path,
    )
    notifications.inbox([a], kind="new", message="new event", subject=event)
    login_client(a)
    assert f'href="/events/{event.uid}/"' in client.get("/inbox/").content.decode()
    [listed] = client.get("/api/v1/notifications").json()
    assert listed["subject_type"] == "events.event" and listed["subject_id"] == str(event.uid)
