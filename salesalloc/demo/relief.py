"""The demo's quota relief: one request waiting for Anna (West) on the FY2019 plan.

W03 (Priya Nair, West team B) lost a key account: 20 % of her fourth-quarter target, asked
by herself, so Anna, the West manager, finds it pending (with the navigation badge) on her
first visit. W01's team (West team A) is left alone for a request of its own.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from allocation.models import Plan, ReliefRequest, Salesperson
from allocation.services import ReliefInput, relief_request_create

DEMO_PERSON = "W03"
DEMO_MONTHS = ["2019-10", "2019-11", "2019-12"]


def demo_relief_create(*, plan: Plan) -> ReliefRequest | None:
    """Ask the demo's relief once (idempotent: an existing request of W03 is kept)."""
    person = Salesperson.objects.filter(code=DEMO_PERSON, user__isnull=False).first()
    if person is None or person.user_id is None:
        return None
    existing = ReliefRequest.objects.filter(plan=plan, salesperson=person).first()
    if existing is not None:
        return existing
    user = get_user_model().objects.get(pk=int(person.user_id))
    return relief_request_create(
        plan=plan,
        data=ReliefInput(
            salesperson=person,
            reason=ReliefRequest.Reason.LOST_ACCOUNT,
            description="A key account moved its purchasing to the East region in October.",
            share=Decimal("20"),
            months=DEMO_MONTHS,
        ),
        actor=user,
    )
