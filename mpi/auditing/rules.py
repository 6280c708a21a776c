"""The rule library of a benefit-list audit: twelve default rules, each parameterised and
each citing the policy it enforces, plus the :class:`Rule` users write their own with.

:func:`mpi.audit` runs :func:`default_rules` unless told otherwise. Each rule's ``check`` reads
an :class:`~mpi.auditing.context.AuditContext` and returns one hit per offending payment (columns
:data:`HIT_COLUMNS`); :func:`mpi.audit` aggregates the hits into leads.

================================  =========  =============================================
rule                              needs      a hit is a payment ...
================================  =========  =============================================
``paid_after_death``              death      dated after the person's recorded death
``exclusive_programmes``          (none)     of a programme excluded by another one paid to
                                             the same person in the same period
``duplicate_in_period``           (none)     second or later of one programme to one
                                             person in one period
``business_owner``                business   to an owner of a business with registered
                                             capital above the threshold
``vehicle_owner``                 vehicle    to an owner of a vehicle worth more than the
                                             threshold
``property_area``                 property   to a household with more floor area per member
                                             than the threshold
``taxed_income``                  tax        to a person with taxed income above the line
``public_employee``               staff      to a public employee
``household_in_two_villages``     (none)     to a household in a village other than its
                                             main one in the same period
``split_payments``                (none)     one of several in a period, each within the
                                             approval threshold, summing above it
``shared_account``                (none)     into an account that receives the payments
                                             of several households
``transferred_after_death``       death      of a personal allowance a deceased household
                                             member drew, started by a relative soon after
                                             the death (not on reaching its age)
================================  =========  =============================================

Comparisons with a threshold are strict: a value exactly at the threshold is not a hit. The
default thresholds are illustrative choices, those of the bundled ``benefit_audit`` data,
whose programme names the defaults also use (``dibao``, ``tekun``, ``temporary_assistance``,
...: :data:`EVENT_PROGRAMMES`, :data:`HOUSEHOLD_PROGRAMMES`, :data:`PERSONAL_ALLOWANCES`,
:data:`AGE_ENTITLEMENTS`, :data:`APPROVAL_PROGRAMMES`). Local rules differ by province
and year: set them with :meth:`Rule.with_params` or ``default_rules(params=...)``. The policy
sources name the document only (no article is cited).

Every hit carries ``amount_at_risk``: the offending payment's amount, except for
``split_payments``, whose hits share the part of the split sum above the approval threshold
(parameter ``at_risk="excess"``; ``"total"`` for whole payments).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from mpi.auditing.rules_core import HIT_COLUMNS, Rule, empty_hits, make_hits
from mpi.auditing.rules_payments import (
    check_duplicate_in_period,
    check_exclusive_programmes,
    check_household_in_two_villages,
    check_shared_account,
    check_split_payments,
)
from mpi.auditing.rules_registry import (
    check_business_owner,
    check_paid_after_death,
    check_property_area,
    check_public_employee,
    check_taxed_income,
    check_transferred_after_death,
    check_vehicle_owner,
)
from mpi.errors import ValidationError

__all__ = [
    "Rule", "RULES", "default_rules", "HIT_COLUMNS", "make_hits", "empty_hits",
    "EVENT_PROGRAMMES", "HOUSEHOLD_PROGRAMMES", "PERSONAL_ALLOWANCES", "AGE_ENTITLEMENTS",
    "APPROVAL_PROGRAMMES",
]  # fmt: skip

#: Programmes paid per event (several payments in a month are normal): left out of
#: ``duplicate_in_period`` by default.
EVENT_PROGRAMMES = ("temporary_assistance", "medical_assistance", "housing_renovation")
#: Programmes paid to a household (按户), whose payee may change when the payee dies: left
#: out of ``transferred_after_death`` by default.
HOUSEHOLD_PROGRAMMES = ("dibao", "relocation", "microcredit_subsidy", "housing_renovation")
#: Personal per-capita allowances (个人补贴), paid to one person for the person's own
#: condition (age, disability, extreme poverty) and ended by the person's death: the
#: programmes ``transferred_after_death`` checks by default. Of the twelve programmes of the
#: ``benefit_audit`` data, the others are household benefits (:data:`HOUSEHOLD_PROGRAMMES`),
#: payments per event or per need (medical and temporary assistance, the employment
#: subsidy, an education grant per pupil and school year) or a job (the ecological ranger
#: post of a poor household).
PERSONAL_ALLOWANCES = ("tekun", "disability_allowance", "elderly_allowance")
#: Allowances granted by age, programme -> the age (years) from which everyone is entitled:
#: a relative who starts one on reaching that age is not a transfer.
AGE_ENTITLEMENTS: Mapping[str, int] = MappingProxyType({"elderly_allowance": 80})
#: Programmes whose single payments above an amount need approval at a higher level:
#: those ``split_payments`` checks by default.
APPROVAL_PROGRAMMES = ("temporary_assistance",)
#: 《社会救助暂行办法》(国务院令第649号, 2014).
_SOCIAL_ASSISTANCE = "《社会救助暂行办法》(国务院令第649号, 2014)"
#: 《最低生活保障审核确认办法》(民政部, 2021).
_DIBAO_REVIEW = "《最低生活保障审核确认办法》(民政部, 2021)"
#: Laws and rules of the personal allowances.
_ELDERLY = (
    "《中华人民共和国老年人权益保障法》(2012 revision), which encourages local governments to "
    "pay an allowance (高龄津贴) to low-income people aged 80 and over"
)
_DISABILITY = (
    "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》(国发〔2015〕52号)"
)
_TEKUN = "《特困人员认定办法》(民政部, 2021)"
#: The 建档立卡 identification of poor households and the provinces' exclusion lists.
_JIANDANG = "建档立卡 identification (国务院扶贫办《扶贫开发建档立卡工作方案》, 2014) with the provinces' exclusion lists"

RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            name="paid_after_death",
            needs=("death",),
            check=check_paid_after_death,
            params={"grace_days": 0, "programmes": None},
            source=(
                f"{_SOCIAL_ASSISTANCE}: benefits are adjusted or stopped when a household's "
                "members change, and a death must be reported; payments to a deceased person "
                "are without basis"
            ),
            description=(
                "a payment dated more than grace_days days after the death recorded for the "
                "person (a payment on the day of death is not a hit)"
            ),
        ),
        Rule(
            name="exclusive_programmes",
            needs=(),
            check=check_exclusive_programmes,
            params={"groups": (("dibao", "tekun"),), "period": "month", "keep": "earliest"},
            source=(
                "《国务院关于进一步健全特困人员救助供养制度的意见》(国发〔2016〕14号) and "
                "《特困人员认定办法》(民政部, 2021): a person supported as tekun (特困供养) is "
                f"not also paid dibao; {_SOCIAL_ASSISTANCE}"
            ),
            description=(
                "a payment of a programme that excludes another programme paid to the same "
                "person in the same period (the programme the person joined first is kept)"
            ),
        ),
        Rule(
            name="duplicate_in_period",
            needs=(),
            check=check_duplicate_in_period,
            params={"period": "month", "programmes": None, "exclude": EVENT_PROGRAMMES},
            source=(
                f"{_SOCIAL_ASSISTANCE}: dibao is paid monthly (按月发放); each programme's "
                "own payment schedule"
            ),
            description="a second or later payment of one programme to one person in one period",
        ),
        Rule(
            name="business_owner",
            needs=("business",),
            check=check_business_owner,
            params={"threshold": 100_000.0, "programmes": None},
            source=(
                f"{_DIBAO_REVIEW}: household property, registered businesses included, is "
                f"assessed against local limits; {_JIANDANG}: households owning a registered "
                "company are left out"
            ),
            description=(
                "a payment to a person registered as owner of a business whose registered "
                "capital is above threshold yuan"
            ),
        ),
        Rule(
            name="vehicle_owner",
            needs=("vehicle",),
            check=check_vehicle_owner,
            params={"threshold": 50_000.0, "programmes": None},
            source=(
                f"{_DIBAO_REVIEW}: household property, motor vehicles included, is assessed "
                f"against local limits; {_JIANDANG}: households owning a car are left out"
            ),
            description=(
                "a payment to a person owning a registered vehicle worth more than threshold yuan"
            ),
        ),
        Rule(
            name="property_area",
            needs=("property",),
            check=check_property_area,
            params={"threshold": 60.0, "programmes": None},
            source=(
                f"{_DIBAO_REVIEW}: household property, housing included, is assessed against "
                f"local limits; {_JIANDANG}: households that bought commercial housing are "
                "left out"
            ),
            description=(
                "a payment to a household whose registered floor area per member is above "
                "threshold m²"
            ),
        ),
        Rule(
            name="taxed_income",
            needs=("tax",),
            check=check_taxed_income,
            params={"line": 60_000.0, "programmes": None},
            source=(
                f"{_SOCIAL_ASSISTANCE}: eligibility is means-tested on household income; "
                f"{_DIBAO_REVIEW}. Default line: the individual income tax basic deduction, "
                "¥5,000 a month (《中华人民共和国个人所得税法》, 2018 amendment)"
            ),
            description="a payment to a person whose taxed annual income is above line yuan",
        ),
        Rule(
            name="public_employee",
            needs=("staff",),
            check=check_public_employee,
            params={"programmes": None},
            source=(
                f"{_DIBAO_REVIEW}: household income, members' wages included, is means-"
                f"tested; {_JIANDANG}: households with a public employee (财政供养人员) are "
                "left out"
            ),
            description="a payment to a person on the public-employee register",
        ),
        Rule(
            name="household_in_two_villages",
            needs=(),
            check=check_household_in_two_villages,
            params={"period": "year", "programmes": None},
            source=(
                f"{_SOCIAL_ASSISTANCE} and {_DIBAO_REVIEW}: a household applies where its "
                "household registration (户籍) is, and is assisted once"
            ),
            description=(
                "a payment to a household in a village other than its main village in the "
                "same period (period None: the whole audit)"
            ),
        ),
        Rule(
            name="split_payments",
            needs=(),
            check=check_split_payments,
            params={
                "threshold": 1_000.0,
                "period": "month",
                "programmes": APPROVAL_PROGRAMMES,
                "at_risk": "excess",
            },  # fmt: skip
            source=(
                "《国务院关于全面建立临时救助制度的通知》(国发〔2014〕47号): townships approve "
                "small amounts, larger ones go to the county civil affairs department; "
                "splitting a payment circumvents that approval. Default programmes: those "
                "with such an approval amount (temporary assistance). Medical assistance is "
                "paid per hospital bill against the bill, so several bills in one month are "
                "normal; add programmes with programmes=(...)"
            ),
            description=(
                "one of two or more payments of one programme to one person in one period, "
                "each at most threshold yuan, together above it"
            ),
        ),
        Rule(
            name="shared_account",
            needs=(),
            check=check_shared_account,
            params={"min_households": 2, "programmes": None},
            source=(
                "Benefits are paid into the beneficiary's own account (社会保障卡/一卡通 "
                "payment of subsidies); one account collecting the benefits of unrelated "
                "households is the pattern of the Wuhan inspection case"
            ),
            description=(
                "a payment into an account that receives the payments of min_households or "
                "more households"
            ),
        ),
        Rule(
            name="transferred_after_death",
            needs=("death",),
            check=check_transferred_after_death,
            params={
                "months": 6,
                "programmes": PERSONAL_ALLOWANCES,
                "exclude": HOUSEHOLD_PROGRAMMES,
                "age_entitlements": AGE_ENTITLEMENTS,
            },  # fmt: skip
            source=(
                f"{_SOCIAL_ASSISTANCE}: a change of household members is reported and the "
                "benefit reassessed; a new member's enrolment needs its own application and "
                f"review ({_DIBAO_REVIEW}). A personal allowance is the holder's own and "
                f"stops at the holder's death (elderly allowance: {_ELDERLY}; disability "
                f"allowances: {_DISABILITY}; tekun support: {_TEKUN}), so the same allowance "
                "starting for a relative soon after is the benefit moved to another name. A "
                "household benefit (dibao, ...) legitimately passes to the next adult, and a "
                "need paid per event (medical assistance, an employment subsidy) is a new "
                "claim: neither is checked by default (programmes=None widens the rule). A "
                "relative who reaches the allowance's age (age_entitlements) is entitled in "
                "his or her own right"
            ),
            description=(
                "a payment of a personal allowance that a deceased member of the household "
                "drew, to a relative whose first payment of it comes within months months of "
                "the death and not on reaching the allowance's age"
            ),
        ),
    )
}


def default_rules(
    *, exclude: Iterable[str] = (), params: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Rule]:
    """The default rules of :data:`RULES`, in order, some switched off or re-parameterised.

    Parameters
    ----------
    exclude : iterable of str, optional
        Names of rules to leave out.
    params : mapping, optional
        Per rule name, parameters to change: ``{"business_owner": {"threshold": 5e5}}``.

    Returns
    -------
    list of Rule
        New :class:`Rule` objects; :data:`RULES` is unchanged.

    Raises
    ------
    ValidationError
        When a name is not a default rule, or a parameter not one of the rule's.
    """
    exclude = [exclude] if isinstance(exclude, str) else list(exclude)
    params = dict(params or {})
    unknown = sorted({*exclude, *params} - set(RULES))
    if unknown:
        raise ValidationError(
            f"default_rules: {unknown} not default rules; the rules are {list(RULES)}"
        )
    return [
        rule.with_params(**params.get(name, {}))
        for name, rule in RULES.items()
        if name not in exclude
    ]
