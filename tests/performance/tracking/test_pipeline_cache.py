"""The recompute drops cached attainment figures: a fresh import shows at once."""

import datetime as dt

import pytest
from django.core.cache import cache

from salesalloc.pipeline import recompute_all
from tests.performance.tracking.conftest import line

pytestmark = pytest.mark.django_db


def test_recompute_invalidates_the_attainment_cache(tracked, client_as, settings):
    settings.SALESALLOC_TRACKING_CACHE_SECONDS = 60
    cache.clear()
    admin = client_as("admin")
    params = {"as_of": "2019-03-15", "salesperson": "S-S1"}
    assert admin.get("/api/v1/attainment/", params).json()["actual"] == "3000.00"

    line(dt.date(2019, 2, 2), tracked.south_rep, tracked.chairs, "5.00")
    recompute_all(inline=True)

    assert admin.get("/api/v1/attainment/", params).json()["actual"] == "3005.00"
