"""A global Keras LSTM over windows of each series' history, with the row's features.

Each model-input row gives the network the ``lookback`` periods of transformed demand ending
at the origin (plus an observed/open mask channel) and the row's standardised features
(horizon, calendar and known covariates of the target date, static codes). TensorFlow is
imported inside ``fit``/``predict`` only: importing it costs seconds and ~0.8 GB.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .base import ForecastContext, Forecaster, forward, inverse, row_scale
from .history import DemandHistory

logger = logging.getLogger(__name__)


class LSTMForecaster(Forecaster):
    name = "lstm"
    version = 3  # learns deviations from the series level, with a Huber loss

    def _inputs(self, rows: pd.DataFrame, context: ForecastContext) -> list[np.ndarray]:
        lookback = int(self.params.get("lookback", 4 * context.season_length))
        history = getattr(self, "history_", None) or DemandHistory(context.panel, context.frequency)
        window = history.window(rows["origin"], rows["series_id"], lookback)
        scale = row_scale(rows)[:, None]
        sequence = (
            forward(window, scale, context.target_transform) - self._offset(rows, context)[:, None]
        )
        mask = ~np.isnan(sequence)
        sequence = np.stack([np.nan_to_num(sequence), mask.astype("float64")], axis=-1)
        dense = rows[context.features].to_numpy(dtype="float64")
        dense = np.nan_to_num((dense - self.feature_mean_) / self.feature_std_)
        return [sequence.astype("float32"), dense.astype("float32")]

    @staticmethod
    def _offset(rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        """The series' level in the target space: the network learns deviations from it, so
        every series starts near zero whatever its size."""
        scale = row_scale(rows)
        return forward(scale, scale, context.target_transform)

    def _network(self, lookback: int, n_features: int):
        import keras

        units = int(self.params.get("units", 32))
        sequence = keras.Input((lookback, 2), name="history")
        dense = keras.Input((n_features,), name="features")
        encoded = keras.layers.LSTM(units, name="encoder")(sequence)
        context = keras.layers.Dense(units, activation="relu")(dense)
        merged = keras.layers.Concatenate()([encoded, context])
        hidden = keras.layers.Dense(units, activation="relu")(merged)
        hidden = keras.layers.Dropout(float(self.params.get("dropout", 0.1)))(hidden)
        output = keras.layers.Dense(1)(hidden)
        network = keras.Model([sequence, dense], output)
        network.compile(
            optimizer=keras.optimizers.Adam(float(self.params.get("learning_rate", 1e-3))),
            # Huber: a few extreme weeks (Walmart's holiday spikes, returns) must not dominate.
            loss=keras.losses.Huber(delta=1.0),
        )
        return network

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> LSTMForecaster:
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(context.seed)
        tf.config.experimental.enable_op_determinism()
        max_rows = int(self.params.get("max_rows", 50_000))
        if len(train) > max_rows:
            train = train.sample(max_rows, random_state=context.seed)
        values = train[context.features].to_numpy(dtype="float64")
        self.feature_mean_ = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
        self.feature_std_ = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.feature_mean_ = np.nan_to_num(self.feature_mean_)
        self.history_ = DemandHistory(context.panel, context.frequency)
        inputs = self._inputs(train, context)
        target = forward(train["demand"].to_numpy(), row_scale(train), context.target_transform)
        target = target - self._offset(train, context)
        lookback = inputs[0].shape[1]
        network = self._network(lookback, inputs[1].shape[1])
        epochs = int(self.params.get("epochs", 10))
        # Outputs beyond what training ever saw, widened by its range, are extrapolation noise
        # (a diverged unit scaled up by a large series): predictions are clipped to this band.
        span = float(np.ptp(target)) if len(target) else 0.0
        self.output_bounds_ = (float(np.min(target)) - span, float(np.max(target)) + span)

        class EpochLog(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                logger.info(
                    "lstm epoch %d/%d: loss %.4f, val_loss %.4f",
                    epoch + 1,
                    epochs,
                    logs.get("loss", np.nan),
                    logs.get("val_loss", np.nan),
                )

        network.fit(
            inputs,
            target.astype("float32"),
            epochs=epochs,
            batch_size=int(self.params.get("batch_size", 512)),
            validation_split=0.15,
            shuffle=True,
            verbose=0,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    patience=int(self.params.get("patience", 2)), restore_best_weights=True
                ),
                EpochLog(),
            ],
        )
        self.network_ = network
        self.history_ = None  # rebuilt from the context at prediction time
        return self

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        self.history_ = DemandHistory(context.panel, context.frequency)
        try:
            output = self.network_.predict(self._inputs(rows, context), batch_size=8192, verbose=0)
        finally:
            self.history_ = None
        level = self._offset(rows, context)
        bounds = getattr(self, "output_bounds_", (-np.inf, np.inf))  # older artifacts
        bounded = np.clip(output[:, 0].astype("float64"), *bounds)
        return inverse(bounded + level, row_scale(rows), context.target_transform)

    # Keras models are stored as their config and weights, so artifacts pickle portably.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        network = state.pop("network_", None)
        if network is not None:
            state["network_config_"] = network.to_json()
            state["network_weights_"] = network.get_weights()
        return state

    def __setstate__(self, state: dict) -> None:
        config = state.pop("network_config_", None)
        weights = state.pop("network_weights_", None)
        self.__dict__.update(state)
        if config is not None:
            import keras

            self.network_ = keras.models.model_from_json(config)
            self.network_.set_weights(weights)
