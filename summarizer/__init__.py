"""storybrief: multi-source news summarisation with cited briefs, from local open models.

The library knows nothing of HTTP. ``summarizer.pipeline`` composes the steps::

    Article -> clean -> sentences -> embed -> cluster -> dedup -> select
            -> generate -> cite -> Brief
"""

__version__ = "0.1.0"
