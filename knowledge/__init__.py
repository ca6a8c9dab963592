"""Knowledge base of 银发助手: the city plan's clauses, plain-language entries and their retrieval.

Nothing is loaded at import time; call :func:`knowledge.corpus.load_corpus` or
:meth:`knowledge.retriever.Retriever.load`.
"""
