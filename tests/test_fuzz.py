"""Hostile input against every URL of the project: never a server error, never a half write.

Every URL pattern of the real URLconf is resolved with real objects (a program, module,
session, registration, guest link, commitment, round, member, invitation …) and, for a
signed-in host, an anonymous visitor holding the participant links, and a superuser on the
admin pages, hypothesis sends generated requests: GET and POST, with fields the page's forms
name plus some they do not, missing and repeated fields, control characters, NUL, lone
surrogates (as raw UTF-8 bytes, the only way a client can send them), huge strings, odd
dates, numbers that are not numbers, other sites' URLs, and hostile values in the path.

For every request it asserts:

1. no 5xx;
2. no half-written rows: a refused request (4xx) changed no row of any of the project's
   tables, and rows a request added come whole (a registration with its confirmation, a
   commitment with an answer per question and its e-mail, a program with its owner, an
   invitation with its e-mail).

The CSRF check is Django's test client's (off): CSRF refusals would hide every view behind a
403. The number of requests sent is printed (`-s`) and kept as the `fuzz_requests` property.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from commitments.emails import commitment_url
from commitments.models import Answer, Commitment
from commitments.models import QuestionKind as CommitmentQuestionKind
from guests.selectors import guest_url
from guests.services import guest_link_for
from programs.emails import invitation_url
from programs.models import HostInvitation, Program, ProgramHost
from programs.round_emails import member_status_url, opt_in_answer_url
from reminders.models import Message
from sessions_app.models import CalendarFeed, QuestionKind, Recording, Registration
from sessions_app.rooms import attendance_signature
from sessions_app.tokens import feed_url, join_url
from tests.factories import (
    TEST_PASSWORD,
    AttendanceFactory,
    CommitmentFactory,
    HostInvitationFactory,
    MatchFactory,
    MemberFactory,
    ModuleFactory,
    QuestionFactory,
    RegistrationFactory,
    RegistrationQuestionFactory,
    RoundFactory,
    SessionFactory,
    UserFactory,
    hosted_program,
)

PROJECT_APPS = ("programs", "sessions_app", "guests", "commitments", "reminders")
# Generated examples per URL and kind of visitor, after the probes below; derandomized so CI
# sends the same requests every run. FUZZ_EXAMPLES=50 makes a deeper run while working.
EXAMPLES_PER_ROUTE = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ADMIN_EXAMPLES_PER_ROUTE = 1
# One request per value with every field holding it (see `_probes`).
PROBES = [
    "A\r\nBcc: victim@example.org",
    "a\x00b@example.org",
    "lone \udfff surrogate",
    "http://[",
    "99999999999999999999999999",
    "2026-02-30",
]
ADMIN_PROBES = ["A\r\nBcc: victim@example.org", "a\x00b"]

HOSTILE_TEXT = [
    "",
    " ",
    "A\r\nBcc: victim@example.org",
    "Name\nSubject: forged",
    "\r\n",
    "\x00",
    "a\x00b@example.org",
    "\x07bell",
    "tab\there",
    "line\u2028separator",
    "\ud800",
    "lone \udfff surrogate",
    "x" * 5000,
    "y" * 120_000,
    "-1",
    "0",
    "1",
    "2",
    "3",
    "2147483648",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "-inf",
    "0x1F",
    "2026-02-30",
    "2026-13-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-03-29T02:30",
    "2026-10-25T02:30",
    "2026-03-29",
    "1970-01-01T00:00",
    "02:30",
    "24:00",
    "25:61",
    "now",
    "../../../etc/passwd",
    "http://[",
    "//[::1",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "%",
    "{}",
    "[]",
    "null",
    "true",
    "on",
    "yes",
    "no",
    "up",
    "down",
    "pause",
    "İSTANBUL",
    "straße",
    "😀" * 50,
    "\ufeff",
    "\uff21\uff22\uff23\uff24-\uff12\uff13\uff14\uff15",  # full-width ABCD-2345
    "ABCD-2345",
    "Europe/Berlin",
    "Not/A_Zone",
    "UTC",
    "#000000",
    "#ffffff",
    "person@example.org",
    "Name <person@example.org>",
    "person@example.org, Name\nother@example.org",
    "host0@example.org",
]

# File contents for file inputs: empty, binary, NUL bytes, broken UTF-8, CSV with forged names,
# an image header without an image, a CSV header only.
UPLOADS = [
    b"",
    b"\x00\x01\x02\x03",
    b"name,email\nA\x00B,a@example.org\n",
    b"\xff\xfe\xfa broken utf-8",
    b'name,email\n"A\r\nBcc: victim@example.org",a@example.org\n',
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    b"name,email,time_zone,category\n",
    b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64,
]

EXTRA_FIELD_NAMES = [
    "next",
    "direction",
    "status",
    "answer",
    "key",
    "revoke",
    "tab",
    "q",
    "page",
    "format",
    "tz",
    "view",
    "date",
    "chose",
    "download",
    "name",
    "email",
    "title",
]


@dataclass
class World:
    host: object
    superuser: object
    paths: dict[str, str]
    clients: dict[str, Client]
    field_names: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    requests_sent: int = 0
    writing_requests: int = 0  # requests that added, changed the count of, or removed rows


def _path(url: str) -> str:
    return urlsplit(url).path


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """The name of every named URL pattern of the URLconf, namespaced."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            yield from _routes(pattern, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}"


