"""A realistic demo district: 上海市徐汇区 with two real streets, four fictional
communities, twelve grids with boundaries, compounds, buildings and one account per
role. Only in demo mode: production refuses to seed (and to run with) demo accounts."""

from __future__ import annotations

import importlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from shapely import union_all
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.accounts.services import _initial_password
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.crypto import encrypt_field
from gridgov.demo.geography import (
    OutlineDataMissing,
    as_geojson,
    district_outline,
    points_inside,
    polygonal,
    strips,
)
from gridgov.org.models import Building, Compound, Grid, GridAssignment, OrgUnit

L = OrgUnit.Level
# Real codes and names (national division codes); communities and below are fictional.
HIERARCHY = [
    ("31", "上海市", L.PROVINCE),
    ("3101", "市辖区", L.CITY),
    ("310104", "徐汇区", L.DISTRICT),
]
STREETS = [("310104003", "天平路街道"), ("310104011", "田林街道")]
COMMUNITIES = [
    ("310104003001", "宛平南路社区", "310104003"),
    ("310104003002", "建国西路社区", "310104003"),
    ("310104011001", "田林十二村社区", "310104011"),
    ("310104011002", "钦州路社区", "310104011"),
]
COMPOUND_KINDS = [
    Compound.Kind.OLD,
    Compound.Kind.COMMERCIAL,
    Compound.Kind.WORK_UNIT,
    Compound.Kind.SUBSIDISED,
]
# Where the streets and communities lie (WGS-84 degrees, approximate): each community is a
# box around the road it is named after, clipped to 徐汇区's outline; a street is the union
# of its communities; each community is cut into its three grids.
COMMUNITY_AREAS = {
    # 天平路街道 between 华山路 (121.436) and 陕西南路 (121.462), 肇嘉浜路 (31.198) and
    # 淮海中路 (31.214), cut at about 衡山路 (31.2035): 宛平南路社区 south of it, around
    # 宛平南路 north of 肇嘉浜路 (reference point 121.446,31.200); 建国西路社区 north of it,
    # around 建国西路 (121.453,31.207).
    "310104003001": (121.436, 31.198, 121.462, 31.2035),
    "310104003002": (121.436, 31.2035, 121.462, 31.214),
    # 田林街道 between 桂林路 (121.410) and 漕溪路 (121.438), 漕宝路 (31.163) and 宜山路
    # (31.183), cut at 121.425: 田林十二村社区 east, around 田林十二村 (121.428,31.171);
    # 钦州路社区 west, around 钦州南路 (121.422,31.176).
    "310104011001": (121.425, 31.163, 121.438, 31.183),
    "310104011002": (121.410, 31.163, 121.425, 31.183),
}
GRIDS_PER_COMMUNITY = 3
BUILDINGS_PER_GRID = 4


class DemoRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str
    two_factor: bool


DEMO_USERS = [
    ("demo_sysadmin", "系统管理员 演示", Role.SYSTEM_ADMIN, "310104"),
    ("demo_secadmin", "安全管理员 演示", Role.SECURITY_ADMIN, "310104"),
    ("demo_auditor", "审计管理员 演示", Role.AUDIT_ADMIN, "310104"),
    ("demo_district", "区指挥中心 演示", Role.DISTRICT_STAFF, "310104"),
    ("demo_street", "天平路街道 演示", Role.STREET_STAFF, "310104003"),
    ("demo_community", "宛平南路社区 演示", Role.COMMUNITY_STAFF, "310104003001"),
    ("demo_gridleader", "网格长 演示", Role.GRID_LEADER, "310104003001"),
    ("demo_gridworker", "网格员 演示", Role.GRID_WORKER, "310104003001001"),
    ("demo_dept", "城管部门 演示", Role.DEPARTMENT_HANDLER, "310104"),
    ("demo_volunteer", "志愿者 演示", Role.VOLUNTEER, "310104003001"),
    ("demo_resident", "居民 演示", Role.RESIDENT, "310104003001001"),
    ("demo_provider", "助餐服务方 演示", Role.SERVICE_PROVIDER, "310104003"),
]


def demo_password() -> str:
    """One password for all demo accounts of this installation, kept in the data dir."""
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(_initial_password())
        path.chmod(0o600)
    return path.read_text().strip()


