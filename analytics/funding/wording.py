"""How figures read in an allocation's explanation: percentages, ordinals, plain numbers, lists."""

from __future__ import annotations

from fractions import Fraction

from .money import round_half_up


def percent_text(share: Fraction) -> str:
    return f"{round_half_up(100 * share, 1):.1f}%"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plain(number: Fraction) -> str:
    """A count or weight as written by a person: 126, 122.5, 0.25."""
    if number.denominator == 1:
        return f"{number.numerator:,}"
    return f"{round_half_up(number, 4).normalize():,f}"


def and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
