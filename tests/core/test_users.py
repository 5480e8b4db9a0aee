"""The acting user written to audit columns: a signed-in user, never an anonymous visitor."""

import pytest
from django.contrib.auth.models import AnonymousUser

from salesalloc.core.users import acting_user

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_acts_and_nobody_else(company):
    admin = company.users["admin"]

    assert acting_user(admin) is admin
    assert acting_user(AnonymousUser()) is None
    assert acting_user(None) is None