def _build_world(tmp_path) -> World:
    host = UserFactory(email="host0@example.org", username="host0@example.org")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    program = hosted_program(user=host)
    module = ModuleFactory(program=program, is_activated=True)
    for kind in CommitmentQuestionKind.values:
        QuestionFactory(
            module=module, kind=kind, choices="One\nTwo\nThree", is_required=kind == "short_text"
        )
    session = SessionFactory(
        program=program,
        module=module,
        created_by=host,
        starts_at=timezone.now() + timedelta(days=2),
    )
    live = SessionFactory(program=program, module=module, created_by=host, state="live")
    for kind in QuestionKind.values:
        RegistrationQuestionFactory(
            session=session, kind=kind, choices="One\nTwo", is_required=kind == "short_text"
        )
    registration = RegistrationFactory(session=session)
    live_registration = RegistrationFactory(session=live)
    guest_link = guest_link_for(session=session)
    commitment = CommitmentFactory(module=module, session=session)
    attendance = AttendanceFactory(session=live)
    round_ = RoundFactory(program=program)
    member = MemberFactory(program=program)
    other_member = MemberFactory(program=program)
    matched_round = RoundFactory(program=program, state="matched")
    MatchFactory(round=matched_round, members=[member, other_member])
    invitation = HostInvitationFactory(program=program, invited_by=host)
    question = module.questions.first()
    session_question = session.questions.first()
    recording = Recording.objects.create(
        session=live,
        file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="recording.mp4"),
        original_name="recording.mp4",
        size_bytes=12,
        uploaded_by=host,
    )
    feed = CalendarFeed.objects.create(user=host)

    ids = {
        "program_id": program.pk,
        "module_id": module.pk,
        "session_id": session.pk,
        "registration_id": registration.pk,
        "round_id": round_.pk,
        "member_id": member.pk,
        "commitment_id": commitment.pk,
        "invitation_id": invitation.pk,
        "host_role_id": ProgramHost.objects.get(program=program, user=host).pk,
        "code": session.code,
        "captured_id": 1,  # the development outbox: staff only, empty here
        "provider": "postmark",  # a tracking webhook: refused without the shared secret
        "section": "sessions",  # an Insights figure's CSV
        "figure": "per-session",
        "attendance_id": 1,  # the host room's people: none here, so 404
        "recording_id": 1,  # a recording to retry: none here, so 404
        "entry_id": 1,  # a waitlist entry to move: none here, so 404
        # Personal links this walk has no real token for: their refusal pages.
        "token": "not-a-real-token",
        "stream": "rounds",
        "index": 0,
    }

    def named(route: str, /, **kwargs: object) -> str:
        return reverse(route, kwargs=kwargs)

    paths: dict[str, str] = {
        "programs:opt_in_answer": _path(
            opt_in_answer_url(round_=round_, member=member, answer="yes")
        ),
        "programs:member_self_service": _path(member_status_url(member=member, action="pause")),
        "programs:member_self_service_page": named(
            "programs:member_self_service_page", member_id=member.pk, action="pause"
        ),
        "programs:invitation": _path(invitation_url(invitation)),
        "programs:brand_logo": named("programs:brand_logo", program_id=program.pk, name="logo.png"),
        "commitments:link": _path(commitment_url(commitment)),
        "commitments:question_edit": named(
            "commitments:question_edit",
            program_id=program.pk,
            module_id=module.pk,
            question_id=question.pk,
        ),
        "commitments:question_move": named(
            "commitments:question_move",
            program_id=program.pk,
            module_id=module.pk,
            question_id=question.pk,
        ),
        "commitments:question_archive": named(
            "commitments:question_archive",
            program_id=program.pk,
            module_id=module.pk,
            question_id=question.pk,
        ),
        "commitments:session_qr": named(
            "commitments:session_qr",
            program_id=program.pk,
            session_id=session.pk,
            image_format="svg",
        ),
        "guests:exchange": _path(guest_url(guest_link)),
        "sessions_app:join": _path(join_url(registration)),
        "sessions_app:calendar_feed": _path(feed_url(feed)),
        "sessions_app:question_delete": named(
            "sessions_app:question_delete", session_id=session.pk, question_id=session_question.pk
        ),
        "sessions_app:host_heartbeat": named(
            "sessions_app:host_heartbeat", session_id=live.pk, phase="room"
        ),
        "sessions_app:host_remove": named(
            "sessions_app:host_remove", session_id=live.pk, attendance_id=attendance.pk
        ),
        "sessions_app:room_state": named(
            "sessions_app:room_state",
            session_id=live.pk,
            attendance_id=attendance.pk,
            signature=attendance_signature(live.pk, attendance.pk),
            phase="waiting",
        ),
        "sessions_app:recording_download": named(
            "sessions_app:recording_download", session_id=live.pk, recording_id=recording.pk
        ),
        "sessions_app:recording_delete": named(
            "sessions_app:recording_delete", session_id=live.pk, recording_id=recording.pk
        ),
        "sessions_app:room_prejoin": named("sessions_app:room_prejoin", code=live.code),
        "sessions_app:room": named("sessions_app:room", code=live.code),
        "sessions_app:room_leave": named("sessions_app:room_leave", code=live.code),
        "password_reset_confirm": named(
            "password_reset_confirm",
            uidb64=urlsafe_base64_encode(force_bytes(host.pk)),
            token=default_token_generator.make_token(host),
        ),
    }
    for name in ("host_room", "host_start", "host_people", "host_leave", "host_end"):
        paths[f"sessions_app:{name}"] = named(f"sessions_app:{name}", session_id=live.pk)
    paths["sessions_app:recording_upload"] = named(
        "sessions_app:recording_upload", session_id=live.pk
    )

    resolver = get_resolver()
    for route in _routes():
        if route in paths or route.startswith("admin:"):
            continue
        pattern_kwargs = _route_kwargs(resolver, route)
        paths[route] = reverse(route, kwargs={key: ids[key] for key in pattern_kwargs})

    # The admin: its sign-in, and a page with the form of every model registered.
    paths["admin:login"] = reverse("admin:login")
    objects = {
        Program: program,
        Registration: registration,
        Commitment: commitment,
        HostInvitation: invitation,
    }
    # One page per model: the add and change pages validate the same form (admin pages are
    # the slowest to render, so the second would cost time and find nothing new).
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        instance = objects.get(model) or model._default_manager.order_by("pk").first()
        if instance is None:
            paths[f"admin:{info[0]}_{info[1]}_add"] = reverse("admin:{}_{}_add".format(*info))
        else:
            paths[f"admin:{info[0]}_{info[1]}_change"] = reverse(
                "admin:{}_{}_change".format(*info), args=[instance.pk]
            )

    host_client = Client(raise_request_exception=False)
    assert host_client.login(username=host.email, password=TEST_PASSWORD)
    visitor = Client(raise_request_exception=False)
    # The visitor holds the participant's links: their pages are open to it, as to a real one.
    for route in (
        "sessions_app:join",
        "commitments:link",
        "guests:exchange",
        "programs:invitation",
    ):
        visitor.get(paths[route])
    visitor.get(paths["sessions_app:join"].replace(str(registration.pk), str(live_registration.pk)))
    admin_client = Client(raise_request_exception=False)
    admin_client.force_login(superuser)
    return World(
        host=host,
        superuser=superuser,
        paths=paths,
        clients={"host": host_client, "visitor": visitor, "admin": admin_client},
    )


