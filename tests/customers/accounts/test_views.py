"""The account pages: a salesperson's own page, a manager's people, who may open what."""

from __future__ import annotations

import pytest

from customers.accounts.models import AccountPlan, AccountTarget

pytestmark = pytest.mark.django_db


def _login(client, company, username):
    client.force_login(company.users[username])
    return client


def test_a_salesperson_lands_on_their_own_accounts(accounts, client):
    _login(client, accounts, "rep")

    response = client.get("/accounts/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/S-N1/"
    page = client.get("/accounts/S-N1/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-field="target">CNY 9,000.00</dd>' in html  # the year by default
    assert '<option value="C-1">Customer 1</option>' in html
    assert '<option value="tier:GOLD">Gold accounts</option>' in html


def test_saving_the_form_sets_the_accounts_and_shows_their_attainment(accounts, client):
    _login(client, accounts, "rep")
    url = f"/accounts/S-N1/?plan={accounts.plan.pk}&period=Q1"

    response = client.post(
        url,
        {
            "rows": "3",
            "account_0": "C-1",
            "amount_0": "1,000.01",
            "account_1": "C-2",
            "amount_1": "",
            "account_2": "tier:GOLD",
            "amount_2": "",
        },
    )

    assert response.status_code == 302
    row = AccountPlan.objects.get(period="Q1")
    assert AccountTarget.objects.filter(account_plan=row).count() == 4
    html = client.get(url).content.decode()
    # C-1: 800.00 of 1,000.01 -> 80.0 %; the other accounts 624.99 (the worked example).
    assert 'data-account="customer:C-1"' in html
    assert '<dd data-field="attainment">80.0 %</dd>' in html
    assert '<dd data-field="target">624.99</dd>' in html
    assert 'value="C-1"' in html
    assert 'value="1000.01"' in html


def test_too_much_entered_is_shown_on_the_page_and_nothing_changes(accounts, client):
    _login(client, accounts, "rep")
    response = client.post(
        f"/accounts/S-N1/?plan={accounts.plan.pk}&period=Q1",
        {"rows": "1", "account_0": "C-1", "amount_0": "3000"},
    )

    assert response.status_code == 400
    assert "more than the target of 2,250.00 for Q1" in response.content.decode()
    assert not AccountPlan.objects.exists()


@pytest.mark.parametrize(
    ("user", "code", "status"),
    [
        ("rep", "S-N1", 200),
        ("rep", "S-N2", 404),
        ("rep", "S-S1", 404),
        ("manager", "S-N2", 200),
        ("manager", "S-S1", 404),
        ("other_manager", "S-N1", 404),
        ("south_rep", "S-N1", 404),
        ("admin", "S-S1", 200),
        ("nobody", "S-N1", 404),
    ],
)
def test_who_may_open_whose_page(accounts, client, user, code, status):
    _login(client, accounts, user)
    assert client.get(f"/accounts/{code}/").status_code == status
    posted = client.post(f"/accounts/{code}/", {"rows": "1", "account_0": "C-1"})
    assert posted.status_code == (302 if status == 200 else 404)


def test_a_manager_sees_their_people_and_nobody_else(accounts, client):
    _login(client, accounts, "manager")
    html = client.get("/accounts/").content.decode()
    assert 'data-salesperson="S-N1"' in html
    assert 'data-salesperson="S-N2"' in html
    assert 'data-salesperson="S-S1"' not in html
    _login(client, accounts, "nobody")
    assert client.get("/accounts/").status_code == 403
    client.logout()
    assert client.get("/accounts/").status_code == 302  # to sign in
