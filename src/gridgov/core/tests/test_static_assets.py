"""Static assets as a phone on mobile data receives them: fingerprinted names cached for a
year, Brotli or gzip compressed, and the report form's promised map download equal to the
bytes it really costs."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

ASSET_URL = re.compile(r'(?:src|href|data-src)="(/static/[^"]+)"')
FINGERPRINTED = re.compile(r"\.[0-9a-f]{12}\.(?:js|css|svg)$")
YEAR = 365 * 24 * 3600


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _assets(client, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200
    return sorted(set(ASSET_URL.findall(page.content.decode())))


def _max_age(response) -> int:
    match = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
    return int(match.group(1)) if match else 0


REPORT_FORM = "/events/report/?jurisdiction_id=310104"


def test_every_asset_of_the_public_report_form_is_fingerprinted_compressed_and_cached(
    client, org_tree
):
    assets = _assets(client, REPORT_FORM)
    assert any("leaflet" in url for url in assets)  # the map library, loaded on demand
    for url in assets:
        assert FINGERPRINTED.search(url), f"{url} has no content hash in its name"
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.status_code == 200, url
        assert _max_age(response) >= YEAR and "immutable" in response["Cache-Control"], (
            url,
            response.get("Cache-Control"),
        )
        if url.endswith((".js", ".css")):
            assert response.get("Content-Encoding") == "br", url


def test_the_map_library_is_sent_compressed_to_every_client(client, org_tree):
    leaflet = next(u for u in _assets(client, REPORT_FORM) if "leaflet" in u and u.endswith(".js"))
    plain = _body(client.get(leaflet, HTTP_ACCEPT_ENCODING="identity"))
    gzipped = client.get(leaflet, HTTP_ACCEPT_ENCODING="gzip")
    brotli = client.get(leaflet, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert gzipped["Content-Encoding"] == "gzip" and brotli["Content-Encoding"] == "br"
    gzip_bytes, brotli_bytes = len(_body(gzipped)), len(_body(brotli))
    assert len(plain) > 100_000
    assert gzip_bytes < len(plain) * 0.4
    assert brotli_bytes < gzip_bytes
    assert "Accept-Encoding" in gzipped.get("Vary", "")


@pytest.mark.parametrize(
    ("accept_encoding", "language", "pattern"),
    [
        ("gzip, deflate, br", "zh-hans", r"约 (\d+) KB"),
        ("gzip", "en", r"about (\d+) KB"),
    ],
)
def test_the_report_form_promises_the_true_size_of_the_map_download(
    client, org_tree, accept_encoding, language, pattern
):
    page = client.get(
        REPORT_FORM, HTTP_ACCEPT_ENCODING=accept_encoding, HTTP_ACCEPT_LANGUAGE=language
    )
    html = page.content.decode()
    button = re.search(r'id="show-map" data-src="([^"]+)"[^>]*>(.*?)</button>', html, re.S)
    assert button, "the map button is missing"
    promised_kb = int(re.search(pattern, button.group(2)).group(1))
    sent = _body(client.get(button.group(1), HTTP_ACCEPT_ENCODING=accept_encoding))
    assert promised_kb == round(len(sent) / 1024)
