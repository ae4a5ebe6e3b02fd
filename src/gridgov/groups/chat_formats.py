"""Readers of chat exports: each turns the decoded text of one export into messages
(time, sender's display name, text). The readers are pluggable (``register_format``);
``detect`` tries each in turn. Times without a zone are Beijing time, as the tools write.

- ``text``: the plain-text exports of WeChat and QQ tools: a header line
  ``2026-11-03 08:15:02 张三`` (QQ adds ``(12345)`` or ``<mail>`` after the name), then the
  message's lines up to the next header.
- ``csv``: a header row naming the time, sender and text columns (时间 / 发送者 / 内容,
  time / sender / content, or the StrTime / NickName / StrContent of common WeChat tools;
  a CreateTime column holds Unix seconds).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Message:
    sent_at: datetime  # aware
    sender: str
    text: str


class FormatNotRecognised(ValueError):
    """The text is not in this reader's format (the reason says where it fails)."""


Reader = Callable[[str], list[Message]]
READERS: dict[str, Reader] = {}


def register_format(name: str):
    def decorate(reader: Reader) -> Reader:
        READERS[name] = reader
        return reader

    return decorate


_MOMENT = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def _moment(text: str) -> datetime | None:
    """``2026-11-03 08:15:02`` (or with / and without seconds) in Beijing time; None if it
    is not a date and time. Read with a pattern, not strptime: an export has millions."""
    match = _MOMENT.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=BEIJING,
        )
    except ValueError:
        return None


_HEADER = re.compile(
    r"^(\d{4}[-/]\d{1,2}[-/]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s+(.+?)"
    r"(?:\s*[(（<][^()（）<>]{1,64}[)）>])?\s*$"
)


@register_format("text")
def read_text(text: str) -> list[Message]:
    messages: list[Message] = []
    sent_at = sender = None
    body: list[str] = []

    def flush():
        if sent_at is not None:
            messages.append(Message(sent_at, sender, "\n".join(body).strip()))

    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        moment = _moment(match.group(1)) if match else None
        if moment is not None:
            flush()
            sent_at, sender, body = moment, match.group(2).strip(), []
        elif sent_at is None:
            if line.strip():
                raise FormatNotRecognised(f"line {number} is not a message header")
        else:
            body.append(line)
    flush()
    if not messages:
        raise FormatNotRecognised("no message header found")
    return messages


_COLUMNS = {
    "time": ("时间", "发送时间", "time", "datetime", "strtime", "createtime"),
    "sender": ("发送者", "发送人", "昵称", "sender", "nickname", "name"),
    "text": ("内容", "消息", "content", "message", "text", "strcontent"),
}


@register_format("csv")
def read_csv(text: str) -> list[Message]:
    rows = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(rows)]
    except (StopIteration, csv.Error) as exc:
        raise FormatNotRecognised("no header row") from exc
    where = {}
    for key, names in _COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in names]
        if not found:
            raise FormatNotRecognised(f"no {key} column in the header")
        where[key] = found[0]
    epoch = header[where["time"]] == "createtime"
    messages = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            raw_time, sender, body = (row[where[k]] for k in ("time", "sender", "text"))
        except IndexError as exc:
            raise FormatNotRecognised(f"row {number} has too few columns") from exc
        if epoch:
            try:
                moment = datetime.fromtimestamp(int(raw_time), tz=UTC)
            except (ValueError, OverflowError, OSError):
                moment = None
        else:
            moment = _moment(raw_time)
        if moment is None:
            raise FormatNotRecognised(f"row {number}: the time is not a date and time")
        messages.append(Message(moment, sender.strip(), body.strip()))
    if not messages:
        raise FormatNotRecognised("no message rows")
    return messages


def detect(text: str) -> tuple[str, list[Message]]:
    """(format, messages) of the first reader that takes the text; FormatNotRecognised
    naming each reader's reason otherwise."""
    reasons = []
    for name, reader in READERS.items():
        try:
            return name, reader(text)
        except FormatNotRecognised as exc:
            reasons.append(f"{name}: {exc}")
    raise FormatNotRecognised("; ".join(reasons))


def iter_formats() -> Iterator[str]:
    return iter(READERS)
