"""The roster: add members, change their status, and import a CSV (preview first, then save).

A CSV upload is parsed into `ParsedRow`s, each with its errors, and nothing is saved until the
host confirms; `member_import` then creates new addresses and updates known ones (matched by
e-mail, any case) in one transaction, so re-uploading a roster never duplicates anybody.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from programs.models import Member, MemberStatus, Program
from programs.rounds import program_open_rounds_replan
from programs.timezones import is_valid_time_zone
from reminders.text import validate_single_line

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_ROWS = 10_000
MAX_EMAIL_LENGTH = 254  # the column's length and RFC 5321's limit on a path
HEADER_ALIASES = {
    "name": "name",
    "full name": "name",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "time zone": "time_zone",
    "time_zone": "time_zone",
    "timezone": "time_zone",
    "category": "category",
}


class MemberError(ValueError):
    """A roster change that cannot be made; the message says why."""


@transaction.atomic
def member_create(
    *,
    program: Program,
    name: str,
    email: str,
    time_zone: str = "",
    category: str = "",
    now: datetime,
) -> Member:
    """Add a member; if a round is open for opt-in, they are asked too."""
    email = email.strip()
    if Member.objects.filter(program=program, email__iexact=email).exists():
        raise MemberError(f"{email} is on the roster already.")
    try:
        with transaction.atomic():
            member = Member.objects.create(
                program=program,
                name=name.strip(),
                email=email,
                time_zone=time_zone,
                category=category.strip(),
            )
    except IntegrityError:
        raise MemberError(f"{email} is on the roster already.") from None
    program_open_rounds_replan(program_id=program.pk, now=now)
    return member


@transaction.atomic
def member_update(*, member: Member, name: str, time_zone: str, category: str) -> Member:
    """Change what a roster upload may change (the address is who the member is: it stays).

    Messages render from the current row when they are sent, so nothing is planned again.
    """
    member.name = name.strip()
    member.time_zone = time_zone
    member.category = category.strip()
    member.save(update_fields=["name", "time_zone", "category", "updated_at"])
    return member


@transaction.atomic
def member_set_status(*, member: Member, status: str, now: datetime) -> Member:
    """Change a member's status (pause, leave, deactivate, or back to active)."""
    if status not in MemberStatus.values:
        raise MemberError(f"Unknown member status {status!r}.")
    if member.status != status:
        member.status = status
        member.status_changed_at = now
        member.save(update_fields=["status", "status_changed_at", "updated_at"])
        program_open_rounds_replan(program_id=member.program_id, now=now)
    return member


@dataclass
class ParsedRow:
    line: int
    name: str
    email: str
    time_zone: str = ""
    category: str = ""
    errors: list[str] = field(default_factory=list)
    # What importing the row does: "create", "update" (a known address whose name, zone or
    # category differ), "unchanged" (a known address, the same details) or "refused" (errors).
    action: str = "create"


@dataclass
class ParsedUpload:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the whole file: nothing imports

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.rows)

    @property
    def error_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if row.errors]

    @property
    def valid_rows(self) -> list[ParsedRow]:
        return [] if self.errors else [row for row in self.rows if not row.errors]

    def counts(self) -> dict[str, int]:
        """Rows by what importing does; every row counted once ("refused" has the errors)."""
        counts = dict.fromkeys(("create", "update", "unchanged", "refused"), 0)
        for row in self.rows:
            counts["refused" if row.errors else row.action] += 1
        counts["valid"] = len(self.valid_rows)
        return counts

    def to_session(self) -> dict[str, object]:
        return {"rows": [asdict(row) for row in self.rows], "errors": self.errors}

    @classmethod
    def from_session(cls, data: dict[str, object]) -> ParsedUpload:
        stored_rows: list[dict[str, Any]] = data["rows"]  # type: ignore[assignment]  # as to_session wrote it
        rows = [ParsedRow(**row) for row in stored_rows]
        return cls(rows=rows, errors=list(data["errors"]))  # type: ignore[call-overload]


