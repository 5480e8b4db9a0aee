"""Dashboard and report reads go to the replica alias when one is configured."""

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allocation.models import OrgUnit
from salesalloc.core.db import ReplicaRouter, replica_reads

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def test_router_sends_marked_reads_to_the_replica_only(settings):
    router = ReplicaRouter()
    assert router.db_for_read(OrgUnit) is None
    with replica_reads():
        assert router.db_for_read(OrgUnit) is None  # no replica configured: default
        settings.SALESALLOC_REPLICA_ALIAS = "replica"
        assert router.db_for_read(OrgUnit) == "replica"
        assert router.db_for_write(OrgUnit) is None
    assert router.db_for_read(OrgUnit) is None
    assert router.allow_migrate("replica", "allocation") is False


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/?year=2024",
        "/reports/variance/?year=2024",
        "/ranking/?year=2024",
        "/api/v1/attainment/?year=2024",
    ],
)
def test_dashboard_and_reports_read_from_the_replica(company, settings, url):
    settings.SALESALLOC_REPLICA_ALIAS = "replica"
    client = Client()
    client.force_login(company.users["admin"])
    with CaptureQueriesContext(connections["replica"]) as replica:
        response = client.get(url)
    assert response.status_code == 200
    tables = " ".join(query["sql"] for query in replica.captured_queries)
    assert "allocation_orgunit" in tables
    assert len(replica.captured_queries) >= 3


def test_without_a_replica_everything_stays_on_default(company):
    client = Client()
    client.force_login(company.users["admin"])
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get("/dashboard/").status_code == 200
    assert replica.captured_queries == []
