"""Privacy operations: the registry of personal data, export, erasure, retention, masked logs.

Importing this package loads no models: the logging filter is configured before apps are ready.
"""
