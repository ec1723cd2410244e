"""What a user's export looks like, read from the file itself: detect, then let the user confirm.

Pure pandas, no Kedro and no judgement on the run: ``inspect_dates`` describes a date column
(``panel.validation.check_declared_frequency`` compares it with a declared frequency and
``frequency: auto`` uses its ``suggested_frequency``); ``inspect_table`` proposes the whole
``data_source`` mapping of a raw table (``inventory-optimization inspect FILE`` prints it as
YAML, a comment on every line saying why); ``infer_missing_periods`` says what a period
without a line most likely means. Every guess carries its reason, so a person can check it.

The heuristics, in the order ``inspect_table`` applies them (names are compared in lower case
with ``camelCase``, ``_`` and ``-`` split into words):

- **date**: a text column whose distinct values all parse with the format pandas guesses
  from them (month first and day first are both tried; a value with a day above 12 decides,
  else the reading with the more regular dates, else month first), or a datetime column; a
  name with date/day/week/time/period wins among several.
- **frequency**: at least ``MIN_DATES_FOR_PATTERN`` distinct days, all on one weekday and
  every gap a multiple of 7 days: weekly ``W-<DAY>``; fewer dates, or any other spacing:
  daily ``D`` (order lines with times of day are daily); dates all on one day of the month
  (or all month ends), at least 28 days apart: monthly ``ME``.
- **month label**: a monthly date names its month, whichever day it is on (the 1st usually
  starts it); the panel labels the month by its last day (``ME``), as weeks by theirs.
- **week label**: a weekly date is the week's label in the panel (``W-<DAY>``: weeks
  labelled by that day). Mondays usually start a week (ISO), other days usually end one
  (Sunday ends an ISO week, retail weeks end on Friday or Saturday): a convention, not a
  proof; the numbers are the same either way.
- **target**: numeric, name with qty/quantity/units/sold/demand (preferred) or
  sales/volume, and no price/cost in it; without such a name, the first numeric column no
  other role took.
- **order id**: a column whose name says order/transaction/invoice/receipt/ticket/basket.
- **keys**: text columns (or integer columns whose name says store/item/sku/product/... or
  has the word id/code/no/number) with moderate cardinality: at least 2 values, and at least ``MIN_LINES_PER_SERIES`` lines
  per series on average; not a flag, not a person or free text (customer, email, comment,
  description...). The most detailed candidate first; a candidate the chosen keys already
  determine (one value per series, e.g. an item's category) is an attribute, not a key; so is
  one whose values follow each other in time rather than sell side by side (a holiday type, a
  season). Side by side: at least ``SIDE_BY_SIDE_SHARE`` of the days of a series hold two of
  its values, or, for slow sellers that rarely sell in two stores on one day, the values' date
  spans overlap (together at least ``OVERLAP_RATIO`` times the series' span) and the value is
  not set by the date (some day of the file holds two of its values).
- **price**: numeric, positive, not the target, and a name with price/cost/amount or the
  word unit; or, unnamed, at least 5 distinct values with decimals that are nearly constant
  within a series (at least 80 % of the variance between series).
- **promotion**: 0/1 or boolean values and a name with promo/promotion/discount/offer/deal.
- **attributes**: the other columns the keys determine (one value per series).
- **missing periods** (``infer_missing_periods``): a file with explicit zero lines (at least
  ``ZERO_LINES_SHARE`` of them) writes a period without a sale as 0, so a missing one was not
  recorded: ``nan``; order lines (times of day, or an order id) have no line for a period
  without a sale: ``zero``; one line per series and period without zeros: ``zero`` when
  sales as small as 1 occur, else ``nan`` (a series that never sells less than 64 rarely
  sells nothing: a gap is more likely unrecorded, or ``closed`` if the shop was shut).
- **closed days** (daily data): ``panel.closures.detect_closed_days``, whose docstring gives
  the rule.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .closures import MIN_EXPECTED_RECORDS, ClosedDays, day_records, detect_closed_days
from .periods import MONTHLY, WEEKDAY_NAMES, WEEKDAYS, Frequency

# Distinct dates needed before a weekly pattern counts as evidence: with 4 daily dates the
# chance that all fall on one weekday 7 days apart is below 0.3 %.
MIN_DATES_FOR_PATTERN = 4
MIN_LINES_PER_SERIES = 4  # a key that leaves fewer lines per series is an id, not a key
ZERO_LINES_SHARE = 0.01  # explicit zero lines from this share on: the export writes zeros
MIN_PRICE_VALUES = 5
PRICE_BETWEEN_SHARE = 0.8
SIDE_BY_SIDE_SHARE = 0.1  # of (keys, day) groups where a key column holds two values
OVERLAP_RATIO = 1.5  # summed date spans of a key column's values over the series' span
DATE_WORDS = ("date", "day", "week", "time", "period")
TARGET_WORDS = {"qty": 3, "quantit": 3, "units": 3, "sold": 3, "demand": 3, "sales": 2, "volume": 2}
PRICE_WORDS = ("price", "cost", "amount")
PROMO_WORDS = ("promo", "discount", "offer", "deal")
ORDER_WORDS = ("order", "transaction", "invoice", "receipt", "ticket", "basket", "txn")
NOT_KEY_WORDS = ("customer", "client", "user", "email", "phone", "address", "comment", "note")
NOT_KEY_WORDS += ("description", "payment")
# Panel key names for the usual key columns; any other key keeps its own (snake_case) name.
KEY_NAMES = {
    "store_id": ("store", "shop", "location", "branch", "outlet", "restaurant", "site"),
    "item_id": ("item", "sku", "product", "article", "menu", "material", "ean", "upc"),
    "dept_id": ("dept", "department"),
}
KEY_WORDS = tuple(word for words in KEY_NAMES.values() for word in words)
ID_WORDS = ("id", "code", "no", "nr", "number")  # whole words only


# --- dates ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateInspection:
    """The calendar days of a date column and how they are spaced."""

    dates: int  # distinct calendar days
    first: pd.Timestamp
    last: pd.Timestamp
    step_days: int | None  # gcd of the gaps between consecutive days; None for one day
    regular: bool  # every gap equals step_days
    weekday: int | None  # 0 = Monday, when every day falls on that weekday
    has_times: bool  # some values carry a time of day
    monthday: int | None = None  # the day of the month, when every day falls on it
    month_ends: bool = False  # every day is the last day of its month
    min_gap_days: int | None = None

    @property
    def weekday_code(self) -> str | None:
        return None if self.weekday is None else WEEKDAYS[self.weekday]

    @property
    def looks_weekly(self) -> bool:
        """Enough days, all on one weekday, every gap a multiple of 7 days."""
        return (
            self.dates >= MIN_DATES_FOR_PATTERN
            and self.weekday is not None
            and self.step_days is not None
            and self.step_days % 7 == 0
        )

    @property
    def looks_monthly(self) -> bool:
        """Enough days, all on one day of the month (or all month ends), 28+ days apart."""
        return (
            self.dates >= MIN_DATES_FOR_PATTERN
            and not self.looks_weekly
            and (self.monthday is not None or self.month_ends)
            and (self.min_gap_days or 0) >= 28
        )

    @property
    def suggested_frequency(self) -> str | None:
        """``W-<DAY>`` for weekly-looking dates, ``ME`` for monthly-looking ones, ``D`` for
        other dates, None for one day."""
        if self.looks_weekly:
            return f"W-{self.weekday_code}"
        if self.looks_monthly:
            return MONTHLY
        return None if self.step_days is None else "D"

    def describe(self) -> str:
        """E.g. ``dates are 7 days apart, all on Sundays``."""
        if self.step_days is None:
            return f"all values are on one day ({self.first:%Y-%m-%d})"
        spacing = f"{self.step_days} day{'s' if self.step_days > 1 else ''} apart"
        if not self.regular:
            spacing = f"a multiple of {spacing}"
        text = f"its {self.dates} dates are {spacing}"
        if self.weekday is not None:
            text += f", all on {WEEKDAY_NAMES[self.weekday]}s"
        return text

    def describe_monthly(self) -> str:
        """E.g. ``its 48 dates are all on the 1st of a month, at least 28 days apart``."""
        where = (
            "last day of a month" if self.month_ends else f"{_ordinal(self.monthday)} of a month"
        )
        return f"its {self.dates} dates are all on the {where}, at least 28 days apart"

    @property
    def week_label(self) -> str | None:
        """``start`` or ``end``: the day of the week a weekly date most likely is (by
        convention: Mondays start ISO weeks, other days usually end a week)."""
        if not self.looks_weekly:
            return None
        return "start" if self.weekday == 0 else "end"

    def describe_frequency(self) -> str:
        """Why ``suggested_frequency``, e.g. ``weekly: its 52 dates are 7 days apart, all on
        Thursdays; weeks labelled by their last day, Thursday``."""
        if self.step_days is None:
            return f"{self.describe()}: too few to tell a frequency (a panel needs 2 periods)"
        if self.looks_monthly:
            label = (
                "each date labels its month; the panel labels it by the month's last day (ME)"
                if not self.month_ends
                else "months labelled by their last day (ME)"
            )
            return f"monthly: {self.describe_monthly()}; {label}"
        if self.looks_weekly:
            day = WEEKDAY_NAMES[self.weekday]
            label = (
                f"Mondays usually start a week, so each date likely labels the week it starts; "
                f"the panel keeps it as the week's label (W-{self.weekday_code})"
                if self.week_label == "start"
                else f"weeks labelled by their last day, {day}"
            )
            return f"weekly: {self.describe()}; {label}"
        if self.has_times:
            return f"daily: the dates carry times of day (order lines) on {self.dates} days"
        if self.weekday is not None and self.step_days % 7 == 0:
            return (
                f"daily: {self.describe()}, too few to call them weeks (set "
                f"frequency: W-{self.weekday_code} if they are)"
            )
        return f"daily: {self.describe()}"


def _ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 21st, 31st."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def inspect_dates(dates: pd.Series) -> DateInspection:
    """Describe parsed dates (NaT ignored); at least one date is expected."""
    dates = pd.Series(dates).dropna()
    days = pd.DatetimeIndex(dates.dt.normalize().unique()).sort_values()
    gaps = [int(g) for g in (days[1:] - days[:-1]).days]
    step = math.gcd(*gaps) if gaps else None
    weekdays = set(days.day_of_week)
    monthdays = set(days.day)
    return DateInspection(
        dates=len(days),
        first=days[0],
        last=days[-1],
        step_days=step,
        regular=bool(gaps) and len(set(gaps)) == 1,
        weekday=next(iter(weekdays)) if len(weekdays) == 1 else None,
        has_times=bool((dates != dates.dt.normalize()).any()),
        monthday=next(iter(monthdays)) if len(monthdays) == 1 else None,
        month_ends=bool(days.is_month_end.all()),
        min_gap_days=min(gaps) if gaps else None,
    )


@dataclass(frozen=True)
class DateColumn:
    """A column found to hold dates, how to parse it and why."""

    column: str
    date_format: str | None  # None: already datetime
    reason: str
    parsed: pd.Series = field(repr=False, compare=False)

    @property
    def dates(self) -> DateInspection:
        return inspect_dates(self.parsed)


def _formats(values: Sequence[str]) -> list[str]:
    """The formats pandas guesses from a few values, month first, then day first."""
    found: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in values[:5]:
            for dayfirst in (False, True):
                guess = guess_datetime_format(value, dayfirst=dayfirst)
                # A year-first date is never year-day-month.
                if guess and not re.search(r"%Y\W%d", guess) and guess not in found:
                    found.append(guess)
    return found


def _irregularity(parsed: pd.Series) -> int:
    days = pd.DatetimeIndex(parsed.dt.normalize().unique()).sort_values()
    return len(set((days[1:] - days[:-1]).days))


def _date_column(name: str, raw: pd.Series) -> DateColumn | None:
    """``raw`` as dates, when all its distinct values parse with one guessed format."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return DateColumn(name, None, "a datetime column", raw)
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        return None
    distinct = pd.Series(raw.dropna().astype(str).str.strip().unique())
    if distinct.empty:
        return None
    readings = []
    for fmt in _formats(list(distinct)):
        parsed = pd.to_datetime(distinct, format=fmt, errors="coerce")
        if parsed.notna().all():
            readings.append((fmt, parsed))
    if not readings:
        return None
    fmt, parsed = min(readings, key=lambda reading: _irregularity(reading[1]))
    reason = f"all {len(distinct)} distinct values parse as dates ({fmt})"
    if len(readings) > 1:
        reason += "; month and day could be read either way, this reading is more regular"
    elif "%d" in fmt and "%m" in fmt and not fmt.startswith("%Y"):
        late = parsed.dt.day > 12  # a day no month can be
        if late.any():
            reason += f"; {'day' if fmt.index('%d') < fmt.index('%m') else 'month'} first"
            reason += f", e.g. {distinct[late.to_numpy()].iloc[0]!r}"
    lookup = dict(zip(distinct, parsed, strict=True))
    values = raw.astype(str).str.strip().map(lookup).where(raw.notna())
    return DateColumn(name, fmt, reason, values.astype("datetime64[ns]"))


