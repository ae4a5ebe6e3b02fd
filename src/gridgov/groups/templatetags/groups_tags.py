from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (forms whose fields are listed in code)."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(key)
