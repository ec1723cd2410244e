"""The model registry: each training run tracked in MLflow and its forecaster bundle
registered as ``demand_forecaster_<dataset>``, with the ``champion`` alias on the version the
daily run forecasts with.

MLflow keeps everything inside the project: a SQLite store (``mlruns.db``) and an artifact
folder (``mlartifacts/``); no server is needed, and ``mlflow ui --backend-store-uri
sqlite:///mlruns.db`` shows the runs, the versions and their aliases. MLflow is imported
inside the functions that use it (it costs a couple of seconds).

A new bundle becomes champion only if it beats the current champion on the same evaluation
window (the training run's holdout, scored with the environment's headline metric); otherwise
it is registered with the ``challenger`` alias and the reason is logged and tagged on the
version. ``promote`` moves the champion alias to any registered version (a rollback).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .models.bundle import ENSEMBLE, ForecasterBundle
from .models.evaluation import champion_score
from .models.setup import ModelingSetup

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
BUNDLE_ARTIFACT = "bundle"
BUNDLE_FILE = "forecaster_bundle.pkl"


class RegistryError(RuntimeError):
    """The registry cannot answer: no champion yet, an unknown version, an unreadable file."""


def model_name(dataset: str) -> str:
    return f"demand_forecaster_{dataset}"


@dataclass(frozen=True)
class ChampionDecision:
    """Whether a newly trained bundle replaces the champion, and why."""

    promote: bool
    reason: str
    metric: str
    challenger_score: float
    champion_score: float | None = None
    champion_version: str | None = None


@dataclass(frozen=True)
class Registration:
    """What a training run hands to the registry: the bundle, the decision, and what MLflow
    records of the run (flat parameters and metrics, artifacts as JSON-able objects or
    DataFrames)."""

    bundle: ForecasterBundle
    decision: ChampionDecision
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    artifacts: Mapping[str, Any] = field(default_factory=dict)


def decide(
    metric: str,
    challenger_score: float,
    champion_score: float | None,
    champion_version: str | None,
    note: str = "",
) -> ChampionDecision:
    """Lower is better for every headline metric; a tie keeps the champion."""
    if champion_version is None:
        reason = "no champion registered yet"
        return ChampionDecision(True, reason, metric, challenger_score)
    if champion_score is None:
        reason = f"the champion (version {champion_version}) cannot forecast this data{note}"
        return ChampionDecision(True, reason, metric, challenger_score, None, champion_version)
    promote = challenger_score < champion_score
    verb = "beats" if promote else "does not beat"
    reason = (
        f"{metric} {challenger_score:.4f} on the evaluation window {verb} the champion's "
        f"(version {champion_version}) {champion_score:.4f}{note}"
    )
    return ChampionDecision(
        promote, reason, metric, challenger_score, champion_score, champion_version
    )


def training_registration(  # noqa: PLR0913 - the run's record from its parts
    bundle: ForecasterBundle,
    champion: ForecasterBundle | None,
    panel: pd.DataFrame,
    attributes: pd.DataFrame,
    panel_metadata: Mapping[str, Any],
    setup: ModelingSetup,
    leaderboard: pd.DataFrame,
    model_card: Mapping[str, Any],
    feature_catalog: pd.DataFrame,
) -> Registration:
    """What the registry records of a training run, and whether its bundle replaces the
    champion: it must beat the champion's headline on the same evaluation window (this run's
    holdout, forecast from the protocol origin and scored on the same rows)."""
    scores = leaderboard.set_index("model")["score"]
    challenger = float(scores[ENSEMBLE])
    score, note, version = None, "", None
    if champion is not None:
        version = champion.registered_version or "current"
        score, note = champion_score(champion, panel, attributes, panel_metadata, setup)
    decision = decide(setup.metric, challenger, score, version, note)
    logger.info(
        "Champion decision: %s (%s)",
        "promote" if decision.promote else "keep the champion",
        decision.reason,
    )
    params = {
        "dataset": setup.dataset,
        "metric": setup.metric,
        "target_transform": setup.target_transform,
        "horizon": setup.horizon,
        "protocol_origin": setup.protocol_origin,
        "fold_origins": list(setup.fold_origins),
        "trained_until": setup.live_origin,
        "ensemble_weights": dict(bundle.weights),
        "ensemble_class_weights": {c: dict(w) for c, w in bundle.class_weights.items()},
        **{
            f"{model}.parameters": entry["parameters"]
            for model, entry in model_card.get("models", {}).items()
        },
    }
    metrics = {
        f"{row.model}.{column}": getattr(row, column)
        for row in leaderboard.itertuples()
        for column in ("score", "wape", "rmsse", "bias", "coverage_80")
        if hasattr(row, column)
    }
    if score is not None:
        metrics["champion.score_on_window"] = score
    return Registration(
        bundle=bundle,
        decision=decision,
        params=params,
        metrics=metrics,
        artifacts={
            "model_card.json": model_card,
            "model_leaderboard.csv": leaderboard,
            "feature_catalog.csv": feature_catalog,
        },
    )


class ForecasterRegistry:
    """The registered forecaster of one dataset in an MLflow store."""

    def __init__(self, dataset: str, tracking_uri: str, artifact_root: str) -> None:
        self.dataset = dataset
        self.name = model_name(dataset)
        self.tracking_uri = _absolute_sqlite(tracking_uri)
        self.artifact_root = str(Path(artifact_root).resolve())

    def _client(self):
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def _experiment_id(self, client) -> str:
        experiment = client.get_experiment_by_name(self.name)
        if experiment is not None:
            return experiment.experiment_id
        location = Path(self.artifact_root).as_uri()
        return client.create_experiment(self.name, artifact_location=location)

    def _has_model(self, client) -> bool:
        from mlflow.exceptions import MlflowException

        try:
            client.get_registered_model(self.name)
        except MlflowException:
            return False
        return True

    def champion_version(self) -> str | None:
        """The champion's version number, or None when none is registered."""
        from mlflow.exceptions import MlflowException

        client = self._client()
        if not self._has_model(client):
            return None
        try:
            return str(client.get_model_version_by_alias(self.name, CHAMPION).version)
        except MlflowException:
            return None

    def load(self, version: str | None = None) -> ForecasterBundle:
        """The bundle of ``version``, by default the champion's."""
        client = self._client()
        version = version or self.champion_version()
        if version is None:
            raise RegistryError(
                f"No champion is registered for {self.name} in {self.tracking_uri}: run `kedro "
                f"run --pipelines training` (with this --env) first; it trains the models and "
                f"registers the bundle the daily run forecasts with."
            )
        import mlflow

        source = client.get_model_version(self.name, version).source
        folder = mlflow.artifacts.download_artifacts(
            artifact_uri=source, tracking_uri=self.tracking_uri
        )
        path = Path(folder) / BUNDLE_FILE
        try:
            bundle = pickle.loads(path.read_bytes())
        except Exception as error:  # noqa: BLE001 - any unreadable file means the same
            raise RegistryError(
                f"{self.name} version {version} ({path}) cannot be read "
                f"({type(error).__name__}: {error}): retrain, or make an earlier version "
                f"champion with `inventory-optimization registry promote --version <N>`."
            ) from error
        if not isinstance(bundle, ForecasterBundle):
            raise RegistryError(
                f"{self.name} version {version} holds a {type(bundle).__name__}, not a "
                f"forecaster bundle: retrain or promote an earlier version."
            )
        return dataclasses.replace(bundle, registered_version=str(version))

    def register(self, registration: Registration) -> str:
        """Track the run in MLflow, register its bundle as a new version and set the alias the
        decision calls for; returns the new version number."""
        client = self._client()
        decision = registration.decision
        run = client.create_run(
            self._experiment_id(client),
            run_name=f"training {registration.bundle.trained_until.date()}",
            tags={"dataset": self.dataset, "metric": decision.metric},
        )
        run_id = run.info.run_id
        for key, value in registration.params.items():
            client.log_param(run_id, key, _param_text(value))
        for key, value in registration.metrics.items():
            if value is not None and pd.notna(value):
                client.log_metric(run_id, key, float(value))
        with tempfile.TemporaryDirectory() as folder:
            bundle_folder = Path(folder) / BUNDLE_ARTIFACT
            bundle_folder.mkdir()
            (bundle_folder / BUNDLE_FILE).write_bytes(pickle.dumps(registration.bundle))
            client.log_artifacts(run_id, str(bundle_folder), BUNDLE_ARTIFACT)
            for name, content in registration.artifacts.items():
                path = Path(folder) / name
                if isinstance(content, pd.DataFrame):
                    content.to_csv(path, index=False)
                else:
                    path.write_text(json.dumps(content, indent=2, default=str))
                client.log_artifact(run_id, str(path))
        client.set_terminated(run_id)
        if not self._has_model(client):
            client.create_registered_model(
                self.name, description=f"Demand forecaster bundle of the {self.dataset} data"
            )
        source = f"{client.get_run(run_id).info.artifact_uri}/{BUNDLE_ARTIFACT}"
        version = str(client.create_model_version(self.name, source, run_id=run_id).version)
        tags = {
            "metric": decision.metric,
            "holdout_score": f"{decision.challenger_score:.6g}",
            "trained_until": str(registration.bundle.trained_until.date()),
            "decision": decision.reason,
        }
        for key, value in tags.items():
            client.set_model_version_tag(self.name, version, key, value)
        alias = CHAMPION if decision.promote else CHALLENGER
        client.set_registered_model_alias(self.name, alias, version)
        logger.info(
            "Registered %s version %s (MLflow run %s) as %s: %s",
            self.name,
            version,
            run_id,
            alias,
            decision.reason,
        )
        return version

    def promote(self, version: str) -> None:
        """Make ``version`` the champion (a rollback, or a challenger chosen by hand)."""
        from mlflow.exceptions import MlflowException

        client = self._client()
        try:
            client.get_model_version(self.name, str(version))
        except MlflowException as error:
            known = ", ".join(self.versions()["version"]) or "none"
            raise RegistryError(
                f"{self.name} has no version {version}; registered versions: {known}"
            ) from error
        client.set_registered_model_alias(self.name, CHAMPION, str(version))
        client.set_model_version_tag(self.name, str(version), "promoted_by_hand", "true")
        logger.info("%s: version %s is now the champion", self.name, version)

    def newest(self, tags: Mapping[str, str] | None = None) -> dict[str, str] | None:
        """The newest registered version and its MLflow run (the one a training run that just
        registered made: one run per environment at a time); ``tags`` are set on that run."""
        versions = self.versions()
        if versions.empty:
            return None
        newest = versions.iloc[-1]
        client = self._client()
        for key, value in (tags or {}).items():
            client.set_tag(newest["run_id"], key, value)
        return {
            "run_id": newest["run_id"],
            "experiment": self.name,
            "registered_model": self.name,
            "version": newest["version"],
            "aliases": newest["aliases"],
            "tracking_uri": self.tracking_uri,
        }

    def versions(self) -> pd.DataFrame:
        """Every registered version: number, aliases, metric, holdout score, trained until,
        the decision, the MLflow run."""
        columns = ["version", "aliases", "metric", "holdout_score", "trained_until", "decision"]
        client = self._client()
        if not self._has_model(client):
            return pd.DataFrame(columns=[*columns, "run_id"])
        aliases: dict[str, list[str]] = {}
        for alias, version in client.get_registered_model(self.name).aliases.items():
            aliases.setdefault(str(version), []).append(alias)
        records = [
            {
                "version": str(v.version),
                "aliases": ",".join(sorted(aliases.get(str(v.version), []))),
                **{key: v.tags.get(key, "") for key in columns[2:]},
                "run_id": v.run_id,
            }
            for v in client.search_model_versions(f"name='{self.name}'")
        ]
        table = pd.DataFrame(records, columns=[*columns, "run_id"])
        return table.sort_values("version", key=lambda v: v.astype(int)).reset_index(drop=True)


def _absolute_sqlite(uri: str) -> str:
    """A relative SQLite store is the project's (the folder Kedro runs in): made absolute,
    since MLflow keeps one store per URI for the life of the process."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not Path(uri.removeprefix(prefix)).is_absolute():
        return prefix + str(Path(uri.removeprefix(prefix)).resolve())
    return uri


def _param_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text[:6000]  # MLflow's limit on a parameter value
