"""Properties of the bracket maths (hypothesis). No database."""

from decimal import Decimal as D  # noqa: N817 - D("1.05") keeps hand-worked figures readable

from hypothesis import given, settings
from hypothesis import strategies as st

from performance.commissions.engine import Bracket, bracket_lines

cents = st.integers(min_value=0, max_value=10**9).map(lambda c: D(c) / 100)
rates = st.integers(min_value=0, max_value=2000).map(lambda r: D(r) / 10000)
starts = st.integers(min_value=1, max_value=300).map(lambda s: D(s) / 100)


@st.composite
def plans(draw):
    tail = draw(st.lists(starts, min_size=0, max_size=4, unique=True))
    starts_ = [D(0), *sorted(tail)]
    brackets = [Bracket(start, draw(rates)) for start in starts_]
    target = draw(st.integers(min_value=1, max_value=10**8).map(lambda c: D(c) / 100))
    return brackets, target


def exact(actual, target, brackets, mode):
    """The unrounded payout Σ base × rate."""
    lines = bracket_lines(actual=actual, target=target, brackets=brackets, mode=mode)
    return sum((ln.base * ln.rate for ln in lines), D(0)), lines


def rounded(actual, target, brackets, mode):
    lines = bracket_lines(actual=actual, target=target, brackets=brackets, mode=mode)
    return sum((ln.amount for ln in lines), D(0))


@settings(max_examples=300, deadline=None)
@given(plans(), cents, st.integers(min_value=1, max_value=10**6).map(lambda c: D(c) / 100))
def test_marginal_payout_is_continuous_and_non_decreasing(plan, actual, step):
    brackets, target = plan
    top_rate = max(b.rate for b in brackets)
    low, _ = exact(actual, target, brackets, "marginal")
    high, lines = exact(actual + step, target, brackets, "marginal")
    # Lipschitz: the exact payout never moves by more than the top rate times the step.
    assert D(0) <= high - low <= top_rate * step
    # Rounded per line, the payout still never decreases.
    assert rounded(actual + step, target, brackets, "marginal") >= rounded(
        actual, target, brackets, "marginal"
    )
    # The bases of a marginal statement add up to the paid part of the actual.
    assert sum(ln.base for ln in lines) == actual + step


@settings(max_examples=300, deadline=None)
@given(plans(), cents, st.integers(min_value=1, max_value=10**6).map(lambda c: D(c) / 100))
def test_retroactive_payout_jumps_only_at_bracket_boundaries(plan, actual, step):
    brackets, target = plan
    boundaries = [b.start * target for b in brackets]
    low, low_lines = exact(actual, target, brackets, "retroactive")
    high, _ = exact(actual + step, target, brackets, "retroactive")
    crossed = any(actual < edge <= actual + step for edge in boundaries)
    if not crossed:
        # Inside one bracket the payout is linear in the actual: no jump.
        reached = [b for b in brackets if b.start * target <= actual]
        rate = reached[-1].rate if reached else D(0)
        assert high - low == rate * step
        assert all(ln.rate == rate for ln in low_lines)
    else:
        # Crossing a boundary changes the rate applied to the whole actual.
        reached = [b for b in brackets if b.start * target <= actual + step][-1]
        assert high == (actual + step) * reached.rate
