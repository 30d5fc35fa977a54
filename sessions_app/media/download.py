"""Fetching a recording a video provider made (JaaS's `preAuthenticatedLink`), safely.

The address comes from a webhook's body, so it is checked before anything is fetched
(server-side request forgery):

1. the scheme is https, or http to a loopback address (a provider on this machine);
2. the host is in the allow-list (`JAAS_RECORDING_HOSTS`: exact names, or ".example.com" for
   a domain and its subdomains); no credentials or odd ports in the address are needed;
3. a redirect is followed only to an address that passes 1 and 2 again, at most 3 times;
4. at most `RECORDING_MAX_BYTES` are read, and the file must start as ISO media (`ftyp`).

`RecordingFailed` says why the file cannot be had (the host keeps the reason and may retry);
an `OSError` (the connection dropped, the provider answered 5xx) is passing trouble that the
task retries.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from sessions_app.media.recording import RecordingFailed

TIMEOUT_SECONDS = 30
CHUNK_BYTES = 1024 * 1024
MAX_REDIRECTS = 3


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.lower().strip()
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif entry and host == entry:
            return True
    return False


def url_check(url: str, *, allowed_hosts: Sequence[str]) -> None:
    """Refuse an address Convene must not fetch (steps 1 and 2 above)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as bad:
        raise RecordingFailed(f"The recording's address is not valid: {bad}.") from bad
    if parts.scheme not in ("https", "http") or not host:
        raise RecordingFailed("The recording's address is not an https address.")
    if parts.scheme == "http" and not _is_loopback(host):
        raise RecordingFailed("The recording's address is not an https address.")
    if parts.username or parts.password:
        raise RecordingFailed("The recording's address carries credentials; it was not fetched.")
    if not host_allowed(host, allowed_hosts):
        raise RecordingFailed(
            f"The recording is on {host}, which is not in JAAS_RECORDING_HOSTS; it was not fetched."
        )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def __init__(self, allowed_hosts: Sequence[str]) -> None:
        self.allowed_hosts = allowed_hosts

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        url_check(newurl, allowed_hosts=self.allowed_hosts)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def recording_download(
    *, url: str, output: Path, allowed_hosts: Sequence[str], max_bytes: int
) -> int:
    """Download `url` into `output`; answers its size in bytes."""
    url_check(url, allowed_hosts=allowed_hosts)
    # No proxy from the environment: the allow-list is about where the bytes come from.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _CheckedRedirects(allowed_hosts)
    )
    request = urllib.request.Request(url, headers={"User-Agent": "Convene recordings"})
    try:
        response = opener.open(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as refused:
        if refused.code >= 500:
            raise OSError(f"The provider answered {refused.code}.") from refused
        raise RecordingFailed(
            f"The provider refused the download ({refused.code}): the link may have expired "
            "(JaaS keeps recordings for 24 hours)."
        ) from refused
    size = 0
    with response, output.open("wb") as stored:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise RecordingFailed("The recording is larger than RECORDING_MAX_BYTES.")
        while chunk := response.read(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise RecordingFailed("The recording is larger than RECORDING_MAX_BYTES.")
            stored.write(chunk)
    with output.open("rb") as made:
        head = made.read(12)
    if len(head) < 12 or head[4:8] != b"ftyp":
        raise RecordingFailed("The provider's file is not an MP4 video.")
    return size
