"""Signals surveys sends for the apps that build on it (surveys never imports feedback).

`distribution_finished` is sent inside the transaction that marks a distribution finished, so a
receiver's writes (feedback's webhook messages) commit or roll back with the change itself.
Arguments: distribution (Distribution), figures (dict, see distributions.distribution_figures).
"""

from django.dispatch import Signal

distribution_finished = Signal()
