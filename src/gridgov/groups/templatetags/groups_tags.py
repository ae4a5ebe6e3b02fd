from django import template

from gridgov.groups.rules import rule_text as _rule_text

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (forms whose fields are listed in code)."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(key)


@register.filter
def rule_text(stored: str) -> str:
    """A stored class or low-score rule in the reader's language."""
    return _rule_text(stored)


@register.filter
def class_label(klass: str) -> str:
    """A class code (``high``, ``potential`` …) as its name in the reader's language."""
    from gridgov.groups.models import Snapshot

    return str(dict(Snapshot.Klass.choices).get(klass, klass))
