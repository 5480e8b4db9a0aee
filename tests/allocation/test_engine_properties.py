"""Property-based tests of the allocation engine's invariants (hypothesis). No database."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.engine.errors import AllocationError
from allocation.engine.grouped import split_frame
from allocation.engine.rebalance import rebalance, rescale, respread
from allocation.engine.split import split
from allocation.engine.twoway import two_way_fit, two_way_split

# A profile of our own, applied per test, so loading it never changes other suites' settings.
settings.register_profile(
    "allocation-engine",
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ENGINE = settings.get_profile("allocation-engine")

cents = st.integers(min_value=0, max_value=10**12)
small_cents = st.integers(min_value=0, max_value=10_000)
keys = st.text(alphabet="ABNSxyz-019", min_size=1, max_size=5)
weights = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=1000, places=2).map(str),
    st.fractions(min_value=0, max_value=1000, max_denominator=97),
    st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False),
    st.just(0),
)


def _exact(weight: object) -> Fraction:
    """Mirror the engine's reading of a weight (floats as the decimal they show)."""
    if isinstance(weight, float):
        return Fraction(Decimal(repr(weight)))
    if isinstance(weight, str):
        return Fraction(Decimal(weight))
    return Fraction(weight)


@st.composite
def families(draw, max_children: int = 7) -> dict:
    """Draw one parent's children: unique keys and weights, no locks or bounds."""
    n = draw(st.integers(min_value=1, max_value=max_children))
    return {
        "keys": draw(st.lists(keys, min_size=n, max_size=n, unique=True)),
        "weights": draw(st.lists(weights, min_size=n, max_size=n)),
        "locked": [None] * n,
        "mins": [None] * n,
        "maxs": [None] * n,
    }


@st.composite
def bounded_families(draw, total: int, max_children: int = 7, noise: bool = True) -> dict:
    """Draw children with locks and bounds around a random plan that adds up to `total`.

    Without noise the family is feasible by construction; with noise one lock or bound is
    shifted, which may or may not make it infeasible (the oracle below decides).
    """
    family = draw(families(max_children))
    n = len(family["keys"])
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=n - 1, max_size=n - 1)))
    plan = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    for i, amount in enumerate(plan):
        kind = draw(st.sampled_from(["free", "free", "locked", "min", "max", "both"]))
        if kind == "locked":
            family["locked"][i] = amount
        if kind in ("min", "both"):
            family["mins"][i] = amount - draw(st.integers(0, amount))
        if kind in ("max", "both"):
            family["maxs"][i] = amount + draw(st.integers(0, 10_000))
    if noise and draw(st.booleans()):
        i = draw(st.integers(0, n - 1))
        field = draw(st.sampled_from(["locked", "mins", "maxs"]))
        shifted = (family[field][i] or 0) + draw(st.integers(-20_000, 20_000))
        family[field][i] = max(shifted, 0)
    return family


def _feasible(total: int, family: dict) -> bool:
    """The documented feasibility rule, stated independently of the engine."""
    locked, mins, maxs = family["locked"], family["mins"], family["maxs"]
    for lock, low, high in zip(locked, mins, maxs, strict=True):
        if low is not None and high is not None and low > high:
            return False
        if lock is not None and (
            (low is not None and lock < low) or (high is not None and lock > high)
        ):
            return False
    rest = total - sum(lock for lock in locked if lock is not None)
    free = [i for i, lock in enumerate(locked) if lock is None]
    if rest < 0 or (not free and rest != 0):
        return False
    if sum(mins[i] or 0 for i in free) > rest:
        return False
    return not (all(maxs[i] is not None for i in free) and sum(maxs[i] for i in free) < rest)


def _check_split(total: int, family: dict, amounts: list[int]) -> None:
    assert sum(amounts) == total
    for amount, lock, low, high in zip(
        amounts, family["locked"], family["mins"], family["maxs"], strict=True
    ):
        assert amount >= 0
        if lock is not None:
            assert amount == lock
        if low is not None:
            assert amount >= low
        if high is not None:
            assert amount <= high


@ENGINE
@given(data=st.data(), total=small_cents)
def test_split_is_exact_and_bounded_when_feasible_and_raises_when_not(data, total):
    family = data.draw(bounded_families(total))
    call = {k: family[k] for k in ("locked", "mins", "maxs")}
    if _feasible(total, family):
        amounts = split(total, family["weights"], family["keys"], **call)
        _check_split(total, family, amounts)
    else:
        with pytest.raises(AllocationError):
            split(total, family["weights"], family["keys"], **call)


