"""Channels: how people reach the assistant (web chat, WeChat)."""
