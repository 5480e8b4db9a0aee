"""The dashboard page: tiles, drill-down with breadcrumbs and URLs, labels, scope, queries."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.test import Client

from tests.performance.tracking.conftest import publish_plan

pytestmark = pytest.mark.django_db

Q = {"year": "2019", "as_of": "2019-03-15"}


def _as(company, username: str) -> Client:
    client = Client()
    client.force_login(company.users[username])
    return client


def _kpi(html: str, name: str) -> str:
    return re.search(rf'data-kpi="{name}">([^<]*)<', html).group(1)


def _band(html: str, name: str) -> str:
    return re.search(
        rf'data-band="(\w+)">\s*<span class="kpi__label">[^<]*</span>\s*'
        rf'<span class="kpi__value" data-kpi="{name}"',
        html,
    ).group(1)


def _table(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S) for row in rows]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in row] for row in cells]


def _chart(html: str) -> dict:
    raw = html.split('<script id="dashboard-data" type="application/json">', 1)[1]
    return json.loads(raw.split("</script>", 1)[0])


def _crumbs(html: str) -> list[str]:
    nav = html.split('aria-label="Breadcrumbs">', 1)[1].split("</nav>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", part).split()) for part in nav.split("›")]


def test_anonymous_is_sent_to_sign_in():
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dashboard/"


def test_root_redirects_to_the_dashboard(tracked):
    response = _as(tracked, "manager").get("/")
    assert response["Location"] == "/dashboard/"


def test_director_sees_the_company_with_regions_and_a_pivot(tracked):
    html = _as(tracked, "director").get("/dashboard/", Q).content.decode()

    assert _kpi(html, "target") == "42,000.00"
    assert _kpi(html, "actual_to_date") == "6,000.00"
    assert ">By region<" in html
    rows = _table(html, "table-children")
    assert [row[0] for row in rows] == ["NORTH North", "SOUTH South"]
    assert 'href="/dashboard/?year=2019&amp;as_of=2019-03-15&amp;org_unit=NORTH"' in html
    assert _crumbs(html) == ["Acme"]
    pivot = _table(html, "table-pivot")
    assert [row[0] for row in pivot] == ["NORTH North", "SOUTH South"]
    assert pivot[0][1].startswith("2,800.00")  # north furniture: S-N1's chairs
    data = _chart(html)
    assert len(data["labels"]) == 12
    assert data["target"][-1] == "42000.00"
    assert data["actual"][:3] == ["3900.00", "5400.00", "6000.00"]  # March up to the 15th
    assert data["actual"][3] is None  # April has not happened as of 15 March
    assert [c["label"] for c in data["children"]] == ["NORTH North", "SOUTH South"]


def test_manager_lands_on_their_region_and_drills_to_a_person(tracked):
    client = _as(tracked, "manager")
    html = client.get("/dashboard/", Q).content.decode()
    assert ">By team<" in html
    assert _table(html, "table-children")[0][0] == "N-T1 North team"
    assert "SOUTH" not in html

    team = client.get("/dashboard/", {**Q, "org_unit": "N-T1"}).content.decode()
    assert ">By salesperson<" in team
    assert _crumbs(team) == ["North", "North team"]
    assert [row[0] for row in _table(team, "table-children")] == [
        "S-N1 Nora North",
        "S-N2 Ned North",
    ]

    person = client.get("/dashboard/", {**Q, "salesperson": "S-N1"}).content.decode()
    assert _crumbs(person) == ["North", "North team", "Nora North"]
    assert ">By product line<" in person
    assert _kpi(person, "actual_to_date") == "2,600.00"
    assert _kpi(person, "target") == "12,000.00"
    # drilling into a product line keeps the person and narrows the line
    assert "salesperson=S-N1&amp;product_line=FUR" in person

    for outside in ({"org_unit": "SOUTH"}, {"org_unit": "ACME"}, {"salesperson": "S-S1"}):
        assert client.get("/dashboard/", {**Q, **outside}).status_code == 404


def test_salesperson_lands_on_their_own_pace_and_nobody_else(tracked):
    client = _as(tracked, "rep")
    html = client.get("/dashboard/", Q).content.decode()
    assert "Nora North" in html
    assert _kpi(html, "pace") != "–"
    assert _band(html, "pace") == "good"  # ahead of the plan
    assert "Ned North" not in html
    assert client.get("/dashboard/", {**Q, "salesperson": "S-N2"}).status_code == 404
    assert client.get("/dashboard/", {**Q, "org_unit": "N-T1"}).status_code == 404


def test_pace_tile_is_coloured_by_band(tracked):
    html = _as(tracked, "manager").get("/dashboard/", {**Q, "salesperson": "S-N2"}).content.decode()
    # S-N2: 400 against 1,000 + a share of March expected: far behind
    assert _band(html, "pace") == "bad"


def test_current_fiscal_year_shows_from_its_first_day_without_orders(company):
    publish_plan(company, year=2020)
    with time_machine.travel(dt.datetime(2020, 1, 2, 10, tzinfo=dt.UTC), tick=False):
        html = _as(company, "admin").get("/dashboard/").content.decode()
    assert '<option value="2020" selected>FY2020</option>' in html
    assert _kpi(html, "target") == "42,000.00"
    assert _kpi(html, "actual_to_date") == "0.00"
    assert _kpi(html, "expected_to_date") != "0.00"
    assert 'value="2020-01-02"' in html


def test_a_year_without_a_published_plan_says_so(tracked):
    html = _as(tracked, "admin").get("/dashboard/", {"year": "2018"}).content.decode()
    assert "data-no-plan" in html
    assert _kpi(html, "target") == "–"


def test_user_without_a_role_gets_an_empty_dashboard(tracked):
    html = _as(tracked, "nobody").get("/dashboard/").content.decode()
    assert "Ask an administrator" in html
    assert "chart.umd.min.js" not in html


def test_chart_data_is_json_script_and_escapes_names(tracked):
    tracked.north.name = "</script><script>alert(1)</script>"
    tracked.north.save(update_fields=["name"])
    html = _as(tracked, "admin").get("/dashboard/", Q).content.decode()
    assert _chart(html)["children"][0]["label"] == "NORTH </script><script>alert(1)</script>"
    assert "<script>alert(1)</script>" not in html


def test_dashboard_queries_are_bounded(tracked, django_assert_max_num_queries):
    client = _as(tracked, "admin")
    with django_assert_max_num_queries(28):  # constant: see the API test for growth
        assert client.get("/dashboard/", Q).status_code == 200


def test_dashboard_renders_in_chinese(tracked):
    html = _as(tracked, "manager").get("/dashboard/", Q, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "仪表盘" in html
    assert "按团队" in html
    assert "2019年1月" in html