def demo_layout(outline: BaseGeometry | None = None) -> dict[str, BaseGeometry]:
    """The area of every street, community and grid of the demo (by code), inside the
    district's outline (read from the province map file when not given)."""
    if outline is None:
        outline = district_outline(HIERARCHY[-1][0])
        if outline is None:
            raise OutlineDataMissing(f"the province map file has no outline of {HIERARCHY[-1][0]}")
    areas: dict[str, BaseGeometry] = {}
    for code, bounds in COMMUNITY_AREAS.items():
        community = polygonal(outline.intersection(box(*bounds)))
        areas[code] = community
        for g, grid in enumerate(strips(community, GRIDS_PER_COMMUNITY), start=1):
            areas[f"{code}{g:03d}"] = grid
    for code, _name in STREETS:
        areas[code] = union_all([a for c, a in areas.items() if len(c) == 12 and c[:9] == code])
    return areas


def demo_is_seeded() -> bool:
    """Seeded to the end: the last part records it (a seeding cut short is taken up again)."""
    from gridgov.audit.models import AuditRecord

    return AuditRecord.objects.filter(action=SEEDED_ACTION).exists()


SEEDED_ACTION = "org.demo.seed"
# The parts after the org tree and the logins, in order (module, function).
PARTS = [
    ("people", "seed_people"),
    ("events", "seed_events"),
    ("visits", "seed_visits"),
    ("lists", "seed_lists"),
    ("lists_providers", "seed_providers"),
    ("lists_projects", "seed_projects"),
    ("lists_bookings", "seed_bookings"),
    ("residents", "seed_resident_accounts"),
    ("participation_volunteers", "seed_volunteers"),
    ("participation_topics", "seed_participation_topics"),
    ("participation_votes", "seed_votes"),
    ("participation_ledgers", "seed_points_ledgers"),
    ("participation_surveys", "seed_participation_surveys"),
    ("participation_boards", "seed_participation_boards"),
    ("groups", "seed_groups"),
    ("groups_warnings", "seed_group_warnings"),
    ("groups_campaign", "seed_groups_campaign"),
    ("groups_crosschecks", "seed_group_crosschecks"),
    ("operations_supplies", "seed_supplies"),
    ("operations_devices", "seed_devices"),
    ("operations_facilities", "seed_facilities"),
    ("operations_catalogue", "seed_service_models"),
    ("operations_workforce", "seed_workforce"),
]


def seed_demo() -> list[DemoLogin]:
    """The demo district, written as the product writes in use: each action commits on its
    own. (One transaction for all of it made PostgreSQL step over every earlier version of
    the rows each write updates — the audit chain's head, a ledger's issuing account —
    half an hour instead of minutes.) The district counts as seeded when the last part is
    done; seeding again after a failure makes the parts that had not begun (each part
    skips what is there)."""
    if settings.PRODUCTION:
        raise DemoRefused("demo data is never seeded in production mode")
    with transaction.atomic():
        units, logins, grids = _seed_units_and_logins()
    made = {}
    for module, name in PARTS:
        made[name] = getattr(importlib.import_module(f"gridgov.demo.{module}"), name)()
        _refresh_planner_statistics()
    from gridgov.kpis import daily

    with transaction.atomic():
        today = timezone.localdate()
        daily.refresh(today - timedelta(days=120), today + timedelta(days=40))
        audit_record(
            SEEDED_ACTION,
            actor=SystemActor("demo-seed", batch_id=secrets.token_hex(8)),
            org_unit_path=units["310104"].path,
            changes={
                "grids": grids,
                "users": len(DEMO_USERS),
                "residents": made["seed_people"],
                "events": made["seed_events"],
            },
        )
    return logins


