"""E-mails of one group built once: the templates rendered and the MIME bytes serialised per
group, then each recipient's personal parts put in.

Ten thousand reminders of one session differ only in a handful of values: the name, the To
address, the personal links, the unsubscribe header and the outbox row's own ids. A renderer
says so by returning a `GroupedEmail` (its group's key, this recipient's values, and how to
build the e-mail for any values). For each group of a batch the dispatcher then:

1. builds the e-mail once with a *marker* in place of each value (letters, digits and one `&`,
   so a marker stands in the HTML part escaped as `&amp;` and in the text part as it is) and
   serialises it exactly as a single send would (`OutboxEmail`, CRLF), with marker boundaries;
2. cuts those bytes into a *skeleton*: literal bytes, and slots for each value (raw in text,
   HTML-escaped in HTML), each boundary, the Date header, and whole-value headers (To,
   List-Unsubscribe, Message-ID …) that are written per recipient through Django's own header
   sanitising and the outbox's folding policy;
3. checks the skeleton: filled with a second set of markers (other lengths) it must give byte
   for byte what building with those markers gives. A template that filters, tests or encodes
   a value some other way (quoted-printable, base64, `|upper`, `|length`) fails the check and
   the group is built per message instead.

A recipient whose values could change the MIME structure (a control character or line break,
which a single build would fold, refuse or re-encode; a line long enough to switch the part to
quoted-printable; header values `header_text` would change) is built per message: correct for
every input, fast for the usual one. The group key carries which values are empty and which
are ASCII, because templates may test a value (`{% if name %}`) and a part's transfer encoding
(7bit or 8bit) depends on it.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import forbid_multi_line_headers
from django.utils.html import escape

from reminders.mime import FAST_FOLDING, OutboxEmail
from reminders.text import header_text

# The outbox's line length limit in a part before Django switches it to quoted-printable.
_LINE_LIMIT = 998
# Characters a value must not hold to be put into the bytes directly (see the module's text).
_NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CRLF_FOLDING = FAST_FOLDING.clone(linesep="\r\n")
_HEADER_LINE = re.compile(rb"(?m)^(?=[^ \t])")


# Writes a message's last line: `end(may_wait)` answers whether it is written; without
# leave to wait (the dispatcher's thread) it writes only what the socket takes at once.
EndWriter = Callable[[bool], bool]


class EndGate(Protocol):
    """`Prepared.before_end`: may the message's last line go? `before_end(0)` asks without
    waiting; `before_end(None, end=write)`, once the body is written, hands the writing of
    the last line over and answers whether it was written (False: never)."""

    def __call__(self, timeout: float | None, *, end: EndWriter | None = None) -> bool: ...


@dataclass(frozen=True)
class GroupedEmail:
    """One recipient's e-mail of a group whose e-mails differ only in `values`.

    `build(values)` returns the whole e-mail for any values (it is the per-message path, used
    whenever the group cannot be filled in); a value stands in the e-mail only as `{{ value }}`
    in a body, or as the whole value of a header (the To address, List-Unsubscribe).
    """

    group: Hashable
    values: Mapping[str, str]
    build: Callable[[Mapping[str, str]], OutboxEmail]

    def email(self) -> OutboxEmail:
        return self.build(self.values)


class PreparedSender(Protocol):
    """A backend that sends already serialised bytes (`reminders.backends.SMTPEmailBackend`)."""

    def send_prepared(self, prepared: Prepared) -> int: ...

    def close(self) -> None: ...


@dataclass
class Prepared:
    """An e-mail already serialised, sent as bytes by a backend with `send_prepared`."""

    from_email: str
    to: list[str]
    subject: str
    data: bytes
    encoding: str = "utf-8"
    connection: PreparedSender | None = None
    # Asked before the message's end is sent, with how long it may wait for an answer (None:
    # as long as it takes); False abandons it, or with a timeout, is not decided yet (see
    # SMTPEmailBackend).
    before_end: EndGate | None = None

    def recipients(self) -> list[str]:
        return self.to

    def send(self) -> int:
        if self.connection is None:
            raise RuntimeError("a prepared e-mail is sent through the dispatcher's connection")
        return self.connection.send_prepared(self)

    @classmethod
    def of(cls, email: EmailMessage) -> Prepared:
        """An e-mail built per message, serialised as a single send would."""
        return cls(
            from_email=str(email.from_email),
            to=email.recipients(),
            subject=str(email.subject),
            data=email.message().as_bytes(linesep="\r\n"),
            encoding=email.encoding or settings.DEFAULT_CHARSET,
        )


@dataclass(frozen=True)
class _Slot:
    kind: str  # "text", "html", "header", "boundary", "date"
    name: str = ""  # the value's name ("text", "html", "header")
    header: str = ""  # the header's name as written ("header", "date")
    index: int = 0  # the boundary's number


@dataclass
class Skeleton:
    pieces: list[bytes | _Slot]
    from_email: str
    subject: str
    to_name: str
    boundaries: int
    encoding: str
    header_names: frozenset[str]
    body_names: frozenset[str]
    longest_line: int  # the longest line holding a value, without the values
    date_localtime: bool = False
    # Boundaries: 64 random bits per skeleton, then a count (no system call per e-mail).
    boundary_prefix: str = field(default_factory=lambda: secrets.token_hex(8))
    boundary_count: Iterator[int] = field(default_factory=itertools.count)

    def fill(
        self,
        values: Mapping[str, str],
        *,
        date: str | None = None,
        boundaries: list[str] | None = None,
    ) -> Prepared | None:
        """The recipient's e-mail, or None when it must be built per message."""
        if not self._fits(values):
            return None
        if boundaries is None:
            boundaries = [
                f"=_{self.boundary_prefix}{next(self.boundary_count):016x}"
                for _ in range(self.boundaries)
            ]
        escaped: dict[str, bytes] = {}
        out: list[bytes] = []
        for piece in self.pieces:
            if isinstance(piece, bytes):
                out.append(piece)
            elif piece.kind == "text":
                out.append(values[piece.name].encode())
            elif piece.kind == "html":
                if piece.name not in escaped:
                    escaped[piece.name] = escape(values[piece.name]).encode()
                out.append(escaped[piece.name])
            elif piece.kind == "boundary":
                out.append(boundaries[piece.index].encode())
            elif piece.kind == "date":
                value = date or formatdate(localtime=self.date_localtime)
                out.append(_header_bytes(piece.header, value, self.encoding))
            else:
                out.append(_header_bytes(piece.header, values[piece.name], self.encoding))
        return Prepared(
            from_email=self.from_email,
            to=[values[self.to_name]],
            subject=self.subject,
            data=b"".join(out),
            encoding=self.encoding,
        )

    def _fits(self, values: Mapping[str, str]) -> bool:
        added = 0
        for name in self.body_names:
            value = values[name]
            if _NOT_PLAIN.search(value):
                return False
            added += len(escape(value).encode())
        if self.longest_line + added > _LINE_LIMIT:
            return False
        for name in self.header_names:
            value = values[name]
            if not value.isprintable() or header_text(value) != value:
                return False
        return True


