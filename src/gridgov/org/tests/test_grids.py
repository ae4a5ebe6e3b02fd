import json

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.errors import ImportRejected, PermissionDenied, ValidationFailed
from gridgov.org.models import Grid, GridAssignment, OrgUnit
from gridgov.org.selectors import grid_at_point
from gridgov.org.services import grid_assign, grids_import_geojson, org_unit_create

pytestmark = pytest.mark.django_db


def square(lon, lat, size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def feature(code, geometry, name="新网格", households=400):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "households": households},
        "geometry": geometry,
    }


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.fixture
def community_staff(org_tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, org_tree["c1"])


def test_creates_and_updates_grids(org_tree, community_staff):
    raw = collection(feature("310104003001003", square(121.42, 31.20)))
    report = grids_import_geojson(raw, actor=community_staff)
    assert report.created == 1 and not report.warnings
    unit = OrgUnit.objects.get(code="310104003001003")
    assert unit.parent == org_tree["c1"] and unit.path.endswith("310104003001003/")
    again = grids_import_geojson(raw, actor=community_staff)
    assert again.unchanged == 1 and again.created == 0
    moved = collection(feature("310104003001003", square(121.43, 31.20), name="改名"))
    assert grids_import_geojson(moved, actor=community_staff).updated == 1
    assert Grid.objects.get(unit=unit).min_lon == pytest.approx(121.43)


@pytest.mark.parametrize(
    "geometry,needle",
    [
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[121.4, 31.2], [121.41, 31.21], [121.41, 31.2], [121.4, 31.21], [121.4, 31.2]]
                ],
            },
            "not valid",
        ),
        ({"type": "Point", "coordinates": [121.4, 31.2]}, "Polygon"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "cannot be read"),
        (square(12.0, 3.0), "inside China"),
        (None, "Polygon"),
    ],
)
def test_invalid_polygons_are_rejected(org_tree, community_staff, geometry, needle):
    raw = collection(feature("310104003001003", geometry))
    with pytest.raises(ImportRejected) as exc:
        grids_import_geojson(raw, actor=community_staff)
    assert needle in exc.value.details[0]["message"]
    assert exc.value.details[0]["line"] == 1
    assert not OrgUnit.objects.filter(code="310104003001003").exists()


def test_overlap_and_size_are_flagged(org_tree, community_staff):
    # Overlaps the stored grid g1a (121.40–121.41) by half.
    raw = collection(feature("310104003001003", square(121.405, 31.20), households=900))
    report = grids_import_geojson(raw, actor=community_staff)
    messages = " ".join(w.message for w in report.warnings)
    assert "overlaps grid 310104003001001" in messages
    assert "outside the policy range 300–500" in messages
    assert report.created == 1


@pytest.mark.parametrize(
    "raw,needle",
    [
        (b"{not json", "not valid JSON"),
        (b'{"type": "Feature"}', "FeatureCollection"),
        ("就是文本".encode("gbk"), "not valid JSON"),
    ],
)
def test_malformed_files(org_tree, community_staff, raw, needle):
    with pytest.raises(ImportRejected, match=needle):
        grids_import_geojson(raw, actor=community_staff)


def test_codes_must_match_a_community_and_be_unique(org_tree, community_staff):
    raw = collection(
        feature("310104003009001", square(121.42, 31.20)),
        feature("31010400300100", square(121.44, 31.20)),
        feature("310104003001004", square(121.45, 31.20)),
        feature("310104003001004", square(121.46, 31.20)),
    )
    with pytest.raises(ImportRejected) as exc:
        grids_import_geojson(raw, actor=community_staff)
    lines = [(p["line"], p["field"]) for p in exc.value.details]
    assert lines == [(1, "code"), (2, "code"), (4, "code")]
    report = grids_import_geojson(raw, actor=community_staff, valid_rows_only=True)
    assert report.created == 1 and len(report.rejected) == 3


