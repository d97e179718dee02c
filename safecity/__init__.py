"""safecity: plan, track and watch a city-wide video-surveillance rollout.

This package holds only the ``safecity`` command (:mod:`safecity.cli`) and the shared
settings (:mod:`safecity.settings`); the work lives in ``geodata``, ``planner``,
``monitor`` and ``api``.
"""

__version__ = "0.1.0"
