"""The hand-worked example shared by the tier tests: a dozen customers and their orders.

as_of = 2024-07-01, window = 180 days, so an order counts when dated
2024-01-03 <= date < 2024-07-01. It has ties in every measure, a return inside an order
(C03), a return order (C09: bought 150, returned 150, net 0), a customer with only a
return (C10: net -50), one whose orders all fall outside the window (C13: no row), orders
exactly on the window's first day (counted) and on as_of / the day before the window
(not counted), and net amounts whose running total hits 80 % and 95 % exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

AS_OF = dt.date(2024, 7, 1)
WINDOW_DAYS = 180
D = dt.date

# customer -> (region, state, [(order_no, date, [line amounts])])
ORDERS: dict[str, tuple[str, str, list[tuple[str, dt.date, list[str]]]]] = {
    "C01": ("West", "California", [
        ("O01", D(2024, 6, 30), ["3000"]),
        ("O02", D(2024, 5, 1), ["2000"]),
        ("O03", D(2024, 7, 1), ["999"]),  # dated as_of: does not count
    ]),
    "C02": ("West", "California", [("O04", D(2024, 6, 30), ["1000", "1000"])]),
    "C03": ("West", "California", [
        ("O05", D(2024, 6, 1), ["500", "-100"]),  # a returned line inside an order
        ("O06", D(2024, 4, 1), ["300"]),
        ("O07", D(2024, 3, 1), ["300"]),
    ]),
    "C04": ("West", "California", [("O08", D(2024, 5, 2), ["500"])]),
    "C05": ("West", "California", [
        ("O09", D(2024, 5, 2), ["250"]),
        ("O10", D(2024, 2, 1), ["250"]),
    ]),
    "C06": ("West", "California", [
        ("O11", D(2024, 1, 3), ["500"]),  # the window's first day: counts
        ("O12", D(2024, 1, 2), ["700"]),  # the day before: does not
    ]),
    "C07": ("West", "California", [
        ("O13", D(2024, 3, 1), ["120"]),
        ("O14", D(2024, 3, 15), ["80"]),
    ]),
    "C08": ("West", "California", [("O15", D(2024, 6, 1), ["100"])]),
    "C09": ("East", "New York", [
        ("O16", D(2024, 4, 1), ["150"]),
        ("O17", D(2024, 4, 10), ["-150"]),  # the return of O16
    ]),
    "C10": ("West", "California", [("O18", D(2024, 2, 1), ["-50"])]),
    "C11": ("West", "California", [("O19", D(2024, 6, 30), ["60", "40"])]),
    "C12": ("Central", "Texas", [("O20", D(2024, 1, 10), ["100"])]),
    "C13": ("West", "California", [("O21", D(2023, 12, 1), ["800"])]),  # empty window
}  # fmt: skip

# Rule tiers, in order (first match wins).
RULES = [
    {"code": "vip", "name": "VIP", "abc": ["A"], "segments": ["champions", "loyal"]},
    {"code": "key", "name": "Key account", "monetary_min": Decimal("500.00")},
    {"code": "winback", "name": "Win back", "recency_min": 150, "states": ["Texas"]},
    {"code": "active", "name": "Active", "frequency_min": 2, "regions": ["West"]},
    {"code": "standard", "name": "Standard"},
]

# Worked by hand (n = 12; score = ceil(5 (2 worse + equal) / 24); fm = (f + m + 1) // 2):
#   recency days, worst first: 180 C06 (w0 -> 1), 173 C12 (w1 -> 1), 151 C10 (w2 -> 2),
#     108 C07 (w3 -> 2), 82 C09 (w4 -> 2), 60 C04 C05 (w5 e2 -> 60/24 = 2.5 -> 3),
#     30 C03 C08 (w7 e2 -> 80/24 -> 4), 1 C01 C02 C11 (w9 e3 -> 105/24 -> 5)
#   frequency: 1 x7 (w0 e7 -> 35/24 -> 2), 2 x4 (w7 e4 -> 90/24 -> 4), 3 C03 (w11 -> 5)
#   monetary: C09 0 and C10 -50 -> 1 (net <= 0); 100 C08 C11 C12 (w2 e3 -> 35/24 -> 2);
#     200 C07 (w5 -> 55/24 -> 3); 500 C04 C05 C06 (w6 e3 -> 75/24 -> 4);
#     1000 C03 (w9 -> 95/24 -> 4); 2000 C02 (w10 -> 5); 5000 C01 (w11 -> 5)
#   ABC: positive total 10000; running totals before each: C01 0, C02 5000, C03 7000 (A:
#     below 8000), C04 8000 (B: 80 % reached exactly by C03), C05 8500, C06 9000 (B),
#     C07 9500 (C: 95 % reached exactly by C06), then C; net <= 0 is C.
EXPECTED = {
    #       recency freq  monetary  r  f  m  segment               abc  tier
    "C01": (1,   2, "5000", 5, 4, 5, "champions",          "A", "vip"),
    "C02": (1,   1, "2000", 5, 2, 5, "champions",          "A", "vip"),
    "C03": (30,  3, "1000", 4, 5, 4, "champions",          "A", "vip"),
    "C04": (60,  1, "500",  3, 2, 4, "need_attention",     "B", "key"),
    "C05": (60,  2, "500",  3, 4, 4, "loyal",              "B", "key"),
    "C06": (180, 1, "500",  1, 2, 4, "at_risk",            "B", "key"),
    "C07": (108, 2, "200",  2, 4, 3, "at_risk",            "C", "active"),
    "C08": (30,  1, "100",  4, 2, 2, "potential_loyalist", "C", "standard"),
    "C09": (82,  2, "0",    2, 4, 1, "at_risk",            "C", "standard"),
    "C10": (151, 1, "-50",  2, 2, 1, "hibernating",        "C", "standard"),
    "C11": (1,   1, "100",  5, 2, 2, "potential_loyalist", "C", "standard"),
    "C12": (173, 1, "100",  1, 2, 2, "lost",               "C", "winback"),
}  # fmt: skip
