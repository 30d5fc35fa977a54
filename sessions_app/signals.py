"""What `sessions_app` tells the apps built on it (guests, commitments).

`sessions_app` imports none of those apps: each connects its receivers in its
`AppConfig.ready()`. Custom signals, sent at a named moment by a service or the room's access
check; a receiver's work is its own app's service.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `session_create` inside its transaction. Argument: `session`.
session_created = Signal()

# Sent by the room for a remembered identity `<prefix>:…` that its issuer must still vouch for;
# `sender` is the prefix (the issuing app connects with `sender="guest"`). Arguments: `session`,
# `identity` (the remembered dict). A receiver returns True while the identity is current.
participant_vouch = Signal()

# Sent inside the removal's transaction when a host removes a participant whose identity is
# `<prefix>:…`; `sender` is the prefix (guests connect with `sender="guest"` and replace the
# shared link the guest holds). Arguments: `attendance`, `now`. A receiver returns a sentence
# for the host, or None.
participant_removed = Signal()
