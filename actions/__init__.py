"""Custom Rasa actions, run by the app's ``/webhook`` through rasa-sdk's ActionExecutor.

One small module per topic. Every non-abstract ``Action`` subclass in this package is
registered; actions that need services (retriever, settings, database) derive from
``actions.base.ServicedAction`` and receive them in the constructor.
"""