@settings(ENGINE, max_examples=60)
@given(data=st.data(), total=cents)
def test_every_set_of_children_sums_to_its_parent_in_a_random_tree(data, total):
    nodes = 0

    def allocate(amount: int, depth: int) -> None:
        nonlocal nodes
        family = data.draw(bounded_families(amount, max_children=5, noise=depth == 2))
        nodes += len(family["keys"])
        call = {k: family[k] for k in ("locked", "mins", "maxs")}
        if not _feasible(amount, family):
            with pytest.raises(AllocationError):
                split(amount, family["weights"], family["keys"], **call)
            return
        amounts = split(amount, family["weights"], family["keys"], **call)
        _check_split(amount, family, amounts)
        max_depth = data.draw(st.integers(min_value=1, max_value=4))
        if depth < max_depth and nodes < 60:
            for child_amount in amounts:
                allocate(child_amount, depth + 1)

    allocate(total, 0)


@ENGINE
@given(total=small_cents, data=st.data())
def test_split_does_not_depend_on_input_order(total, data):
    family = data.draw(bounded_families(total, noise=False))
    call = {k: family[k] for k in ("locked", "mins", "maxs")}
    order = data.draw(st.permutations(range(len(family["keys"]))))
    base = dict(
        zip(family["keys"], split(total, family["weights"], family["keys"], **call), strict=True)
    )
    shuffled = {k: [family[k][i] for i in order] for k in ("keys", "weights", *call)}
    again = split(
        total,
        shuffled["weights"],
        shuffled["keys"],
        locked=shuffled["locked"],
        mins=shuffled["mins"],
        maxs=shuffled["maxs"],
    )
    assert dict(zip(shuffled["keys"], again, strict=True)) == base


@ENGINE
@given(total=cents, names=st.lists(keys, min_size=1, max_size=30, unique=True), weight=weights)
def test_equal_weights_give_amounts_at_most_one_cent_apart(total, names, weight):
    amounts = split(total, [weight] * len(names), names)
    assert sum(amounts) == total
    assert max(amounts) - min(amounts) <= 1
    # The extra cents go to the lowest keys.
    by_key = [amount for _, amount in sorted(zip(names, amounts, strict=True))]
    assert by_key == sorted(by_key, reverse=True)


@ENGINE
@given(total=cents, family=families(), factor=st.integers(1, 10**6))
def test_split_is_exact_largest_remainder_and_scale_free(total, family, factor):
    exact = [_exact(w) for w in family["weights"]]
    amounts = split(total, family["weights"], family["keys"])
    assert split(total, [w * factor for w in exact], family["keys"]) == amounts
    weight_sum = sum(exact)
    raw = (
        [total * w / weight_sum for w in exact]
        if weight_sum
        else [Fraction(total, len(exact))] * len(exact)
    )
    # Every amount is the floor or the ceiling of its exact share …
    for amount, share in zip(amounts, raw, strict=True):
        assert share - 1 < amount < share + 1
    # … and no child rounded down has a larger remainder than a child rounded up.
    up = [share - int(share) for amount, share in zip(amounts, raw, strict=True) if amount > share]
    down = [
        share - int(share) for amount, share in zip(amounts, raw, strict=True) if amount < share
    ]
    if up and down:
        assert min(up) >= max(down)


@st.composite
def frames(draw) -> tuple[pd.DataFrame, pd.Series]:
    n_groups = draw(st.integers(min_value=1, max_value=6))
    rows = []
    totals = {}
    for g in range(n_groups):
        n = draw(st.integers(min_value=1, max_value=6))
        names = draw(st.lists(keys, min_size=n, max_size=n, unique=True))
        ws = draw(st.lists(st.integers(0, 10**6) | st.just(0), min_size=n, max_size=n))
        locks = draw(st.lists(st.none() | small_cents, min_size=n, max_size=n))
        if all(lock is not None for lock in locks):
            locks[0] = None
        total = sum(lock for lock in locks if lock is not None) + draw(cents)
        totals[f"G{g}"] = total
        rows += [
            {"group": f"G{g}", "key": k, "w": w, "locked": lock}
            for k, w, lock in zip(names, ws, locks, strict=True)
        ]
    frame = pd.DataFrame(rows)
    frame["locked"] = pd.array(frame["locked"].tolist(), dtype="Int64")
    order = draw(st.permutations(range(len(frame))))
    return frame.iloc[list(order)], pd.Series(totals, dtype="int64")


