"""Operator console: accounts, authentication, audit log, lookup API and the /operator page."""
