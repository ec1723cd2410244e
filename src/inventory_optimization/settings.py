"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from .hooks import SourceSelectionHooks

HOOKS = (SourceSelectionHooks(),)

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
