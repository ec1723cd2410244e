"""RawTableDataset: raw files read as downloaded (plain or gzipped CSV, Parquet, globs), never
written."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError

from inventory_optimization.datasets import RawTableDataset

TABLE = pd.DataFrame({"Store": [1, 2, 3], "Type": ["A", "B", "A"], "Size": [151315, 37392, 205863]})


def _write_csv(path: Path, frame: pd.DataFrame = TABLE, **kwargs) -> Path:
    frame.to_csv(path, index=False, **kwargs)
    return path


def test_reads_plain_csv(tmp_path):
    _write_csv(tmp_path / "stores.csv")
    loaded = RawTableDataset(str(tmp_path / "stores.csv")).load()
    pd.testing.assert_frame_equal(loaded, TABLE, check_dtype=False)
    assert "partition" not in loaded.columns


def test_reads_gzipped_csv(tmp_path):
    path = _write_csv(tmp_path / "train.csv.gz")
    with gzip.open(path, "rt") as handle:
        assert handle.readline().strip() == "Store,Type,Size"
    loaded = RawTableDataset(str(path)).load()
    assert loaded["Size"].tolist() == [151315, 37392, 205863]


def test_csv_requested_gz_found(tmp_path):
    _write_csv(tmp_path / "train.csv.gz")
    dataset = RawTableDataset(str(tmp_path / "train.csv"))
    assert dataset.exists()
    assert dataset.load()["Type"].tolist() == ["A", "B", "A"]


def test_gz_requested_csv_found(tmp_path):
    _write_csv(tmp_path / "train.csv")
    dataset = RawTableDataset(str(tmp_path / "train.csv.gz"))
    assert dataset.exists()
    assert dataset.load()["Store"].tolist() == [1, 2, 3]


def test_the_requested_name_wins_when_both_exist(tmp_path):
    _write_csv(tmp_path / "train.csv", TABLE.head(1))
    _write_csv(tmp_path / "train.csv.gz", TABLE)
    assert len(RawTableDataset(str(tmp_path / "train.csv")).load()) == 1
    assert len(RawTableDataset(str(tmp_path / "train.csv.gz")).load()) == 3


def test_reads_parquet(tmp_path):
    TABLE.to_parquet(tmp_path / "orders.parquet", index=False)
    loaded = RawTableDataset(str(tmp_path / "orders.parquet")).load()
    pd.testing.assert_frame_equal(loaded, TABLE, check_dtype=False)


def test_load_args_are_passed_to_pandas(tmp_path):
    (tmp_path / "weather.csv").write_text(
        '"Date";"Mean_TemperatureC"\n2013-01-01;8\n2013-01-02;NA\n'
    )
    loaded = RawTableDataset(str(tmp_path / "weather.csv"), load_args={"sep": ";"}).load()
    assert loaded.columns.tolist() == ["Date", "Mean_TemperatureC"]
    assert loaded["Mean_TemperatureC"].iloc[0] == 8
    assert pd.isna(loaded["Mean_TemperatureC"].iloc[1])
    as_text = RawTableDataset(
        str(tmp_path / "weather.csv"), load_args={"sep": ";", "dtype": {"Date": str}}
    ).load()
    assert as_text["Date"].tolist() == ["2013-01-01", "2013-01-02"]


def test_reads_cr_line_endings(tmp_path):
    (tmp_path / "stores.csv").write_bytes(b"Store,Type,Size\r1,A,151315\r2,B,37392\r3,A,205863\r")
    loaded = RawTableDataset(str(tmp_path / "stores.csv")).load()
    pd.testing.assert_frame_equal(loaded, TABLE, check_dtype=False)


def test_glob_concatenates_files_with_a_partition_column(tmp_path):
    folder = tmp_path / "weather"
    folder.mkdir()
    _write_csv(folder / "weather_HE.csv", pd.DataFrame({"Date": ["2013-01-01"], "T": [6]}), sep=";")
    _write_csv(
        folder / "weather_BY.csv",
        pd.DataFrame({"Date": ["2013-01-01", "2013-01-02"], "T": [1, 2]}),
        sep=";",
    )
    _write_csv(
        folder / "weather_HBNI.csv.gz", pd.DataFrame({"Date": ["2013-01-01"], "T": [7]}), sep=";"
    )
    (folder / "notes.txt").write_text("not a weather file")
    loaded = RawTableDataset(str(folder / "weather_*.csv"), load_args={"sep": ";"}).load()
    assert loaded.columns.tolist() == ["Date", "T", "partition"]
    # Files sorted by name, plain and gzipped alike.
    assert loaded["partition"].tolist() == [
        "weather_BY",
        "weather_BY",
        "weather_HBNI",
        "weather_HE",
    ]
    assert loaded["T"].tolist() == [1, 2, 7, 6]
    assert loaded.index.tolist() == [0, 1, 2, 3]


def test_glob_with_a_single_match_still_has_partition(tmp_path):
    _write_csv(tmp_path / "weather_HE.csv")
    loaded = RawTableDataset(str(tmp_path / "weather_*.csv")).load()
    assert loaded["partition"].tolist() == ["weather_HE"] * 3


def test_gz_glob_falls_back_to_plain_files(tmp_path):
    _write_csv(tmp_path / "weather_HE.csv")
    loaded = RawTableDataset(str(tmp_path / "weather_*.csv.gz")).load()
    assert loaded["partition"].tolist() == ["weather_HE"] * 3


def test_save_is_refused(tmp_path):
    path = _write_csv(tmp_path / "train.csv")
    dataset = RawTableDataset(str(path))
    with pytest.raises(DatasetError, match="raw source data and is read-only"):
        dataset.save(TABLE)
    pd.testing.assert_frame_equal(pd.read_csv(path), TABLE, check_dtype=False)


def test_missing_file_error_lists_what_was_tried(tmp_path):
    dataset = RawTableDataset(str(tmp_path / "train.csv"))
    assert not dataset.exists()
    with pytest.raises(DatasetError) as error:
        dataset.load()
    message = str(error.value)
    assert "Raw file not found" in message
    assert f"tried {tmp_path / 'train.csv'}, {tmp_path / 'train.csv.gz'}." in message
    assert "raw_dir" in message


def test_missing_gz_error_lists_both_names(tmp_path):
    with pytest.raises(DatasetError) as error:
        RawTableDataset(str(tmp_path / "train.csv.gz")).load()
    assert f"tried {tmp_path / 'train.csv.gz'}, {tmp_path / 'train.csv'}." in str(error.value)


def test_glob_without_match_is_an_error(tmp_path):
    dataset = RawTableDataset(str(tmp_path / "weather" / "weather_*.csv"))
    assert not dataset.exists()
    with pytest.raises(DatasetError, match=r"Raw file not found: tried .*weather_\*\.csv"):
        dataset.load()


def test_describe(tmp_path):
    dataset = RawTableDataset(str(tmp_path / "x.csv"), load_args={"sep": ";"})
    assert dataset._describe() == {"filepath": str(tmp_path / "x.csv"), "load_args": {"sep": ";"}}


# --- files a user's spreadsheet wrote: another encoding, another separator --------------------

LATIN_1_ORDERS = "Order Number,Order Date,Item Name,Quantity\n1,03/08/2019 20:25,Crème brûlée,2\n"


def _load_error(path: Path) -> str:
    with pytest.raises(DatasetError) as error:
        RawTableDataset(str(path)).load()
    return str(error.value)


def test_latin_1_file_names_the_byte_line_and_the_load_args_to_set(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(LATIN_1_ORDERS.encode("latin-1"))
    assert _load_error(path) == (
        f"{path} is not utf-8: byte 0xe8 at position 64 (line 2) does not decode; as latin-1 "
        "line 2 reads '1,03/08/2019 20:25,Crème brûlée,2'. Add load_args: {encoding: latin-1} "
        "to its catalog entry (for --env custom: custom_sales in conf/custom/catalog.yml)."
    )
    loaded = RawTableDataset(str(path), load_args={"encoding": "latin-1"}).load()
    assert loaded["Item Name"].tolist() == ["Crème brûlée"]


def test_cp1252_is_suggested_for_its_euro_and_curly_quotes_even_gzipped(tmp_path):
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress("Item,Price\nChef’s naan,€2\n".encode("cp1252")))
    message = _load_error(path)
    assert "byte 0x92 at position 15 (line 2)" in message
    assert "as cp1252 line 2 reads 'Chef’s naan,€2'" in message
    assert "Add load_args: {encoding: cp1252}" in message


def test_semicolon_file_suggests_sep(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("Order Number;Order Date;Item Name;Quantity\n1;03/08/2019 20:25;Naan;2\n")
    assert _load_error(path) == (
        f"{path} looks ';'-separated (its header is 'Order Number;Order Date;Item Name;Quantity') "
        'and was not split into columns; add load_args: {sep: ";"} to its catalog entry (for '
        "--env custom: custom_sales in conf/custom/catalog.yml)."
    )
    loaded = RawTableDataset(str(path), load_args={"sep": ";"}).load()
    assert loaded.columns.tolist() == ["Order Number", "Order Date", "Item Name", "Quantity"]


def test_semicolon_file_with_decimal_commas_and_tab_file_suggest_sep(tmp_path):
    (tmp_path / "a.csv").write_text("Item;Price;Qty\nNaan;2,5;1\nRaita;1,5,0;2\n")
    with pytest.raises(DatasetError, match=r"looks ';'-separated .* \{sep: \";\"\}"):
        RawTableDataset(str(tmp_path / "a.csv")).load()
    (tmp_path / "b.csv").write_text("Item\tQty\nNaan\t1\n")
    with pytest.raises(DatasetError, match=r"looks '\\t'-separated .* \{sep: \"\\t\"\}"):
        RawTableDataset(str(tmp_path / "b.csv")).load()


def test_a_genuine_single_column_file_is_read(tmp_path):
    (tmp_path / "ids.csv").write_text("Store\n1\n2\n")
    assert RawTableDataset(str(tmp_path / "ids.csv")).load()["Store"].tolist() == [1, 2]
