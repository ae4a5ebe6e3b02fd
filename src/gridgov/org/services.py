"""Writes of the org hierarchy: units, division import, grid boundaries, grid staff."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity

from gridgov.audit.services import SystemActor, audit_record, audit_refusals, refusal
from gridgov.core.errors import ImportRejected, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import require_in_scope, require_permission
from gridgov.core.tabular import decode_bytes, read_csv_rows
from gridgov.org.codes import CHILD_LEVEL, code_problem, normalise_code
from gridgov.org.models import Grid, GridAssignment, OrgUnit

L = OrgUnit.Level


@dataclass
class RowProblem:
    file: str
    line: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} [{self.field or '-'}] {self.message}"


@dataclass
class ImportReport:
    batch_id: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [p.as_dict() for p in self.rejected],
            "warnings": [p.as_dict() for p in self.warnings],
        }


def _reject_all(problems: list[RowProblem]) -> ImportRejected:
    return ImportRejected(
        _("Nothing was imported: %(n)d row(s) have errors.") % {"n": len(problems)},
        details=[p.as_dict() for p in problems[:1000]],
    )


# Units ---------------------------------------------------------------------------


def org_unit_create(*, actor, parent: OrgUnit, code: str, name: str) -> OrgUnit:
    """A new child unit under ``parent`` (level follows the parent's)."""
    require_in_scope(actor, parent.path, "org.change")
    level = CHILD_LEVEL.get(parent.level)
    if level is None or level == L.GRID:
        raise ValidationFailed(
            _("Grids are created by importing their boundaries."),
            details={"parent": [_("Grids are created by importing their boundaries.")]},
        )
    code = normalise_code(code, level)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    problem = code_problem(code, level, parent.code)
    if problem:
        errors["code"] = [problem]
    elif OrgUnit.objects.filter(code=code).exists():
        errors["code"] = [_("This code is already used.")]
    if not name or len(name) > 100:
        errors["name"] = [_("Enter a name of at most 100 characters.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        unit = OrgUnit.objects.create(
            code=code, name=name, level=level, parent=parent, path=f"{parent.path}{code}/"
        )
        audit_record(
            "org.unit.create",
            actor=actor,
            target=unit,
            changes={"code": code, "name": name, "level": level},
        )
    return unit


def org_unit_update(*, actor, unit: OrgUnit, name: str, is_active: bool) -> OrgUnit:
    """Rename or (de)activate a unit. Nobody deactivates the root of their own scope: it
    would cut them off from the units they answer for."""
    with audit_refusals(
        "org.unit.update", actor=actor, target=unit, changes={"is_active": is_active}
    ):
        require_in_scope(actor, unit.path, "org.change")
        if not is_active and unit.is_active and unit.path in actor.scope_paths("org.change"):
            raise refusal(
                PermissionDenied(
                    _("The unit at the root of your own scope cannot be deactivated.")
                ),
                "scope_root",
            )
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(details={"name": [_("Enter a name of at most 100 characters.")]})
    before = {"name": unit.name, "is_active": unit.is_active}
    with transaction.atomic():
        unit.name, unit.is_active = name, is_active
        unit.save(update_fields=["name", "is_active", "updated_at"])
        audit_record(
            "org.unit.update",
            actor=actor,
            target=unit,
            changes={"before": before, "after": {"name": name, "is_active": is_active}},
        )
    return unit


# Division import -------------------------------------------------------------------


@dataclass(frozen=True)
class _DivisionFile:
    name: str
    level: str
    parent_column: str | None


DIVISION_FILES = [
    _DivisionFile("provinces.csv", L.PROVINCE, None),
    _DivisionFile("cities.csv", L.CITY, "provinceCode"),
    _DivisionFile("areas.csv", L.DISTRICT, "cityCode"),
    _DivisionFile("streets.csv", L.STREET, "areaCode"),
]
_PARENT_LEVEL = {L.CITY: L.PROVINCE, L.DISTRICT: L.CITY, L.STREET: L.DISTRICT}


def divisions_import(
    directory: Path, *, actor=None, valid_rows_only: bool = False, batch_size: int = 2000
) -> ImportReport:
    """Import province/city/area/street CSV files (the shape of the national division
    dataset). Idempotent; all-or-nothing unless ``valid_rows_only``."""
    if actor is not None and not isinstance(actor, SystemActor):
        require_permission(actor, "org.import")
    report = ImportReport(batch_id=uuid.uuid4().hex)
    directory = Path(directory)
    present = [f for f in DIVISION_FILES if (directory / f.name).exists()]
    if not present:
        raise ImportRejected(
            _("No division files (provinces.csv, cities.csv, areas.csv, streets.csv) in %(dir)s.")
            % {"dir": directory}
        )
    # code → (pk, name, path) of every unit already stored at these levels
    existing = {
        code: (pk, name, path)
        for code, pk, name, path in OrgUnit.objects.filter(
            level__in=[f.level for f in DIVISION_FILES]
        ).values_list("code", "pk", "name", "path")
    }
    planned: list[tuple[_DivisionFile, list[tuple[int, str, str, str | None]]]] = []
    known_codes = set(existing)
    for spec in present:
        rows, problems = _read_division_file(directory / spec.name, spec, known_codes)
        report.rejected.extend(problems)
        planned.append((spec, rows))
        known_codes.update(code for _line, code, _name, _parent in rows)
    if report.rejected and not valid_rows_only:
        raise _reject_all(report.rejected)

    with transaction.atomic():
        for spec, rows in planned:
            _write_divisions(spec, rows, existing, report, batch_size)
        audit_record(
            "org.divisions.import",
            actor=actor or SystemActor("divisions-import", report.batch_id),
            target_type="org.orgunit",
            changes={
                "files": [s.name for s, _ in planned],
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": len(report.rejected),
                "batch_id": report.batch_id,
            },
        )
    return report


def _read_division_file(path: Path, spec: _DivisionFile, known_codes: set[str]):
    required = ["code", "name"] + ([spec.parent_column] if spec.parent_column else [])
    rows: list[tuple[int, str, str, str | None]] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, row in read_csv_rows(path, required=required):
        code = normalise_code(row["code"], spec.level)
        name = row["name"]
        parent = None
        if spec.parent_column:
            parent = normalise_code(row[spec.parent_column], _PARENT_LEVEL[spec.level])
        problem = code_problem(code, spec.level, parent)
        if problem:
            problems.append(RowProblem(path.name, line, "code", problem))
            continue
        if not name or len(name) > 100:
            problems.append(
                RowProblem(
                    path.name, line, "name", _("the name is empty or longer than 100 characters")
                )
            )
            continue
        if code in seen:
            problems.append(
                RowProblem(
                    path.name,
                    line,
                    "code",
                    _("duplicate code %(code)s (first on line %(first)d)")
                    % {"code": code, "first": seen[code]},
                )
            )
            continue
        if parent is not None and parent not in known_codes:
            problems.append(
                RowProblem(
                    path.name,
                    line,
                    spec.parent_column,
                    _("unknown parent code %(code)s") % {"code": parent},
                )
            )
            continue
        seen[code] = line
        rows.append((line, code, name, parent))
    return rows, problems


def _write_divisions(spec, rows, existing, report: ImportReport, batch_size: int) -> None:
    to_create: list[OrgUnit] = []
    to_rename: list[OrgUnit] = []
    for _line, code, name, parent in rows:
        if code in existing:
            pk, old_name, path = existing[code]
            if old_name == name:
                report.unchanged += 1
            else:
                to_rename.append(OrgUnit(pk=pk, name=name))
                existing[code] = (pk, name, path)
                report.updated += 1
            continue
        parent_pk, parent_path = (None, "")
        if parent is not None:
            parent_pk, _n, parent_path = existing[parent]
        to_create.append(
            OrgUnit(
                code=code,
                name=name,
                level=spec.level,
                parent_id=parent_pk,
                path=f"{parent_path}{code}/",
            )
        )
    for start in range(0, len(to_create), batch_size):
        created = OrgUnit.objects.bulk_create(to_create[start : start + batch_size])
        for unit in created:
            existing[unit.code] = (unit.pk, unit.name, unit.path)
    report.created += len(to_create)
    if to_rename:
        OrgUnit.objects.bulk_update(to_rename, ["name"], batch_size=batch_size)


# Grid boundaries -------------------------------------------------------------------

GRID_IMPORT_MAX_BYTES = 20 * 1024 * 1024
_LON_RANGE = (73.0, 136.0)
_LAT_RANGE = (3.0, 54.0)


def _geometry_problem(geometry: Any):
    """(shapely geometry, None) or (None, reason)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        return None, _("the geometry must be a Polygon or MultiPolygon")
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        return None, _("the geometry cannot be read: %(error)s") % {"error": exc}
    if geom.is_empty:
        return None, _("the polygon is empty")
    if not geom.is_valid:
        return None, _("the polygon is not valid: %(reason)s") % {"reason": explain_validity(geom)}
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (
        _LON_RANGE[0] <= min_lon
        and max_lon <= _LON_RANGE[1]
        and _LAT_RANGE[0] <= min_lat
        and max_lat <= _LAT_RANGE[1]
    ):
        return None, _("the coordinates are not longitude/latitude inside China")
    return geom, None


def grids_import_geojson(
    raw: bytes,
    *,
    actor,
    source: str = "grids.geojson",
    valid_rows_only: bool = False,
    max_bytes: int = GRID_IMPORT_MAX_BYTES,
) -> ImportReport:
    """Create or update grids from a GeoJSON FeatureCollection.

    Each feature: ``properties.code`` (15 digits, starting with its community's code),
    ``properties.name``, optional ``properties.households``; a Polygon/MultiPolygon.
    Overlaps with sibling grids and sizes outside the grid-size policy are warnings.
    """
    report = ImportReport(batch_id=uuid.uuid4().hex)
    if len(raw) > max_bytes:
        raise ImportRejected(_("The file is larger than %(mb)d MB.") % {"mb": max_bytes >> 20})
    try:
        data = json.loads(decode_bytes(raw, source=source))
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            _("%(source)s is not valid JSON (line %(line)d: %(error)s).")
            % {"source": source, "line": exc.lineno, "error": exc.msg},
            details=[RowProblem(source, exc.lineno, None, exc.msg).as_dict()],
        ) from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ImportRejected(
            _("%(source)s is not a GeoJSON FeatureCollection.") % {"source": source}
        )

    size = policy_get("org.grid_size")
    parsed = []
    communities: dict[str, OrgUnit] = {}
    seen: set[str] = set()
    for number, feature in enumerate(data["features"], start=1):
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        code = str(props.get("code", "")).strip()
        name = str(props.get("name", "")).strip()
        problem = code_problem(code, L.GRID, None)
        if problem:
            report.rejected.append(RowProblem(source, number, "code", problem))
            continue
        if code in seen:
            report.rejected.append(
                RowProblem(source, number, "code", _("duplicate code %(code)s") % {"code": code})
            )
            continue
        seen.add(code)
        community_code = code[:12]
        if community_code not in communities:
            community = OrgUnit.objects.filter(code=community_code, level=L.COMMUNITY).first()
            if community is None:
                report.rejected.append(
                    RowProblem(
                        source,
                        number,
                        "code",
                        _("no community with code %(code)s") % {"code": community_code},
                    )
                )
                continue
            communities[community_code] = community
        community = communities[community_code]
        try:
            require_in_scope(actor, community.path, "org.change")
        except Exception:
            # Mixing scopes refuses the whole file, whatever the mode.
            raise ImportRejected(
                _("Feature %(n)d belongs to %(community)s, outside your scope: nothing imported.")
                % {"n": number, "community": community_code},
            ) from None
        if not name or len(name) > 100:
            report.rejected.append(
                RowProblem(source, number, "name", _("enter a name of at most 100 characters"))
            )
            continue
        households = props.get("households", 0)
        if not isinstance(households, int) or isinstance(households, bool) or households < 0:
            report.rejected.append(
                RowProblem(source, number, "households", _("households must be a whole number ≥ 0"))
            )
            continue
        geom, problem = _geometry_problem(feature.get("geometry"))
        if problem:
            report.rejected.append(RowProblem(source, number, "geometry", problem))
            continue
        if households and not (size.min_households <= households <= size.max_households):
            report.warnings.append(
                RowProblem(
                    source,
                    number,
                    "households",
                    _("%(n)d households is outside the policy range %(min)d–%(max)d")
                    % {"n": households, "min": size.min_households, "max": size.max_households},
                )
            )
        parsed.append((number, code, name, households, geom, feature["geometry"], community))
    if report.rejected and not valid_rows_only:
        raise _reject_all(report.rejected)

    _flag_overlaps(parsed, report, source, size.overlap_tolerance)
    with transaction.atomic():
        for _number, code, name, households, geom, geometry, community in parsed:
            _grid_upsert(code, name, households, geom, geometry, community, report)
        audit_record(
            "org.grids.import",
            actor=actor,
            org_unit_path=next(iter(communities.values())).path if communities else "",
            target_type="org.grid",
            changes={
                "source": source,
                "created": report.created,
                "updated": report.updated,
                "rejected": len(report.rejected),
                "warnings": len(report.warnings),
                "batch_id": report.batch_id,
            },
        )
    return report


def _flag_overlaps(parsed, report: ImportReport, source: str, tolerance: float) -> None:
    incoming = {code for _n, code, *_rest in parsed}
    by_community: dict[str, list[tuple[str, Any, int | None]]] = {}
    for number, code, _name, _h, geom, _g, community in parsed:
        by_community.setdefault(community.code, []).append((code, geom, number))
    for community_code, items in by_community.items():
        stored = (
            Grid.objects.filter(unit__parent__code=community_code)
            .exclude(unit__code__in=incoming)
            .select_related("unit")
        )
        items = items + [(g.unit.code, shape(g.boundary), None) for g in stored]
        for i, (code_a, geom_a, number_a) in enumerate(items):
            for code_b, geom_b, number_b in items[i + 1 :]:
                if number_a is None and number_b is None:
                    continue
                shared = geom_a.intersection(geom_b).area
                smaller = min(geom_a.area, geom_b.area) or 1
                if shared / smaller > tolerance:
                    report.warnings.append(
                        RowProblem(
                            source,
                            number_a or number_b,
                            "geometry",
                            _("grid %(a)s overlaps grid %(b)s by %(pct).1f%%")
                            % {"a": code_a, "b": code_b, "pct": 100 * shared / smaller},
                        )
                    )


def _grid_upsert(code, name, households, geom, geometry, community, report) -> None:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    values = {
        "boundary": geometry,
        "household_count": households,
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
    }
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit.objects.create(
            code=code, name=name, level=L.GRID, parent=community, path=f"{community.path}{code}/"
        )
        Grid.objects.create(unit=unit, **values)
        report.created += 1
        return
    grid = Grid.objects.filter(unit=unit).first()
    same = (
        grid is not None
        and unit.name == name
        and all(getattr(grid, k) == v for k, v in values.items())
    )
    if same:
        report.unchanged += 1
        return
    if unit.name != name:
        unit.name = name
        unit.save(update_fields=["name", "updated_at"])
    Grid.objects.update_or_create(unit=unit, defaults=values)
    report.updated += 1


# Grid staff ----------------------------------------------------------------------


def grid_staff_refused() -> ValidationFailed:
    """One answer for an unknown user name and an account that cannot serve the grid, so
    the staff list does not tell which names exist in other scopes."""
    return ValidationFailed(_("No account with this user name can serve this grid."))


def grid_assign(*, actor, grid: OrgUnit, user, duty: str, start_date: date) -> GridAssignment:
    """Put an account on a grid's staff list; its scope must cover the grid."""
    require_in_scope(actor, grid.path, "org.change")
    if grid.level != L.GRID:
        raise ValidationFailed(details={"grid": [_("Choose a grid.")]})
    if not any(grid.path.startswith(path) for path in user.scope_paths("org.view")):
        raise grid_staff_refused()
    if duty not in GridAssignment.Duty.values:
        raise ValidationFailed(details={"duty": [_("Unknown duty.")]})
    with transaction.atomic():
        if GridAssignment.objects.filter(grid=grid, user=user, end_date__isnull=True).exists():
            raise ValidationFailed(details={"user": [_("This person already serves this grid.")]})
        assignment = GridAssignment.objects.create(
            grid=grid, user=user, duty=duty, start_date=start_date
        )
        audit_record(
            "org.grid.assign",
            actor=actor,
            target=assignment,
            changes={"user": user.username, "duty": duty, "from": start_date},
        )
    return assignment


def grid_unassign(*, actor, assignment: GridAssignment, end_date: date) -> None:
    require_in_scope(actor, assignment.grid.path, "org.change")
    if end_date < assignment.start_date:
        raise ValidationFailed(details={"end_date": [_("The end is before the start.")]})
    with transaction.atomic():
        assignment.end_date = end_date
        assignment.save(update_fields=["end_date"])
        audit_record(
            "org.grid.unassign", actor=actor, target=assignment, changes={"until": end_date}
        )