def test_mixing_scopes_refuses_the_whole_file(org_tree, community_staff):
    raw = collection(
        feature("310104003001003", square(121.42, 31.20)),
        feature("310105001001003", square(121.52, 31.20)),
    )
    with pytest.raises(ImportRejected, match="outside your scope"):
        grids_import_geojson(raw, actor=community_staff, valid_rows_only=True)
    assert not OrgUnit.objects.filter(code="310104003001003").exists()


def test_oversize_file_is_refused(org_tree, community_staff):
    with pytest.raises(ImportRejected, match="larger"):
        grids_import_geojson(b" " * 2048, actor=community_staff, max_bytes=1024)


def test_point_to_grid(org_tree, make_user):
    assert grid_at_point(lon=121.405, lat=31.205).code == "310104003001001"
    assert grid_at_point(lon=121.515, lat=31.205).code == "310105001001002"
    assert grid_at_point(lon=100.0, lat=30.0) is None
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    assert grid_at_point(lon=121.515, lat=31.205, actor=worker) is None


def test_point_index_follows_edits(org_tree, community_staff):
    assert grid_at_point(lon=121.425, lat=31.205) is None
    grids_import_geojson(
        collection(feature("310104003001003", square(121.42, 31.20))), actor=community_staff
    )
    assert grid_at_point(lon=121.425, lat=31.205).code == "310104003001003"


def test_unit_create_validates_level_code_and_scope(org_tree, make_user):
    street = make_user(Role.STREET_STAFF, org_tree["s1"])
    unit = org_unit_create(actor=street, parent=org_tree["s1"], code="310104003002", name="新社区")
    assert unit.level == "community" and unit.path == "31/3101/310104/310104003/310104003002/"
    with pytest.raises(ValidationFailed) as exc:
        org_unit_create(actor=street, parent=org_tree["s1"], code="310105003002", name="x")
    assert "code" in exc.value.details
    with pytest.raises(ValidationFailed):
        org_unit_create(actor=street, parent=org_tree["s1"], code="310104003002", name="dup")
    with pytest.raises(PermissionDenied):
        org_unit_create(actor=street, parent=org_tree["s2"], code="310105001009", name="x")


def test_grid_assignment(org_tree, make_user):
    community = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    worker = make_user(Role.GRID_WORKER, org_tree["g1a"])
    from datetime import date

    assignment = grid_assign(
        actor=community,
        grid=org_tree["g1a"],
        user=worker,
        duty="full_time",
        start_date=date(2026, 1, 1),
    )
    assert assignment.get_duty_display()
    with pytest.raises(ValidationFailed):
        grid_assign(
            actor=community,
            grid=org_tree["g1a"],
            user=worker,
            duty="full_time",
            start_date=date(2026, 1, 1),
        )
    with pytest.raises(PermissionDenied):
        grid_assign(
            actor=community,
            grid=org_tree["g2a"],
            user=worker,
            duty="full_time",
            start_date=date(2026, 1, 1),
        )
    assert GridAssignment.objects.count() == 1


def test_grid_import_through_the_api(org_tree, community_staff, login_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login_client(community_staff)
    raw = collection(feature("310104003001003", square(121.42, 31.20)))
    upload = SimpleUploadedFile("grids.geojson", raw, content_type="application/geo+json")
    response = client.post("/api/v1/grids/import", {"file": upload})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    bad = SimpleUploadedFile("bad.geojson", b"{oops", content_type="application/geo+json")
    response = client.post("/api/v1/grids/import", {"file": bad})
    assert response.status_code == 422 and response.json()["code"] == "import_rejected"


def test_grid_import_page(org_tree, community_staff, login_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login_client(community_staff)
    raw = collection(feature("310104003001003", square(121.405, 31.20), households=900))
    response = client.post("/org/grids/import/", {"file": SimpleUploadedFile("g.geojson", raw)})
    assert response.status_code == 200
    text = response.content.decode()
    assert "overlaps grid 310104003001001" in text and "outside the policy range" in text
    response = client.post("/org/grids/import/", {"file": SimpleUploadedFile("g.geojson", b"[]")})
    assert response.status_code == 400 and "FeatureCollection" in response.content.decode()
