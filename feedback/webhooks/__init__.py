"""Signed, reliable webhooks for integrators.

- events: what each event says, written to the outbox (WebhookMessage) in the change's transaction.
- signing: Standard Webhooks signatures, and the signing secrets encrypted at rest.
- addresses: which URLs may receive, resolved once and connected to by the checked address.
- delivery: sending one attempt, the retry schedule, and disabling a receiver that keeps failing.
- services: creating, changing, rotating and re-enabling subscriptions.
"""
