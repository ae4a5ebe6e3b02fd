"""A site to back up and lose: a real database of the run's vendor (a SQLite file, or a
PostgreSQL database of its own) that other threads and the client tools reach, migrated,
with its own data directory, field keys, backup key and backup directories."""

from __future__ import annotations

import io
import random
import shutil
import tarfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from PIL import Image


@dataclass
class Site:
    root: Path
    vendor: str
    database: str
    secrets: set[str] = field(default_factory=set)  # plaintext ID and phone numbers written


def _pg_admin(sql: str) -> None:
    import psycopg

    params = {
        k: v
        for k, v in connections["default"].get_connection_params().items()
        if k in {"user", "password", "host", "port"} and v
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(sql)


def destroy(site: Site, settings) -> None:
    """The machine is lost: the database, the media and the field key file are gone."""
    connections.close_all()
    if site.vendor == "postgresql":
        _pg_admin(f'DROP DATABASE "{site.database}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{site.database}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(site.database + suffix).unlink(missing_ok=True)
    for folder in settings.GRIDGOV_BACKUP_MEDIA:
        shutil.rmtree(Path(settings.DATA_DIR) / folder, ignore_errors=True)
    Path(settings.FIELD_KEY_FILE).unlink()
    from gridgov.core.crypto import keyring

    keyring.cache_clear()


@pytest.fixture
def site(tmp_path, settings, django_db_setup, django_db_blocker):
    from gridgov.core.crypto import keyring

    data = tmp_path / "data"
    settings.DATA_DIR = data
    settings.FIELD_KEY_FILE = data / "field_keys.json"
    settings.GRIDGOV_BACKUP_DIR = tmp_path / "backups"
    # The sealed field keys go to a place of their own, as the operations guide advises.
    settings.GRIDGOV_BACKUP_KEYS_DIR = tmp_path / "backup-keys"
    settings.GRIDGOV_BACKUP_KEY_FILE = tmp_path / "backup_key.json"
    keyring.cache_clear()
    conn = connections["default"]
    with django_db_blocker.unblock():
        original = conn.settings_dict["NAME"]
        # An in-memory test database lives as long as its connection: set it aside.
        kept = conn.connection if conn.vendor == "sqlite" and conn.is_in_memory_db() else None
        if kept is not None:
            conn.connection = None
        else:
            conn.close()
        if conn.vendor == "postgresql":
            name = f"{original}_backup_drill"
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _pg_admin(f'CREATE DATABASE "{name}"')
        else:
            name = str(tmp_path / "drill.sqlite3")
        conn.settings_dict["NAME"] = name  # shared with the connections of other threads
        try:
            # As `gridgov start` prepares a database.
            call_command("migrate", verbosity=0, interactive=False)
            call_command("createcachetable", verbosity=0)
            yield Site(root=tmp_path, vendor=conn.vendor, database=name)
        finally:
            connections.close_all()
            conn.settings_dict["NAME"] = original
            if kept is not None:
                conn.connection = kept
            if conn.vendor == "postgresql":
                _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    keyring.cache_clear()


# Data -------------------------------------------------------------------------------


@dataclass
class Registry:
    staff: object
    grid: object
    households: list
    residents: dict  # resident uid → (id number, phone)
    event: object
    event_phone: str


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("pothole.png", buffer.getvalue(), content_type="image/png")


def build_registry(site: Site, *, households: int = 3, per_household: int = 3) -> Registry:
    """Org units, a community staff member, households and residents with encrypted ID and
    phone numbers, an event with an encrypted contact phone and a photo — every write
    through the product's services, so the audit chains hold them all."""
    from django.utils import timezone

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.demo.people import fictitious_id, fictitious_phone
    from gridgov.events.models import Channel
    from gridgov.events.services import ReportInput, report_event
    from gridgov.org.models import Grid, OrgUnit
    from gridgov.people.services import household_create, resident_create

    L = OrgUnit.Level
    parent = None
    units = {}
    for code, name, level in [
        ("31", "上海市", L.PROVINCE),
        ("3101", "市辖区", L.CITY),
        ("310104", "徐汇区", L.DISTRICT),
        ("310104003", "天平路街道", L.STREET),
        ("310104003001", "宛平南路社区", L.COMMUNITY),
        ("310104003001001", "网格001", L.GRID),
    ]:
        parent = units[code] = OrgUnit.objects.create(
            code=code,
            name=name,
            level=level,
            parent=parent,
            path=f"{parent.path if parent else ''}{code}/",
        )
    grid = units["310104003001001"]
    ring = [[121.40, 31.20], [121.41, 31.20], [121.41, 31.21], [121.40, 31.21], [121.40, 31.20]]
    Grid.objects.create(
        unit=grid,
        boundary={"type": "Polygon", "coordinates": [ring]},
        household_count=400,
        min_lon=121.40,
        min_lat=31.20,
        max_lon=121.41,
        max_lat=31.21,
    )
    staff = User(username="drill_staff", must_change_password=False)
    staff.password_changed_at = timezone.now()
    staff.set_password("Gr1d-Test-Passw0rd!")
    staff.save()
    Membership.objects.create(user=staff, role=Role.COMMUNITY_STAFF, org_unit=units["310104003001"])
    staff = User.objects.get(pk=staff.pk)

    rng = random.Random(17)
    given = "明华丽强伟芳静敏军洋"
    made_households, residents = [], {}
    for h in range(households):
        household = household_create(
            actor=staff, grid=grid, number=f"H{h:03d}", address=f"宛平南路{h + 1}号", kind="family"
        )
        made_households.append(household)
        for p in range(per_household):
            birth = date(1950 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28))
            sex = rng.choice("MF")
            id_number, phone = fictitious_id(rng, birth, sex), fictitious_phone(rng)
            resident = resident_create(
                actor=staff,
                household=household,
                data={
                    "name": f"王{given[h]}{given[p]}",
                    "sex": sex,
                    "birth_date": birth.isoformat(),
                    "id_type": "resident_id",
                    "id_number": id_number,
                    "phone": phone,
                    "relation": "head" if p == 0 else "child",
                    "registration": "permanent",
                    "residence": "present",
                },
            )
            residents[resident.uid] = (id_number, phone)
            site.secrets |= {id_number, phone}
    event_phone = fictitious_phone(rng)
    site.secrets.add(event_phone)
    event, _created = report_event(
        actor=staff,
        data=ReportInput(
            channel=Channel.STAFF,
            title="路面坑洼",
            description="人行道有坑",
            lon=121.405,
            lat=31.205,
            contact_name="王先生",
            contact_phone=event_phone,
            photos=[_photo()],
        ),
    )
    return Registry(staff, grid, made_households, residents, event, event_phone)


def unpacked_backup(archive: Path, into: Path) -> Path:
    """The backup's contents in plain files (for tests that inspect them)."""
    from gridgov.backups.sealed import SealedReader, backup_keyring
    from gridgov.backups.services import ARCHIVE_KIND

    with open(archive, "rb") as raw:
        reader = SealedReader(raw, ring=backup_keyring(), kind=ARCHIVE_KIND)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            tar.extractall(into, filter="data")
    return into
