"""Shared fixtures: a small company with one person in each role, and API clients.

The company::

    ACME (company)
    ├── NORTH (region, managed by ``manager``)
    │   └── N-T1 (team): S-N1 (``rep`` logs in as this salesperson), S-N2
    └── SOUTH (region, managed by ``other_manager``)
        └── S-T1 (team): S-S1
"""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import translation
from rest_framework.test import APIClient

from allocation.models import OrgUnit, ProductLine, Salesperson
from salesalloc.core.tokens import auth_token_create
from tests.factories import OrgUnitFactory, ProductLineFactory, SalespersonFactory, UserFactory


@dataclass
class Company:
    root: OrgUnit
    north: OrgUnit
    south: OrgUnit
    north_team: OrgUnit
    south_team: OrgUnit
    rep: Salesperson  # S-N1, linked to the ``rep`` user
    north_peer: Salesperson  # S-N2
    south_rep: Salesperson  # S-S1, linked to the ``south_rep`` user
    furniture: ProductLine
    chairs: ProductLine
    tables: ProductLine
    tech: ProductLine
    phones: ProductLine
    users: dict


@pytest.fixture
def company(db) -> Company:
    return make_company()


def make_company() -> Company:
    """The company of the module docstring (for fixtures of a wider scope than ``company``)."""
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    director = UserFactory(username="director")
    director.user_permissions.add(Permission.objects.get(codename="manage_all"))
    manager = UserFactory(username="manager")
    other_manager = UserFactory(username="other_manager")
    rep_user = UserFactory(username="rep")
    south_rep_user = UserFactory(username="south_rep")
    nobody = UserFactory(username="nobody")

    root = OrgUnitFactory(code="ACME", name="Acme", kind=OrgUnit.Kind.COMPANY)
    north = OrgUnitFactory(
        code="NORTH", name="North", kind=OrgUnit.Kind.REGION, parent=root, managers=[manager]
    )
    south = OrgUnitFactory(
        code="SOUTH", name="South", kind=OrgUnit.Kind.REGION, parent=root, managers=[other_manager]
    )
    north_team = OrgUnitFactory(code="N-T1", name="North team", parent=north)
    south_team = OrgUnitFactory(code="S-T1", name="South team", parent=south)
    rep = SalespersonFactory(code="S-N1", name="Nora North", org_unit=north_team, user=rep_user)
    north_peer = SalespersonFactory(code="S-N2", name="Ned North", org_unit=north_team)
    south_rep = SalespersonFactory(
        code="S-S1", name="Sam South", org_unit=south_team, user=south_rep_user
    )
    furniture = ProductLineFactory(code="FUR", name="Furniture")
    chairs = ProductLineFactory(code="FUR-CH", name="Chairs", parent=furniture)
    tables = ProductLineFactory(code="FUR-TA", name="Tables", parent=furniture)
    tech = ProductLineFactory(code="TEC", name="Technology")
    phones = ProductLineFactory(code="TEC-PH", name="Phones", parent=tech)
    return Company(
        root=root,
        north=north,
        south=south,
        north_team=north_team,
        south_team=south_team,
        rep=rep,
        north_peer=north_peer,
        south_rep=south_rep,
        furniture=furniture,
        chairs=chairs,
        tables=tables,
        tech=tech,
        phones=phones,
        users={
            "admin": admin,
            "director": director,
            "manager": manager,
            "other_manager": other_manager,
            "rep": rep_user,
            "south_rep": south_rep_user,
            "nobody": nobody,
        },
    )


@pytest.fixture(autouse=True)
def _default_language():
    """Start every test in English: a request in Chinese leaves its language active."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_as(company):
    """``client_as("manager")`` -> an APIClient authenticated with that user's token."""

    def make(username: str) -> APIClient:
        client = APIClient()
        key = auth_token_create(user=company.users[username])
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
