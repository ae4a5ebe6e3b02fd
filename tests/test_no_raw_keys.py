"""No raw keys in the Chinese interface: every page a role can reach, in zh-Hans, shows no
snake_case or dotted identifiers, no Python reprs, and no English UI words that the message
catalogue translates. Data people typed (names, titles, usernames) is not checked."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest

from gridgov.accounts.roles import Role
from tests.test_role_journeys import ROLE_SCOPES, _crawl, _sign_in, journeys  # noqa: F401

pytestmark = pytest.mark.django_db

SECTIONS = (
    "/events/",
    "/people/",
    "/org/",
    "/kpis/",
    "/accounts/",
    "/audit/",
    "/inbox/",
    "/policies/",
    "/visits/",
)
CATALOGUE = Path(__file__).resolve().parents[1] / "src/gridgov/locale/zh_Hans/LC_MESSAGES/django.po"

IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+(?:\.[a-z_]+){1,3}\b")
REPR = re.compile(r"\{'|'\}|\[<|<QuerySet|\bNone\b|\bTrue\b|\bFalse\b|\bdatetime\.")
# Not identifiers: file names and host names people see on purpose.
ALLOWED = re.compile(r"\.(?:xlsx|csv|pdf|json|geojson|png|jpg)$|^(?:example|gridgov)\.")


def _english_ui_words() -> set[str]:
    words = set()
    for entry in polib.pofile(str(CATALOGUE)):
        text = entry.msgid
        if (
            entry.msgstr
            and not entry.obsolete
            and "%" not in text
            and "{" not in text
            and re.fullmatch(r"[A-Z][a-z]+(?: [a-z]+){1,4}", text)
            and text not in entry.msgstr
        ):
            words.add(text)
    return words


class _Text(HTMLParser):
    """The text a person sees: element text and the titles, labels and placeholders."""

    VISIBLE_ATTRS = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "code", "template"):
            self._skip += 1
        # A JSON example in a placeholder shows the syntax the field takes.
        self.parts += [
            a[name]
            for name in self.VISIBLE_ATTRS
            if a.get(name) and not a[name].lstrip().startswith("{")
        ]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _findings(text: str, data: set[str], english: set[str]) -> list[str]:
    found = []
    for match in IDENTIFIER.finditer(text):
        word = match.group(0)
        if word in data or ALLOWED.search(word):
            continue
        found.append(word)
    found += REPR.findall(text)
    found += [w for w in english if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)]
    return found


def _typed_data(users) -> set[str]:
    """Values people entered: usernames and display names appear as they were typed."""
    data = set()
    for user in users.values():
        data |= {user.username, user.display_name or ""}
    return {d for d in data if d} | {"j_worker_b"}


@pytest.mark.parametrize("role", list(ROLE_SCOPES), ids=str)
def test_pages_in_chinese_show_no_raw_keys(role, journeys, client):  # noqa: F811
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    _sign_in(client, journeys[role])
    data, english = _typed_data(journeys), _english_ui_words()
    problems, opened = {}, []

    def check(url, response):
        opened.append(url)
        parser = _Text()
        parser.feed(response.content.decode())
        found = _findings("\n".join(parser.parts), data, english)
        if found:
            problems[url] = sorted(set(found))[:8]

    _crawl(client, sections=SECTIONS, visit=check)
    assert len(opened) > 1 or role == Role.RESIDENT
    assert not problems, "\n".join(f"{url}: {words}" for url, words in problems.items())


def test_every_policy_field_has_a_chinese_label():
    from django.utils import translation

    from gridgov.core.policies import REGISTRY
    from gridgov.core.policy_labels import FIELD_LABELS

    missing = [
        f"{key}.{name}"
        for key, definition in REGISTRY.items()
        for name in definition.schema.model_fields
        if name not in FIELD_LABELS
    ]
    assert not missing, f"policy fields without a label: {missing}"
    with translation.override("zh-hans"):
        untranslated = [str(v) for v in FIELD_LABELS.values() if re.search("[a-z]{3}", str(v))]
    assert not untranslated


def test_form_errors_name_fields_by_their_labels(journeys, client):  # noqa: F811
    from gridgov.people.models import Household

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    _sign_in(client, journeys[Role.COMMUNITY_STAFF])
    household = Household.objects.get(number="J1")
    url = f"/people/households/{household.uid}/residents/new/"
    bad = {
        "name": "错误样例",
        "sex": "F",
        "relation": "child",
        "registration": "permanent",
        "id_type": "resident_id",
        "id_number": "110101199003071234",
        "birth_date": "2999-01-01",
    }
    for response in (client.post(url, bad), client.post(url, bad, HTTP_HX_REQUEST="true")):
        parser = _Text()
        parser.feed(response.content.decode())
        text = "\n".join(parser.parts)
        assert "证件号码" in text and "出生日期" in text, text
        assert not re.search(r"\b(id_number|birth_date)\b", text), text
