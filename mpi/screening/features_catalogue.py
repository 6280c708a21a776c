"""The catalogue of screening features (:data:`FEATURES`): name, category, formula, units and
direction of every column of :meth:`mpi.screening.features_result.ScreeningFeatures.to_frame`.

The four categories are those of UESTC's "smart aid" system: ``consumption``, ``living``
(living habits), ``study`` (study behaviour) and ``background``. A feature's ``direction`` is
+1 when a higher value suggests financial hardship, -1 when it suggests the opposite and 0
when it is neutral (or its sign depends on the population). The directions were checked
on the bundled ``campus_card`` data (the sign of each feature's rank correlation with the
truth ``hardship``, with the card's holidays for ``holiday_presence``; a feature whose
correlation is below 0.05 in absolute value is neutral). On those data, students in
hardship spend less, eat cheaper meals, visit the library and leave campus (long gaps) a
little less and stay more often over the holidays.

Notation (one row = one student, or one student and calendar month with ``period="month"``):

- ``span`` = last active day - first active day + 1 (days; a day is *active* when the
  student has at least one transaction that day, library entries included, top-ups not), and
  ``months = span / 30.44`` (the student's time on campus in average months). Monthly rates
  ("per month") are totals divided by ``months``; a row without transactions has rate 0.
- ``days`` = days of the row's period inside the term ``[start, end]``; ``weekend days``
  and ``holiday days`` likewise (Saturdays and Sundays; the dates of ``holidays``).
- A *weekday* is a Monday to Friday that is not a holiday.
- Prices are the amounts of canteen transactions (yuan per meal); the *cheap-price cutoff*
  of a meal type is the 20th percentile (``numpy.percentile``, linear interpolation) of the
  canteen prices of that meal type over the whole input table (every canteen transaction
  given, before duplicates and transactions outside the term are left out, so that the
  cutoffs are the same for every ``period`` and every subset of the features), unless
  ``cheap_cutoffs`` gives them (the recipe for chunks in :func:`mpi.screening.features`).
- *Top-ups* (kind ``topup``: yuan loaded on the card, at a kiosk, online or by a parent's
  bank transfer) are neither spending nor presence: they are not in ``total_spending`` nor
  in the weekly spending of ``spending_volatility``, they make no day active and do not
  extend the span (so they change no other feature). *Laundry* (kind ``laundry``: a metered
  washing machine) is spending and presence like a shower.
- A card system that does not record top-ups (or laundry) gives NaN for the top-up (laundry)
  features of every row, so that scores and models leave them out; it records them when the
  input declares the kind: a value of ``kind`` mapped to that role (``topup``, ``laundry`` by
  default) occurs in the input table, or is a category of a categorical ``kind`` column
  (used or not: splitting a table by student keeps the categories, so every chunk agrees).
  When recorded, a row without top-ups has ``topup_amount = topup_count = 0`` and
  ``topup_mean`` NaN, a row without laundry ``laundry_visits = 0``.

The directions of ``topup_amount``, ``topup_count``, ``topup_mean`` and ``laundry_visits``
are 0: the bundled data record neither kind, so no sign could be checked. (Smaller, more
frequent top-ups and less paid laundry are plausible signs of a tight budget, but a student
who pays by phone tops up rarely whatever the budget; weigh them only after checking the sign
on labelled data of your own campus.)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Feature", "FEATURES", "CATEGORIES", "DAYS_PER_MONTH", "CHEAP_PERCENTILE",
    "MEAL_HOURS", "MEALS", "KINDS", "OPTIONAL_KINDS", "feature_names", "BACKGROUND",
]  # fmt: skip

#: Days in an average month (365.25 / 12): the unit of the monthly rates.
DAYS_PER_MONTH = 30.44
#: Percentile of a meal type's canteen prices below which a meal is cheap.
CHEAP_PERCENTILE = 20.0
#: The four categories of features, in order.
CATEGORIES = ("consumption", "living", "study", "background")
#: Meal types of canteen transactions, in order.
MEALS = ("breakfast", "lunch", "dinner")
#: Kinds of transactions the features use (the values of ``kind``; others via ``kinds=``).
KINDS = ("canteen", "supermarket", "shower", "library", "topup", "laundry")
#: Kinds that a card system may not record: their features are NaN when the input has none.
OPTIONAL_KINDS = ("topup", "laundry")
#: Canteen opening hours per meal type (``"HH:MM"`` from, to; both included): a meal outside
#: them is counted as off hours (clock skew) and kept. The hours of the campus_card data card.
MEAL_HOURS = {
    "breakfast": ("06:30", "09:30"),
    "lunch": ("10:45", "13:30"),
    "dinner": ("16:45", "20:00"),
}


@dataclass(frozen=True)
class Feature:
    """One screening feature.

    Parameters
    ----------
    name
        Column name in :meth:`ScreeningFeatures.to_frame`.
    category
        One of :data:`CATEGORIES`.
    description
        What it measures, with its formula.
    units
        Units of its values.
    direction
        +1 if a higher value suggests hardship, -1 if it suggests the opposite, 0 neutral.
    """

    name: str
    category: str
    description: str
    units: str
    direction: int


FEATURES: tuple[Feature, ...] = (
    # -- consumption -------------------------------------------------------------------------
    Feature("canteen_spending", "consumption",
            "canteen yuan / months (0 without transactions)", "yuan per month", -1),
    Feature("canteen_meals", "consumption",
            "canteen transactions / months (0 without transactions)", "meals per month", -1),
    Feature("price_mean", "consumption",
            "canteen yuan / canteen meals (NaN without meals)", "yuan per meal", -1),
    Feature("price_median", "consumption",
            "median canteen price (numpy linear interpolation; NaN without meals)",
            "yuan per meal", -1),
    Feature("price_p25", "consumption",
            "25th percentile of the canteen prices (numpy linear interpolation; NaN without "
            "meals)", "yuan per meal", -1),
    Feature("lunch_price", "consumption",
            "lunch yuan / lunches (NaN without lunches)", "yuan per meal", -1),
    Feature("cheap_meal_share", "consumption",
            "meals priced strictly below the campus-wide 20th percentile of their meal type / "
            "canteen meals (NaN without meals)", "share (0-1)", 1),
    Feature("supermarket_spending", "consumption",
            "supermarket yuan / months", "yuan per month", -1),
    Feature("supermarket_visits", "consumption",
            "supermarket transactions / months", "visits per month", -1),
    Feature("spending_volatility", "consumption",
            "coefficient of variation (population sd / mean) of the yuan spent (all kinds but top-ups) per "
            "week, over the weeks from the first to the last active week (weeks counted from "
            "the term's first day; a week without spending counts 0; NaN when the mean is 0)",
            "ratio", -1),
    Feature("total_spending", "consumption",
            "yuan of every kind but top-ups (canteen, supermarket, shower, laundry, other) / "
            "months", "yuan per month", -1),
    Feature("topup_amount", "consumption",
            "yuan loaded on the card by top-ups / months (0 without an active day; NaN when "
            "the input records no top-up)", "yuan per month", 0),
    Feature("topup_count", "consumption",
            "top-ups / months (0 without an active day; NaN when the input records no "
            "top-up)", "top-ups per month", 0),
    Feature("topup_mean", "consumption",
            "yuan loaded by top-ups / top-ups (NaN without top-ups, or when the input records "
            "no top-up)", "yuan per top-up", 0),
    # -- living habits -----------------------------------------------------------------------
    Feature("active_days_share", "living",
            "active days / days of the period in the term", "share (0-1)", 0),
    Feature("breakfast_regularity", "living",
            "active weekdays with a canteen breakfast / active weekdays (NaN without an "
            "active weekday)", "share (0-1)", -1),
    Feature("meals_per_active_day", "living",
            "canteen meals / active days (NaN without an active day)", "meals per day", -1),
    Feature("shower_visits", "living",
            "shower transactions / active days (NaN without an active day)",
            "visits per day", -1),
    Feature("laundry_visits", "living",
            "laundry (metered washing machine) transactions / months (0 without an active "
            "day; NaN when the input records no laundry)", "visits per month", 0),
    Feature("weekend_presence", "living",
            "active Saturdays and Sundays / Saturdays and Sundays of the period in the term "
            "(NaN without one)", "share (0-1)", 0),
    Feature("holiday_presence", "living",
            "active holiday days / holiday days of the period in the term (NaN without "
            "holidays: the default)", "share (0-1)", 1),
    Feature("longest_gap_days", "living",
            "longest run of days without a transaction between the first and the last active "
            "day (lost cards, trips; 0 with one active day, NaN with none)", "days", -1),
    # -- study behaviour ---------------------------------------------------------------------
    Feature("library_visits", "study",
            "library entries / months (0 without transactions)", "entries per month", -1),
    Feature("library_days_share", "study",
            "active days with a library entry / active days (NaN without an active day)",
            "share (0-1)", -1),
    # -- background (from ``students``) ------------------------------------------------------
    Feature("rural", "background",
            "1 = rural household registration (students' column rural)", "0/1", 1),
    Feature("registered_poor", "background",
            "1 = family registered as poor (students' column registered_poor)", "0/1", 1),
    Feature("grade", "background",
            "year of study (students' column grade)", "year", 0),
    Feature("female", "background",
            "1 = woman (students' column sex equal to 'female')", "0/1", 0),
)  # fmt: skip

#: Background features and the ``students`` column each comes from.
BACKGROUND = {"rural": "rural", "registered_poor": "registered_poor", "grade": "grade",
              "female": "sex"}  # fmt: skip


def feature_names(category: str | None = None) -> tuple[str, ...]:
    """Names of the features of ``category`` (all when None), in catalogue order.

    Parameters
    ----------
    category
        One of :data:`CATEGORIES`, or None.

    Returns
    -------
    tuple of str
    """
    return tuple(f.name for f in FEATURES if category is None or f.category == category)