def member_csv_parse(*, program: Program, content: bytes) -> ParsedUpload:
    """Read a roster CSV (a header row with name and e-mail, optionally time zone and category).

    Returns every row with its errors and whether it would create or update a member.
    """
    upload = ParsedUpload()
    if len(content) > MAX_UPLOAD_BYTES:
        upload.errors.append("The file is larger than 2 MB; split it into smaller files.")
        return upload
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        upload.errors.append("The file is not UTF-8 text: save it as “CSV UTF-8” and try again.")
        return upload
    if "\x00" in text:
        upload.errors.append("The file contains NUL characters: it is not a plain CSV text file.")
        return upload
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        # Read every row now: a malformed file (a field over the csv module's size limit)
        # raises here, where it can be reported, instead of half-way through the checks.
        records = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        upload.errors.append(f"The file could not be read as CSV ({error}).")
        return upload
    reader = iter(records)
    header = next(reader, None)
    if header is None:
        upload.errors.append("The file is empty.")
        return upload
    columns = [HEADER_ALIASES.get(cell.strip().lower(), "") for cell in header]
    if "name" not in columns or "email" not in columns:
        upload.errors.append(
            "The first row must name the columns: name, email, and optionally time_zone and category."
        )
        return upload
    repeated = sorted({column for column in columns if column and columns.count(column) > 1})
    if repeated:
        upload.errors.append(
            "The first row names the same column more than once ("
            + ", ".join(repeated)
            + "): keep one of each, so it is clear which to use."
        )
        return upload
    existing = {
        email.lower(): (name, time_zone, category)
        for email, name, time_zone, category in Member.objects.filter(program=program).values_list(
            "email", "name", "time_zone", "category"
        )
    }
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(upload.rows) >= MAX_UPLOAD_ROWS:
            upload.errors.append(f"Only {MAX_UPLOAD_ROWS} rows can be uploaded at once.")
            break
        values = {
            column: cells[index].strip() if index < len(cells) else ""
            for index, column in enumerate(columns)
            if column
        }
        row = ParsedRow(
            line=line,
            name=values.get("name", "")[:200],
            email=values.get("email", ""),
            time_zone=values.get("time_zone", ""),
            category=values.get("category", "")[:100],
        )
        if not row.name:
            row.errors.append("The name is missing.")
        for label, text in (("name", row.name), ("category", row.category)):
            try:
                validate_single_line(text)  # the forms' check: names reach e-mail headers
            except ValidationError as error:
                row.errors.append(f"The {label}: {error.messages[0]}")
        if len(row.email) > MAX_EMAIL_LENGTH:
            row.errors.append(
                f"The e-mail address is too long (at most {MAX_EMAIL_LENGTH} characters)."
            )
        else:
            try:
                validate_email(row.email)
            except ValidationError:
                row.errors.append(
                    f"“{row.email}” is not an e-mail address."
                    if row.email
                    else "The e-mail address is missing."
                )
        if row.time_zone and not is_valid_time_zone(row.time_zone):
            row.errors.append(
                f"“{row.time_zone}” is not a time zone (use a name like Europe/Berlin)."
            )
        key = row.email.lower()
        if key and key in seen:
            row.errors.append(f"The same e-mail address is on line {seen[key]} already.")
        seen.setdefault(key, line)
        row.action = _row_action(row, existing.get(key))
        upload.rows.append(row)
    if not upload.rows and not upload.errors:
        upload.errors.append("The file has a header but no members.")
    return upload


def _row_action(row: ParsedRow, known: tuple[str, str, str] | None) -> str:
    if row.errors:
        return "refused"
    if known is None:
        return "create"
    return "unchanged" if known == (row.name, row.time_zone, row.category) else "update"


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    refused: int


@transaction.atomic
def member_import(*, program: Program, upload: ParsedUpload, now: datetime) -> ImportResult:
    """Save the valid rows of a previewed upload, in one transaction; refused rows are skipped.

    1. An upload refused as a whole (not CSV, no header, too many rows) saves nothing.
    2. Each valid row creates a member, or updates the one with its address (any case) when
       its name, zone or category differ; the roster is read again under the program's lock,
       so the counts are those of the import, not of the preview.
    3. A member's status is left alone: someone who left stays left when an old roster comes
       back.
    """
    if upload.errors:
        raise MemberError("This file cannot be imported: upload a corrected file.")
    rows = upload.valid_rows
    if not rows:
        raise MemberError("No row of this file can be imported: fix the rows and upload again.")
    Program.objects.select_for_update().filter(pk=program.pk).first()
    existing = {member.email.lower(): member for member in Member.objects.filter(program=program)}
    to_create: list[Member] = []
    to_update: list[Member] = []
    for row in rows:
        member = existing.get(row.email.lower())
        if member is None:
            to_create.append(
                Member(
                    program=program,
                    name=row.name,
                    email=row.email,
                    time_zone=row.time_zone,
                    category=row.category,
                )
            )
        elif (member.name, member.time_zone, member.category) != (
            row.name,
            row.time_zone,
            row.category,
        ):
            member.name, member.time_zone, member.category = row.name, row.time_zone, row.category
            to_update.append(member)
    Member.objects.bulk_create(to_create, batch_size=1000)
    Member.objects.bulk_update(to_update, ["name", "time_zone", "category"], batch_size=1000)
    if to_create:
        program_open_rounds_replan(program_id=program.pk, now=now)
    return ImportResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(rows) - len(to_create) - len(to_update),
        refused=len(upload.rows) - len(rows),
    )
