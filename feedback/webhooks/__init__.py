"""Signed, reliable webhooks for integrators.

- outbox: writes a message per subscription in the transaction of the change it reports.
- events: what each event says (personal data only for subscriptions that opted in).
- receivers: surveys' signals (distribution_finished) turned into events.
- signing: Standard Webhooks signatures, and the signing secrets encrypted at rest.
- addresses: which URLs may receive, resolved once and connected to by the checked address.
- delivery: one attempt at a time, the retry schedule, disabling a receiver that keeps failing.
- services: creating, changing, rotating and re-enabling subscriptions, and test messages.
- api: the REST endpoints.
"""
