from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_short(value: timedelta | None) -> str:
    """A countdown a grid worker reads at a glance: 2天3小时, 45分钟."""
    if value is None:
        return ""
    minutes = max(0, int(value.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dmin") % {"h": hours, "m": minutes}
    return _("%(m)dmin") % {"m": minutes}