@ENGINE
@given(case=frames())
def test_split_frame_agrees_with_split_group_by_group(case):
    frame, totals = case
    result = split_frame(
        frame, group="group", weight="w", key="key", totals=totals, locked="locked"
    )
    assert result.dtype == np.int64
    assert result.index.equals(frame.index)
    for group, rows in frame.groupby("group"):
        locks = [None if pd.isna(v) else int(v) for v in rows["locked"]]
        expected = split(int(totals[group]), rows["w"].tolist(), rows["key"].tolist(), locked=locks)
        assert result[rows.index].tolist() == expected


@st.composite
def tables(draw) -> tuple[np.ndarray, list[int], list[int], list[str], list[str]]:
    m = draw(st.integers(min_value=1, max_value=6))
    n = draw(st.integers(min_value=1, max_value=6))
    seed = np.array(
        draw(st.lists(st.floats(0.0, 100.0) | st.just(0.0), min_size=m * n, max_size=m * n))
    ).reshape(m, n)
    seed[seed > 0] += 0.01  # keep positive entries away from float dust
    rows = draw(st.lists(cents, min_size=m, max_size=m))
    grand = sum(rows)
    cuts = sorted(draw(st.lists(st.integers(0, grand), min_size=n - 1, max_size=n - 1)))
    cols = [b - a for a, b in zip([0, *cuts], [*cuts, grand], strict=True)]
    row_keys = draw(st.lists(keys, min_size=m, max_size=m, unique=True))
    col_keys = draw(st.lists(keys, min_size=n, max_size=n, unique=True))
    return seed, rows, cols, row_keys, col_keys


def _two_way_feasible(seed: np.ndarray, rows: list[int], cols: list[int]) -> bool:
    """Gale's condition on the documented seed pattern, by brute force over row subsets."""
    row_totals, col_totals = np.array(rows), np.array(cols)
    pattern = seed > 0
    pattern[row_totals == 0, :] = False
    pattern[:, col_totals == 0] = False
    empty_rows = (row_totals > 0) & ~pattern.any(axis=1)
    pattern[np.ix_(empty_rows, col_totals > 0)] = True
    empty_cols = (col_totals > 0) & ~pattern.any(axis=0)
    pattern[np.ix_(row_totals > 0, empty_cols)] = True
    m = len(rows)
    for mask in range(1, 2**m):
        subset = [i for i in range(m) if mask >> i & 1]
        reachable = pattern[subset].any(axis=0)
        if sum(rows[i] for i in subset) > int(col_totals[reachable].sum()):
            return False
    return True


@ENGINE
@given(case=tables())
def test_two_way_split_meets_both_margins_and_rounds_each_cell_down_or_up(case):
    seed, rows, cols, row_keys, col_keys = case
    if not _two_way_feasible(seed, rows, cols):
        with pytest.raises(AllocationError, match="only have weight in"):
            two_way_split(seed, rows, cols, row_keys=row_keys, col_keys=col_keys)
        return
    result = two_way_split(seed, rows, cols, row_keys=row_keys, col_keys=col_keys)
    assert result.sum(axis=1).tolist() == rows
    assert result.sum(axis=0).tolist() == cols
    fitted = two_way_fit(seed, rows, cols, row_keys=row_keys, col_keys=col_keys)
    assert ((result == np.floor(fitted)) | (result == np.ceil(fitted))).all()
    # Zero cells of the seed stay zero unless their whole row or column had no usable seed
    # (seed only in cells whose row or column total is zero doesn't count).
    usable = (seed > 0) & (np.array(rows) > 0)[:, None] & (np.array(cols) > 0)[None, :]
    kept_zero = (seed == 0) & usable.any(axis=1)[:, None] & usable.any(axis=0)[None, :]
    assert (result[kept_zero] == 0).all()


