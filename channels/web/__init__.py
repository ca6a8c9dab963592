"""The senior-mode web chat: static page, its small JSON endpoints, the alert banner."""
