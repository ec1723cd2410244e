"""The notebooks in notebooks/: committed without outputs, and each runs top to bottom on the
default run's outputs, in a kernel of this interpreter (the project's venv), showing what its
markdown promises.

Executed copies are written to pytest's tmp directory (kept on failure for a look), never back
into notebooks/.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import PROJECT_ROOT

NOTEBOOKS = PROJECT_ROOT / "notebooks"
CELL_TIMEOUT = 600  # seconds per cell
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # kedro.ipython pretty-prints text/plain with rich

# Per notebook: texts that cells tagged in the notebook must display, and checks run in the
# kernel after the last cell, on the notebook's own variables (appended to the executed copy).
EXPECTED = {
    "01_explore_demand.ipynb": (
        {
            "panel-summary": ["synthetic", "units per store-item-day"],
            "weekday-profile": ["Mon", "Sat", "Sun"],
            "demand-classes": ["smooth", "intermittent", "erratic", "lumpy", "share_of_demand"],
            "quality-summary": ["mean_coverage", "outliers"],
        },
        """
assert int(class_counts["series"].sum()) == panel["series_id"].nunique() == metadata["series"]
assert abs(class_counts["share_of_demand"].sum() - 1) < 1e-9
# the built-in data has slow movers: some series are intermittent or lumpy
assert class_counts.loc[["intermittent", "lumpy"], "series"].sum() > 0
assert len(weekday_profile) == 7 and len(month_profile) == 12
assert 0.9 < weekday_profile.mean() < 1.1
assert len(quality) == metadata["series"]
""",
    ),
    "02_forecast_diagnostics.ipynb": (
        {
            "leaderboard": ["ensemble", "seasonal_naive", "coverage_80"],
            "residuals-by-horizon": ["1–7", "22–28", "wape", "bias"],
            "residuals-by-class": ["smooth", "series"],
            "quantile-calibration": ["nominal", "0.05", "0.99"],
            "interval-coverage": ["80% (0.1–0.9)", "90% (0.05–0.95)", "width"],
        },
        """
import numpy as np
assert set(calibration.columns) == set(leaderboard["model"]) - {"zero_forecast"}
assert list(calibration.index) == levels
assert ((calibration >= 0) & (calibration <= 1)).all().all()
assert calibration.apply(lambda shares: shares.is_monotonic_increasing).all()
# the notebook's 80 % interval coverage is the leaderboard's coverage_80
coverage_80 = interval_coverage.xs("80% (0.1–0.9)", level="interval")["coverage"].iloc[0]
expected = leaderboard.set_index("model")["coverage_80"].drop("zero_forecast", errors="ignore")
assert np.allclose(coverage_80.reindex(expected.index), expected)
assert set(by_class.index.get_level_values("demand_class")) <= {
    "smooth", "intermittent", "erratic", "lumpy"
}
""",
    ),
    "03_inventory_what_if.ipynb": (
        {
            "baseline-plan": ["plan matches the pipeline's replenishment_plan: True"],
            "service-targets": ["cost_optimal", "0.95", "backtest_total_cost", "fill_rate"],
            "lead-times": ["extra_lead_time", "plan_order_value"],
            "budgets": ["none", "50%", "order_value", "items_ordered"],
        },
        """
import numpy as np
assert matches_pipeline
# the notebook's backtest is the pipeline's: same total cost per policy
stored = catalog.load("policy_backtest").query("series_id == 'ALL'").set_index("policy")
replayed = backtest()
assert np.allclose(replayed["total_cost"], stored.loc[replayed.index, "total_cost"])
fixed = service_table.drop(index="cost_optimal")
assert fixed["plan_order_value"].is_monotonic_increasing
assert service_table["backtest_total_cost"].gt(0).all()
assert lead_time_table["plan_order_value"].is_monotonic_increasing
capped = budget_table.dropna(subset=["budget"])
assert len(capped) == 3 and (capped["order_value"] <= capped["budget"] + 1e-6).all()
assert budget_table["order_value"].is_monotonic_decreasing
""",
    ),
}
# Appended too: the kernel must be this interpreter's (the venv), not another Python.
KERNEL_PROBE = "import sys\nprint('KERNEL_PREFIX=' + sys.prefix)"


def _text(cell) -> str:
    """Everything a cell displayed, as plain text (streams, text/plain and text/html)."""
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.extend(data.get(kind, "") for kind in ("text/plain", "text/html"))
    return ANSI.sub("", "\n".join(parts))


def _tagged(notebook, tag: str):
    cells = [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].source.strip() == "%load_ext kedro.ipython"
    for cell in code:
        assert cell.outputs == [], f"outputs committed in cell: {cell.source[:60]!r}"
        assert cell.execution_count is None
    sources = "\n".join(cell.source for cell in code)
    # Data comes through the catalog, not file paths.
    for pattern in ("data/0", "read_parquet", "read_csv"):
        assert pattern not in sources


def test_every_notebook_is_executed_by_this_module():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_on_the_default_run(
    name: str, default_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")  # the kernel inherits the environment
    tagged, checks = EXPECTED[name]
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    n_cells = len(notebook.cells)
    notebook.cells.append(nbformat.v4.new_code_cell(checks.strip()))
    notebook.cells.append(nbformat.v4.new_code_cell(KERNEL_PROBE))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(default_run)}},  # cwd: the project root
    )
    try:
        client.execute()  # raises CellExecutionError with the traceback of a failing cell
    finally:
        nbformat.write(notebook, tmp_path / name)

    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", _text(cell)
    assert f"KERNEL_PREFIX={sys.prefix}" in _text(notebook.cells[-1])
    ran = [cell for cell in notebook.cells[:n_cells] if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in ran)
    for tag, texts in tagged.items():
        shown = _text(_tagged(notebook, tag))
        for text in texts:
            assert text in shown, f"{name}: cell {tag!r} does not show {text!r}:\n{shown[:2000]}"