def _route_kwargs(resolver: URLResolver, route: str) -> list[str]:
    """The keyword arguments a named route takes (from the resolver's reverse table)."""
    namespace, _, name = route.rpartition(":")
    current = resolver
    for part in filter(None, namespace.split(":")):
        current = current.namespace_dict[part][1]
    possibilities = current.reverse_dict.getlist(name)
    return list(possibilities[0][0][0][1]) if possibilities else []


# --- counting rows -----------------------------------------------------------------------


def _project_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and model._meta.managed
    )


# Rows whose request must write more rows with them (see `_half_written`).
WHOLE_MODELS = (Registration, Commitment, Program, HostInvitation)


def _snapshot(tables: list[str]) -> tuple[dict[str, int], dict[type, int]]:
    """Every project table's row count, and the highest id of the models checked for whole
    writes, in one query (it runs twice per request)."""
    quoted = connection.ops.quote_name
    counts = [f"(SELECT COUNT(*) FROM {quoted(table)})" for table in tables]
    highest = [
        f"(SELECT COALESCE(MAX(id), 0) FROM {quoted(model._meta.db_table)})"
        for model in WHOLE_MODELS
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts + highest))
        row = cursor.fetchone()
    return (
        dict(zip(tables, row[: len(tables)], strict=True)),
        dict(zip(WHOLE_MODELS, row[len(tables) :], strict=True)),
    )


