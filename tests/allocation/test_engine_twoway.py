"""Two-way fitting and controlled rounding (allocation.engine.twoway, .rounding).

Example-based tests pinning down DESIGN §3; no database.
"""

import numpy as np
import pytest

from allocation.engine.errors import AllocationError
from allocation.engine.rounding import controlled_round
from allocation.engine.twoway import ras, two_way_fit, two_way_split

# --------------------------------------------------------------------------------------------
# Two-way fitting, controlled rounding and two_way_split
# --------------------------------------------------------------------------------------------


def test_ras_converges_to_both_margins():
    seed = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    fitted = ras(seed, np.array([100.0, 200.0]), np.array([50.0, 100.0, 150.0]))
    np.testing.assert_allclose(fitted.sum(axis=1), [100, 200], rtol=1e-9)
    np.testing.assert_allclose(fitted.sum(axis=0), [50, 100, 150], rtol=1e-9)
    # RAS keeps the seed's cross-ratios (odds ratios): (a·d)/(b·c) is invariant.
    assert fitted[0, 0] * fitted[1, 1] / (fitted[0, 1] * fitted[1, 0]) == pytest.approx(5 / 8)


def test_ras_reports_impossible_margins():
    # Row 0 can only use column 0 (total 10) but needs 50: the fit can't converge.
    seed = np.array([[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(AllocationError, match="did not converge"):
        ras(seed, np.array([50.0, 50.0]), np.array([10.0, 90.0]), max_iter=200)


def test_ras_rejects_negative_seed_and_unequal_totals():
    with pytest.raises(AllocationError, match=r"cell \(0, 1\) is negative"):
        ras(np.array([[1.0, -1.0]]), np.array([1.0]), np.array([0.5, 0.5]))
    with pytest.raises(AllocationError, match="row totals add up to"):
        ras(np.ones((1, 2)), np.array([1.0]), np.array([1.0, 1.0]))


def test_controlled_round_keeps_margins_and_rounds_each_cell_down_or_up():
    values = np.array([[1.2, 2.3, 3.5], [4.8, 0.7, 0.5]])
    result = controlled_round(values, [7, 6], [6, 3, 4])
    assert result.sum(axis=1).tolist() == [7, 6]
    assert result.sum(axis=0).tolist() == [6, 3, 4]
    assert ((result == np.floor(values)) | (result == np.ceil(values))).all()
    # Largest fractions win: 4.8 → 5 and 0.7 → 1 in row 2; row 1 rounds up 3.5.
    assert result.tolist() == [[1, 2, 4], [5, 1, 0]]


def test_controlled_round_breaks_ties_towards_lower_keys():
    # Uniform thirds: each row and column rounds exactly one cell up; with every fraction equal
    # the cells go along the diagonal in key order, whatever the input order.
    values = np.full((3, 3), 1 / 3)
    result = controlled_round(
        values, [1, 1, 1], [1, 1, 1], row_keys=["r3", "r1", "r2"], col_keys=["a", "b", "c"]
    )
    assert result.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]


def test_controlled_round_rejects_tables_that_cant_meet_the_margins():
    with pytest.raises(AllocationError, match="can't be rounded"):
        controlled_round(np.array([[1.0, 1.0]]), [3], [1, 2])


def test_two_way_split_meets_both_margins_exactly():
    seed = np.array([[3.0, 1.0, 1.0], [1.0, 2.0, 5.0]])
    rows, cols = [100_001, 250_000], [120_000, 80_000, 150_001]
    result = two_way_split(
        seed, rows, cols, row_keys=["NORTH", "SOUTH"], col_keys=["P1", "P2", "P3"]
    )
    assert result.dtype == np.int64
    assert result.sum(axis=1).tolist() == rows
    assert result.sum(axis=0).tolist() == cols
    fitted = two_way_fit(seed, rows, cols, row_keys=["NORTH", "SOUTH"], col_keys=["P1", "P2", "P3"])
    assert ((result == np.floor(fitted)) | (result == np.ceil(fitted))).all()


def test_two_way_split_does_not_depend_on_row_or_column_order():
    seed = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    rows, cols = [1000, 1001, 999], [700, 1300, 1000]
    keys_r, keys_c = ["a", "b", "c"], ["x", "y", "z"]
    base = two_way_split(seed, rows, cols, row_keys=keys_r, col_keys=keys_c)
    rp, cp = [2, 0, 1], [1, 2, 0]
    shuffled = two_way_split(
        seed[np.ix_(rp, cp)],
        [rows[i] for i in rp],
        [cols[j] for j in cp],
        row_keys=[keys_r[i] for i in rp],
        col_keys=[keys_c[j] for j in cp],
    )
    assert (shuffled == base[np.ix_(rp, cp)]).all()


def test_two_way_split_gives_zero_seed_rows_and_columns_a_uniform_seed():
    seed = np.array([[0.0, 0.0], [1.0, 0.0]])
    result = two_way_split(seed, [600, 400], [500, 500], row_keys=["a", "b"], col_keys=["x", "y"])
    assert result.sum(axis=1).tolist() == [600, 400]
    assert result.sum(axis=0).tolist() == [500, 500]
    # Column "y" had no seed: it is uniform, so both rows may sell it; row "b" keeps its
    # pattern of only "x" where that fits.
    assert result.tolist() == [[100, 500], [400, 0]]


def test_two_way_split_handles_cells_forced_to_zero_by_the_margins():
    # Rows a and b can only use x and y; x + y totals 1000 = a + b, so c must take all of z
    # and a/b's cells in z are forced to 0 — still exact and fast.
    seed = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    seed[0, 2] = 1.0
    result = two_way_split(
        seed, [500, 500, 300], [400, 600, 300], row_keys=list("abc"), col_keys=list("xyz")
    )
    assert result.sum(axis=1).tolist() == [500, 500, 300]
    assert result.sum(axis=0).tolist() == [400, 600, 300]
    assert result[0, 2] == 0


def test_two_way_split_names_the_blocking_rows_when_structurally_impossible():
    seed = np.array([[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(AllocationError, match=r"'a'.*only.*'x'.*need 5\.00.*only 2\.00") as info:
        two_way_split(seed, [500, 500], [200, 800], row_keys=["a", "b"], col_keys=["x", "y"])
    assert info.value.child == "a"


def test_two_way_split_rejects_unequal_grand_totals_and_negative_seed():
    with pytest.raises(AllocationError, match="must be equal"):
        two_way_split(np.ones((1, 2)), [10], [5, 6], row_keys=["a"], col_keys=["x", "y"])
    with pytest.raises(AllocationError, match=r"cell \('a', 'y'\) is negative") as info:
        two_way_split(np.array([[1.0, -1.0]]), [10], [5, 5], row_keys=["a"], col_keys=["x", "y"])
    assert info.value.child == "a/y"


# Found by the property test: 6.5 billion currency units beside rows of one cent. The float
# Newton finish stalled 1.64 cents short of the margins; the 50-digit one meets them.
HUGE_SEED = np.array(
    [
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 1.01, 0, 1.01],
        [0, 0, 0, 0, 1.01, 1.01],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
    ]
)
HUGE_ROWS = [0, 210_013_229, 656_515_075_282, 1, 2, 375]
HUGE_COLS = [0, 0, 0, 2008, 656_515_072_894, 210_013_987]
HUGE_KEYS = {
    "row_keys": ["0", "1", "9", "A", "00", "01"],
    "col_keys": ["0", "1", "9", "A", "00", "000"],
}


def test_two_way_split_meets_margins_twenty_orders_of_magnitude_apart():
    result = two_way_split(HUGE_SEED, HUGE_ROWS, HUGE_COLS, **HUGE_KEYS)

    assert result.sum(axis=1).tolist() == HUGE_ROWS
    assert result.sum(axis=0).tolist() == HUGE_COLS
    fitted = two_way_fit(HUGE_SEED, HUGE_ROWS, HUGE_COLS, **HUGE_KEYS)
    assert ((result == np.floor(fitted)) | (result == np.ceil(fitted))).all()
    # The fit gives the three seedless rows (0.01, 0.02, 3.75) to the big column "00", so by
    # the margins: row "1" = 2,008 ("A") + 210,011,221 ("000"); column "000" = 210,011,221 +
    # 2,766 from row "9"; column "00" = 656,515,072,516 (row "9") + 1 + 2 + 375.
    assert result[1].tolist() == [0, 0, 0, 2008, 0, 210_011_221]
    assert result[2].tolist() == [0, 0, 0, 0, 656_515_072_516, 2766]
    assert result[3:, 4].tolist() == [1, 2, 375]


def test_the_decimal_newton_finish_reaches_what_floats_cannot():
    from allocation.engine.precise import newton_scale_decimal
    from allocation.engine.twoway import _newton_scale, _prepare_two_way, _ras_loop

    weights, rows, cols, *_ = _prepare_two_way(
        HUGE_SEED, HUGE_ROWS, HUGE_COLS, HUGE_KEYS["row_keys"], HUGE_KEYS["col_keys"]
    )
    limit = 0.5 / sum(weights.shape)
    as_floats = (np.array(rows, dtype=float), np.array(cols, dtype=float))
    start, _gap = _ras_loop(weights.copy(), *as_floats, limit=limit, max_iter=300)
    floats, float_gap = _newton_scale(start, *as_floats, limit=limit)
    assert float_gap > limit  # the case this finish exists for

    fitted, gap = newton_scale_decimal(floats, rows, cols, limit=limit)

    assert gap <= limit
    assert np.abs(fitted.sum(axis=1) - rows).max() <= limit
    assert np.abs(fitted.sum(axis=0) - cols).max() <= limit
