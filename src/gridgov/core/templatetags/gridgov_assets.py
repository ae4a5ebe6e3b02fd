"""``{% download_kb 'vendor/echarts/echarts.min.js' as kb %}``: what a static file costs the
client of the current request, in KB (compressed as it will be sent), for pages that offer
a download on demand."""

from django import template

from gridgov.core.staticfiles import transfer_size

register = template.Library()


@register.simple_tag(takes_context=True)
def download_kb(context, name: str) -> int:
    request = context.get("request")
    accept_encoding = request.headers.get("Accept-Encoding", "") if request else ""
    return round(transfer_size(name, accept_encoding) / 1024)


@register.simple_tag
def map_config() -> dict:
    """``{% map_config as config %}``: the base layer and legend texts the map scripts read
    (core/maps.py)."""
    from gridgov.core.maps import map_config as config

    return config()
