"""The project's Kedro context: it points the pipeline registry at its environment's source.

Kedro creates a context for every tool that loads the project (``kedro run``, kedro-viz,
``kedro ipython``, ``KedroSession`` in the service), hooks or not, so each of them registers
the ingestion nodes of the same source for the same environment.
"""

from __future__ import annotations

from kedro.framework.context import KedroContext
from kedro.framework.project import pipelines

from . import pipeline_registry


class ProjectContext(KedroContext):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        data_source = self.params.get("data_source") or {}
        kind = data_source.get("kind", pipeline_registry.DEFAULT_SOURCE)
        if pipeline_registry.use_source(kind):
            pipelines.configure(pipeline_registry.__name__)
