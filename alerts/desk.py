"""The alert desk the dialogue uses (``core.ports.AlertDesk``): subscriptions and lookups."""

from __future__ import annotations

from alerts import lifecycle, subscriptions
from alerts.catalog import Catalog, load_catalog
from alerts.models import Alert
from core.database import Database
from core.ports import AlertNotice
from core.senders import split_sender


class AlertDesk:
    """Alert subscriptions and lookups on the app database."""

    def __init__(self, database: Database, catalog: Catalog | None = None) -> None:
        self.database = database
        self.catalog = catalog or load_catalog()

    def districts(self) -> frozenset[str]:
        return frozenset(self.catalog.districts)

    def steps(self) -> tuple[str, ...]:
        return tuple(self.catalog.steps)

    def subscribe(self, sender_id: str, district: str | None) -> bool:
        channel, user_id = split_sender(sender_id)
        _, changed = subscriptions.subscribe(self.database, channel, user_id, district)
        return changed

    def unsubscribe(self, sender_id: str) -> bool:
        channel, user_id = split_sender(sender_id)
        return subscriptions.unsubscribe(self.database, channel, user_id)

    def normalize_code(self, text: str) -> str | None:
        return lifecycle.normalize_code(text)

    def find(self, code: str) -> AlertNotice | None:
        with self.database.session() as s:
            alert = lifecycle.find_by_code(s, code)
            return None if alert is None else self._notice(alert)

    def _notice(self, alert: Alert) -> AlertNotice:
        scam = self.catalog.types.get(alert.scam_type) or self.catalog.types["other"]
        return AlertNotice(
            public_code=alert.public_code,
            title=alert.title,
            body=alert.body,
            status=alert.status,
            retract_note=alert.retract_note or "",
            live=lifecycle.is_live(alert),
            scam_label=scam.label,
            scam_meaning=scam.meaning,
        )