@ENGINE
@given(case=tables())
def test_two_way_split_of_a_positive_seed_always_succeeds(case):
    seed, rows, cols, row_keys, col_keys = case
    result = two_way_split(seed + 1.0, rows, cols, row_keys=row_keys, col_keys=col_keys)
    assert result.sum(axis=1).tolist() == rows
    assert result.sum(axis=0).tolist() == cols


@st.composite
def edits(draw) -> dict:
    k = draw(st.integers(min_value=1, max_value=5))
    n = draw(st.integers(min_value=k, max_value=20))
    sibling = np.array(
        list(range(k)) + draw(st.lists(st.integers(0, k - 1), min_size=n - k, max_size=n - k))
    )
    return {
        "amounts": np.array(draw(st.lists(small_cents, min_size=n, max_size=n)), dtype=np.int64),
        "child": sibling,
        "child_keys": draw(st.lists(keys, min_size=k, max_size=k, unique=True)),
        "targets": {draw(st.integers(0, k - 1)): draw(st.integers(0, 30_000))},
        "frozen": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
        "locked_children": draw(st.lists(st.booleans(), min_size=k, max_size=k)),
    }


def _rebalance_feasible(edit: dict) -> bool:
    """The documented refusals of rebalance, stated independently of the engine."""
    amounts, sibling, frozen = edit["amounts"], edit["child"], edit["frozen"]
    [(edited, new)] = edit["targets"].items()
    locked = edit["locked_children"]
    k = len(locked)
    totals = [int(amounts[sibling == c].sum()) for c in range(k)]
    frozen_parts = [int(amounts[(sibling == c) & frozen].sum()) for c in range(k)]
    free_leaves = [int(((sibling == c) & ~frozen).sum()) for c in range(k)]
    if locked[edited] or new < frozen_parts[edited]:
        return False
    if free_leaves[edited] == 0 and new != totals[edited]:
        return False
    fixed = [locked[c] or free_leaves[c] == 0 for c in range(k)]
    others = [c for c in range(k) if c != edited and not fixed[c]]
    room = sum(totals) - new - sum(totals[c] for c in range(k) if c != edited and fixed[c])
    if room < 0:
        return False
    if not others:
        return room == 0
    return room >= sum(frozen_parts[c] for c in others)


@ENGINE
@given(edit=edits())
def test_rebalance_keeps_the_parent_locks_and_frozen_leaves(edit):
    if not _rebalance_feasible(edit):
        with pytest.raises(AllocationError):
            rebalance(**edit)
        return
    result = rebalance(**edit)
    amounts, sibling, frozen = edit["amounts"], edit["child"], edit["frozen"]
    [(edited, new_amount)] = edit["targets"].items()
    assert result.sum() == amounts.sum()
    assert (result[frozen] == amounts[frozen]).all()
    assert (result >= 0).all()
    assert result[sibling == edited].sum() == new_amount
    for child, is_locked in enumerate(edit["locked_children"]):
        if is_locked:
            leaves = sibling == child
            assert (result[leaves] == amounts[leaves]).all()


@ENGINE
@given(
    amounts=st.lists(small_cents, min_size=1, max_size=30),
    new_total=cents,
    data=st.data(),
)
def test_rescale_hits_the_new_total_and_keeps_frozen_leaves(amounts, new_total, data):
    current = np.array(amounts, dtype=np.int64)
    frozen = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(amounts), max_size=len(amounts)))
    )
    frozen_sum = int(current[frozen].sum())
    if frozen.all():
        new_total = frozen_sum
    new_total = max(new_total, frozen_sum)
    result = rescale(amounts=current, new_total=new_total, frozen=frozen)
    assert int(result.sum()) == new_total
    assert (result[frozen] == current[frozen]).all()


@ENGINE
@given(
    annual=cents,
    targets=st.lists(small_cents, min_size=12, max_size=12),
    actuals=st.lists(st.none() | st.integers(-1000, 10**9), min_size=12, max_size=12),
    closed=st.integers(0, 11),
)
def test_respread_sums_to_the_larger_of_annual_and_actual_to_date(annual, targets, actuals, closed):
    result = respread(annual=annual, month_targets=targets, month_actuals=actuals, closed=closed)
    to_date = sum(a or 0 for a in actuals[:closed])
    assert sum(result) == max(annual, to_date)
    assert result[:closed] == [a or 0 for a in actuals[:closed]]
    assert all(amount >= 0 for amount in result[closed:])
