"""What `programs` tells the apps built on it.

`programs` imports none of those apps: each connects its receivers in its `AppConfig.ready()`.
These are custom signals, sent by services and views at a named moment, not model signals;
the work a receiver does is its own app's service.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent in the transaction that adds or removes a program's host (the services do, and the admin,
# which edits host rows directly). Arguments: `program_id`, `now`.
hosts_changed = Signal()

# Sent by the planning views to collect the entries of the apps further along. Arguments:
# `program_ids`, `start`, `end`; each receiver returns the `PlanningEntry`s of those programs with
# `start <= starts_at < end`, in a constant number of queries.
planning_entries_wanted = Signal()

# Sent by the Insights pages (sender `SectionSource`) to collect their sections. No arguments;
# each receiver returns a list of its areas' `programs.insights.SectionSource`s (slug, place on
# the page, builder).
insight_sections_wanted = Signal()

# Sent by the Insights e-mail section (sender `reminders.models.Message`). Argument:
# `program_ids`; each receiver returns a `Q` on `Message` matching the outbox topics of the
# messages its app sends about those programs' objects (one subquery, no rows loaded).
insight_topics_wanted = Signal()
