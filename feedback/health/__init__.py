"""Customer health: a score per account and per contact from named, weighted inputs, kept current
incrementally, with its history, at-risk lists and alerts that open proactive follow-ups.

formula.py is pure (no Django); inputs.py reads what the formula needs; services.py marks,
recomputes and stores; alerts.py fires rules into the closed loop; selectors.py composes reads.
"""
