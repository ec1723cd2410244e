"""The shared fixture is what the other tests assume it is."""

import pandas as pd


def test_fixture_shape(data):
    rows = data.model_input
    assert data.setup.fold_origins == ("2023-09-30", "2023-09-16")
    assert data.setup.protocol_origin == "2023-10-14"
    assert data.setup.live_origin == "2023-10-28"
    assert set(data.setup.features) <= set(rows.columns)
    assert {"series_scale", "series_target_mean", "seasonal_lag_7"} <= set(rows.columns)
    holdout = rows[rows["origin"] == pd.Timestamp("2023-10-14")]
    assert len(holdout) == 6 * 14
    assert holdout["is_closed"].sum() == 3  # store S01's three items on 2023-10-20
