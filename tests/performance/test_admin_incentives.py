"""The incentives' admin pages open for an administrator and allow no direct edits."""

import pytest
from django.urls import reverse

from performance.commissions.models import CommissionStatement
from performance.commissions.services import commission_plan_create
from performance.costs.services import cost_pool_create
from tests.performance.commissions.support import target_plan

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_statements_read_only(client, company):
    from decimal import Decimal

    tp = target_plan(company, {(company.rep, "2019-01"): "100.00"})
    commission_plan_create(
        name="P",
        target_plan=tp,
        period="quarter",
        mode="marginal",
        brackets=[{"from": "0", "rate": "0.02"}],
    )
    cost_pool_create(
        name="C", amount=Decimal(10), period="2019", driver="equal", dimension="org_unit"
    )
    client.force_login(company.users["admin"])
    for name in (
        "commissionplan",
        "commissionstatement",
        "kpi",
        "scorecardtemplate",
        "scorecard",
        "costpool",
    ):
        assert client.get(reverse(f"admin:performance_{name}_changelist")).status_code == 200
    row = CommissionStatement.objects.first()
    page = client.get(reverse("admin:performance_commissionstatement_change", args=[row.pk]))
    assert page.status_code == 200
    assert client.get(reverse("admin:performance_commissionstatement_add")).status_code == 403
