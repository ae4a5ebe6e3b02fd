"""Template helpers for what a role may see of a resident."""

from django import template

from gridgov.people.privacy import birth_date_for

register = template.Library()


@register.simple_tag(takes_context=True)
def birth_date(context, resident) -> str:
    """``{% birth_date r %}``: the full date for roles with ``people.reveal``, else the year."""
    return birth_date_for(context["request"].user, resident)
