"""What `sessions_app` tells the apps built on it (guests, commitments).

`sessions_app` imports none of those apps: each connects its receivers in its
`AppConfig.ready()`. Custom signals, sent at a named moment by a service or the room's access
check; a receiver's work is its own app's service.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `session_create` inside its transaction. Argument: `session`.
session_created = Signal()

# Sent by the room for a remembered identity `<prefix>:…` that its issuer must still vouch for.
# Arguments: `prefix`, `session`, `identity` (the remembered dict). The receiver of the app that
# issues `prefix` returns True while the identity is current; every other receiver returns None.
# (The prefix is an argument, not the `sender`: Django matches senders by identity, and a prefix
# cut from a stored key is an equal string but not the same object.)
participant_vouch = Signal()

# Sent inside the removal's transaction when a host removes a participant. Arguments: `prefix`
# (of their identity `<prefix>:…`), `attendance`, `now`. The issuing app's receiver acts (guests
# replace the shared link the guest holds) and may return a sentence for the host; others
# return None.
participant_removed = Signal()
