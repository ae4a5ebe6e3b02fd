"""Staff cannot cut off the root of their own scope, and a grid's staff list takes only
accounts whose scope covers the grid without telling other scopes' user names apart."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import GridGovError
from gridgov.org.models import GridAssignment, OrgUnit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role,unit",
    [
        (Role.COMMUNITY_STAFF, "c1"),
        (Role.STREET_STAFF, "s1"),
        (Role.DISTRICT_STAFF, "d1"),
        (Role.SYSTEM_ADMIN, "d1"),
    ],
)
def test_the_root_of_ones_own_scope_cannot_be_deactivated(org_tree, make_user, role, unit):
    from gridgov.org.services import org_unit_update

    staff = make_user(role, org_tree[unit])
    with pytest.raises(GridGovError) as exc:
        org_unit_update(actor=staff, unit=org_tree[unit], name="停用", is_active=False)
    assert exc.value.status == 403
    assert OrgUnit.objects.get(pk=org_tree[unit].pk).is_active
    record = AuditRecord.objects.get(action="org.unit.update", outcome="fail")
    assert record.actor_id == staff.pk and record.changes["reason"] == "scope_root"
    # Renaming the root is still allowed, and so is deactivating what lies below it.
    org_unit_update(actor=staff, unit=org_tree[unit], name="新名称", is_active=True)
    org_unit_update(actor=staff, unit=org_tree["g1a"], name="网格", is_active=False)
    assert not OrgUnit.objects.get(pk=org_tree["g1a"].pk).is_active


def test_deactivating_the_scope_root_through_page_and_api(org_tree, make_user, login_client):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    client = login_client(staff)
    page = client.post("/org/units/310104003001/edit/", {"name": "宛平南路社区"})
    assert page.status_code == 403
    api = client.patch(
        "/api/v1/org-units/310104003001", {"is_active": False}, content_type="application/json"
    )
    assert api.status_code == 403
    assert OrgUnit.objects.get(pk=org_tree["c1"].pk).is_active


@pytest.fixture
def grid_staff(org_tree, make_user):
    return {
        "community": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="gs_comm"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="gs_worker"),
        "leader": make_user(Role.GRID_LEADER, org_tree["c1"], username="gs_leader"),
        "neighbour": make_user(Role.GRID_WORKER, org_tree["g1b"], username="gs_neighbour"),
        "elsewhere": make_user(Role.GRID_WORKER, org_tree["g2a"], username="gs_elsewhere"),
        "no_role": make_user(username="gs_nobody"),
    }


def _assign(client, username):
    return client.post(
        "/org/grids/310104003001001/staff/",
        {"username": username, "duty": "full_time"},
        follow=True,
    )


def _message(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_only_accounts_whose_scope_covers_the_grid_can_serve_it(grid_staff, login_client):
    client = login_client(grid_staff["community"])
    for key in ("worker", "leader"):
        assert "Saved" in _message(_assign(client, grid_staff[key].username))
    refused = {}
    for key in ("neighbour", "elsewhere", "no_role"):
        refused[key] = _message(_assign(client, grid_staff[key].username))
    refused["unknown"] = _message(_assign(client, "gs_never_existed"))
    # One answer for a stranger, another grid's worker, another district's and a made-up name.
    assert len(set(refused.values())) == 1, refused
    assert "Saved" not in refused["unknown"]
    served = set(GridAssignment.objects.values_list("user__username", flat=True))
    assert served == {"gs_worker", "gs_leader"}


def test_the_service_refuses_an_account_outside_the_grid(org_tree, grid_staff):
    from gridgov.org.services import grid_assign

    with pytest.raises(GridGovError):
        grid_assign(
            actor=grid_staff["community"],
            grid=org_tree["g1a"],
            user=grid_staff["elsewhere"],
            duty="full_time",
            start_date=date(2026, 1, 1),
        )
    assert not GridAssignment.objects.exists()
