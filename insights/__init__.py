"""Insights for the people who run the service (issue 16).

* :mod:`insights.outcomes`: what the bot did in one turn (answered, referred, fallback, scam
  warning, guide), read from the markers the actions put into their custom payload and from
  the domain's own response texts.
* :mod:`insights.models`: the privacy-safe question log and the operators' marks.
* :mod:`insights.recorder`: one log row per resident turn, written off the event loop.
"""
