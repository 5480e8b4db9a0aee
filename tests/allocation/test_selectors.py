import pytest

from allocation.access import viewer_scope
from allocation.selectors import org_unit_list, salesperson_list

pytestmark = pytest.mark.django_db


def test_paths_follow_the_tree(company):
    assert (
        company.north_team.path == f"/{company.root.pk}/{company.north.pk}/{company.north_team.pk}/"
    )
    assert company.north_team.depth == 2


def test_manager_sees_only_their_subtree(company):
    units = set(org_unit_list(user=company.users["manager"]).values_list("code", flat=True))
    people = set(salesperson_list(user=company.users["manager"]).values_list("code", flat=True))
    assert units == {"NORTH", "N-T1"}
    assert people == {"S-N1", "S-N2"}


def test_salesperson_sees_only_themselves(company):
    people = set(salesperson_list(user=company.users["rep"]).values_list("code", flat=True))
    assert people == {"S-N1"}
    assert viewer_scope(user=company.users["rep"]).role == "salesperson"


def test_admin_by_permission_or_superuser_sees_everyone(company):
    for name in ("admin", "director"):
        assert salesperson_list(user=company.users[name]).count() == 3
        assert viewer_scope(user=company.users[name]).is_admin


def test_user_without_a_role_sees_nothing(company):
    assert salesperson_list(user=company.users["nobody"]).count() == 0
    assert org_unit_list(user=company.users["nobody"]).count() == 0
