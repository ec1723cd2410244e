"""Each feature family module declares in the catalog exactly the columns it returns, and the
builder composes the families in the model input's column order."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_optimization.features.calendar_features import calendar_columns
from inventory_optimization.features.catalog import FeatureCatalog
from inventory_optimization.features.covariates import covariate_columns
from inventory_optimization.features.derived import derived_columns
from inventory_optimization.features.grid import Grid
from inventory_optimization.features.history import history_columns
from inventory_optimization.features.intermittency import intermittency_columns
from inventory_optimization.features.static import static_columns
from inventory_optimization.panel.periods import Frequency

FAMILIES = {
    "history": {"lag", "seasonality", "rolling", "ewm", "difference", "history"},
    "intermittency": {"intermittency"},
    "covariates": {"known_covariate", "past_covariate", "price_promo"},
    "calendar": {"calendar", "holiday"},
    "static": {"series_profile", "seasonality", "static"},
    "derived": {"scaled", "interaction"},
}


def _grid(case) -> Grid:
    return Grid(case.panel, case.origins, case.horizon, Frequency(case.metadata["frequency"]))


def _families(case, grid: Grid, catalog: FeatureCatalog) -> dict[str, dict[str, np.ndarray]]:
    """Every family's columns, each declared in ``catalog``, in the builder's order."""
    built = {
        "history": history_columns(grid, case.params, catalog),
        "intermittency": intermittency_columns(grid, case.params, catalog),
        "covariates": covariate_columns(grid, case.panel, case.metadata, case.params, catalog),
        "calendar": calendar_columns(
            grid, case.metadata["country"], case.params["paydays"], catalog
        ),
        "static": static_columns(grid, case.attributes, case.transforms, catalog),
    }
    earlier = {name: values for columns in built.values() for name, values in columns.items()}
    built["derived"] = derived_columns(grid, earlier, case.transforms, case.params, catalog)
    return built


@pytest.mark.parametrize("case_name", ["daily", "weekly"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_family_declares_exactly_the_columns_it_returns(request, case_name, family):
    case = request.getfixturevalue(case_name)
    grid = _grid(case)
    catalog = FeatureCatalog(case.metadata["frequency"])
    columns = _families(case, grid, catalog)[family]
    declared = catalog.to_frame().set_index("name").loc[list(columns)]
    assert len(columns) > 0
    assert set(declared["family"]) <= FAMILIES[family]
    assert (declared["frequency"] == case.metadata["frequency"]).all()
    for name, values in columns.items():
        assert values.dtype == np.float32, name
        assert values.shape == (len(grid.rows.horizon),), name
        np.testing.assert_array_equal(values, case.model_input[name].to_numpy(), err_msg=name)


@pytest.mark.parametrize("case_name", ["daily", "weekly"])
def test_families_alone_declare_their_own_columns_only(request, case_name):
    """A family run on a fresh catalog declares its columns and nothing else."""
    case = request.getfixturevalue(case_name)
    grid = _grid(case)
    for run in (
        lambda catalog: history_columns(grid, case.params, catalog),
        lambda catalog: intermittency_columns(grid, case.params, catalog),
        lambda catalog: covariate_columns(grid, case.panel, case.metadata, case.params, catalog),
        lambda catalog: calendar_columns(grid, case.metadata["country"], (), catalog),
        lambda catalog: static_columns(grid, case.attributes, case.transforms, catalog),
    ):
        catalog = FeatureCatalog(case.metadata["frequency"])
        assert list(run(catalog)) == catalog.names()


@pytest.mark.parametrize("case_name", ["daily", "weekly"])
def test_the_builder_composes_the_families_in_column_order(request, case_name):
    case = request.getfixturevalue(case_name)
    catalog = FeatureCatalog(case.metadata["frequency"])
    built = _families(case, _grid(case), catalog)
    names = [name for columns in built.values() for name in columns]
    assert case.catalog["name"].tolist() == ["horizon", *names]
    feature_block = case.model_input.columns[-len(names) :].tolist()
    assert feature_block == names
