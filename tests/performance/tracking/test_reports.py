"""Variance report and ranking pages: figures, sorting, totals, export, scope."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from performance.tracking import engine

pytestmark = pytest.mark.django_db


def _as(company, username: str) -> Client:
    client = Client()
    client.force_login(company.users[username])
    return client


def _table(html: str, table_id: str, part: str = "tbody") -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split(f"<{part}>", 1)[1].split(f"</{part}>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S) for row in rows]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in row] for row in cells]


def test_variance_by_salesperson_and_quarter_with_totals(tracked):
    html = (
        _as(tracked, "director")
        .get("/reports/variance/", {"year": 2019, "period": "quarter"})
        .content.decode()
    )
    rows = _table(html, "table-variance")
    # S-N1 Q1: target 3 × 1,000; achieved 900 + 1,100 + 800 (the whole of March)
    assert rows[0] == [
        "S-N1 Nora North",
        "2019-Q1",
        "–",
        "3,000.00",
        "2,800.00",
        "-200.00",
        "93.3%",
    ]
    assert len(rows) == 3 * 4  # three people, four quarters
    totals = _table(html, "table-variance", "tfoot")[0]
    assert totals[3:] == ["42,000.00", "6,200.00", "-35,800.00", "14.8%"]


def test_variance_by_region_split_by_product_line_sorted_by_variance(tracked):
    html = (
        _as(tracked, "director")
        .get(
            "/reports/variance/",
            {"year": 2019, "period": "year", "by": "region", "split": "on", "sort": "-variance"},
        )
        .content.decode()
    )
    rows = _table(html, "table-variance")
    variances = [Decimal(r[5].replace(",", "")) for r in rows if r[5] != "–"]
    assert variances == sorted(variances, reverse=True)
    assert {(r[0], r[2]) for r in rows} == {
        ("NORTH North", "FUR"),
        ("NORTH North", "TEC"),
        ("SOUTH South", "FUR"),
    }
    assert 'aria-sort="descending"' in html


def test_variance_is_scoped(tracked):
    manager = _as(tracked, "manager").get("/reports/variance/", {"year": 2019}).content.decode()
    assert "S-S1" not in manager
    rep = _as(tracked, "rep").get("/reports/variance/", {"year": 2019}).content.decode()
    codes = {row[0].split()[0] for row in _table(rep, "table-variance")}
    assert codes == {"S-N1"}
    # a unit outside the manager's subtree is not offered and not served
    response = _as(tracked, "manager").get(
        "/reports/variance/", {"year": 2019, "org_unit": "SOUTH"}
    )
    assert response.status_code == 200
    assert "S-S1" not in response.content.decode()  # invalid choice: falls back to own scope
    assert _as(tracked, "nobody").get("/reports/variance/").status_code == 403


def test_variance_exports_csv_and_xlsx_formula_safe(tracked):
    tracked.rep.name = "=HYPERLINK(1)"
    tracked.rep.save(update_fields=["name"])
    client = _as(tracked, "director")
    response = client.get("/reports/variance/", {"year": 2019, "period": "year", "export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="variance-FY2019-year.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Code", "Name", "Period"]
    assert rows[1][:2] == ["S-N1", "'=HYPERLINK(1)"]
    assert rows[1][4:7] == ["12000.00", "2800.00", "-9200.00"]

    response = client.get("/reports/variance/", {"year": 2019, "period": "year", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][1] == "=HYPERLINK(1)"
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert values[1][6] == -9200


def test_competition_ranks_share_equal_values():
    from fractions import Fraction

    assert engine.competition_ranks([Fraction(1), Fraction(2), Fraction(1), None, Fraction(3)]) == [
        3,
        2,
        3,
        None,
        1,
    ]


def test_ranking_orders_the_peer_group_by_attainment_and_by_pace(tracked):
    client = _as(tracked, "director")
    html = client.get("/ranking/", {"year": 2019, "as_of": "2019-03-15"}).content.decode()
    rows = _table(html, "table-ranking")
    # attainment: S-N1 2,800/12,000; S-S1 3,000/24,000; S-N2 400/6,000
    assert [(r[0], r[1].split()[0]) for r in rows] == [("1", "S-N1"), ("2", "S-S1"), ("3", "S-N2")]
    assert 'href="/dashboard/?year=2019&amp;as_of=2019-03-15&amp;salesperson=S-N1"' in html

    north = client.get(
        "/ranking/", {"year": 2019, "as_of": "2019-03-15", "org_unit": "NORTH", "by": "pace"}
    ).content.decode()
    assert [r[1].split()[0] for r in _table(north, "table-ranking")] == ["S-N1", "S-N2"]


def test_salesperson_sees_only_their_own_rank(tracked):
    html = _as(tracked, "rep").get("/ranking/", {"year": 2019, "as_of": "2019-03-15"})
    html = html.content.decode()
    rows = _table(html, "table-ranking")
    assert len(rows) == 1
    assert rows[0][0] == "1"
    assert rows[0][1].startswith("S-N1")
    assert "Ned North" not in html
    assert "2 salespeople in North team" in html


def test_manager_cannot_rank_outside_their_subtree(tracked):
    html = _as(tracked, "manager").get("/ranking/", {"year": 2019, "org_unit": "SOUTH"})
    assert "Sam South" not in html.content.decode()
