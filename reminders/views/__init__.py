"""The outbox's pages, by audience: `public` (recipients), `webhooks` (providers), `dev`."""
