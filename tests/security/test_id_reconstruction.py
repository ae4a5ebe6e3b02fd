"""The review's ID reconstruction: a grid worker without ``people.reveal`` and a masked
district export must not give anyone full ID numbers (SECURITY.md D1, F5; the threat model
is in docs/registry.md).

The attacker script below takes everything such a role sees — the resident list pages, the
household pages, the API, the last-4 search, and a masked district export — merges what it
learns about each resident, and counts the 18-digit numbers that fit: the region code
(taken as known, it is guessable from the address), the birth date or year, the sex (the
parity of the 17th digit), every visible digit of the mask, and the GB 11643 check digit
to prune. It must be left with at least ``MIN_CANDIDATES`` numbers for every resident of the
demo seed and of a small generated district.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db

# With this many candidates a guess is right once in a thousand tries; confirming guesses
# through the duplicate check or the search is rate-limited and audited (docs/registry.md).
MIN_CANDIDATES = 1000
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"  # index: weighted sum mod 11
DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
YEAR_RE = re.compile(r"^\s*(\d{4})\s*$")


@dataclass
class Knowledge:
    """What the attacker has learnt about one resident."""

    birth_dates: set[date] | None = None  # None: nothing learnt yet
    digits: dict[int, str] = field(default_factory=dict)  # position → visible character

    def learn_birth(self, text: str) -> None:
        text = html.unescape(text).strip()
        found = DATE_RE.search(text)
        if found:
            options = {date(*map(int, found.groups()))}
        elif YEAR_RE.match(text):
            year = int(text)
            options = {date(year, 1, 1) + timedelta(days=d) for d in range(366)}
            options = {d for d in options if d.year == year}
        else:
            return
        self.birth_dates = options if self.birth_dates is None else self.birth_dates & options

    def learn_mask(self, masked: str) -> None:
        masked = masked.strip()
        if len(masked) != 18:
            return
        for position, char in enumerate(masked):
            if char != "*":
                self.digits[position] = char.upper()


def _weighted(digits: str, start: int) -> int:
    return sum(int(c) * WEIGHTS[start + i] for i, c in enumerate(digits))


def candidates(knowledge: Knowledge, *, region: str, sex: str, born_around: date) -> int:
    """How many valid 18-digit numbers fit what the attacker knows."""
    digits = dict(knowledge.digits)
    for i, c in enumerate(region):  # guessable from the address
        digits.setdefault(i, c)
    dates = knowledge.birth_dates
    if dates is None:  # nothing shown: a generous century around the true date
        dates = {born_around + timedelta(days=d) for d in range(-18250, 18250)}
    dates = {
        d for d in dates if all(digits.get(6 + i, c) == c for i, c in enumerate(f"{d:%Y%m%d}"))
    }
    # Residue (mod 11) histogram of the three sequence digits allowed by the visible ones
    # and by the sex.
    residues = [0] * 11
    for sequence in range(1000):
        text = f"{sequence:03d}"
        if any(digits.get(14 + i, c) != c for i, c in enumerate(text)):
            continue
        if (sequence % 2 == 1) != (sex == "M"):
            continue
        residues[_weighted(text, 14) % 11] += 1
    check = digits.get(17)
    base = _weighted(region, 0)
    total = 0
    for d in dates:
        partial = (base + _weighted(f"{d:%Y%m%d}", 6)) % 11
        if check is None:
            total += sum(residues)
        else:
            need = CHECK_CHARS.index(check)
            total += residues[(need - partial) % 11]
    return total


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


class Attacker:
    """Collects everything one account (and one export) shows, keyed by resident name and
    household address — what the attacker can use to tell people apart."""

    def __init__(self):
        self.known: dict[tuple[str, str], list[Knowledge]] = {}

    def _note(self, name: str, address: str) -> Knowledge:
        knowledge = Knowledge()
        self.known.setdefault((html.unescape(name).strip(), address.strip()), []).append(knowledge)
        return knowledge

    def read_api(self, client, address_of: dict[str, str]) -> set[str]:
        """Reads every page; returns the households seen."""
        seen: set[str] = set()
        offset = 0
        while True:
            page = client.get(f"/api/v1/residents?limit=100&offset={offset}").json()
            for item in page["items"]:
                seen.add(item["household"])
                k = self._note(item["name"], address_of[item["household"]])
                k.learn_mask(item["id_number"])
                for key in ("birth_date", "birth_year"):
                    if item.get(key):
                        k.learn_birth(str(item[key]))
            offset += len(page["items"])
            if not page["items"] or offset >= page["count"]:
                return seen

    def read_list_pages(self, client, query: str = "") -> None:
        page_number = 1
        while True:
            body = client.get(f"/people/residents/?q={query}&page={page_number}").content.decode()
            rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
            for row in rows:
                cells = _cells(row)
                if len(cells) < 6:
                    continue
                k = self._note(cells[0].split("\n")[0], html.unescape(cells[5]))
                k.learn_birth(cells[2])
                k.learn_mask(cells[3])
            if f"page={page_number + 1}" not in body:
                return
            page_number += 1

    def read_household_page(self, client, uid, address: str) -> None:
        body = client.get(f"/people/households/{uid}/").content.decode()
        for block in body.split('<h2 class="h5 mb-1" id="m-')[1:]:
            found = re.match(r'\d+">([^<]*)<small[^>]*>([^<]*)</small>', block)
            if not found:
                continue
            k = self._note(found.group(1), address)
            k.learn_birth(found.group(2).split("·")[-1])
            masked = re.search(r'<code id="id-\d+">([^<]*)</code>', block)
            if masked:
                k.learn_mask(html.unescape(masked.group(1)))

    def read_export(self, body: bytes) -> None:
        """The export's columns by position (the header is in the user's language): name,
        sex, birth, ID number, phone, relation, registration, residence, grid, household,
        address; the watermark line has one column."""
        rows = [r for r in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if len(r) == 11]
        for row in rows[1:]:
            k = self._note(row[0], row[10])
            k.learn_birth(row[2])
            k.learn_mask(row[3])

    def merged(self, name: str, address: str, *, number: str, born: date) -> Knowledge:
        """What is known of one resident. Where two residents share name and address, only
        the rows that fit the true resident are used: the attacker is credited with luck."""
        merged = Knowledge()
        for k in self.known.get((name, address), []):
            if k.birth_dates is not None and born not in k.birth_dates:
                continue
            if any(number[i] != c for i, c in k.digits.items()):
                continue
            merged.digits.update(k.digits)
            if k.birth_dates is not None:
                merged.birth_dates = (
                    k.birth_dates
                    if merged.birth_dates is None
                    else merged.birth_dates & k.birth_dates
                )
        return merged


def _attack(*, worker, exporter, login_client, sample_searches: int = 20) -> dict[str, int]:
    """Candidates left for every resident the worker or the export shows, by uid."""
    from django.test import Client

    from gridgov.people.models import Household, Resident
    from gridgov.people.privacy import reveal_id_number

    attacker = Attacker()
    worker_client = login_client(worker, Client())
    households = {str(h.uid): h.address for h in Household.objects.all()}
    seen = attacker.read_api(worker_client, households)
    attacker.read_list_pages(worker_client)
    for uid in seen:
        attacker.read_household_page(worker_client, uid, households[uid])
    export_client = login_client(exporter, Client())
    response = export_client.post("/people/residents/export/", {"format": "csv"})
    assert response.status_code == 200
    attacker.read_export(b"".join(response.streaming_content))

    residents = list(Resident.objects.select_related("household").exclude(id_number_encrypted=""))
    truth = {r.uid: reveal_id_number(r) for r in residents}
    # The last-4 search as an oracle: the attacker would try all 10,000 values; here only
    # the values that would hit are tried, for a sample (the rest behaves the same).
    for r in residents[:sample_searches]:
        last4 = truth[r.uid][-4:]
        body = worker_client.get(f"/api/v1/residents?q={last4}&limit=100").json()
        found = any(item["uid"] == str(r.uid) for item in body["items"])
        if found and (r.phone_last4 or "") != last4:
            for k in attacker.known.get((r.name, r.household.address), []):
                k.digits.update({14 + i: c for i, c in enumerate(last4)})

    left: dict[str, int] = {}
    for r in residents:
        number = truth[r.uid]
        if len(number) != 18:
            continue
        knowledge = attacker.merged(r.name, r.household.address, number=number, born=r.birth_date)
        if not attacker.known.get((r.name, r.household.address)):
            continue  # out of both views
        # The script did read the views: it learnt at least a birth year and the mask.
        assert knowledge.birth_dates is not None and knowledge.digits, r.uid
        left[str(r.uid)] = candidates(
            knowledge, region=number[:6], sex=r.sex, born_around=r.birth_date
        )
    return left


def _assert_attack_fails(left: dict[str, int], expected_residents: int) -> None:
    assert len(left) >= expected_residents  # the views did cover the residents
    weakest = sorted(left.items(), key=lambda item: item[1])[:5]
    assert weakest[0][1] >= MIN_CANDIDATES, f"IDs narrowed down to: {weakest}"


def _relax_limits() -> None:
    """The attacker is patient: it spreads its reads below the rate and mass-access limits."""
    from gridgov.accounts.models import Membership, User
    from gridgov.core.services import policy_update
    from gridgov.org.models import OrgUnit

    secadmin = User.objects.create(username="sec_recon")
    Membership.objects.create(
        user=secadmin, role=Role.SECURITY_ADMIN, org_unit=OrgUnit.objects.get(code="310104")
    )
    policy_update(
        actor=secadmin,
        key="accounts.mass_access",
        value={"max_resident_reads": 1_000_000},
        note="attack replay",
    )
    policy_update(
        actor=secadmin,
        key="accounts.rate_limits",
        value={"api_per_user_per_minute": 100_000, "exports_per_hour": 1_000},
        note="attack replay",
    )


def test_demo_ids_cannot_be_rebuilt_from_a_grid_worker_view_and_a_masked_export(
    demo_district, make_user, login_client
):
    from gridgov.org.models import OrgUnit
    from gridgov.people.models import Resident

    _relax_limits()
    grid = OrgUnit.objects.get(code="310104003001001")
    worker = make_user(Role.GRID_WORKER, grid, username="recon_worker")
    district = make_user(
        Role.DISTRICT_STAFF, OrgUnit.objects.get(code="310104"), username="recon_district"
    )
    left = _attack(worker=worker, exporter=district, login_client=login_client)
    _assert_attack_fails(left, Resident.objects.exclude(id_number_encrypted="").count())


def test_generated_district_ids_cannot_be_rebuilt(make_user, login_client):
    from gridgov.org.models import OrgUnit
    from gridgov.people.models import Resident

    call_command(
        "generate_district", residents=400, events=0, seed=3, no_kpis=True, stdout=StringIO()
    )
    _relax_limits()
    grid = OrgUnit.objects.filter(level="grid").order_by("code").first()
    worker = make_user(Role.GRID_WORKER, grid, username="recon_worker")
    district = make_user(
        Role.DISTRICT_STAFF, OrgUnit.objects.get(code="310104"), username="recon_district"
    )
    left = _attack(worker=worker, exporter=district, login_client=login_client)
    _assert_attack_fails(left, Resident.objects.exclude(id_number_encrypted="").count())
