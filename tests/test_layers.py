"""The layers hold (docs/architecture.md): ``core`` is the ground and imports no app; no app
imports another app's views; capabilities register their KPIs with ``kpis.registry`` and
never import the KPI readers that sit above them. Every import is checked, including the
ones inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gridgov"
# What a capability may import from the kpis app: the registry it registers its KPIs with.
KPI_REGISTRATION = {"kpis.registry"}
# The demo seeder composes every app (it fills the KPI tables after seeding), like the
# project modules beside the apps (urls.py, api.py), which are not checked.
COMPOSERS = {"demo"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every ``import x`` and ``from x import y`` (y expanded when it
    is a module of the package, e.g. ``from gridgov.kpis import services``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.count(".") >= 2:  # from gridgov.app.module import name
                found.append((node.lineno, node.module))
            else:  # from gridgov.app import module
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("gridgov.")]


def _module_of(name: str) -> tuple[str, str]:
    """("events", "views") for gridgov.events.views / gridgov.events.views.x."""
    parts = name.split(".")
    return (parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")


def _sources(root: Path, app: str):
    for path in sorted((root / app).rglob("*.py")):
        relative = path.relative_to(root / app)
        if relative.parts[0] in {"tests", "migrations"}:
            continue
        yield path


def _violations(root: Path = SRC) -> list[str]:
    apps = sorted(p.name for p in root.iterdir() if (p / "apps.py").is_file())
    found = []
    for app in apps:
        for path in _sources(root, app):
            where = path.relative_to(root.parent)
            for line, name in _imports(path):
                other, module = _module_of(name)
                if other not in apps or other == app:
                    continue
                if app == "core":
                    found.append(f"{where}:{line}: core imports the app {other} ({name})")
                if module.startswith("views"):
                    found.append(f"{where}:{line}: {app} imports {other}'s views ({name})")
                if (
                    other == "kpis"
                    and app not in COMPOSERS
                    and f"kpis.{module}" not in KPI_REGISTRATION
                ):
                    found.append(f"{where}:{line}: {app} imports the KPI readers ({name})")
    return sorted(set(found))


def test_the_layers_hold():
    assert _violations() == []


def test_the_check_sees_each_kind_of_violation(tmp_path):
    """The checker is not blind: a tree with one violation of each kind reports each."""
    root = tmp_path / "gridgov"
    files = {
        "core/permissions.py": "from gridgov.audit.services import audit_record\n",
        "people/services.py": "def f():\n    from gridgov.events.views import event_list\n",
        "org/views.py": "from gridgov.kpis import services\n",
        "events/kpis.py": "from gridgov.kpis.registry import register\n",
        "demo/seed.py": "from gridgov.kpis import daily\n",
        "people/tests/test_x.py": "from gridgov.events.views import event_list\n",
    }
    for app in ("core", "audit", "people", "events", "org", "kpis", "demo"):
        (root / app).mkdir(parents=True)
        (root / app / "apps.py").write_text("")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    found = _violations(root)
    assert len(found) == 3, found
    text = "\n".join(found)
    assert "core imports the app audit" in text
    assert "people imports events's views" in text
    assert "org imports the KPI readers (gridgov.kpis.services)" in text
