"""Hand-worked commission maths (DESIGN §7). No database.

The standard plan: target 10,000.00; brackets 0 → 2 %, 0.5 → 4 %, 1.0 → 6 %. Every expected
figure is worked out in the comment next to it from that definition, not from output.
"""

from decimal import Decimal as D  # noqa: N817 - D("1.05") keeps hand-worked figures readable
from fractions import Fraction

import pytest

from performance.commissions.engine import (
    Bracket,
    CommissionError,
    Line,
    attainment_of,
    award_split,
    best_attainment,
    bracket_lines,
    effective_rate,
    line_amount,
    statement_build,
)

TARGET = D("10000.00")
BRACKETS = [Bracket(D("0"), D("0.02")), Bracket(D("0.5"), D("0.04")), Bracket(D("1"), D("0.06"))]


def total(actual: str, mode: str, **kwargs) -> D:
    return statement_build(
        actual=D(actual), target=TARGET, brackets=BRACKETS, mode=mode, **kwargs
    ).total


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("0", "0.00"),
        ("4000", "80.00"),  # 4000 × 2 %
        ("4999.99", "100.00"),  # 4999.99 × 2 % = 99.9998 → 100.00
        ("5000", "100.00"),  # the first bracket is full: 5000 × 2 %; nothing above 5000
        ("5000.01", "100.00"),  # 100.00 + 0.01 × 4 % = 0.0004 → 0.00
        ("5012.50", "100.50"),  # 100.00 + 12.50 × 4 % = 0.50
        ("7500", "200.00"),  # 100.00 + 2500 × 4 %
        ("9999.99", "300.00"),  # 100.00 + 4999.99 × 4 % = 199.9996 → 200.00
        ("10000", "300.00"),  # 100.00 + 200.00
        ("10000.01", "300.00"),  # + 0.01 × 6 % = 0.0006 → 0.00
        ("12000", "420.00"),  # 100 + 200 + 2000 × 6 %
    ],
)
def test_marginal_pays_each_bracket_its_part_of_the_actual(actual, expected):
    assert total(actual, "marginal") == D(expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("4000", "80.00"),  # a = 0.4 → 2 % on everything
        ("4999.99", "100.00"),  # a < 0.5: 4999.99 × 2 % = 99.9998 → 100.00
        ("5000", "200.00"),  # a = 0.5 reaches 4 %: 5000 × 4 %
        ("5000.01", "200.00"),  # 5000.01 × 4 % = 200.0004 → 200.00
        ("9999.99", "400.00"),  # 9999.99 × 4 % = 399.9996 → 400.00
        ("10000", "600.00"),  # a = 1 reaches 6 %: 10000 × 6 %
        ("12000", "720.00"),  # 12000 × 6 %
    ],
)
def test_retroactive_pays_the_whole_actual_at_the_reached_rate(actual, expected):
    assert total(actual, "retroactive") == D(expected)


def test_marginal_lines_explain_every_amount():
    lines = bracket_lines(actual=D("12000"), target=TARGET, brackets=BRACKETS, mode="marginal")
    assert [(ln.base, ln.rate, ln.amount) for ln in lines] == [
        (D("5000"), D("0.02"), D("100.00")),
        (D("5000"), D("0.04"), D("200.00")),
        (D("2000"), D("0.06"), D("120.00")),
    ]
    assert [ln.label for ln in lines] == ["0%–50%", "50%–100%", "≥ 100%"]
    assert sum(ln.base for ln in lines) == D("12000")


def test_each_line_rounds_half_up_to_the_cent():
    # 1234.25 × 2 % = 24.685: half-up gives 24.69 (banker's rounding would give 24.68)
    assert line_amount(D("1234.25"), D("0.02")) == D("24.69")
    # negative amounts round half away from zero: -24.685 → -24.69
    assert line_amount(D("-1234.25"), D("0.02")) == D("-24.69")
    assert total("1234.25", "marginal") == D("24.69")


def test_total_is_the_sum_of_rounded_lines_not_the_rounded_sum():
    # marginal 5012.25: 5000 × 2 % = 100.00; 12.25 × 4 % = 0.49; total 100.49
    statement = statement_build(
        actual=D("5012.25"), target=TARGET, brackets=BRACKETS, mode="marginal"
    )
    assert [ln.amount for ln in statement.lines] == [D("100.00"), D("0.49")]
    assert statement.total == D("100.49")


def test_without_a_positive_target_the_first_rate_pays_the_whole_actual():
    for target in (D("0"), D("-5")):
        for mode in ("marginal", "retroactive"):
            statement = statement_build(
                actual=D("3000"), target=target, brackets=BRACKETS, mode=mode
            )
            assert statement.total == D("60.00")  # 3000 × 2 %
            assert statement.attainment is None


