"""The app's Prometheus metrics (``prometheus_client``), shared by the layers that record them.

Each app process has its own (``GET /metrics`` on its own port, ``app.routes.metrics``):
a cluster's Prometheus scrapes every app process, not the balancer. The metrics are
module-level objects of ``prometheus_client``'s default registry, as its documentation
defines them; that costs no I/O at import. Counts that live in a database or in a
service (outbox rows by status, open live streams) are read at scrape time by
``app.metrics``.

Labels are bounded: route templates (``/api/operator/alerts/{alert_id}``, never a raw
path), methods, status codes, channel names and fixed kinds. No label or value ever holds
a message, a sender id or a number a resident typed.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Seconds: from a cached answer (10 ms) to WeChat's passive-reply limit (4.5 s) and past
# Rasa's timeout (8 s).
TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5, 6.0, 8.0)
SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0)

HTTP_REQUESTS = Counter(
    "yinfa_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "yinfa_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template.",
    ["route"],
    buckets=TURN_BUCKETS,
)
CHAT_SECONDS = Histogram(
    "yinfa_chat_turn_seconds",
    "One resident's message answered: web the whole POST /api/chat, wechat the bot turn"
    " (passive reply or customer-service message).",
    ["channel"],
    buckets=TURN_BUCKETS,
)
RASA_SECONDS = Histogram(
    "yinfa_rasa_request_seconds",
    "Calls to Rasa's HTTP API, by call and outcome (ok, error, timeout).",
    ["call", "outcome"],
    buckets=TURN_BUCKETS,
)
RETRIEVAL_SECONDS = Histogram(
    "yinfa_retrieval_seconds",
    "One knowledge search (normalisation, BM25, dense, fusion).",
    buckets=SEARCH_BUCKETS,
)
QUERY_LOOKUPS = Counter(
    "yinfa_query_lookups",
    "Query embeddings asked for by knowledge searches.",
)
QUERY_EMBEDDINGS = Counter(
    "yinfa_query_embeddings",
    "Query embeddings computed by the model (lookups minus these were served by the cache).",
)
TURN_OUTCOMES = Counter(
    "yinfa_turn_outcomes",
    "Bot turns by channel and outcome: answered, referred, fallback, scam_warning, guide, other.",
    ["channel", "kind"],
)
