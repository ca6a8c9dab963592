"""Fraud alerts: lifecycle, subscriptions, persistent outbox, delivery worker, live push."""