def test_cap_limits_the_total_after_the_lines_are_summed():
    statement = statement_build(
        actual=D("12000"), target=TARGET, brackets=BRACKETS, mode="marginal", cap=D("400")
    )
    assert statement.subtotal == D("420.00")  # 100 + 200 + 120
    assert statement.total == D("400")
    under = statement_build(
        actual=D("7500"), target=TARGET, brackets=BRACKETS, mode="marginal", cap=D("400")
    )
    assert under.total == D("200.00")


def test_decelerator_pays_the_part_above_its_level_at_its_lower_rate():
    decel = Bracket(D("1.2"), D("0.01"))
    # marginal 15000: 5000 × 2 % + 5000 × 4 % + (12000 − 10000) × 6 % + 3000 × 1 %
    #              = 100 + 200 + 120 + 30 = 450
    assert total("15000", "marginal", decelerator=decel) == D("450.00")
    # retroactive 15000: a = 1.5 → 6 % on the first 12000 = 720, then 3000 × 1 % = 30
    assert total("15000", "retroactive", decelerator=decel) == D("750.00")
    # at the level exactly the decelerator pays nothing: 100 + 200 + 120
    assert total("12000", "marginal", decelerator=decel) == D("420.00")
    # just above: 0.01 × 1 % = 0.0001 → 0.00
    lines = bracket_lines(
        actual=D("12000.01"), target=TARGET, brackets=BRACKETS, mode="marginal", decelerator=decel
    )
    assert lines[-1].kind == "decelerator"
    assert (lines[-1].base, lines[-1].amount) == (D("0.01"), D("0.00"))


def test_below_the_first_bracket_nothing_is_paid():
    brackets = [Bracket(D("0.5"), D("0.04")), Bracket(D("1"), D("0.06"))]
    for mode in ("marginal", "retroactive"):
        assert (
            statement_build(actual=D("4999"), target=TARGET, brackets=brackets, mode=mode).total
            == 0
        )
    # marginal 6000: only (6000 − 5000) × 4 % = 40
    assert statement_build(
        actual=D("6000"), target=TARGET, brackets=brackets, mode="marginal"
    ).total == D("40.00")


def test_extra_lines_and_the_cap_apply_to_the_whole_statement():
    spif = Line(kind="spif", label="SPIF", base=D("800"), rate=D("0.05"), amount=D("40.00"))
    claw = Line(kind="clawback", label="c", base=D("-500"), rate=D("0.03"), amount=D("-15.00"))
    statement = statement_build(
        actual=D("7500"),
        target=TARGET,
        brackets=BRACKETS,
        mode="marginal",
        extra_lines=[spif, claw],
        cap=D("220"),
    )
    assert statement.subtotal == D("225.00")  # 200 + 40 − 15
    assert statement.total == D("220")


def test_attainment_is_a_ratio_to_four_places():
    assert attainment_of(D("10500"), TARGET) == D("1.0500")
    assert attainment_of(D("1"), D("3")) == D("0.3333")
    assert attainment_of(D("5"), D("0")) is None


def test_effective_rate_is_what_the_brackets_paid_per_unit_of_actual():
    lines = bracket_lines(actual=D("7500"), target=TARGET, brackets=BRACKETS, mode="marginal")
    # (100 + 100) / 7500 = 0.026666… → 0.026667
    assert effective_rate(lines, D("7500")) == D("0.026667")
    assert effective_rate([], D("0")) == 0


def test_award_tie_splits_exactly_to_the_cent_lower_key_first():
    # 100.00 / 3 = 33.333…: floors 33.33 each, the leftover cent to the lowest key
    assert award_split(D("100.00"), ["S-3", "S-1", "S-2"]) == {
        "S-1": D("33.34"),
        "S-2": D("33.33"),
        "S-3": D("33.33"),
    }
    assert award_split(D("0.02"), ["B", "A", "C"]) == {"A": D("0.01"), "B": D("0.01"), "C": 0}
    assert award_split(D("50"), []) == {}


def test_best_attainment_keeps_every_tied_winner_and_skips_missing_targets():
    assert best_attainment({"A": Fraction(11, 10), "B": Fraction(11, 10), "C": Fraction(1)}) == [
        "A",
        "B",
    ]
    assert best_attainment({"A": None, "B": Fraction(1, 2)}) == ["B"]
    assert best_attainment({"A": None}) == []


@pytest.mark.parametrize(
    "brackets",
    [
        [],
        [Bracket(D("0"), D("0.02")), Bracket(D("0"), D("0.03"))],
        [Bracket(D("-0.1"), D("0.02"))],
        [Bracket(D("0"), D("-0.02"))],
    ],
)
def test_bad_brackets_are_refused(brackets):
    with pytest.raises(CommissionError):
        bracket_lines(actual=D("1"), target=TARGET, brackets=brackets, mode="marginal")


def test_unsorted_brackets_are_sorted_first():
    shuffled = [BRACKETS[2], BRACKETS[0], BRACKETS[1]]
    assert (
        total("12000", "marginal")
        == statement_build(
            actual=D("12000"), target=TARGET, brackets=shuffled, mode="marginal"
        ).total
    )
