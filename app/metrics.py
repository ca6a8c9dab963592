"""What ``/metrics`` reads from the app's services, and the outcome count of each bot turn.

``core.metrics`` holds the counters and histograms the layers record as they work. Two
figures are read when Prometheus scrapes instead, so they cost nothing between scrapes:
outbox rows by status (one ``GROUP BY`` on the app database, shared by every process) and
the live streams this process holds open (``alerts.stream.StreamGate``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from alerts.outbox import rows_by_status
from alerts.stream import StreamGate
from core.conversation import Turn
from core.database import Database
from core.metrics import TURN_OUTCOMES
from insights.outcomes import classify

log = logging.getLogger(__name__)


class ServiceCollector(Collector):
    """The scrape-time figures of one app's services (either may be missing in an app
    assembled without them)."""

    def __init__(self, database: Database | None, gate: StreamGate | None) -> None:
        self.database = database
        self.gate = gate

    def collect(self) -> Iterator[Metric]:
        if self.database is not None:
            rows = GaugeMetricFamily(
                "yinfa_outbox_rows",
                "Alert outbox rows by status (the app database: the same for every process).",
                labels=["status"],
            )
            try:
                counts = rows_by_status(self.database)
            except SQLAlchemyError as exc:
                log.warning("metrics: outbox rows not counted: %s", exc.__class__.__name__)
            else:
                for status, count in counts.items():
                    rows.add_metric([status], count)
                yield rows
        if self.gate is not None:
            yield GaugeMetricFamily(
                "yinfa_sse_streams_open",
                "Live alert streams (/api/events) open in this process.",
                value=self.gate.open_streams,
            )


def exposition(database: Database | None, gate: StreamGate | None) -> bytes:
    """The text of ``/metrics``: the process's own metrics (``core.metrics``, and
    ``prometheus_client``'s process and Python collectors), then the services' figures."""
    services = CollectorRegistry(auto_describe=False)
    services.register(ServiceCollector(database, gate))
    return generate_latest(REGISTRY) + generate_latest(services)


def record_turn(turn: Turn) -> None:
    """Count one bot turn by channel and outcome (part of ``Conversation``'s ``after_turn``):
    the kind ``insights.outcomes.classify`` gives it (answered, referred, fallback,
    scam_warning, guide, other), the same as the question log's."""
    count_outcome(turn.channel, classify(turn.messages).kind)


def count_outcome(channel: str, kind: str) -> None:
    """Count one bot turn whose outcome is already known (the question log classified it)."""
    TURN_OUTCOMES.labels(channel, kind).inc()
