"""A realistic demo district: 上海市徐汇区 with two real streets, four fictional
communities, twelve grids with boundaries, compounds, buildings and one account per
role. Only in demo mode: production refuses to seed (and to run with) demo accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.accounts.services import _initial_password
from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.crypto import encrypt_field
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
# South-west corner of the demo area and the size of one grid cell (degrees).
ORIGIN_LON, ORIGIN_LAT = 121.425, 31.165
CELL_LON, CELL_LAT = 0.006, 0.005


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
]


def demo_password() -> str:
    """One password for all demo accounts of this installation, kept in the data dir."""
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(_initial_password())
        path.chmod(0o600)
    return path.read_text().strip()


def _square(col: int, row: int) -> dict:
    x0, y0 = ORIGIN_LON + col * CELL_LON, ORIGIN_LAT + row * CELL_LAT
    x1, y1 = x0 + CELL_LON, y0 + CELL_LAT
    ring = [
        [round(x, 6), round(y, 6)] for x, y in [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def demo_is_seeded() -> bool:
    return OrgUnit.objects.filter(code="310104003001001").exists()


@transaction.atomic
def seed_demo() -> list[DemoLogin]:
    if settings.PRODUCTION:
        raise DemoRefused("demo data is never seeded in production mode")
    actor = SystemActor("demo-seed", batch_id=secrets.token_hex(8))
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
    rng_households = [380, 420, 455, 310, 497, 362, 441, 405, 333, 470, 388, 426]
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
        for g in range(3):
            grid_code = f"{code}{g + 1:03d}"
            households = rng_households[grid_index]
            col, row = grid_index % 4, grid_index // 4
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
                boundary = _square(col, row)
                ring = boundary["coordinates"][0]
                Grid.objects.create(
                    unit=unit,
                    boundary=boundary,
                    household_count=households,
                    min_lon=ring[0][0],
                    min_lat=ring[0][1],
                    max_lon=ring[2][0],
                    max_lat=ring[2][1],
                )
                compound = compounds[g % 2]
                for b in range(1, 5):
                    Building.objects.create(
                        compound=compound,
                        grid=unit,
                        number=f"{g * 4 + b}号楼",
                        floors=6 + (b % 3) * 5,
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
    from gridgov.demo.people import seed_people

    residents = seed_people()
    from gridgov.demo.events import seed_events

    events = seed_events()
    from gridgov.kpis import daily

    today = timezone.localdate()
    daily.refresh(today - timedelta(days=120), today + timedelta(days=40))
    audit_record(
        "org.demo.seed",
        actor=actor,
        org_unit_path=units["310104"].path,
        changes={
            "grids": grid_index,
            "users": len(DEMO_USERS),
            "residents": residents,
            "events": events,
        },
    )
    return logins


def demo_logins() -> list[DemoLogin]:
    admin_roles = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    return [DemoLogin(u, str(Role(r).label), s, r in admin_roles) for u, _d, r, s in DEMO_USERS]
