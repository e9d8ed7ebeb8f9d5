"""The funding formulas a district configures (district.yml `funding`): Title I and a weighted
student formula, their reservations and poverty bands, validated to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


GRADE_SPANS = ("elementary", "middle", "high")


# The count each weighted-student-formula weight multiplies.
WEIGHTED_COUNTS = {
    "economically_disadvantaged": "low_income_public",
    "english_learner": "english_learners",
    "students_with_disabilities": "students_with_disabilities",
}


WEIGHT_LABELS = {
    "economically_disadvantaged": "economically disadvantaged",
    "english_learner": "English learners",
    "students_with_disabilities": "students with disabilities",
}


ABOVE_75 = "above_75_percent"


HIGH_SCHOOL_ABOVE_50 = "high_school_above_50_percent"


DISTRICT_AVERAGE = "district_average"


GRADE_SPAN_AVERAGE = "grade_span_average"


THIRTY_FIVE = "thirty_five_percent"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _whole_cents(value: Decimal | None) -> Decimal | None:
    if value is not None and (Fraction(value) * 100).denominator != 1:
        raise ValueError(f"{value} is not a whole number of cents")
    return value


class Reservation(_Strict):
    """Money set aside off the top of the appropriation before schools are funded (34 CFR 200.77)."""

    name: str = Field(min_length=1)
    amount: Decimal | None = Field(default=None, ge=0)
    percent: Decimal | None = Field(default=None, ge=0, le=100)

    _amount_in_cents = field_validator("amount")(_whole_cents)

    @model_validator(mode="after")
    def _exactly_one_of_amount_or_percent(self) -> Reservation:
        if (self.amount is None) == (self.percent is None):
            raise ValueError(f"reservation '{self.name}' needs exactly one of amount or percent")
        return self


class PovertyBand(_Strict):
    """Schools with poverty_rate >= min_poverty (percent) get `weight` times the base per-child amount."""

    min_poverty: Decimal = Field(ge=0, le=100)
    weight: Decimal = Field(gt=0)


def _check_reservation_names(reservations: list[Reservation]) -> None:
    names = [reservation.name for reservation in reservations]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"reservation names must be unique; repeated: {', '.join(repeated)}")


def _reserved(reservations: list[Reservation], appropriation: Decimal) -> Decimal:
    """The total taken off the top of an appropriation (exact)."""
    return sum(
        (r.amount if r.amount is not None else r.percent * appropriation / 100 for r in reservations),
        Decimal(0),
    )


def _check_reservations_fit(reservations: list[Reservation], appropriation: Decimal) -> None:
    reserved = _reserved(reservations, appropriation)
    if reserved > appropriation:
        raise ValueError(f"the reservations ({reserved:,.2f}) exceed the appropriation ({appropriation:,.2f})")


class TitleIFormula(_Strict):
    """Title I, Part A allocation to schools under ESEA section 1113 and 34 CFR 200.78."""

    method: Literal["title_i"]
    name: str = Field(default="title_i", min_length=1)
    appropriation: Decimal = Field(gt=0)
    reservations: list[Reservation] = Field(default_factory=list)
    poverty_measure: Literal["economically_disadvantaged", "direct_certification", "supplied"] = (
        "economically_disadvantaged"
    )
    ranking: Literal["district_wide", "grade_span"] = "district_wide"
    grade_spans_served: list[Literal["elementary", "middle", "high"]] = Field(
        default_factory=lambda: list(GRADE_SPANS)
    )
    high_school_threshold: Literal[75, 50] = 75
    thirty_five_percent_option: bool = False
    poverty_bands: list[PovertyBand] = Field(
        default_factory=lambda: [PovertyBand(min_poverty=Decimal(0), weight=Decimal(1))]
    )
    rule_125_base: Literal["total_allocation", "after_reservations"] = "total_allocation"
    minimum_per_child_amount: Decimal | None = Field(default=None, ge=0)
    max_schools_served: int | None = Field(default=None, ge=1)
    fiscal_years: list[int] | None = None

    _appropriation_in_cents = field_validator("appropriation")(_whole_cents)

    @field_validator("poverty_bands")
    @classmethod
    def _bands_never_pay_less_to_higher_poverty(cls, bands: list[PovertyBand]) -> list[PovertyBand]:
        # A higher-poverty school may get more per child than a lower-poverty one, never less
        # (34 CFR 200.78).
        by_poverty = sorted(bands, key=lambda band: band.min_poverty, reverse=True)
        thresholds = [band.min_poverty for band in by_poverty]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("each poverty band needs its own min_poverty")
        if thresholds[-1:] != [0]:
            raise ValueError("poverty bands must include a band with min_poverty 0")
        for higher, lower in zip(by_poverty, by_poverty[1:]):
            if lower.weight > higher.weight:
                raise ValueError(
                    f"band weights must not rise as poverty falls: weight {lower.weight} at "
                    f"{lower.min_poverty}% exceeds weight {higher.weight} at {higher.min_poverty}%"
                )
        return bands

    @model_validator(mode="after")
    def _unique_reservations(self) -> TitleIFormula:
        _check_reservation_names(self.reservations)
        _check_reservations_fit(self.reservations, self.appropriation)
        return self


class WeightedStudentFormula(_Strict):
    """A district's own weighted student formula: a base amount per student plus weighted extras."""

    method: Literal["weighted_student_formula"]
    name: str = Field(default="weighted_student_formula", min_length=1)
    base_amount: Decimal = Field(ge=0)
    weights: dict[
        Literal["economically_disadvantaged", "english_learner", "students_with_disabilities"],
        Annotated[Decimal, Field(ge=0)],
    ] = Field(default_factory=dict)
    concentration_threshold: Decimal | None = Field(default=None, ge=0, le=100)
    concentration_weight: Decimal = Field(default=Decimal(0), ge=0)
    appropriation: Decimal | None = Field(default=None, gt=0)
    reservations: list[Reservation] = Field(default_factory=list)
    budget_cap: Decimal | None = Field(default=None, ge=0)
    fiscal_years: list[int] | None = None

    _money_in_cents = field_validator("appropriation", "budget_cap")(_whole_cents)

    @model_validator(mode="after")
    def _reservations_need_an_appropriation(self) -> WeightedStudentFormula:
        if self.reservations and self.appropriation is None:
            raise ValueError("reservations are taken off an appropriation: give `appropriation`")
        _check_reservation_names(self.reservations)
        if self.appropriation is not None:
            _check_reservations_fit(self.reservations, self.appropriation)
            available = self.appropriation - _reserved(self.reservations, self.appropriation)
            if self.budget_cap is not None and self.budget_cap > available:
                raise ValueError(
                    f"budget_cap ({self.budget_cap:,.2f}) exceeds what the reservations leave of the "
                    f"appropriation ({available:,.2f})"
                )
        return self


FundingFormula = Annotated[TitleIFormula | WeightedStudentFormula, Field(discriminator="method")]


class FundingConfig(_Strict):
    """The `funding:` section of config/district.yml."""

    count_date: str = "10-01"
    counts_file: str | None = None
    formulas: list[FundingFormula] = Field(default_factory=list)

    @field_validator("count_date")
    @classmethod
    def _month_day(cls, value: str) -> str:
        try:
            month, day = (int(part) for part in value.split("-"))
            date(2001, month, day)
        except (ValueError, TypeError):
            raise ValueError(f"'{value}' is not a month-day like \"10-01\"") from None
        return value

    @model_validator(mode="after")
    def _unique_formula_names(self) -> FundingConfig:
        names = [formula.name for formula in self.formulas]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"formula names must be unique; repeated: {', '.join(repeated)}")
        return self