def _half_written(before: dict[type, int]) -> list[str]:
    """Rows added by the last request that lack what must come with them."""
    problems = []

    def about(model: type, ids: list[int]) -> set[int]:
        content_type = ContentType.objects.get_for_model(model)
        return set(
            Message.objects.filter(content_type=content_type, object_id__in=ids).values_list(
                "object_id", flat=True
            )
        )

    new_registrations = list(
        Registration.objects.filter(pk__gt=before[Registration]).values_list("pk", flat=True)
    )
    if missing := set(new_registrations) - about(Registration, new_registrations):
        problems.append(f"registrations without their confirmation: {sorted(missing)}")
    for commitment in Commitment.objects.filter(pk__gt=before[Commitment]).select_related("module"):
        asked = commitment.module.questions.filter(is_archived=False).count()
        answered = Answer.objects.filter(commitment=commitment).count()
        if answered < asked:
            problems.append(f"commitment {commitment.pk} has {answered} of {asked} answers")
        if not about(Commitment, [commitment.pk]):
            problems.append(f"commitment {commitment.pk} without its e-mail")
    for program in Program.objects.filter(pk__gt=before[Program]):
        if not ProgramHost.objects.filter(program=program, role="owner").exists():
            problems.append(f"program {program.pk} without an owner")
    new_invitations = list(
        HostInvitation.objects.filter(pk__gt=before[HostInvitation]).values_list("pk", flat=True)
    )
    if missing := set(new_invitations) - about(HostInvitation, new_invitations):
        problems.append(f"invitations without their e-mail: {sorted(missing)}")
    return problems


# --- requests ----------------------------------------------------------------------------


def _encode(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _urlencoded(fields: list[tuple[str, str]]) -> str:
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in fields)


class _FormFields(HTMLParser):
    """The fields of a page's forms with the values a browser would send by default, so that
    hostile values can go in one field of an otherwise valid submission (and reach the code
    behind the form's validation, not just the validation)."""

    PLAUSIBLE = {
        "email": "fuzz@example.org",
        "date": (date.today() + timedelta(days=10)).isoformat(),
        "time": "10:00",
        "datetime-local": f"{date.today() + timedelta(days=5)}T10:00",
        "number": "5",
        "password": "a-long-Passw0rd-for-fuzzing",
    }

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.files: list[str] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name", "")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attributes.get("type", "text")
            if kind == "file":
                self.files.append(name)
                return
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and name in self.fields:
                return
            value = attributes.get("value") or self.PLAUSIBLE.get(kind, "Fuzz")
            self.fields[name] = value
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and self._select not in self.fields:
            if attributes.get("value"):
                self.fields[self._select] = attributes["value"]
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = "Fuzz"

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and data.strip():
            self.fields[self._textarea] = data


values = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=20),
)


@st.composite
def hostile_requests(
    draw, defaults: dict[str, str], files: list[str], str_kwargs: list[str]
) -> dict[str, object]:
    """A submission of the page's form (or of made-up fields) with hostile values in some
    fields, some fields missing and some repeated."""
    names = sorted(defaults) + EXTRA_FIELD_NAMES
    # The simplest example (hypothesis tries it first) is the form as a browser sends it.
    hostile = draw(st.lists(st.sampled_from(names), max_size=4))
    missing = draw(st.lists(st.sampled_from(sorted(defaults)), max_size=2)) if defaults else []
    fields = [
        (name, value) for name, value in sorted(defaults.items()) if name not in hostile + missing
    ]
    fields += [(name, draw(values)) for name in hostile]  # a name drawn twice is repeated
    uploads = [
        (name, draw(values), draw(st.sampled_from(UPLOADS)))
        for name in files
        if draw(st.booleans())
    ]
    return {
        "method": "POST" if uploads else draw(st.sampled_from(["POST", "POST", "POST", "GET"])),
        "fields": draw(st.permutations(fields)),
        "uploads": uploads,
        "encoding": "multipart"
        if uploads
        else draw(st.sampled_from(["urlencoded", "urlencoded", "multipart", "json"])),
        "path_value": draw(st.one_of(st.none(), st.none(), values)) if str_kwargs else None,
    }


def _send(client: Client, path: str, request: dict[str, object]) -> object:
    fields = request["fields"]
    if request["method"] == "GET":
        return client.get(f"{path}?{_urlencoded(fields)}")
    if request["encoding"] == "json":
        return client.post(
            path,
            data=json.dumps(dict(fields), ensure_ascii=True),
            content_type="application/json",
        )
    if request["encoding"] == "multipart":
        try:
            data: dict[str, list[object]] = {}
            for name, value in fields:
                value.encode("utf-8")
                data.setdefault(name, []).append(value)
            for name, filename, content in request.get("uploads", []):
                safe_name = filename if filename.isprintable() and filename.isascii() else "x.csv"
                data.setdefault(name, []).append(SimpleUploadedFile(safe_name or "x", content))
            body = encode_multipart("BoUnDaRy", data)
        except UnicodeEncodeError:
            pass
        else:
            return client.post(
                path,
                data=body,
                content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
            )
    return client.post(
        path, data=_urlencoded(fields), content_type="application/x-www-form-urlencoded"
    )


def _hostile_path(path: str, route_value: str, hostile: str) -> str:
    """`path` with one of its string parts (a code, a token, a phase …) replaced."""
    return path.replace(f"/{route_value}/", f"/{_encode(hostile) or '%20'}/", 1)


def _string_parts(world: World, route: str) -> list[str]:
    """The parts of a route's path that are strings, not ids: where hostile text may go."""
    return [part for part in world.paths[route].strip("/").split("/") if not part.isdigit()][1:]


def _form_defaults(response: object) -> tuple[dict[str, str], list[str]]:
    """The page's form fields with their default values, and its file inputs."""
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}, []
    parser = _FormFields()
    parser.feed(response.content.decode("utf-8", "replace"))
    return parser.fields, parser.files


def _probes(defaults: dict[str, str], parts: list[str], values: list[str]) -> list[dict]:
    """Explicit examples, sent before the generated ones: every field of the form (and every
    made-up one) holding the same hostile value, one request per value, so each class of
    hostile input reaches every field of every form in every run. Values with NUL go in a
    query string too (searches, filters, pages)."""
    names = sorted(defaults) + EXTRA_FIELD_NAMES
    methods = [("POST", value) for value in values]
    methods += [("GET", value) for value in values if "\x00" in value]
    return [
        {
            "method": method,
            "fields": [(name, value) for name in names],
            "encoding": "urlencoded",
            "uploads": [],
            "path_value": value if parts and index == 0 else None,
        }
        for index, (method, value) in enumerate(methods)
    ]


