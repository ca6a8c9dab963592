"""The composition root: every service of the app is built here, once, into ``Services``.

``app.main`` enters :func:`app_services` in its lifespan; ``python -m alerts worker`` and
``python -m console`` use :func:`open_database` and :func:`delivery_worker` from here, so
the processes are assembled the same way. Features never import this module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

from rasa_sdk.executor import ActionExecutor

from actions import scam_desk
from actions.base import ActionServices, build_executor
from actions.policy_answer import knowledge_answer
from alerts.context import AlertContext
from alerts.desk import AlertDesk
from alerts.hooks import wechat_follow_hook, wechat_inbound_hook
from alerts.notify import Notifier
from alerts.report import RemainingQuota
from alerts.sent import sent_between
from alerts.stream import ReceiptWatcher, StreamGate
from alerts.wechat_delivery import WeChatRenderer
from alerts.wechat_reach import TemplateRoute, remaining_template_quota, templates_enabled
from alerts.worker import DeliveryWorker
from app import schema
from app.metrics import count_outcome
from channels.wechat.customer_service import CustomerServiceClient
from channels.wechat.deps import build_channel
from channels.wechat.formatting import render
from channels.wechat.replay import SqlReplayGuard
from channels.wechat.service import SubscriptionHook, WeChatChannel
from channels.wechat.templates import AlertTemplates
from channels.wechat.texts import load_texts
from console.deps import session_operator
from console.ratelimit import LoginLimiter
from core import clock
from core.conversation import Conversation, Turn
from core.database import Database
from core.limits import ChatLimiter
from core.messages import BotMessage
from core.ports import AlertsSent, AnswerFeedback, Authenticator, ScamDesk
from core.rasa_client import RasaClient
from core.settings import PLACEHOLDER, Settings
from insights import outcomes
from insights.clusters import Clusterer
from insights.recorder import QuestionRecorder
from insights.retention import purge_daily
from knowledge.retriever import Retriever

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the routes of the app use, built once by :func:`app_services`.

    The routes get them through the typed dependencies of ``core.deps``, ``app.deps`` and
    the features' ``deps`` modules, which read each field by its name (``app.main``).
    """

    settings: Settings
    database: Database
    retriever: Retriever
    rasa: RasaClient
    conversation: Conversation
    action_services: ActionServices
    action_executor: ActionExecutor
    wechat_channel: WeChatChannel
    wechat_subscription_hook: SubscriptionHook
    alert_notifier: Notifier
    receipt_watcher: ReceiptWatcher
    alert_worker: DeliveryWorker | None
    chat_limiter: ChatLimiter
    login_limiter: LoginLimiter
    stream_gate: StreamGate
    authenticate: Authenticator  # who is signed in: the console's sessions
    scam_desk: ScamDesk  # the bot's scam check, for the console
    template_quota: RemainingQuota  # WeChat template messages left today, for the console
    alerts_sent: AlertsSent  # alerts published in a period and their reach, for the insights
    question_recorder: QuestionRecorder  # the question log (insights)
    answer_feedback: AnswerFeedback  # 有用/没用 into the question log, for the web channel
    insight_clusterer: Clusterer  # the unanswered queue's clustering (embeddings cached)


def open_database(settings: Settings) -> Database:
    """The app database, migrated to the newest schema (raises ``StorageError`` with the
    reason)."""
    database = Database(settings.database_url)
    database.open()
    schema.upgrade(database)
    log.info("app database open: %s", database.engine.url.render_as_string(hide_password=True))
    return database


def rasa_client(settings: Settings) -> RasaClient:
    return RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)


def chat_limiter(settings: Settings) -> ChatLimiter:
    """Message limits per sender and per client address (web chat and WeChat share them)."""
    return ChatLimiter(
        settings.chat_rate_per_min,
        settings.chat_burst,
        settings.chat_rate_per_address_per_min,
        storage=settings.limits_storage_url,
    )


def login_limiter(settings: Settings) -> LoginLimiter:
    """Failed console logins per username and per client address."""
    return LoginLimiter(storage=settings.limits_storage_url)


def stream_gate(settings: Settings) -> StreamGate:
    """The caps on open live-alert streams (per client address and in all)."""
    return StreamGate(settings.events_max_per_address, settings.events_max_streams)


def customer_service(settings: Settings) -> CustomerServiceClient | None:
    """WeChat's customer-service API client, or None while its secret is the placeholder."""
    if settings.wechat_app_secret == PLACEHOLDER:
        return None
    return CustomerServiceClient(
        settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret
    )


def wechat_renderer(hotline: str) -> WeChatRenderer:
    """Bot messages to WeChat text parts, the way the WeChat channel renders answers."""
    texts = load_texts(hotline)

    def _render(messages: Sequence[BotMessage]) -> list[str]:
        return render(messages, texts).parts

    return _render


def template_route(
    settings: Settings, database: Database, wechat: CustomerServiceClient | None
) -> TemplateRoute | None:
    """Template messages for subscribers outside WeChat's window, or None while no template
    id is set (``YINFA_WECHAT_TEMPLATE_ID``), the app secret is the placeholder, or there is
    no WeChat client."""
    if wechat is None or not templates_enabled(settings):
        return None
    sender = AlertTemplates(wechat, settings.wechat_template, settings.public_base_url)
    return TemplateRoute(sender, settings.wechat_template, database)