def _refresh_planner_statistics() -> None:
    """The demo fills empty tables. Where autovacuum is off or behind, PostgreSQL goes on
    planning as if they were empty (a scan of a month's ledger per points credit, not an
    index lookup): each part's later queries then grow with everything before them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _seed_units_and_logins() -> tuple[dict[str, OrgUnit], list[DemoLogin], int]:
    layout = demo_layout()
    layout = demo_layout()
    units: dict[str, OrgUnit] = {}
    parent = None
    for code, name, level in HIERARCHY:
        units[code], _ = OrgUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "parent": parent,
                "path": f"{parent.path if parent else ''}{code}/",
            },
        )
        parent = units[code]
    for code, name in STREETS:
        units[code], _ = OrgUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": L.STREET,
                "parent": units["310104"],
                "path": f"{units['310104'].path}{code}/",
            },
        )
    # Households in each grid's register (demo-sized grids; people.py files most of them).
    # 钦州路二小区 lies in one grid of 96: a small compound (≤ 100 households), collected by
    # its building heads (policy groups.collection); the others are medium.
    rng_households = [128, 142, 116, 135, 150, 121, 138, 110, 126, 147, 96, 133]
    grid_index = 0
    for c_index, (code, name, street) in enumerate(COMMUNITIES):
        community, _ = OrgUnit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": L.COMMUNITY,
                "parent": units[street],
                "path": f"{units[street].path}{code}/",
            },
        )
        units[code] = community
        compounds = []
        for k in range(2):
            compound, _ = Compound.objects.get_or_create(
                community=community,
                name=f"{name[:-2]}{'一二'[k]}小区",
                defaults={"kind": COMPOUND_KINDS[(c_index + k) % 4], "household_count": 0},
            )
            compounds.append(compound)
        for g in range(GRIDS_PER_COMMUNITY):
            grid_code = f"{code}{g + 1:03d}"
            households = rng_households[grid_index]
            grid_index += 1
            unit, created = OrgUnit.objects.get_or_create(
                code=grid_code,
                defaults={
                    "name": f"{name[:-2]}第{g + 1}网格",
                    "level": L.GRID,
                    "parent": community,
                    "path": f"{community.path}{grid_code}/",
                },
            )
            units[grid_code] = unit
            if created:
                area = layout[grid_code]
                min_lon, min_lat, max_lon, max_lat = area.bounds
                Grid.objects.create(
                    unit=unit,
                    boundary=as_geojson(area),
                    household_count=households,
                    min_lon=min_lon,
                    min_lat=min_lat,
                    max_lon=max_lon,
                    max_lat=max_lat,
                )
                compound = compounds[g % 2]
                spots = points_inside(area, BUILDINGS_PER_GRID)
                for b, (lon, lat) in enumerate(spots, start=1):
                    Building.objects.create(
                        compound=compound,
                        grid=unit,
                        number=f"{g * 4 + b}号楼",
                        floors=6 + (b % 3) * 5,
                        lon=lon,
                        lat=lat,
                    )
                compound.household_count += households
                compound.save(update_fields=["household_count"])

    password = demo_password()
    logins = []
    for username, display, role, scope in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                display_name=display,
                is_demo=True,
                must_change_password=False,
                password_changed_at=timezone.now(),
            )
            user.set_password(password)
            user.save()
            Membership.objects.create(user=user, role=role, org_unit=units[scope])
            if role in {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}:
                # A known demo secret so `gridgov demo_code` can print the current code.
                import pyotp

                user.totp_secret_encrypted = encrypt_field(
                    pyotp.random_base32(), associated_data=f"accounts_user/totp_secret/{user.pk}"
                )
                user.totp_confirmed = True
                user.save(update_fields=["totp_secret_encrypted", "totp_confirmed"])
            if role in {Role.GRID_WORKER, Role.GRID_LEADER, Role.VOLUNTEER}:
                grid = units["310104003001001"]
                duty = {
                    Role.GRID_WORKER: GridAssignment.Duty.FULL_TIME,
                    Role.GRID_LEADER: GridAssignment.Duty.LEADER,
                    Role.VOLUNTEER: GridAssignment.Duty.VOLUNTEER,
                }[role]
                GridAssignment.objects.create(
                    grid=grid, user=user, duty=duty, start_date=date(2026, 1, 1)
                )
        logins.append(
            DemoLogin(
                username,
                str(Role(role).label),
                scope,
                role in {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN},
            )
        )
    return units, logins, grid_index


def demo_logins() -> list[DemoLogin]:
    admin_roles = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    return [DemoLogin(u, str(Role(r).label), s, r in admin_roles) for u, _d, r, s in DEMO_USERS]
