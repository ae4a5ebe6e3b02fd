"""The resident rates a completed service through the link sent to them (the events' rating
pattern): once, only after completion, with both answers; staff then add the outcome rating
and the need follows the resident's answer. Unknown links are 404 and throttled."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.lists import services
from gridgov.lists.models import Need, ServiceOrder
from gridgov.lists.tests.test_matching_services import _household, _matching_need, _resource

pytestmark = pytest.mark.django_db
LINK = re.compile(r"/lists/rate/([A-Za-z0-9_-]+)/")


@pytest.fixture
def completed(org_tree, make_user, caplog, django_capture_on_commit_callbacks):
    """An order served and completed; returns (staff, order, the link the resident got)."""
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    need = _matching_need(staff, _household(staff, org_tree["g1a"], "R1"))
    resource = _resource(
        staff, org_tree["c1"], "助餐点", area=[org_tree["c1"]], lon=121.4, lat=31.2, capacity=3
    )
    order = services.order_dispatch(
        actor=staff, need=need, resource_uid=resource.uid, version=need.version
    )
    for action in ("accept", "start"):
        order = services.order_transition(
            actor=staff, order=order, action=action, version=order.version
        )
    caplog.set_level("INFO", logger="gridgov.notify")
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_transition(
            actor=staff, order=order, action="complete", version=order.version, hours="2"
        )
    sent = [r.getMessage() for r in caplog.records if r.name == "gridgov.notify"]
    assert len(sent) == 1 and sent[0].startswith("notify resident:")
    link = LINK.search(sent[0]).group(1)
    return staff, order, link


def test_the_link_is_sent_on_completion_and_only_its_digest_is_kept(completed):
    _staff, order, link = completed
    order.refresh_from_db()
    assert len(link) >= 24 and order.rating_link_digest and link not in order.rating_link_digest
    assert not ServiceOrder.objects.filter(rating_link_digest=link).exists()


def test_the_resident_rates_once_and_staff_add_the_outcome(completed, client, login_client):
    staff, order, link = completed
    page = client.get(f"/lists/rate/{link}/")
    assert page.status_code == 200 and "rate-form" in page.content.decode()
    # Half an answer: refused, nothing stored.
    bad = client.post(
        f"/lists/rate/{link}/", {"resident_rating": "7"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    with translation.override("zh-hans"):
        stars, met = _("Give 1 to 5 stars."), _("Say whether the need was met.")
    assert bad.status_code == 400 and stars in bad.content.decode() and met in bad.content.decode()
    assert stars != "Give 1 to 5 stars."
    order.refresh_from_db()
    assert order.resident_rated_at is None and order.resident_rating is None
    ok = client.post(f"/lists/rate/{link}/", {"resident_rating": "4", "need_met": "yes"})
    assert ok.status_code == 200 and 'id="rated"' in ok.content.decode()
    order.refresh_from_db()
    assert order.resident_rating == 4 and order.need_met == "yes" and order.resident_rated_at
    assert order.state == ServiceOrder.State.COMPLETED  # staff still add the outcome
    record = AuditRecord.objects.get(action="lists.order.resident_rate")
    assert record.changes == {"resident_rating": 4, "need_met": "yes"}
    again = client.post(f"/lists/rate/{link}/", {"resident_rating": "1", "need_met": "no"})
    assert again.status_code == 409
    order.refresh_from_db()
    assert order.resident_rating == 4
    # Staff: only the outcome rating; the resident's answer stands and moves the need.
    c = login_client(staff)
    page = c.get(f"/lists/orders/{order.uid}/").content.decode()
    assert 'id="resident-answer"' in page and 'name="resident_rating"' not in page
    c.post(
        f"/lists/orders/{order.uid}/action/",
        {"action": "rate", "version": order.version, "outcome_rating": "5"},
    )
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.RATED and order.outcome_rating == 5
    assert order.resident_rating == 4 and order.need.state == Need.State.MET
    rated = AuditRecord.objects.filter(action="lists.order.transition").order_by("pk").last()
    assert rated.changes["on_behalf"] is False
    # After the order is rated, the link shows the answer and takes no other.
    assert (
        client.post(f"/lists/rate/{link}/", {"resident_rating": "2", "need_met": "no"}).status_code
        == 409
    )


def test_staff_who_read_the_order_before_the_residents_answer_get_a_conflict(completed):
    staff, order, link = completed
    services.order_resident_rate(link=link, resident_rating="2", need_met="partly")
    with pytest.raises(services.Conflict):
        services.order_transition(
            actor=staff,
            order=order,
            action="rate",
            version=order.version,  # read before the resident answered
            rating=services.Rating(5, "yes", 5),
        )
    order.refresh_from_db()
    rated = services.order_transition(
        actor=staff,
        order=order,
        action="rate",
        version=order.version,
        rating=services.Rating(5, "yes", 3),  # the resident's own answer wins
    )
    assert rated.resident_rating == 2 and rated.need_met == "partly"
    assert rated.need.state == Need.State.PARTLY_MET


def test_unknown_links_are_404_and_throttled(client, settings):
    from gridgov.core.policies import policy_get

    limit = policy_get("events.loop").public_per_ip_per_hour
    statuses = [client.get(f"/lists/rate/guess{i}/").status_code for i in range(limit + 1)]
    assert set(statuses[:limit]) == {404} and statuses[limit] == 429