# --- missing periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingPeriods:
    """What a period without a line most likely means, and why."""

    policy: str  # the cleaning missing_policy it suggests: zero | nan
    reason: str
    zero_share: float  # share of lines whose quantity is 0
    smallest_sale: float | None  # the smallest positive quantity
    missing_share: float  # share of series-periods (first period to the file's end) without a line

    def describe(self) -> str:
        return f"{self.policy} ({self.reason})"


def infer_missing_periods(
    quantities: pd.Series,
    series: pd.Series,
    periods: pd.Series,
    frequency: str,
    *,
    order_lines: bool,
) -> MissingPeriods:
    """Suggest a missing policy from the lines' quantities (aligned with their ``series`` and
    ``periods``): explicit zeros, order lines, the smallest sale (see the module docstring)."""
    values = pd.to_numeric(quantities, errors="coerce")
    zero_share = float((values == 0).mean()) if len(values) else 0.0
    positive = values[values > 0]
    smallest = float(positive.min()) if len(positive) else None
    pairs = pd.DataFrame({"s": series.to_numpy(), "p": periods.to_numpy()}).drop_duplicates()
    period = Frequency(frequency)
    spans = (period.periods_between(pairs.groupby("s")["p"].min(), pairs["p"].max()) + 1).sum()
    missing_share = float(1 - len(pairs) / spans) if spans else 0.0
    zeros = f"share of zero lines {zero_share:.3f}"
    sale = "" if smallest is None else f", smallest sale {smallest:g}"
    gaps = f"; {missing_share:.1%} of series-periods have no line"
    if zero_share >= ZERO_LINES_SHARE:
        policy = "nan"
        why = (
            f"{zeros}: the export writes a period without a sale as 0, so a missing period "
            f"was not recorded (unknown)"
        )
    elif order_lines:
        policy = "zero"
        why = (
            f"{zeros}{sale}, order lines (times of day or an order id): a period without a "
            f"line is a period without a sale"
        )
    elif smallest is None or smallest <= 1:
        policy = "zero"
        why = (
            f"{zeros}{sale}: sales that small occur and zeros are not written, so a missing "
            f"period sold nothing"
        )
    else:
        policy = "nan"
        why = (
            f"{zeros}{sale}: a series that never sells less than {smallest:g} rarely sells "
            f"nothing, so a missing period is more likely unrecorded (or closed, if the shop "
            f"was shut)"
        )
    return MissingPeriods(policy, why + gaps, zero_share, smallest, missing_share)


