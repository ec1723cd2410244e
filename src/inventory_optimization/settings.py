"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from .hooks import SourceSelectionHooks
from .run_manifest import RunManifestHooks

HOOKS = (SourceSelectionHooks(), RunManifestHooks())

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
