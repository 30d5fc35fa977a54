"""The e-mails of matching rounds (opt-in and match), rendered from current state at send time.

Every member e-mail carries the member's pause and leave links, and List-Unsubscribe for the
stream `rounds` (one click pauses the member: no more opt-in or match e-mails).

An opt-in message is about its member, a match message about the member's group (the `Match`),
or about the member when nobody could be matched with them; the payload names the round.
The dispatcher loads what a batch is about in one query per kind (`about_queryset`), with
what rendering reads, so sending a thousand of them issues no query per message.
"""

from __future__ import annotations

from datetime import datetime

from django.core.mail import EmailMessage
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from programs.branding import program_email_brand
from programs.links import public_url
from programs.members import member_set_status
from programs.models import Match, Member, MemberStatus, Round, RoundState
from programs.rounds import MATCH_KIND, OPT_IN_KIND
from programs.timezones import moment_text
from reminders.emails import build_email
from reminders.models import Message
from reminders.registry import NotWanted, register
from reminders.tokens import token_make
from reminders.unsubscribe import Stream, stream_register, unsubscribe_headers

MEMBER_TOKEN_PURPOSE = "member-status"


def opt_in_token_purpose(round_id: int) -> str:
    return f"round-answer:{round_id}"


def opt_in_answer_url(*, round_: Round, member: Member, answer: str) -> str:
    token = token_make(
        purpose=opt_in_token_purpose(round_.pk), object_id=member.pk, version=member.token_version
    )
    path = reverse(
        "programs:opt_in_answer", kwargs={"round_id": round_.pk, "token": token, "answer": answer}
    )
    return public_url(path, program=round_.program)


def member_status_url(*, member: Member, action: str) -> str:
    token = token_make(
        purpose=MEMBER_TOKEN_PURPOSE, object_id=member.pk, version=member.token_version
    )
    path = reverse("programs:member_self_service", kwargs={"token": token, "action": action})
    return public_url(path, program=member.program)


ROUNDS_STREAM = "rounds"


def _member_pause(member: Member, now: datetime) -> None:
    if member.status == MemberStatus.ACTIVE:
        member_set_status(member=member, status=MemberStatus.PAUSED, now=now)


stream_register(
    Stream(
        name=ROUNDS_STREAM,
        describe=lambda member: f"opt-in and match e-mails of {member.program.name}",
        queryset=lambda: Member.objects.select_related("program"),
        stop=_member_pause,
    )
)


def _member_context(*, round_: Round, member: Member) -> dict[str, object]:
    # Formatted here, in the member's zone (else the round's) with the round's beside it: the
    # template's `date` filter would convert back to the dispatcher's active zone (UTC).
    match_when = moment_text(
        round_.match_at,
        viewer_zone=member.time_zone or round_.time_zone,
        event_zone=round_.time_zone,
    )
    return {
        "program": round_.program,
        "round": round_,
        "member": member,
        "match_when": str(match_when),
        "pause_url": member_status_url(member=member, action="pause"),
        "leave_url": member_status_url(member=member, action="leave"),
    }


def members_for_rendering() -> QuerySet[Member]:
    """Members with their program and its open rounds (normally one): what the opt-in reads."""
    return Member.objects.select_related("program").prefetch_related(
        Prefetch(
            "program__rounds",
            queryset=Round.objects.filter(state=RoundState.OPEN),
            to_attr="open_rounds",
        )
    )


def matches_for_rendering() -> QuerySet[Match]:
    """Groups with their round, program and members: what the match e-mail reads."""
    return Match.objects.select_related("round__program").prefetch_related(
        Prefetch("members", queryset=Member.objects.select_related("program").order_by("name"))
    )


def _member(message: Message) -> Member:
    member = message.about
    if not isinstance(member, Member):
        raise NotWanted("the member was removed", cancelled=True)
    return member


@register(OPT_IN_KIND, about_queryset=members_for_rendering)
def render_opt_in(message: Message) -> EmailMessage:
    member = _member(message)
    round_id = message.payload.get("round_id")
    open_rounds = getattr(member.program, "open_rounds", None)
    if open_rounds is None:  # loaded without members_for_rendering
        open_rounds = list(member.program.rounds.filter(state=RoundState.OPEN))
    round_ = next((round_ for round_ in open_rounds if round_.pk == round_id), None)
    if round_ is None:
        raise NotWanted("the round is no longer open", cancelled=True)
    round_.program = member.program
    if not member.is_active:
        raise NotWanted(f"the member is {member.status}", cancelled=True)
    context = _member_context(round_=round_, member=member)
    context["yes_url"] = opt_in_answer_url(round_=round_, member=member, answer="yes")
    context["no_url"] = opt_in_answer_url(round_=round_, member=member, answer="no")
    return build_email(
        template="opt_in",
        context=context,
        to_email=member.email,
        to_name=member.name,
        brand=program_email_brand(member.program),
        headers=unsubscribe_headers(stream=ROUNDS_STREAM, obj=member),
    )


def _group_and_member(message: Message) -> tuple[Round, Member, list[Member]]:
    """The round, the recipient and their partners (none for a member nobody was matched with)."""
    about = message.about
    if isinstance(about, Match):
        group = list(about.members.all())
        member = next((m for m in group if m.pk == message.payload.get("member_id")), None)
        if member is None:
            raise NotWanted("the member is no longer in the group", cancelled=True)
        return about.round, member, [other for other in group if other.pk != member.pk]
    member = _member(message)
    # At most one member of a round is left alone: a query for its round is fine.
    round_ = Round.objects.filter(pk=message.payload.get("round_id")).first()
    if round_ is None:
        raise NotWanted("the round was deleted", cancelled=True)
    round_.program = member.program
    return round_, member, []


@register(MATCH_KIND, about_queryset=matches_for_rendering)
def render_match(message: Message) -> EmailMessage:
    round_, member, partners = _group_and_member(message)
    if round_.state != RoundState.MATCHED:
        raise NotWanted(f"the round is {round_.state}", cancelled=True)
    context = _member_context(round_=round_, member=member)
    context["partners"] = partners
    return build_email(
        template="match",
        context=context,
        to_email=member.email,
        to_name=member.name,
        reply_to=[partner.email for partner in partners] or None,
        brand=program_email_brand(round_.program),
        headers=unsubscribe_headers(stream=ROUNDS_STREAM, obj=member),
    )