def template_quota(settings: Settings, database: Database) -> RemainingQuota:
    """Template messages left today (``alerts.wechat_reach``); 0 while templates are off,
    because then nobody outside the 48-hour window can be reached."""
    if not templates_enabled(settings):
        return lambda: 0
    return lambda: remaining_template_quota(database, settings).remaining


def delivery_worker(
    settings: Settings,
    database: Database,
    conversation: Conversation,
    wechat: CustomerServiceClient | None,
    notifier: Notifier | None = None,
    name: str | None = None,
) -> DeliveryWorker:
    """The alert delivery worker, inside the app or in ``python -m alerts worker``; its
    renders are read back from Rasa's tracker events API of the conversation's client."""
    return DeliveryWorker(
        database,
        conversation,
        settings.alerts,
        tracker=conversation.rasa,
        wechat=wechat,
        wechat_renderer=wechat_renderer(settings.hotline),
        wechat_templates=template_route(settings, database, wechat),
        notifier=notifier,
        name=name,
    )


def _warm(retriever: Retriever, services: ActionServices) -> None:
    """One search and the answer tables, so the first caller does not pay for loading."""
    try:
        retriever.search("老年助餐 zc", top_k=1)
    except Exception:  # warm-up only; the real search reports its own errors
        log.warning("retriever warm-up failed", exc_info=True)
    knowledge_answer(services).warm()  # the gazetteer and jieba's tables
    outcomes.warm()  # the domain's fallback, scam-warning and guide texts


def question_recorder(
    settings: Settings, database: Database, retriever: Retriever
) -> QuestionRecorder:
    """The question log of resident turns (``insights``); dates from the one clock."""

    def topic_of(entry_id: str) -> str | None:
        doc = retriever.corpus.by_id.get(entry_id)
        return doc.topic if doc is not None and doc.topic else None

    return QuestionRecorder(database, lambda: clock.today(settings), topic_of)


def wechat_channel(settings: Settings, database: Database) -> WeChatChannel:
    """The WeChat channel with its replay guard in the app database."""
    guard = SqlReplayGuard(database)
    guard.open()
    return build_channel(settings, guard, on_inbound=wechat_inbound_hook(database))


def observed(recorder: QuestionRecorder) -> Callable[[Turn], None]:
    """The ``after_turn`` hook: the question log, then the outcome counts of /metrics."""

    def after_turn(turn: Turn) -> None:
        count_outcome(turn.channel, recorder(turn))  # classified once, by the recorder

    return after_turn


def _background(services: Services, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """The app's own tasks: the inline delivery worker (if any) and the daily log purge."""
    settings = services.settings
    tasks = [
        asyncio.create_task(
            purge_daily(services.database, settings.today, settings.insights_retention_days, stop)
        )
    ]
    if services.alert_worker is not None:
        tasks.append(asyncio.create_task(services.alert_worker.run_forever(stop)))
    return tasks


async def _finish(tasks: list[asyncio.Task[None]], recorder: QuestionRecorder) -> None:
    """Wait for the tasks (stop is set) and the question-log writes in flight."""
    for task in tasks:
        try:
            await asyncio.wait_for(task, timeout=10)
        except asyncio.TimeoutError:
            task.cancel()
    await recorder.drain()
    recorder.close()


@asynccontextmanager
async def app_services(settings: Settings) -> AsyncIterator[Services]:
    """Open storage, load the index, connect to Rasa and start the inline worker; close
    all of them on exit."""
    database = open_database(settings)
    retriever = Retriever.load(settings)
    rasa = rasa_client(settings)
    recorder = question_recorder(settings, database, retriever)
    conversation = Conversation(
        rasa,
        max_chars=settings.max_text_chars,
        before_turn=AlertContext(database, rasa).before_turn,  # fanned-out alerts (issue 15)
        after_turn=observed(recorder),  # the question log (issue 16) and /metrics
    )
    action_services = ActionServices(
        settings=settings, retriever=retriever, database=database, alerts=AlertDesk(database)
    )
    _warm(retriever, action_services)
    channel = wechat_channel(settings, database)
    notifier = Notifier()
    worker = None
    if settings.alerts.worker == "inline":
        worker = delivery_worker(
            settings, database, conversation, channel.customer_service, notifier, "inline"
        )
    services = Services(
        settings=settings,
        database=database,
        retriever=retriever,
        rasa=rasa,
        conversation=conversation,
        action_services=action_services,
        action_executor=build_executor(action_services),
        wechat_channel=channel,
        wechat_subscription_hook=wechat_follow_hook(database),
        alert_notifier=notifier,
        receipt_watcher=ReceiptWatcher(database, notifier, settings.alerts.poll_s),
        alert_worker=worker,
        chat_limiter=chat_limiter(settings),
        login_limiter=login_limiter(settings),
        stream_gate=stream_gate(settings),
        authenticate=session_operator,
        scam_desk=scam_desk,
        template_quota=template_quota(settings, database),
        alerts_sent=partial(sent_between, database),
        question_recorder=recorder,
        answer_feedback=recorder.feedback,
        insight_clusterer=Clusterer(retriever.embedder, settings.insights_cluster_similarity),
    )
    stop = asyncio.Event()
    tasks = _background(services, stop)
    try:
        yield services
    finally:
        stop.set()
        await _finish(tasks, recorder)
        await channel.aclose()
        await rasa.aclose()
        database.dispose()
