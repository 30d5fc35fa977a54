"""The e-mails of matching rounds (opt-in and match), rendered from current state at send time.

Every member e-mail carries the member's pause and leave links.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage
from django.urls import reverse

from programs.links import public_url
from programs.models import Match, Member, Round, RoundState
from programs.rounds import MATCH_KIND, OPT_IN_KIND
from programs.tokens import token_make
from reminders.emails import build_email
from reminders.models import Message
from reminders.registry import NotWanted, register

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


def _member_context(*, round_: Round, member: Member) -> dict[str, object]:
    zone_name = member.time_zone or round_.time_zone
    zone = ZoneInfo(zone_name)
    return {
        "program": round_.program,
        "round": round_,
        "member": member,
        "match_at_local": round_.match_at.astimezone(zone),
        "zone_name": zone_name,
        "pause_url": member_status_url(member=member, action="pause"),
        "leave_url": member_status_url(member=member, action="leave"),
    }


def _round_and_member(message: Message) -> tuple[Round, Member]:
    round_ = message.about
    if not isinstance(round_, Round):
        raise NotWanted("the round was deleted", cancelled=True)
    member = (
        Member.objects.select_related("program").filter(pk=message.payload.get("member_id")).first()
    )
    if member is None:
        raise NotWanted("the member was removed", cancelled=True)
    return round_, member


@register(OPT_IN_KIND)
def render_opt_in(message: Message) -> EmailMessage:
    round_, member = _round_and_member(message)
    if round_.state != RoundState.OPEN:
        raise NotWanted(f"the round is {round_.state}", cancelled=True)
    if not member.is_active:
        raise NotWanted(f"the member is {member.status}", cancelled=True)
    context = _member_context(round_=round_, member=member)
    context["yes_url"] = opt_in_answer_url(round_=round_, member=member, answer="yes")
    context["no_url"] = opt_in_answer_url(round_=round_, member=member, answer="no")
    return build_email(
        template="opt_in", context=context, to_email=member.email, to_name=member.name
    )


@register(MATCH_KIND)
def render_match(message: Message) -> EmailMessage:
    round_, member = _round_and_member(message)
    if round_.state != RoundState.MATCHED:
        raise NotWanted(f"the round is {round_.state}", cancelled=True)
    context = _member_context(round_=round_, member=member)
    match_id = message.payload.get("match_id")
    partners: list[Member] = []
    if match_id is not None:
        match = Match.objects.filter(pk=match_id, round=round_).first()
        if match is None:
            raise NotWanted("the group no longer exists", cancelled=True)
        partners = [other for other in match.members.order_by("name") if other.pk != member.pk]
    context["partners"] = partners
    return build_email(
        template="match",
        context=context,
        to_email=member.email,
        to_name=member.name,
        reply_to=[partner.email for partner in partners] or None,
    )