def _header_bytes(name: str, value: str, encoding: str) -> bytes:
    """A header line as Django stores it (`forbid_multi_line_headers`) and the outbox folds it."""
    _, stored = forbid_multi_line_headers(name, value, encoding)
    return _CRLF_FOLDING.fold_binary(name, stored)


def group_key(grouped: GroupedEmail) -> Hashable:
    shape = tuple(
        (name, bool(value), value.isascii()) for name, value in sorted(grouped.values.items())
    )
    return (grouped.group, shape)


def _markers(values: Mapping[str, str], *, tag: str) -> dict[str, str]:
    """A marker per value, of the value's emptiness and ASCII-ness (see the module's text).

    Each is a valid address too (a value may be the To address); the second set is longer.
    """
    markers = {}
    for index, (name, value) in enumerate(sorted(values.items())):
        if not value:
            markers[name] = ""
            continue
        accent = "" if value.isascii() else "\u00e9"
        markers[name] = f"zqx{tag}{index}{tag * len(tag)}&q{accent}@marker.invalid"
    return markers


def _serialise(email: OutboxEmail, boundaries: list[str]) -> bytes:
    email.fixed_boundaries = list(boundaries)
    return email.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]  # Django's MIME classes take it


def skeleton_build(
    grouped: GroupedEmail, *, decorate: Callable[[OutboxEmail, Mapping[str, str]], None]
) -> Skeleton | None:
    """The group's skeleton, or None when this group's e-mails must be built one by one.

    `decorate(email, values)` adds what the dispatcher puts on every e-mail (its ids).
    Errors of the renderer's `build` propagate: the caller builds per message, where the
    message at fault fails alone.
    """
    first, second = _markers(grouped.values, tag="a"), _markers(grouped.values, tag="bb")
    boundaries_first = [f"=_zqxboundary{index:021d}" for index in range(8)]
    boundaries_second = [f"=_zqxotherone{index:021d}" for index in range(8)]
    built = []
    for markers, boundaries in ((first, boundaries_first), (second, boundaries_second)):
        email = grouped.build(markers)
        decorate(email, markers)
        built.append((email, _serialise(email, boundaries)))
    (email, data), (_, data_second) = built
    if b"Content-Transfer-Encoding: quoted-printable" in data:
        return None  # a value would have to be encoded: not filled in as it is
    skeleton = _cut(email, data, markers=first, boundaries=boundaries_first)
    if skeleton is None:
        return None
    filled = skeleton.fill(second, date=_date_of(data_second), boundaries=boundaries_second)
    if filled is None or filled.data != data_second:
        return None
    return skeleton


