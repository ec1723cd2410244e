"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from .context import ProjectContext
from .run_manifest import RunManifestHooks

CONTEXT_CLASS = ProjectContext
HOOKS = (RunManifestHooks(),)

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
