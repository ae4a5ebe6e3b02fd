import pytest

from gridgov.accounts.roles import Role
from gridgov.core.errors import NotFound, PermissionDenied
from gridgov.core.scoping import access_object, collapse_paths, require_in_scope
from gridgov.org.models import Grid, OrgUnit

pytestmark = pytest.mark.django_db


def test_collapse_paths():
    assert collapse_paths(["31/3101/310104/", "31/3101/", "31/3102/"]) == ["31/3101/", "31/3102/"]


def test_visible_to_follows_the_subtree(org_tree, make_user):
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    assert list(OrgUnit.objects.visible_to(worker).values_list("code", flat=True)) == [
        "310104003001001"
    ]
    street = make_user(Role.STREET_STAFF, org_tree["s1"])
    codes = set(OrgUnit.objects.visible_to(street).values_list("code", flat=True))
    assert codes == {"310104003", "310104003001", "310104003001001", "310104003001002"}
    assert Grid.objects.visible_to(street).count() == 2
    # Two scopes are unioned.
    both = make_user(Role.GRID_WORKER, org_tree["g1a"])
    from gridgov.accounts.models import Membership

    Membership.objects.create(user=both, role=Role.GRID_WORKER, org_unit=org_tree["g2b"])
    both.forget_memberships()
    assert Grid.objects.visible_to(both).count() == 2


def test_nothing_visible_without_permission_or_login(org_tree, make_user):
    from django.contrib.auth.models import AnonymousUser

    auditor = make_user(Role.AUDIT_ADMIN, org_tree["d1"])
    assert not OrgUnit.objects.visible_to(auditor).exists()
    assert not OrgUnit.objects.visible_to(AnonymousUser()).exists()
    disabled = make_user(Role.DISTRICT_STAFF, org_tree["d1"], is_active=False)
    assert not OrgUnit.objects.visible_to(disabled).exists()


def test_out_of_scope_looks_missing(org_tree, make_user):
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    with pytest.raises(NotFound):
        access_object(worker, OrgUnit.objects.all(), code="310104003001002")
    with pytest.raises(NotFound):
        access_object(worker, OrgUnit.objects.all(), code="no-such-code")
    assert access_object(worker, OrgUnit.objects.all(), code="310104003001001")


def test_writes_outside_scope_are_refused(org_tree, make_user):
    community = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    require_in_scope(community, org_tree["g1a"].path, "org.change")
    with pytest.raises(PermissionDenied):
        require_in_scope(community, org_tree["g2a"].path, "org.change")
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    with pytest.raises(PermissionDenied):
        require_in_scope(worker, org_tree["g1a"].path, "org.change")


def test_tree_query_is_one_indexed_query(org_tree, make_user, django_assert_num_queries):
    street = make_user(Role.STREET_STAFF, org_tree["s1"])
    street.memberships_cached  # noqa: B018 - load memberships first
    with django_assert_num_queries(1):
        list(OrgUnit.objects.visible_to(street))
