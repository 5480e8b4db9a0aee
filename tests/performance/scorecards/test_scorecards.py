"""Scorecards from real orders and targets: KPIs, evaluation, ranking, API, pages, imports."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from performance.scorecards.models import Kpi, Scorecard
from performance.scorecards.services import (
    kpi_create,
    kpi_library_ensure,
    kpi_values_import,
    scorecard_template_create,
    scorecards_evaluate,
)
from tests.factories import CustomerFactory
from tests.performance.commissions.support import sell, target_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(company):
    kpi_library_ensure()
    people = [company.rep, company.north_peer, company.south_rep]
    tp = target_plan(company, {(p, "2019-01"): "10000.00" for p in people})
    # rep: 9000 from two brand-new customers; north_peer: 12000 from one new customer
    sell(company.rep, "2019-01-10", "4000.00", product_line=company.chairs)
    sell(company.rep, "2019-02-10", "5000.00", product_line=company.chairs)
    sell(company.north_peer, "2019-03-10", "12000.00", product_line=company.chairs)
    kpis = {k.code: k for k in Kpi.objects.all()}
    return scorecard_template_create(
        name="2019",
        year=2019,
        period="quarter",
        peer_group="region",
        target_plan=tp,
        items=[
            {
                "kpi": kpis["revenue"],
                "weight": Decimal(60),
                "rule": "linear",
                "cap": Decimal("1.2"),
            },
            {
                "kpi": kpis["new_customers"],
                "weight": Decimal(40),
                "rule": "bands",
                "target": Decimal(2),
                "bands": [{"from": "0.5", "points": "50"}, {"from": "1", "points": "100"}],
            },
        ],
    )


def card(template, person, period="2019-Q1") -> Scorecard:
    return Scorecard.objects.get(template=template, salesperson=person, period=period)


def test_scores_ranks_and_percentiles_by_hand(company, template):
    rep, peer, south = (
        card(template, p) for p in (company.rep, company.north_peer, company.south_rep)
    )
    # rep: revenue 9000/10000 → 90 points; 2 new of 2 → band 1.0 → 100; 0.6×90 + 0.4×100 = 94
    assert rep.score == Decimal("94.00")
    assert rep.kpis == [
        {
            "kpi": "revenue",
            "actual": "9000.00",
            "target": "10000.00",
            "weight": "60.00",
            "score": "90.00",
        },
        {
            "kpi": "new_customers",
            "actual": "2.00",
            "target": "2.00",
            "weight": "40.00",
            "score": "100.00",
        },
    ]
    # peer: 12000/10000 = 1.2 (the cap) → 120; 1 of 2 new → band 0.5 → 50; 72 + 20 = 92
    assert peer.score == Decimal("92.00")
    # both in NORTH: rep 1st (percentile 100), peer 2nd (0); south alone in SOUTH
    assert (rep.rank, rep.percentile, rep.peer_group) == (1, Decimal(100), "NORTH")
    assert (peer.rank, peer.percentile) == (2, Decimal(0))
    assert (south.rank, south.score, south.peer_group) == (1, Decimal(0), "SOUTH")


def test_equal_scores_share_a_rank(company, template):
    # given: the peer's Q2 matches the rep's Q2 exactly (nothing sold, no target)
    assert (
        card(template, company.rep, "2019-Q2").rank
        == card(template, company.north_peer, "2019-Q2").rank
        == 1
    )


def test_evaluation_is_idempotent_and_only_touches_the_asked_periods(company, template):
    before = {(c.salesperson_id, c.period, c.score, c.rank) for c in template.scorecards.all()}
    assert scorecards_evaluate(template=template) == 12
    assert {
        (c.salesperson_id, c.period, c.score, c.rank) for c in template.scorecards.all()
    } == before
    import datetime as dt

    q2_stamp = card(template, company.rep, "2019-Q2").computed_at
    assert scorecards_evaluate(template=template, months=[dt.date(2019, 2, 1)]) == 3
    assert card(template, company.rep, "2019-Q2").computed_at == q2_stamp


def test_weights_not_summing_to_100_are_refused(company):
    from django.core.exceptions import ValidationError

    kpi = kpi_library_ensure()[0]
    with pytest.raises(ValidationError):
        scorecard_template_create(
            name="x", year=2019, period="month", items=[{"kpi": kpi, "weight": Decimal(90)}]
        )


def test_aov_retention_gross_margin_and_imported_metric(company):
    kpi_library_ensure()
    csat = kpi_create(code="csat", name="Customer satisfaction")
    loyal, lost = CustomerFactory(), CustomerFactory()
    sell(company.rep, "2019-01-05", "100.00", product_line=company.chairs, customer=loyal)
    sell(company.rep, "2019-01-06", "300.00", product_line=company.chairs, customer=lost)
    sell(company.rep, "2019-02-05", "50.00", product_line=company.chairs, customer=loyal)
    sell(company.rep, "2019-02-06", "150.00", product_line=company.chairs, customer=loyal)
    upload = "kpi,salesperson,month,value\ncsat,S-N1,2019-02,4.5\ncsat,S-N1,2019-01,3.5\n"
    result = kpi_values_import(data=upload.encode(), name="csat.csv")
    assert (result.rows_imported, result.errors) == (2, [])
    kpis = {k.code: k for k in Kpi.objects.all()}
    template = scorecard_template_create(
        name="monthly",
        year=2019,
        period="month",
        items=[
            {"kpi": kpis["aov"], "weight": Decimal(25), "target": Decimal(100), "cap": Decimal(2)},
            {"kpi": kpis["retention"], "weight": Decimal(25), "target": Decimal(1)},
            {"kpi": kpis["gross_margin"], "weight": Decimal(25), "target": Decimal(200)},
            {"kpi": csat, "weight": Decimal(25), "target": Decimal(5)},
        ],
    )
    feb = {k["kpi"]: k for k in card(template, company.rep, "2019-02").kpis}
    # AOV: 200 / 2 orders = 100; retention: of Jan's 2 customers 1 came back = 0.5;
    # gross margin: 200 − 0 cost = 200; csat 4.5
    assert [feb[k]["actual"] for k in ("aov", "retention", "gross_margin", "csat")] == [
        "100.00",
        "0.50",
        "200.00",
        "4.50",
    ]
    # points: 100, 50, 100, 90 → (100 + 50 + 100 + 90) / 4 = 85
    assert card(template, company.rep, "2019-02").score == Decimal("85.00")


def test_metric_import_names_bad_rows_and_stores_nothing(company):
    kpi_create(code="visits", name="Visits")
    upload = "kpi,salesperson,month,value\nvisits,S-N1,2019-02,4\nnope,S-XX,2019-13,abc\n"
    result = kpi_values_import(data=upload.encode(), name="v.csv")
    assert result.rows_imported == 0
    assert {(e["row"], e["column"]) for e in result.errors} == {
        (3, "kpi"),
        (3, "salesperson"),
        (3, "month"),
        (3, "value"),
    }
    from performance.scorecards.models import KpiValue

    assert not KpiValue.objects.exists()


def test_api_shape_and_scope(company, client_as, api_client, template):
    url = "/api/v1/scorecards/"
    rows = (
        client_as("admin")
        .get(url, {"template": template.pk, "period": "2019-Q1", "org_unit": "NORTH"})
        .json()
    )
    assert rows["results"][0] == {
        "salesperson": "S-N1",
        "period": "2019-Q1",
        "score": "94.00",
        "rank": 1,
        "percentile": "100.0",
        "kpis": [
            {
                "kpi": "revenue",
                "actual": "9000.00",
                "target": "10000.00",
                "weight": "60.00",
                "score": "90.00",
            },
            {
                "kpi": "new_customers",
                "actual": "2.00",
                "target": "2.00",
                "weight": "40.00",
                "score": "100.00",
            },
        ],
    }
    assert [r["salesperson"] for r in rows["results"]] == ["S-N1", "S-N2"]

    def seen(user):
        return sorted(
            {
                r["salesperson"]
                for r in client_as(user).get(url, {"page_size": 500}).json()["results"]
            }
        )

    assert seen("rep") == ["S-N1"]
    assert seen("manager") == ["S-N1", "S-N2"]
    assert seen("other_manager") == ["S-S1"]
    assert client_as("nobody").get(url).status_code == 403
    assert api_client.get(url).status_code == 401
    assert client_as("rep").get(url, {"org_unit": "SOUTH"}).status_code == 400


def test_api_template_create_and_metric_upload(company, client_as):
    kpi_library_ensure()
    kpi_create(code="visits", name="Visits")
    body = {
        "name": "T",
        "year": 2019,
        "period": "month",
        "items": [{"kpi": "revenue", "weight": "100", "target": "10"}],
    }
    assert (
        client_as("manager").post("/api/v1/scorecard-templates/", body, format="json").status_code
        == 403
    )
    response = client_as("admin").post("/api/v1/scorecard-templates/", body, format="json")
    assert response.status_code == 201
    assert response.json()["items"][0]["kpi"] == "revenue"
    bad = dict(body, name="U", items=[{"kpi": "revenue", "weight": "50"}])
    assert (
        client_as("admin").post("/api/v1/scorecard-templates/", bad, format="json").status_code
        == 400
    )
    upload = SimpleUploadedFile("v.csv", b"kpi,salesperson,month,value\nvisits,S-N1,2019-02,x\n")
    response = client_as("admin").post(
        "/api/v1/kpi-values/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 2, "column": "value", "message": "Not a number."}]


def test_pages_scope_and_language(client, company, template):
    client.force_login(company.users["manager"])
    page = client.get(reverse("scorecard-ranking"), {"period": "2019-Q1"}).content.decode()
    assert 'data-salesperson="S-N1"' in page
    assert 'data-salesperson="S-S1"' not in page
    client.force_login(company.users["rep"])
    page = client.get(reverse("scorecard-ranking"), {"period": "2019-Q1"}).content.decode()
    assert 'data-salesperson="S-N2"' not in page
    other = card(template, company.north_peer)
    assert client.get(reverse("scorecard-detail", args=[other.pk])).status_code == 404
    own = client.get(reverse("scorecard-detail", args=[card(template, company.rep).pk]))
    assert 'data-kpi="revenue"' in own.content.decode()
    zh = client.get(reverse("scorecard-ranking"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "绩效记分卡" in zh
    client.force_login(company.users["nobody"])
    assert client.get(reverse("scorecard-ranking")).status_code == 403
