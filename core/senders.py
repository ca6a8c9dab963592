"""Conversation ids: ``<channel>:<user>`` (``web:abc``, ``wechat:oXYZ``), in one place."""

from __future__ import annotations

CHANNELS = ("web", "wechat")


def sender_id(channel: str, user_id: str) -> str:
    """``("web", "abc")`` -> ``web:abc``."""
    return f"{channel}:{user_id}"


def split_sender(sender: str) -> tuple[str, str]:
    """``web:abc`` -> ``("web", "abc")``; an id without a known prefix counts as web.

    Raises:
        ValueError: the id is empty.
    """
    if not sender:
        raise ValueError("empty sender id")
    channel, sep, rest = sender.partition(":")
    if sep and channel in CHANNELS and rest:
        return channel, rest
    return "web", sender


def web_sender(sender: str) -> str:
    """The web conversation id of what the page sent (``abc`` or ``web:abc``)."""
    return sender if sender.startswith("web:") else sender_id("web", sender)


def web_user(sender: str) -> str:
    """The web user id inside ``web:<id>`` (the page may send either form)."""
    return sender.removeprefix("web:")