def _fuzz_route(
    world: World, route: str, who: str, tables: list[str], *, examples: int, probes: list[str]
) -> None:
    client = world.clients[who]
    path = world.paths[route]
    parts = _string_parts(world, route)
    opening = client.get(path)
    world.requests_sent += 1
    if opening.status_code == 302 and opening["Location"].startswith(reverse("login")):
        # A host page before sign-in: the view never runs, so two probes say enough.
        examples, probes = 0, probes[:2]
    defaults, files = _form_defaults(opening)

    def fuzz(request: dict[str, object]) -> None:
        cache.clear()  # rate limits would otherwise answer 429 before the code under test runs
        target = path
        if request["path_value"] is not None and parts:
            target = _hostile_path(path, parts[-1], request["path_value"])
        counts, ids = _snapshot(tables)
        cookies = copy.deepcopy(client.cookies)
        savepoint = transaction.savepoint()
        try:
            response = _send(client, target, request)
            world.requests_sent += 1
            assert response.status_code < 500, (
                f"{who} {request['method']} {target}: {response.status_code}"
            )
            counts_after, ids_after = _snapshot(tables)
            world.writing_requests += counts_after != counts
            if 400 <= response.status_code < 500:
                changed = {
                    table: (counts[table], now)
                    for table, now in counts_after.items()
                    if now != counts[table]
                }
                assert not changed, (
                    f"{who} {target} answered {response.status_code} but wrote {changed}"
                )
            # The admin edits single rows by design (an invitation added there sends nothing).
            if ids_after != ids and not route.startswith("admin:"):
                problems = _half_written(ids)
                assert not problems, f"{who} {request['method']} {target}: {problems}"
        finally:
            # Every request starts from the same rows and cookies, so that each example stands
            # alone (hypothesis replays it to shrink) and no request hides another's code.
            transaction.savepoint_rollback(savepoint)
            client.cookies = cookies

    test = given(request=hostile_requests(defaults, files, parts))(fuzz)
    for probe in reversed(_probes(defaults, parts, probes)):
        test = example(request=probe)(test)
    hypothesis_settings(
        max_examples=max(examples, 1),
        phases=list(Phase) if examples else [Phase.explicit],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )(test)()


@pytest.fixture
def world(db: None, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    return _build_world(tmp_path)


def test_no_hostile_request_makes_a_server_error_or_a_half_write(
    world: World, record_property, capsys
) -> None:
    tables = _project_tables()
    failures: list[str] = []
    # FUZZ_ROUTES=programs:set_time_zone,login narrows a run to some URLs while working on them.
    only = [part for part in os.environ.get("FUZZ_ROUTES", "").split(",") if part]
    routes = [route for route in sorted(world.paths) if not only or route in only]
    missing = [
        route for route in _routes() if not route.startswith("admin:") and route not in world.paths
    ]
    assert not missing, f"routes the fuzz test cannot reach yet: {missing}"
    for route in routes:
        is_admin = route.startswith("admin:")
        # Anonymous visitors of the admin's pages are all sent to its sign-in page.
        visitors = ["host", "visitor"]
        if is_admin:
            visitors = ["admin", "visitor"] if route == "admin:login" else ["admin"]
        for who in visitors:
            savepoint = transaction.savepoint()
            try:
                _fuzz_route(
                    world,
                    route,
                    who,
                    tables,
                    examples=ADMIN_EXAMPLES_PER_ROUTE if is_admin else EXAMPLES_PER_ROUTE,
                    probes=ADMIN_PROBES if is_admin else PROBES,
                )
            except Exception as error:  # hypothesis re-raises the smallest failing example
                failures.append(f"{route} as {who}: {error}")
            finally:
                # The opening GET of each route writes too (sessions, marks): undo it.
                transaction.savepoint_rollback(savepoint)
    record_property("fuzz_requests", world.requests_sent)
    with capsys.disabled():
        print(
            f"\nfuzz: {world.requests_sent} requests to {len(routes)} URLs "
            f"({world.writing_requests} of them added or removed rows), {len(failures)} failing"
        )
    assert not failures, "\n".join(failures)
