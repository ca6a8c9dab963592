"""The core layer: settings, database, clock, messages, the Rasa client and small interfaces.

It imports no feature package (``actions``, ``alerts``, ``channels``, ``console``,
``knowledge``); import-linter checks this (``make lint``).
"""
