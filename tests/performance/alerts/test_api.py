"""GET /api/v1/alerts/ and the acknowledge / resolve actions: shapes, scope, lifecycle."""

import pytest
from django.test import Client

from performance.alerts.models import Alert
from performance.alerts.services import alerts_recompute
from tests.performance.tracking.conftest import AS_OF

pytestmark = pytest.mark.django_db

URL = "/api/v1/alerts/"


@pytest.fixture
def alerts(tracked):
    alerts_recompute(as_of=AS_OF)
    return tracked


def test_list_has_the_fixed_shape(alerts, client_as):
    body = client_as("admin").get(URL, {"kind": "pace"}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    row = next(r for r in body["results"] if r["subject"] == "S-S1 Sam South")
    alert = Alert.objects.get(pk=row["id"])
    assert row == {
        "id": alert.pk,
        "kind": "pace",
        "level": "critical",
        "subject": "S-S1 Sam South",
        "period": "2019",
        "message": row["message"],
        "status": "open",
        "owner": "other_manager",
    }
    assert row["message"].startswith("Pace ")
    assert "below 75.0%" in row["message"]


def test_filters_and_bad_filters(alerts, client_as):
    admin = client_as("admin")
    levels = {r["level"] for r in admin.get(URL, {"level": "critical"}).json()["results"]}
    assert levels == {"critical"}
    assert admin.get(URL, {"status": "nonsense"}).status_code == 400


def test_scope_manager_and_salesperson(alerts, client_as):
    manager = {r["subject"] for r in client_as("manager").get(URL).json()["results"]}
    assert manager
    assert all(s.startswith("S-N") for s in manager)
    rep = client_as("rep").get(URL).json()["results"]
    assert {r["subject"] for r in rep} <= {"S-N1 Nora North"}
    assert client_as("nobody").get(URL).status_code == 403


def test_acknowledge_then_resolve_with_a_comment(alerts, client_as):
    alert = Alert.objects.get(kind="pace", salesperson=alerts.north_peer)
    manager = client_as("manager")

    response = manager.post(f"{URL}{alert.pk}/acknowledge/", {"comment": "On it"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["owner"] == "manager"
    assert manager.post(f"{URL}{alert.pk}/acknowledge/").status_code == 409

    assert manager.post(f"{URL}{alert.pk}/resolve/", {}, format="json").status_code == 400
    response = manager.post(f"{URL}{alert.pk}/resolve/", {"comment": "Plan B"}, format="json")
    assert response.json()["status"] == "resolved"
    alert.refresh_from_db()
    assert (alert.comment, alert.resolved_by) == ("Plan B", alerts.users["manager"])


def test_actions_outside_the_scope_are_refused(alerts, client_as):
    south = Alert.objects.get(kind="pace", salesperson=alerts.south_rep)
    assert client_as("manager").post(f"{URL}{south.pk}/acknowledge/").status_code == 404
    own = Alert.objects.filter(salesperson=alerts.rep).first() or south
    assert client_as("rep").post(f"{URL}{own.pk}/resolve/", {"comment": "x"}).status_code == 403


def test_list_query_count_is_flat(alerts, client_as, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert client_as("admin").get(URL).status_code == 200


def test_alerts_page_and_navigation_count(alerts):
    client = Client()
    client.force_login(alerts.users["manager"])
    html = client.get("/alerts/").content.decode()
    open_count = Alert.objects.filter(
        salesperson__org_unit__path__startswith=alerts.north.path, status="open"
    ).count()
    assert open_count > 0
    assert client.get("/badges/").json()["alerts"] == open_count
    assert "Sam South" not in html
    alert = Alert.objects.get(kind="pace", salesperson=alerts.north_peer)
    response = client.post(f"/alerts/{alert.pk}/resolve/", {"comment": "Coached"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved"
    south = Alert.objects.get(kind="pace", salesperson=alerts.south_rep)
    assert client.post(f"/alerts/{south.pk}/resolve/", {"comment": "x"}).status_code == 404
    rep = Client()
    rep.force_login(alerts.users["rep"])
    assert rep.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 403
