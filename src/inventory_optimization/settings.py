"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from .context import ProjectContext
from .lineage import LineageHooks
from .retention import RetentionHooks
from .run_journal import RunJournalHooks
from .run_lock import RunLockHooks
from .run_manifest import RunManifestHooks

CONTEXT_CLASS = ProjectContext
HOOKS = (RunLockHooks(), RunManifestHooks(), RetentionHooks(), LineageHooks(), RunJournalHooks())

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Parameters merge key by key: an environment (and `--params a.b.c=v`) overrides single
    # nested keys and keeps base's siblings, so conf/<env> holds only what differs from base.
    # The catalog stays destructive: an env's dataset entry replaces base's entry whole (no
    # base load_args/save_args leaking into, say, an Excel entry that replaces a CSV one).
    "merge_strategy": {"parameters": "soft", "catalog": "destructive"},
}
