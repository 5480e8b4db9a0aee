"""Column mappings and territory rules: who may read, who may write, and what is refused."""

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from customers.models import ColumnMapping, TerritoryRule

pytestmark = pytest.mark.django_db

MAPPINGS = "/api/v1/column-mappings/"
RULES = "/api/v1/territory-rules/"
ERP = {
    "name": "Kingdee",
    "description": "金蝶 export",
    "columns": {"order_id": "单据编号", "amount": "价税合计"},
    "date_order": "ymd",
}


# --- column mappings ------------------------------------------------------------------------


def test_manager_saves_a_mapping(client_as, company):
    response = client_as("manager").post(MAPPINGS, ERP, format="json")

    assert response.status_code == 201, response.content
    mapping = ColumnMapping.objects.get()
    assert response.json() == {"id": mapping.pk, **ERP}
    assert mapping.created_by == company.users["manager"]


def test_mapping_defaults(client_as, company):
    response = client_as("admin").post(
        MAPPINGS, {"name": "Plain", "columns": {"amount": "Sales"}}, format="json"
    )

    assert response.json() == {
        "id": ColumnMapping.objects.get().pk,
        "name": "Plain",
        "description": "",
        "columns": {"amount": "Sales"},
        "date_order": "auto",
    }


def test_mapping_fields_a_client_may_not_set_are_ignored(client_as, company):
    response = client_as("manager").post(
        MAPPINGS, {**ERP, "id": 4242, "created_by": company.users["admin"].pk}, format="json"
    )

    assert response.status_code == 201
    mapping = ColumnMapping.objects.get()
    assert mapping.pk != 4242
    assert mapping.created_by == company.users["manager"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**ERP, "columns": {"amount": "Sales", "discount": "Rabatt"}}, "columns"),
        ({**ERP, "columns": {"amount": ""}}, "columns"),
        ({**ERP, "columns": {}}, "columns"),
        ({**ERP, "columns": ["amount"]}, "columns"),
        ({**ERP, "date_order": "ydm"}, "date_order"),
        ({**ERP, "name": ""}, "name"),
    ],
)
def test_invalid_mappings_are_400_naming_the_field(client_as, company, payload, field):
    response = client_as("admin").post(MAPPINGS, payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == [field]
    # a nested error names the key inside the field: "columns.amount: ..."
    assert response.json()["message"].split(": ")[0].split(".")[0] == field
    assert not ColumnMapping.objects.exists()


def test_unknown_order_fields_are_named(client_as, company):
    response = client_as("admin").post(
        MAPPINGS, {**ERP, "columns": {"amount": "Sales", "discount": "Rabatt"}}, format="json"
    )

    assert "discount" in response.json()["fields"]["columns"][0]


def test_mapping_names_are_unique(client_as, company):
    ColumnMapping.objects.create(name="kingdee", columns={"amount": "x"})

    response = client_as("admin").post(MAPPINGS, ERP, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": "name: A column mapping named “Kingdee” already exists.",
        "code": "invalid",
        "fields": {"name": ["A column mapping named “Kingdee” already exists."]},
    }


def test_mappings_are_readable_by_managers_and_admins_only(client_as, company):
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Sales"})
    expected = {
        "id": mapping.pk,
        "name": "ERP",
        "description": "",
        "columns": {"amount": "Sales"},
        "date_order": "auto",
    }

    for username in ("admin", "director", "manager", "other_manager"):
        client = client_as(username)
        assert client.get(MAPPINGS).json()["results"] == [expected]
        assert client.get(f"{MAPPINGS}{mapping.pk}/").json() == expected
    for username in ("rep", "nobody"):
        assert client_as(username).get(MAPPINGS).status_code == 403
        assert client_as(username).get(f"{MAPPINGS}{mapping.pk}/").status_code == 403
    assert APIClient().get(MAPPINGS).status_code == 401


def test_put_replaces_a_mapping(client_as, company):
    mapping = ColumnMapping.objects.create(
        name="Old", description="old", columns={"amount": "Sales"}
    )

    response = client_as("manager").put(
        f"{MAPPINGS}{mapping.pk}/", {**ERP, "id": 999}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"id": mapping.pk, **ERP}
    mapping.refresh_from_db()
    assert mapping.columns == ERP["columns"]


def test_put_may_keep_the_same_name_but_not_take_another(client_as, company):
    ColumnMapping.objects.create(name="Taken", columns={"amount": "x"})
    mapping = ColumnMapping.objects.create(name="Kingdee", columns={"amount": "x"})
    client = client_as("admin")

    assert client.put(f"{MAPPINGS}{mapping.pk}/", ERP, format="json").status_code == 200
    taken = client.put(f"{MAPPINGS}{mapping.pk}/", {**ERP, "name": "Taken"}, format="json")
    assert taken.status_code == 400
    assert list(taken.json()["fields"]) == ["name"]


def test_delete_a_mapping(client_as, company):
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Sales"})

    response = client_as("other_manager").delete(f"{MAPPINGS}{mapping.pk}/")

    assert response.status_code == 204
    assert not ColumnMapping.objects.exists()
    assert client_as("admin").get(f"{MAPPINGS}{mapping.pk}/").status_code == 404


@pytest.mark.parametrize("username", ["rep", "south_rep", "nobody"])
def test_only_managers_and_admins_write_mappings(client_as, company, username):
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Sales"})
    client = client_as(username)

    responses = [
        client.post(MAPPINGS, ERP, format="json"),
        client.put(f"{MAPPINGS}{mapping.pk}/", ERP, format="json"),
        client.delete(f"{MAPPINGS}{mapping.pk}/"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert responses[0].json() == {
        "message": "Only managers and administrators may do this.",
        "code": "permission_denied",
    }
    assert list(ColumnMapping.objects.values_list("name", flat=True)) == ["ERP"]


def test_mapping_list_query_count(client_as, company, django_assert_max_num_queries):
    for i in range(15):
        ColumnMapping.objects.create(name=f"M{i}", columns={"amount": "Sales"})
    client = client_as("manager")

    with django_assert_max_num_queries(7):
        assert client.get(MAPPINGS).json()["count"] == 15


# --- territory rules ------------------------------------------------------------------------


def _rule(salesperson, value="Hebei", attribute="state"):
    return TerritoryRule.objects.create(attribute=attribute, value=value, salesperson=salesperson)


def test_manager_assigns_territory_to_a_salesperson_in_their_subtree(client_as, company):
    response = client_as("manager").post(
        RULES, {"attribute": "state", "value": " Hebei ", "salesperson": "S-N2"}, format="json"
    )

    assert response.status_code == 201, response.content
    rule = TerritoryRule.objects.get()
    assert response.json() == {
        "id": rule.pk,
        "attribute": "state",
        "value": "Hebei",
        "salesperson": "S-N2",
    }
    assert rule.salesperson == company.north_peer


@pytest.mark.parametrize("code", ["S-S1", "NO-SUCH"])
def test_manager_cannot_assign_territory_outside_their_subtree(client_as, company, code):
    response = client_as("manager").post(
        RULES, {"attribute": "region", "value": "South", "salesperson": code}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "message": f"salesperson: No salesperson with code “{code}” that you may assign.",
        "code": "invalid",
        "fields": {"salesperson": [f"No salesperson with code “{code}” that you may assign."]},
    }
    assert not TerritoryRule.objects.exists()


def test_admin_assigns_anyone(client_as, company):
    response = client_as("director").post(
        RULES, {"attribute": "city", "value": "Guangzhou", "salesperson": "S-S1"}, format="json"
    )

    assert response.status_code == 201
    assert TerritoryRule.objects.get().salesperson == company.south_rep


def test_duplicate_territory_is_400(client_as, company):
    _rule(company.rep, value="Hebei")

    response = client_as("admin").post(
        RULES, {"attribute": "state", "value": "hebei", "salesperson": "S-N2"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["value"]


@pytest.mark.parametrize("username", ["rep", "south_rep", "nobody"])
def test_salespeople_cannot_write_territory_rules(client_as, company, username):
    rule = _rule(company.rep)
    client = client_as(username)

    created = client.post(
        RULES, {"attribute": "state", "value": "Shanxi", "salesperson": "S-N1"}, format="json"
    )
    deleted = client.delete(f"{RULES}{rule.pk}/")

    assert created.status_code == deleted.status_code == 403
    assert TerritoryRule.objects.count() == 1


def test_territory_rules_are_listed_within_the_scope(client_as, company):
    north = _rule(company.rep, value="Hebei")
    south = _rule(company.south_rep, value="Guangdong")

    def rules(username):
        response = client_as(username).get(RULES)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert rules("admin") == [south.pk, north.pk]
    assert rules("manager") == [north.pk]
    assert rules("other_manager") == [south.pk]
    assert rules("rep") == [north.pk]
    assert client_as("nobody").get(RULES).status_code == 403


def test_manager_deletes_rules_of_their_subtree_only(client_as, company):
    north = _rule(company.north_peer, value="Hebei")
    south = _rule(company.south_rep, value="Guangdong")
    manager = client_as("manager")

    outside = manager.delete(f"{RULES}{south.pk}/")
    inside = manager.delete(f"{RULES}{north.pk}/")

    assert outside.status_code == 404
    assert outside.json() == {"message": "Not found.", "code": "not_found"}
    assert inside.status_code == 204
    assert list(TerritoryRule.objects.all()) == [south]


def test_territory_rule_list_query_count(client_as, company, django_assert_max_num_queries):
    for i in range(15):
        _rule(company.rep if i % 2 else company.north_peer, value=f"City {i}", attribute="city")
    client = client_as("manager")

    with django_assert_max_num_queries(7):
        assert client.get(RULES).json()["count"] == 15


# --- CSRF on every unsafe method ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "payload"),
    [
        ("post", "mappings", ERP),
        ("put", "mapping", ERP),
        ("delete", "mapping", None),
        ("post", "rules", {"attribute": "state", "value": "Shanxi", "salesperson": "S-N1"}),
        ("delete", "rule", None),
    ],
)
def test_session_writes_without_csrf_token_are_refused(client_as, company, method, target, payload):
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Sales"})
    rule = _rule(company.rep)
    url = {
        "mappings": MAPPINGS,
        "mapping": f"{MAPPINGS}{mapping.pk}/",
        "rules": RULES,
        "rule": f"{RULES}{rule.pk}/",
    }[target]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(company.users["admin"])

    refused = getattr(client, method)(url, payload, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert refused.json()["message"].startswith("CSRF Failed")
    assert ColumnMapping.objects.get().columns == {"amount": "Sales"}
    assert TerritoryRule.objects.count() == 1

    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    accepted = getattr(client, method)(url, payload, format="json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code in (200, 201, 204)


def test_a_rule_one_can_see_but_not_manage_cannot_be_deleted(client_as, company):
    # other_manager manages SOUTH and is also the north salesperson S-N2: they see S-N2's
    # rule (their own) but may not change north's territory.
    company.north_peer.user = company.users["other_manager"]
    company.north_peer.save()
    rule = _rule(company.north_peer, value="Hebei")
    client = client_as("other_manager")

    assert [row["id"] for row in client.get(RULES).json()["results"]] == [rule.pk]
    response = client.delete(f"{RULES}{rule.pk}/")

    assert response.status_code == 403
    assert response.json() == {
        "message": "You may only change territory rules of salespeople in your part of the "
        "company.",
        "code": "permission_denied",
    }
    assert TerritoryRule.objects.filter(pk=rule.pk).exists()
    created = client.post(
        RULES, {"attribute": "city", "value": "Tianjin", "salesperson": "S-N2"}, format="json"
    )
    assert created.status_code == 400
    assert list(created.json()["fields"]) == ["salesperson"]


def test_a_rule_taken_in_another_region_is_refused_without_showing_it(client_as, company):
    south = _rule(company.south_rep, value="Guangdong")

    response = client_as("manager").post(
        RULES, {"attribute": "state", "value": "guangdong", "salesperson": "S-N2"}, format="json"
    )

    # refused (rules are global), but neither the south's salesperson nor its spelling is echoed
    assert response.status_code == 400
    assert response.json() == {
        "message": "value: “guangdong” can't be assigned here; ask an administrator.",
        "code": "invalid",
        "fields": {"value": ["“guangdong” can't be assigned here; ask an administrator."]},
    }
    assert list(TerritoryRule.objects.all()) == [south]


def test_a_rule_taken_in_the_managers_own_region_is_named(client_as, company):
    _rule(company.rep, value="Hebei")

    response = client_as("manager").post(
        RULES, {"attribute": "state", "value": "hebei", "salesperson": "S-N2"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "value": ["There is already a territory rule for “hebei”."]
    }
