"""The one scoping mechanism: every read and write of scoped data goes through here.

A scoped model names the path of its org unit (``scope_path_field``) and the app
whose permissions govern it (``scope_permission_app``). ``visible_to(actor, action)``
keeps the rows under the org units where the actor holds ``<app>.<action>``;
``access_object`` fetches one row or raises ``NotFound`` (missing and out-of-scope
look the same); ``require_in_scope`` refuses writes that would put an object outside
the actor's scope.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models
from django.db.models import Q, QuerySet

from gridgov.core.errors import NotFound, PermissionDenied


class Actor(Protocol):
    is_authenticated: bool

    def scope_paths(self, permission: str) -> list[str]: ...


def collapse_paths(paths: list[str]) -> list[str]:
    """Drop paths already covered by a shorter one (``31/3101/`` covers ``31/3101/310104/``)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return sorted(kept)


def scope_filter(model: type[models.Model], actor: Any, action: str) -> Q | None:
    """The Q that limits ``model`` to the actor's scope, or None if nothing is visible."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    permission = f"{model.scope_permission_app}.{action}"
    paths = actor.scope_paths(permission)
    if not paths:
        return None
    field = f"{model.scope_path_field}__startswith"
    query = Q()
    for path in paths:
        query |= Q(**{field: path})
    # A model may hide more rows inside the scope (e.g. minors, sensitive tags).
    extra = getattr(model, "extra_scope_filter", None)
    if extra is not None:
        narrowing = extra(actor, action)
        if narrowing is not None:
            query &= narrowing
    return query


class ScopedQuerySet(QuerySet):
    def visible_to(self, actor: Any, action: str = "view") -> QuerySet:
        query = scope_filter(self.model, actor, action)
        if query is None:
            return self.none()
        return self.filter(query)


def path_in_scope(actor: Any, path: str, permission: str) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return any(path.startswith(p) for p in actor.scope_paths(permission))


def access_object[M: models.Model](
    actor: Any, queryset: QuerySet[M], action: str = "view", **lookup
) -> M:
    """One object the actor may act on, or ``NotFound`` — also when it exists elsewhere."""
    try:
        return queryset.visible_to(actor, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def require_in_scope(actor: Any, path: str, permission: str) -> None:
    """Refuse a write whose result would lie outside the actor's scope."""
    if not path_in_scope(actor, path, permission):
        raise PermissionDenied()


def require_permission(actor: Any, permission: str) -> None:
    """The actor holds ``permission`` somewhere (for actions that are not tied to a unit)."""
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or not actor.scope_paths(permission)
    ):
        raise PermissionDenied()


def path_filter(actor: Any, permission: str, field: str = "path") -> Q | None:
    """The Q that keeps rows whose ``field`` lies under a unit where the actor holds
    ``permission`` (for units chosen for an action, e.g. the grid an import fills), or
    None if there is none."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    paths = actor.scope_paths(permission)
    if not paths:
        return None
    query = Q()
    for path in paths:
        query |= Q(**{f"{field}__startswith": path})
    return query