def describe_series(cardinality: Mapping[str, int], series: int) -> str:
    """E.g. ``913 series by store_id (12) x item_id (88)``."""
    keys = " x ".join(f"{name} ({count})" for name, count in cardinality.items())
    return f"{series} series by {keys}"


def inference_block(
    source: str,
    setting: str,
    dates: DateInspection,
    frequency: str,
    series: str,
    missing: MissingPeriods,
) -> str:
    """The one readable block the custom source logs: what it read from the dates (under
    ``frequency: auto`` the frequency itself), the series and what a missing period means."""
    reason = dates.describe_frequency()
    if setting == "auto":
        head, how = "Inferred from", f"inferred, {reason}"
    else:
        head, how = "Read from", f"declared; the dates: {reason}"
    return (
        f"{head} {source} (frequency: {setting}):\n"
        f"  frequency        {frequency} ({how})\n"
        f"  series           {series}\n"
        f"  dates            {dates.first:%Y-%m-%d} to {dates.last:%Y-%m-%d}, {dates.dates} days\n"
        f"  missing periods  likely {missing.describe()}; cleaning.missing_policy decides"
    )


# --- column roles --------------------------------------------------------------------------------


def _words(name: str) -> str:
    """``OnPromotion`` -> ``on promotion``; ``unit_price`` -> ``unit price``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return " ".join(re.split(r"[^0-9a-zA-Z]+", spaced.lower())).strip()


def snake(name: str) -> str:
    return _words(name).replace(" ", "_") or "column"


def _says(name: str, words: Sequence[str]) -> bool:
    text = _words(name)
    return any(word in text for word in words)


def _has_word(name: str, words: Sequence[str]) -> bool:
    return bool(set(_words(name).split()) & set(words))


def _numeric(raw: pd.Series) -> pd.Series | None:
    """The column as floats when (nearly) every present value is a number."""
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(raw):
        return None
    values = pd.to_numeric(raw, errors="coerce")
    present = raw.notna()
    if not present.any() or values[present].notna().mean() < 0.99:
        return None
    return values.astype("float64")


@dataclass(frozen=True)
class Role:
    """A column chosen for a role, and why."""

    column: str
    reason: str


@dataclass
class TableInspection:
    """The mapping ``inspect_table`` proposes for a raw table."""

    rows: int
    columns: list[str]
    date: DateColumn | None = None
    frequency: str | None = None
    target: Role | None = None
    order_id: Role | None = None
    keys: dict[str, Role] = field(default_factory=dict)  # panel key -> column
    cardinality: dict[str, int] = field(default_factory=dict)  # panel key -> distinct values
    series: int = 0
    lines_per_period: float | None = None
    known: dict[str, Role] = field(default_factory=dict)  # price / promo
    attributes: dict[str, Role] = field(default_factory=dict)
    missing: MissingPeriods | None = None
    closed: ClosedDays | None = None  # daily data: days without any record, detected
    notes: list[str] = field(default_factory=list)

    def to_yaml(self, source: str, load_args: Mapping | None = None) -> str:
        return render_yaml(self, source, dict(load_args or {}))


def _key_name(column: str, taken: set[str]) -> str:
    name = next((key for key, words in KEY_NAMES.items() if _says(column, words)), None)
    name = name if name and name not in taken else snake(column)
    while name in taken:
        name += "_2"
    return name


def _key_candidates(frame: pd.DataFrame, free: list[str]) -> list[str]:
    candidates = []
    for column in free:
        raw = frame[column]
        distinct = raw.nunique()
        if distinct < 2 or distinct * MIN_LINES_PER_SERIES > len(frame):
            continue
        if _says(column, NOT_KEY_WORDS):
            continue
        numeric = _numeric(raw)
        if numeric is not None:
            whole = bool((numeric.dropna() % 1 == 0).all())
            named = _says(column, KEY_WORDS) or _has_word(column, ID_WORDS)
            if not (whole and distinct > 2 and named):
                continue
        candidates.append(column)
    return sorted(candidates, key=lambda c: -frame[c].nunique())


def _single_series_key(frame: pd.DataFrame, free: list[str]) -> list[str]:
    """A one-series file (one product's sales): the text column with a single value that
    names the series (an item, product or store column first), so it keeps its name."""
    constant = [
        c
        for c in free
        if frame[c].nunique() == 1
        and frame[c].notna().all()
        and _numeric(frame[c]) is None
        and not _says(c, NOT_KEY_WORDS)
    ]
    named = [c for c in constant if _says(c, KEY_WORDS)]
    return (named or constant)[:1]


def _determined(frame: pd.DataFrame, keys: list[str], column: str) -> bool:
    """One value of ``column`` per combination of ``keys``."""
    return bool(frame.groupby(keys, dropna=False)[column].nunique(dropna=False).max() <= 1)


def _side_by_side(frame: pd.DataFrame, keys: list[str], column: str, dates: pd.Series) -> bool:
    """Series split by ``column`` sell side by side: at least ``SIDE_BY_SIDE_SHARE`` of the
    (keys, day) groups hold two of its values. A value that changes over time instead (a
    holiday type, a status) splits each series into pieces one after another."""
    day = dates.dt.normalize().rename("_day")
    groups = [*(frame[key] for key in keys), day]
    if (frame[column].groupby(groups).nunique() > 1).mean() >= SIDE_BY_SIDE_SHARE:
        return True
    if not (frame[column].groupby(day).nunique() > 1).any():
        return False  # one value a day across the file: set by the date
    series = [frame[key] for key in keys] or [pd.Series(0, index=frame.index, name="_all")]
    spans = day.groupby([*series, frame[column]]).agg(["min", "max"])
    spans["days"] = (spans["max"] - spans["min"]).dt.days + 1
    by_series = spans.groupby(level=list(range(len(series))))
    whole = (by_series["max"].max() - by_series["min"].min()).dt.days + 1
    return bool((by_series["days"].sum() / whole).median() >= OVERLAP_RATIO)


def _choose_keys(frame: pd.DataFrame, candidates: list[str], dates: pd.Series | None) -> list[str]:
    """The most detailed candidates first; one the chosen keys determine is an attribute,
    one whose values follow each other in time is not a key either."""
    keys: list[str] = []
    for column in candidates:
        if keys and _determined(frame, keys, column):
            continue
        if dates is not None and not _side_by_side(frame, keys, column, dates):
            continue
        series = frame.groupby([*keys, column], dropna=False).ngroups
        if series * MIN_LINES_PER_SERIES > len(frame):
            continue
        keys.append(column)
    order = list(frame.columns)
    return sorted(keys, key=order.index)


def _target(frame: pd.DataFrame, numeric: dict[str, pd.Series]) -> Role | None:
    scored = []
    for column in numeric:
        text = _words(column)
        if _says(column, ("price", "cost")):
            continue
        score = max((s for word, s in TARGET_WORDS.items() if word in text), default=0)
        if score:
            scored.append((-score, list(frame.columns).index(column), column))
    if scored:
        column = min(scored)[2]
        values = numeric[column]
        return Role(
            column,
            f"numeric ({values.min():g} to {values.max():g}), the name says it is a quantity",
        )
    for column, values in numeric.items():
        if not _says(column, PRICE_WORDS) and values.nunique() > 2:
            return Role(
                column,
                f"the first numeric column left ({values.min():g} to {values.max():g}); no "
                f"name says quantity: check it",
            )
    return None


def _is_flag(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(len(present)) and bool(present.isin([0.0, 1.0]).all())


def _price(frame: pd.DataFrame, column: str, values: pd.Series, keys: list[str]) -> str | None:
    """Why ``column`` looks like a price, or None."""
    present = values.dropna()
    if present.empty or (present <= 0).mean() > 0.01:
        return None
    distinct = present.nunique()
    if _says(column, PRICE_WORDS) or _has_word(column, ("unit",)):
        return f"numeric, positive ({present.min():g} to {present.max():g}), the name says price"
    if not keys or distinct < MIN_PRICE_VALUES or (present % 1 == 0).all():
        return None
    total = present.var()
    within = values.groupby([frame[k] for k in keys]).var().mean()
    if not total or pd.isna(within) or 1 - within / total < PRICE_BETWEEN_SHARE:
        return None
    return (
        f"numeric, positive, {distinct} distinct values nearly constant within a series "
        f"({1 - within / total:.0%} of the variance is between series)"
    )


def _find_date(frame: pd.DataFrame, free: list[str], result: TableInspection) -> None:
    """The date column (and from it the frequency); ``free`` loses it."""
    dates = [d for c in free if (d := _date_column(c, frame[c])) is not None]
    if not dates:
        result.notes.append("no column parses as dates: set date_column (and date_format)")
        return
    named = [d for d in dates if _says(d.column, DATE_WORDS)]
    result.date = (named or dates)[0]
    free.remove(result.date.column)
    inspection = result.date.dates
    result.frequency = inspection.suggested_frequency
    result.notes += [
        f"'{d.column}' also holds dates (not mapped)" for d in dates if d is not result.date
    ]


def _find_covariates(
    frame: pd.DataFrame,
    free: list[str],
    result: TableInspection,
    numeric: Mapping[str, pd.Series],
    flags: list[str],
    keys: list[str],
) -> None:
    """Price, promotion and attributes among the ``free`` columns; notes on the others."""
    for column in list(free):
        values = numeric.get(column)
        if values is None:
            continue
        if column in flags and _says(column, PROMO_WORDS) and "promo" not in result.known:
            result.known["promo"] = Role(column, "0/1 values, the name says promotion")
            free.remove(column)
        elif column not in flags and "price" not in result.known:
            why = _price(frame, column, values, keys)
            if why:
                result.known["price"] = Role(column, why)
                free.remove(column)
    for column in [c for c in free if c not in numeric]:
        if keys and _determined(frame, keys, column):
            result.attributes[snake(column)] = Role(column, "one value per series")
            free.remove(column)
    result.notes += [
        f"'{column}' looks like a promotion flag but is not 0/1: covariates are read as "
        f"numbers, so export it as 0/1 and map it under known_covariates"
        for column in free
        if column not in numeric and _says(column, PROMO_WORDS)
    ]
    left = [c for c in free if c in numeric]
    if left:
        result.notes.append(
            f"numeric, not mapped: {', '.join(map(repr, left))}; known in advance (a planned "
            f"price, an opening flag): add under known_covariates; known only afterwards "
            f"(weather, visitors): past_covariates"
        )


def inspect_table(frame: pd.DataFrame) -> TableInspection:
    """Propose the ``data_source`` mapping of a raw table (see the module docstring)."""
    result = TableInspection(rows=len(frame), columns=[str(c) for c in frame.columns])
    if frame.empty:
        result.notes.append("the file has no rows")
        return result
    free = [c for c in frame.columns if c != "partition"]

    _find_date(frame, free, result)
    orders = [c for c in free if _says(c, ORDER_WORDS) and frame[c].nunique() > 1]
    if orders:
        column = orders[0]
        result.order_id = Role(
            column,
            f"{frame[column].nunique()} distinct values, the name says order: tells a line "
            f"exported twice from a repeat sale",
        )
        free.remove(column)

    numeric = {c: v for c in free if (v := _numeric(frame[c])) is not None}
    flags = [c for c, v in numeric.items() if _is_flag(v)]
    result.target = _target(frame, {c: v for c, v in numeric.items() if c not in flags})
    if result.target is not None:
        free.remove(result.target.column)

    dates = result.date.parsed if result.date is not None else None
    keys = _choose_keys(frame, _key_candidates(frame, free), dates) or _single_series_key(
        frame, free
    )
    for column in keys:
        name = _key_name(column, set(result.keys))
        distinct = frame[column].nunique()
        kind = "text" if _numeric(frame[column]) is None else "integer codes"
        result.keys[name] = Role(column, f"{kind}, {distinct} distinct values")
        result.cardinality[name] = int(distinct)
        free.remove(column)
    if keys:
        result.series = int(frame.groupby(keys, dropna=False).ngroups)
    else:
        result.notes.append(
            "no column looks like a key (text with repeated values): name the column(s) "
            "that tell one series from another under key_columns"
        )

    _find_covariates(frame, free, result, numeric, flags, keys)
    if result.date is not None and result.target is not None and keys:
        _lines_and_missing(frame, result, keys)
    return result


def _lines_and_missing(frame: pd.DataFrame, result: TableInspection, keys: list[str]) -> None:
    dates = result.date.parsed
    present = dates.notna().to_numpy()
    series = frame.groupby(keys, dropna=False, sort=False).ngroup()[present]
    frequency = result.frequency or "D"
    period = Frequency(frequency)
    periods = period.period_end(dates[present])
    pairs = pd.DataFrame({"s": series.to_numpy(), "p": periods.to_numpy()}).drop_duplicates()
    result.lines_per_period = float(present.sum() / len(pairs))
    order_lines = result.date.dates.has_times or result.order_id is not None
    result.missing = infer_missing_periods(
        frame.loc[present, result.target.column],
        series,
        periods,
        frequency,
        order_lines=order_lines,
    )
    if result.frequency is not None and period.is_daily:
        records, counted = day_records(
            dates[present], frame.loc[present, result.order_id.column] if result.order_id else None
        )
        result.closed = detect_closed_days(dates[present], records, counted)


# --- the YAML block ------------------------------------------------------------------------------

COMMENT_AT = 38
YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def _scalar(value) -> str:
    """A YAML scalar: plain where safe, else double-quoted (JSON strings are valid YAML)."""
    if value is None:
        return "null"
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .()/-]*[A-Za-z0-9_.)]|[A-Za-z_]", text)
    if plain and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _line(indent: int, key: str, value: str, why: str = "") -> str:
    text = f"{'  ' * indent}{key}:{' ' + value if value else ''}"
    return f"{text:<{COMMENT_AT}}  # {why}" if why else text


def _block(indent: int, key: str, roles: Mapping[str, Role], empty_why: str) -> list[str]:
    if not roles:
        return [_line(indent, key, "{}", empty_why)]
    lines = [_line(indent, key, "")]
    lines += [
        _line(indent + 1, _scalar(name), _scalar(role.column), role.reason)
        for name, role in roles.items()
    ]
    return lines


def render_yaml(result: TableInspection, source: str, load_args: dict) -> str:
    """The ready-to-paste ``data_source`` block (and the cleaning suggestion), with a comment
    per line saying why, under a header of comment lines: rows, dates, key cardinalities."""
    period = Frequency(result.frequency or "D").unit[:-1]
    header = [f"# inventory-optimization inspect {source}"]
    header.append(f"# {result.rows} rows; columns: {', '.join(result.columns)}")
    if result.date is not None:
        info = result.date.dates
        header.append(
            f"# dates: {info.first:%Y-%m-%d} to {info.last:%Y-%m-%d}, {info.dates} distinct days"
        )
    if result.keys:
        header.append(f"# keys: {describe_series(result.cardinality, result.series)}")
    if result.lines_per_period is not None:
        header.append(f"# {result.lines_per_period:.2f} lines per series and {period}")
    header += [f"# note: {note}" for note in result.notes]
    if load_args:
        shown = ", ".join(f"{k}: {_scalar(v)}" for k, v in load_args.items())
        header.append(
            f"# read with load_args: {{{shown}}}: add them under custom_sales in "
            f"conf/custom/catalog.yml"
        )
    header.append("# Paste into conf/custom/parameters_data_engineering.yml and check each line.")

    lines = ["data_source:", _line(1, "kind", "custom")]
    if result.date is not None:
        frequency_why = result.date.dates.describe_frequency()
        if result.frequency:
            frequency_why += "; frequency: auto infers the same at each run"
    else:
        frequency_why = "no date column found"
    lines.append(_line(1, "frequency", _scalar(result.frequency), frequency_why))
    stem = "-".join(name.removesuffix("_id") for name in result.keys) or "series"
    target = result.target.column if result.target else "demand"
    unit = _scalar(f"{_words(target)} per {stem}-{period}")
    lines.append(_line(1, "unit", unit, "for logs and reports"))
    lines.append(_line(1, "# country", "GB", "public holidays (is_holiday): your ISO code"))
    if result.date is not None:
        lines.append(_line(1, "date_column", _scalar(result.date.column), result.date.reason))
        if result.date.date_format:
            lines.append(
                _line(1, "date_format", json.dumps(result.date.date_format), "strptime format")
            )
    else:
        lines.append(_line(1, "date_column", "null", "no column parses as dates: name it"))
    lines += _block(1, "key_columns", result.keys, "no key found: name the series' columns")
    if result.target is not None:
        lines.append(_line(1, "target_column", _scalar(target), result.target.reason))
    else:
        lines.append(_line(1, "target_column", "null", "no numeric column: name it"))
    per = result.lines_per_period
    aggregate_why = (
        "one line per series and period"
        if per is None or per <= 1
        else f"{per:.2f} lines per series and {period} are summed"
    )
    lines.append(_line(1, "aggregate", "sum", aggregate_why))
    if result.order_id is not None:
        lines.append(
            _line(1, "order_id_column", _scalar(result.order_id.column), result.order_id.reason)
        )
        lines.append(_line(1, "duplicate_lines", "drop", "lines repeating an earlier one exactly"))
    weekly = result.frequency is not None and Frequency(result.frequency).is_weekly
    if weekly and result.date.dates.has_times:
        lines.append(_line(1, "partial_periods", "drop", "a part-week at either end"))
    if result.closed is not None:
        found = result.closed
        closed_why = (
            f"{len(found.dates)} days without {found.counted} where {MIN_EXPECTED_RECORDS}+ "
            f"were expected, closed for every series: {found.describe(5)}"
            if len(found.dates)
            else f"no day without {found.counted} where {MIN_EXPECTED_RECORDS}+ were expected"
        )
        lines.append(_line(1, "closed_days", "auto", f"{closed_why}; none: off"))
        lines.append(
            _line(1, "# closed_dates", '["12-25"]', "closed: YYYY-MM-DD once, MM-DD every year")
        )
    lines += _block(1, "known_covariates", result.known, "no column looks like price or promo")
    lines.append(_line(1, "past_covariates", "{}", "e.g. {temperature: Temp}"))
    lines += _block(1, "attribute_columns", result.attributes, "no static column per series")
    lines.append("")
    lines.append("cleaning:")
    if result.missing is not None:
        lines.append(_line(1, "missing_policy", result.missing.policy, result.missing.reason))
    else:
        lines.append(_line(1, "missing_policy", "zero", "could not tell: zero | nan | closed"))
    return "\n".join([*header, *lines]) + "\n"
