"""Project hooks."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl


class SourceSelectionHooks:
    """Point the pipeline registry at the environment's data source before pipelines load."""

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import PACKAGE_NAME, pipelines

        from . import pipeline_registry

        source = context.params.get("data_source", {}).get("kind", "synthetic")
        if pipeline_registry.set_active_source(source):
            pipelines.configure(f"{PACKAGE_NAME}.pipeline_registry")
