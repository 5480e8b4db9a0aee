"""Dimension services: trees keep their materialised paths when nodes move."""

import pytest
from django.core.exceptions import ValidationError

from allocation.models import OrgUnit, ProductLine
from allocation.selectors import salesperson_list
from allocation.services import org_unit_update, product_line_update, tree_save
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db


def test_moving_an_org_unit_moves_its_whole_subtree_and_its_people(company):
    sub_team = OrgUnitFactory(code="N-T1-A", parent=company.north_team)

    org_unit_update(org_unit=company.north_team, parent=company.south, name="Moved team")

    team = OrgUnit.objects.get(code="N-T1")
    assert (team.name, team.path, team.depth) == (
        "Moved team",
        f"{company.south.path}{team.pk}/",
        2,
    )
    sub_team.refresh_from_db()
    assert (sub_team.path, sub_team.depth) == (f"{team.path}{sub_team.pk}/", 3)
    south_people = salesperson_list(user=company.users["other_manager"])
    assert set(south_people.values_list("code", flat=True)) == {"S-N1", "S-N2", "S-S1"}
    assert not salesperson_list(user=company.users["manager"]).exists()


def test_a_node_cannot_move_under_its_own_subtree(company):
    with pytest.raises(ValidationError, match="under itself"):
        org_unit_update(org_unit=company.north, parent=company.north_team)
    with pytest.raises(ValidationError, match="under itself"):
        product_line_update(product_line=company.furniture, parent=company.chairs)

    company.north.refresh_from_db()
    assert company.north.parent == company.root


def test_tree_save_keeps_paths_for_admin_edits(company):
    line = ProductLine(code="TEC-AC", name="Accessories", parent=company.tech)
    tree_save(node=line)
    line.parent = company.furniture
    tree_save(node=line)

    line.refresh_from_db()
    assert line.path == f"{company.furniture.path}{line.pk}/"