def _date_of(data: bytes) -> str | None:
    match = re.search(rb"(?m)^Date: (.*)\r\n", data.partition(b"\r\n\r\n")[0])
    return match.group(1).decode() if match else None


def _cut(
    email: OutboxEmail, data: bytes, *, markers: Mapping[str, str], boundaries: list[str]
) -> Skeleton | None:
    """Cut the marker e-mail's bytes into literal pieces and slots."""
    if email.cc or email.bcc or len(email.to) != 1 or email.to[0] not in markers.values():
        return None
    by_marker = {marker: name for name, marker in markers.items() if marker}
    to_name = by_marker.get(email.to[0])
    if to_name is None:
        return None
    # Whole-value headers, by their name as written: what `message()` was given.
    header_values = {"to": email.to[0], **{k.lower(): v for k, v in email.extra_headers.items()}}
    head, _, body = data.partition(b"\r\n\r\n")
    pieces: list[bytes | _Slot] = []
    header_names: set[str] = set()
    used = sorted((index for index, boundary in enumerate(boundaries) if boundary.encode() in data))
    if used != list(range(len(used))):
        return None
    has_date = "date" not in {name.lower() for name in email.extra_headers}
    for line in _HEADER_LINE.split(head + b"\r\n"):
        if not line:
            continue
        name = line.split(b":", 1)[0].decode("ascii")
        if name.lower() == "date" and has_date:
            pieces.append(_Slot("date", header=name))
            continue
        if b"zqx" not in line:
            pieces.append(line)
            continue
        value = header_values.get(name.lower())
        if value is None:
            if b"zqxboundary" in line and b"zqxa" not in line:
                pieces.extend(_boundary_pieces(line, boundaries))
                continue
            return None  # a value inside a shared header (the subject, From): not ours to fill
        value_name = by_marker.get(value)
        if value_name is None:
            return None  # a header of several parts: only whole values are filled in
        pieces.append(_Slot("header", value_name, header=name))
        header_names.add(value_name)
    pieces.append(b"\r\n")
    body_names: set[str] = set()
    longest = 0
    for piece in _boundary_pieces(body, boundaries):
        if not isinstance(piece, bytes):
            pieces.append(piece)
            continue
        cut, names, line_length = _body_pieces(piece, by_marker)
        pieces.extend(cut)
        body_names |= names
        longest = max(longest, line_length)
    if b"zqx" in b"".join(p for p in pieces if isinstance(p, bytes)):
        return None  # a marker in a form we do not fill (encoded, filtered)
    return Skeleton(
        pieces=_merged(pieces),
        from_email=email.from_email,
        subject=str(email.subject),
        to_name=to_name,
        boundaries=len(used),
        encoding=email.encoding or settings.DEFAULT_CHARSET,
        header_names=frozenset(header_names),
        body_names=frozenset(body_names),
        longest_line=longest,
        date_localtime=settings.EMAIL_USE_LOCALTIME,
    )


def _boundary_pieces(data: bytes, boundaries: list[str]) -> list[bytes | _Slot]:
    pattern = re.compile(b"|".join(re.escape(b.encode()) for b in boundaries))
    pieces: list[bytes | _Slot] = []
    position = 0
    for match in pattern.finditer(data):
        pieces.append(data[position : match.start()])
        pieces.append(_Slot("boundary", index=boundaries.index(match.group().decode())))
        position = match.end()
    pieces.append(data[position:])
    return pieces


def _body_pieces(data: bytes, by_marker: Mapping[str, str]) -> tuple[list, set[str], int]:
    """Body bytes with each marker, raw (text) or escaped (HTML), turned into a slot."""
    forms: dict[bytes, _Slot] = {}
    for marker, name in by_marker.items():
        forms[marker.encode()] = _Slot("text", name)
        forms[escape(marker).encode()] = _Slot("html", name)
    pattern = re.compile(b"|".join(re.escape(form) for form in sorted(forms, key=len)[::-1]))
    pieces: list[bytes | _Slot] = []
    names: set[str] = set()
    position = 0
    longest = 0
    for match in pattern.finditer(data):
        pieces.append(data[position : match.start()])
        slot = forms[match.group()]
        pieces.append(slot)
        names.add(slot.name)
        line_start = data.rfind(b"\n", 0, match.start()) + 1
        line_end = data.find(b"\r\n", match.end())
        line = data[line_start : line_end if line_end >= 0 else len(data)]
        longest = max(longest, len(pattern.sub(b"", line)))
        position = match.end()
    pieces.append(data[position:])
    return pieces, names, longest


def _merged(pieces: list[bytes | _Slot]) -> list[bytes | _Slot]:
    merged: list[bytes | _Slot] = []
    for piece in pieces:
        if isinstance(piece, bytes):
            if not piece:
                continue
            if merged and isinstance(merged[-1], bytes):
                merged[-1] += piece
                continue
        merged.append(piece)
    return merged
