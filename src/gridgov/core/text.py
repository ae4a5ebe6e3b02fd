"""The one text normaliser applied wherever text enters: pages' form posts and query strings
(``core.middleware.InputTextMiddleware``), the API's JSON bodies and schema fields
(``core.api_support``), imports and Open311.

Text is NFC-normalised. Refused, with a message in the user's language: NUL and the other
C0/C1 control characters (tab and line breaks only where several lines are allowed; in a
single line they become spaces), unpaired surrogates (not text, and PostgreSQL cannot
store them), the noncharacters U+FFFE/U+FFFF, and the bidirectional embedding, override
and isolate characters that make a name or a number display as something else
(U+202A–U+202E, U+2066–U+2069). None of these can be shown in an XML, XLSX or PDF document
either, so nothing stored can break one.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

# Controls except tab, line feed and carriage return; DEL and C1; bidi controls;
# noncharacters; unpaired surrogates (a str from JSON or surrogateescape may hold them).
_ALWAYS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]"
)
_LINE_BREAKS = re.compile(r"\r\n?")
_SINGLE_LINE_SPACE = re.compile(r"[\t\n\r\u2028\u2029]")


class TextInvalid(ValueError):
    """Text that cannot be stored; ``message`` is for people, ``rule`` for programs."""

    def __init__(self, message: str, *, rule: str):
        super().__init__(message)
        self.message = message
        self.rule = rule


def forbidden_character(text: str) -> str | None:
    """The first character that no stored text may hold, or None."""
    match = _ALWAYS.search(text)
    return match.group() if match else None


def remove_forbidden(text: str) -> str:
    """``text`` without what ``forbidden_character`` finds: for text that is looked at, not
    stored as given (a column header, a search, a label)."""
    return _ALWAYS.sub("", text)


def too_long_message(max_length: int, length: int) -> str:
    return _("At most %(max)d characters (this has %(n)d).") % {"max": max_length, "n": length}


def text_problem(value: Any, *, max_length: int | None = None) -> str | None:
    """Why a value from a file or a form cannot be stored as text (None when it can): a
    forbidden character, or more than ``max_length`` characters once trimmed."""
    if not isinstance(value, str):
        return None
    if (char := forbidden_character(value)) is not None:
        return refusal_message(char)
    if max_length is not None and len(value.strip()) > max_length:
        return too_long_message(max_length, len(value.strip()))
    return None


def describe(char: str) -> str:
    """``U+0000`` for a message (the character itself may not be printable)."""
    return f"U+{ord(char):04X}"


def refusal_message(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return _("The text holds a broken character (%(code)s, an unpaired surrogate).") % {
            "code": describe(char)
        }
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return _(
            "The text holds a character (%(code)s) that reverses how text is shown; remove it."
        ) % {"code": describe(char)}
    return _("The text holds a control character (%(code)s) that cannot be stored; remove it.") % {
        "code": describe(char)
    }


def normalise_text(
    value: str,
    *,
    multiline: bool = False,
    max_length: int | None = None,
    strip: bool = True,
) -> str:
    """The stored form of ``value`` or ``TextInvalid``: NFC, line breaks as ``\\n``, nothing
    that ``forbidden_character`` finds; a single line has tabs and line breaks as spaces.
    Over ``max_length`` characters is refused, never cut."""
    if not isinstance(value, str):
        raise TextInvalid(_("Enter text."), rule="type")
    char = forbidden_character(value)
    if char is not None:
        raise TextInvalid(refusal_message(char), rule="character")
    text = unicodedata.normalize("NFC", value)
    text = _LINE_BREAKS.sub("\n", text)
    if not multiline:
        text = _SINGLE_LINE_SPACE.sub(" ", text)
    if strip:
        text = text.strip()
    if max_length is not None and len(text) > max_length:
        raise TextInvalid(too_long_message(max_length, len(text)), rule="length")
    return text


def check_value(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first (field path, message) of a string anywhere in a decoded JSON value (keys
    too) that holds a forbidden character, or None."""
    if isinstance(value, str):
        char = forbidden_character(value)
        return (path, refusal_message(char)) if char is not None else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (char := forbidden_character(key)) is not None:
                return (path or "body", refusal_message(char))
            if (found := check_value(item, where)) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := check_value(item, f"{path}.{index}" if path else str(index))) is not None:
                return found
    return None


def free_text(value: Any, key: str, max_length: int, errors: dict) -> str:
    """A note or reason as stored: multi-line text with every phone-like or ID-number-like
    string masked; a refusal is put in ``errors[key]`` and "" returned."""
    from gridgov.core.masking import mask_text

    try:
        text = normalise_text(str(value or ""), max_length=max_length, multiline=True)
    except TextInvalid as exc:
        errors[key] = [exc.message]
        return ""
    return mask_text(text)
