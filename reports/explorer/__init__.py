"""``hybridplan explore``: a local Dash app over a recompute model passed in.

Needs the ``explore`` extra (``pip install hybridplan[explore]``: Dash). The model (the
recompute side) lives in ``hybridplan.coverage.pipeline.explore_model``; this package
draws with the report's own map functions and imports nothing of ``coverage``.
"""

from .app import ExplorerModel, FullPlanJob, answer, build_app, cell_panel

__all__ = ["ExplorerModel", "FullPlanJob", "answer", "build_app", "cell_panel"]
