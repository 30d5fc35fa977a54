"""Pages members reach from their e-mails, without an account: opt-in answers and self-service.

The Yes/No link records nothing: mail scanners (Outlook Safe Links and the like) open every
link in a message, so a GET that answered would record both Yes and No for a member who
clicked neither. The link moves the token into the session and redirects to a page without it
(so it leaks into no history or Referer), which shows the answer the link proposed with a button
to confirm it; the POST records. That page also shows the answer, lets the member change it
until matching, and after matching says whether they were matched.

`zone_times` answers any visitor's first page: its times in the browser's zone.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from programs import members, round_selectors, rounds
from programs.models import Member, MemberStatus, OptIn, Round, RoundState
from programs.round_emails import MEMBER_TOKEN_PURPOSE, opt_in_token_purpose
from programs.templatetags.zones import PageZone, local_time_parts
from programs.timezones import STYLES, canonical_time_zone
from reminders import personal_links
from reminders.personal_links import LinkKind, without_referrer
from reminders.ratelimit import client_address, rate_limit_hit
from reminders.tokens import token_object

ANSWERS = ("yes", "no")
# A member's browser keeps their answer link's credential for the round's answer page, and
# their pause/leave/resume link's for their membership pages.
ROUND_ANSWER_LINK = LinkKind("round-answer", days=14)
MEMBER_LINK = LinkKind("member", days=14, legacy_session=True)


def _member_from_token(token: str, *, purpose: str) -> Member | None:
    return token_object(token, queryset=Member.objects.select_related("program"), purpose=purpose)


def _invalid_link(request: HttpRequest, *, status: int = 404) -> HttpResponse:
    return without_referrer(render(request, "programs/member_link_invalid.html", status=status))


@require_GET
def opt_in_answer(request: HttpRequest, round_id: int, token: str, answer: str) -> HttpResponse:
    """The Yes/No link: swap the token for a mark and show the choice to confirm; record nothing."""
    limit = rate_limit_hit(
        scope="opt-in-link", key=client_address(request), limit=60, window_seconds=60
    )
    if not limit.allowed:
        return HttpResponse("Too many attempts; try again in a minute.", status=429)
    member = _member_from_token(token, purpose=opt_in_token_purpose(round_id))
    round_ = Round.objects.filter(pk=round_id).first()
    if member is None or round_ is None or round_.program_id != member.program_id:
        return _invalid_link(request)
    if answer not in ANSWERS:
        raise Http404("No such answer.")
    status_url = reverse("programs:opt_in_status", kwargs={"round_id": round_.pk})
    return personal_links.exchange(
        request,
        kind=ROUND_ANSWER_LINK,
        scope=round_.pk,
        obj=member,
        to=f"{status_url}?chose={answer}",
        path=status_url,
    )


@require_http_methods(["GET", "POST"])
def opt_in_status(request: HttpRequest, round_id: int) -> HttpResponse:
    """The member's answer for a round; `?chose=` is the answer the e-mail link proposed.

    Only the POST records: its buttons are the confirmation the e-mail link asked for.
    """
    round_ = Round.objects.select_related("program").filter(pk=round_id).first()
    member = personal_links.held(
        request, kind=ROUND_ANSWER_LINK, scope=round_id, queryset=Member.objects.all()
    )
    if round_ is None or member is None or member.program_id != round_.program_id:
        return _invalid_link(request)
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        if answer not in ANSWERS:
            return HttpResponse("An answer is yes or no.", status=400)
        rounds.opt_in_answer(round_=round_, member=member, answer=answer, now=timezone.now())
        return redirect("programs:opt_in_status", round_id=round_.pk)
    opt_in = OptIn.objects.filter(round=round_, member=member).first()
    answer = opt_in.answer if opt_in else ""
    chose = request.GET.get("chose", "")
    context = {
        "round": round_,
        "program": round_.program,
        "member": member,
        "answer": answer,
        # The link's choice waits for the button, unless it is the answer on record already.
        "proposed": chose if chose in ANSWERS and chose != answer else "",
        "is_open": round_.state == RoundState.OPEN and member.is_active,
        # Matching runs on the next beat after `match_at`; until then say so, not a past time.
        "matching_due": round_.state == RoundState.OPEN and round_.match_at <= timezone.now(),
        "partners": (
            round_selectors.member_partners_in_round(round_=round_, member=member)
            if round_.state == RoundState.MATCHED
            else None
        ),
    }
    # No `no-referrer` here: the address has no token, and with it Chromium would send
    # `Origin: null` with the answer form, which Django's CSRF check refuses.
    return render(request, "programs/opt_in_status.html", context)


SELF_SERVICE = {
    "pause": MemberStatus.PAUSED,
    "leave": MemberStatus.LEFT,
    "resume": MemberStatus.ACTIVE,
}


@require_http_methods(["GET", "POST"])
def member_self_service(request: HttpRequest, token: str, action: str) -> HttpResponse:
    """The pause/leave/resume link: swap the token for a mark, then drop it from the URL."""
    if action not in SELF_SERVICE:
        raise Http404("No such action.")
    member = _member_from_token(token, purpose=MEMBER_TOKEN_PURPOSE)
    if member is None or member.status == MemberStatus.DEACTIVATED:
        return _invalid_link(request)
    to = reverse(
        "programs:member_self_service_page", kwargs={"member_id": member.pk, "action": action}
    )
    return personal_links.exchange(
        request,
        kind=MEMBER_LINK,
        scope=member.pk,
        obj=member,
        to=to,
        path=to.removesuffix(f"{action}/"),  # every action's page of this member
    )


@require_http_methods(["GET", "POST"])
def member_self_service_page(request: HttpRequest, member_id: int, action: str) -> HttpResponse:
    """Pause, leave or come back: the page shows a confirmation; the button makes the change.

    A GET changes nothing, so mail scanners that follow links cannot pause anybody. The page
    has no token in its address and goes out under the site's referrer policy, so browsers
    send a real Origin with its form (see reminders.personal_links).
    """
    if action not in SELF_SERVICE:
        raise Http404("No such action.")
    member = personal_links.held(
        request,
        kind=MEMBER_LINK,
        scope=member_id,
        queryset=Member.objects.select_related("program"),
    )
    if member is None or member.status == MemberStatus.DEACTIVATED:
        return _invalid_link(request)
    done = False
    if request.method == "POST":
        members.member_set_status(member=member, status=SELF_SERVICE[action], now=timezone.now())
        done = True
    context = {"member": member, "program": member.program, "action": action, "done": done}
    return render(request, "programs/member_self_service.html", context)


# How many times one page may ask for: more than any page shows, few enough to stay cheap.
ZONE_TIMES_MOST = 200


@require_GET
def zone_times(request: HttpRequest) -> HttpResponse:
    """A first page's times in the browser's zone, for `time_zone.js` to put in place (the page
    is not reloaded, so nothing typed into it is lost): `?zone=` a canonical zone, then one `t`
    per time, "moment|event zone|style|end" as the page's `local-time` spans name them. The
    answer is what the page would have shown in that zone: each time's inner HTML and the
    footer's zone, the same template tags. Nothing is looked up or recorded."""
    zone = canonical_time_zone(request.GET.get("zone", ""))
    wanted = request.GET.getlist("t")
    if zone is None:
        return HttpResponseBadRequest("zone: not a time zone this site knows")
    if len(wanted) > ZONE_TIMES_MOST:
        return HttpResponseBadRequest(f"t: at most {ZONE_TIMES_MOST} times")
    times = []
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for item in wanted:
            parsed = _zone_time(item)
            if parsed is None:
                return HttpResponseBadRequest(f"t: not moment|zone|style|end: {item[:80]!r}")
            times.append(str(local_time_parts(*parsed)))
    footer = render_to_string(
        "includes/page_zone.html",
        {"page_zone": PageZone(zone, "your browser's zone")},
    )
    response = JsonResponse({"zone": zone, "times": times, "page_zone": footer})
    # The same question always gets the same answer, until the zone's rules change.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _zone_time(item: str) -> tuple[datetime, str, str, datetime | None] | None:
    parts = item.split("|")
    if len(parts) != 4:
        return None
    moment_text, zone, style, end_text = parts
    try:
        moment = datetime.fromisoformat(moment_text)
        end = datetime.fromisoformat(end_text) if end_text else None
    except ValueError:
        return None
    if moment.tzinfo is None or (end is not None and end.tzinfo is None):
        return None
    if style not in STYLES or (zone and canonical_time_zone(zone) != zone):
        return None
    return moment, zone, style, end
