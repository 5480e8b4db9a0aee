"""Quota relief: ask for it, withdraw it, reject it or approve it (which applies it).

pending -> approved | rejected | withdrawn; nothing else moves. Each service takes the
plan's row lock first and then the request's, so requests of one plan (and the approval's
change of its grid) take turns; who may decide is ``allocation.selectors.relief``.
Approval applies the relief to the published plan in place, in the same transaction
(``allocation.services.relief_apply``), then sends ``plan_targets_changed`` so the
incentives and alerts of the people concerned are recomputed after commit, and
``relief_decided`` so the requester (and teammates who took some) hear of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from allocation.models import Plan, ProductLine, ReliefDistribution, ReliefRequest, Salesperson
from allocation.selectors import plan_structure_get, relief_decide_problem, relief_scope_role
from allocation.services.common import plan_lock
from allocation.services.relief_apply import relief_cells_apply, relief_result
from allocation.services.relief_rules import (
    Coverage,
    amount_parse,
    approval_path_for,
    covered_cents,
    lines_parse,
    months_parse,
    overlapping_pending,
    relief_size_check,
    share_parse,
)
from allocation.signals import plan_targets_changed, relief_decided, relief_requested
from salesalloc.core.exceptions import ConflictError, ScopeError
from salesalloc.core.money import from_cents
from salesalloc.core.users import acting_user

Status = ReliefRequest.Status
REASONS = {choice.value for choice in ReliefRequest.Reason}


@dataclass(frozen=True)
class ReliefInput:
    """What the form or the API sent (amount and share as typed; checked strictly here)."""

    salesperson: Salesperson
    reason: str
    months: Sequence[str]
    description: str = ""
    amount: Any = None
    share: Any = None
    product_lines: Sequence[ProductLine] = ()


def _published(plan: Plan) -> None:
    if (
        plan.status != Plan.Status.PUBLISHED
        or plan.scenario_of_id is not None
        or plan.measure_of_id is not None  # relief is on the revenue plan's targets
    ):
        raise ConflictError(
            _("Relief is asked on published targets; this plan is %(status)s.")
            % {"status": plan.get_status_display().lower()}
        )


def _text(data: ReliefInput) -> tuple[str, str]:
    if data.reason not in REASONS:
        raise ValidationError(
            {"reason": _("Choose leave, territory change, lost account or other.")}
        )
    description = (data.description or "").strip()
    if data.reason == ReliefRequest.Reason.OTHER and not description:
        raise ValidationError({"description": _("Say why you ask for relief.")})
    if len(description) > 2000:
        raise ValidationError({"description": _("Keep it to 2,000 characters.")})
    return data.reason, description


def _size(data: ReliefInput) -> tuple[Decimal | None, Decimal | None]:
    given = [v for v in (data.amount, data.share) if v not in (None, "")]
    if len(given) != 1:
        raise ValidationError({"amount": _("Give an amount or a share of the target, not both.")})
    if data.amount not in (None, ""):
        return amount_parse(data.amount), None
    return None, share_parse(data.share)


@transaction.atomic
def relief_request_create(
    *, plan: Plan, data: ReliefInput, actor: AbstractBaseUser | AnonymousUser
) -> ReliefRequest:
    """Ask for relief on a published plan: a salesperson for themselves, a manager for a
    person in their subtree, an admin for anyone.

    Checked: the plan is published, the person has targets in it and is the actor's to ask
    for, the months are in its fiscal year, the lines covered by it, exactly one of an
    amount (at most the covered target, exact cents) and a share in (0, 100] %, and no
    pending request of the person covers any of the same cells.
    """
    plan = plan_lock(plan=plan)
    _published(plan)
    scope = viewer_scope(user=actor)
    person = Salesperson.objects.select_related("org_unit").get(pk=data.salesperson.pk)
    role = relief_scope_role(scope=scope, salesperson=person)
    if role is None:
        raise ScopeError(_("You may ask relief only for yourself or for people you manage."))
    structure = plan_structure_get(plan=plan, with_constraints=False)
    if person.pk not in structure.members:
        raise ValidationError(
            {"salesperson": _("%(code)s has no targets in this plan.") % {"code": person.code}}
        )
    reason, description = _text(data)
    amount, share = _size(data)
    line_ids, every = lines_parse(structure, data.product_lines)
    cover = Coverage(
        months=months_parse(structure, data.months), line_ids=line_ids, all_lines=every
    )
    target = covered_cents(plan=plan, structure=structure, salesperson_id=person.pk, cover=cover)
    relief_size_check(amount=amount, share=share, target_cents=target)
    other = overlapping_pending(plan=plan, salesperson=person, cover=cover, structure=structure)
    if other is not None:
        raise ValidationError(
            {
                "months": _(
                    "Request #%(id)s for %(code)s is still pending for some of these months and "
                    "product lines; withdraw it or wait for its decision."
                )
                % {"id": other.pk, "code": person.code}
            }
        )
    request = ReliefRequest(
        plan=plan,
        salesperson=person,
        reason=reason,
        description=description,
        amount=amount,
        share=share,
        months=cover.month_labels(structure),
        requested_by=acting_user(actor),
        requested_as=role,
        approval_path=approval_path_for(role=role, scope=scope, salesperson=person),
        target_amount=from_cents(target),
    )
    request.full_clean()
    request.save()
    if not every:
        request.product_lines.set(ProductLine.objects.filter(pk__in=line_ids))
    relief_requested.send(sender=ReliefRequest, request=request, actor=actor)
    return request


def _lock(request: ReliefRequest) -> tuple[Plan, ReliefRequest]:
    """The plan's lock, then the request's (the same order everywhere)."""
    plan = plan_lock(plan=Plan(pk=request.plan_id))
    locked = (
        ReliefRequest.objects.select_for_update(of=("self",))
        .select_related("salesperson", "salesperson__org_unit")
        .get(pk=request.pk)
    )
    return plan, locked


def _pending(request: ReliefRequest) -> None:
    if request.status != Status.PENDING:
        raise ConflictError(
            _("This request is already %(status)s.")
            % {"status": request.get_status_display().lower()}
        )


def _decide(
    request: ReliefRequest,
    *,
    status: str,
    actor: AbstractBaseUser | AnonymousUser | None,
    comment: str,
    now: dt.datetime,
    fields: Sequence[str] = (),
) -> ReliefRequest:
    request.status = status
    request.decided_by = acting_user(actor)
    request.decided_at = now
    request.decision_comment = comment
    request.full_clean()
    request.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_comment",
            "updated_at",
            *fields,
        ]
    )
    relief_decided.send(sender=ReliefRequest, request=request, actor=actor)
    return request


@transaction.atomic
def relief_request_withdraw(
    *, request: ReliefRequest, actor: AbstractBaseUser | AnonymousUser, comment: str = ""
) -> ReliefRequest:
    """The person who asked takes a pending request back."""
    _plan, request = _lock(request)
    _pending(request)
    account = acting_user(actor)
    if account is None or request.requested_by_id != account.pk:
        raise ScopeError(_("Only the person who asked for this relief may withdraw it."))
    return _decide(
        request,
        status=Status.WITHDRAWN,
        actor=actor,
        comment=(comment or "").strip(),
        now=timezone.now(),
    )


def _may_decide(
    request: ReliefRequest, actor: AbstractBaseUser | AnonymousUser | None, override: bool
) -> None:
    problem = relief_decide_problem(user=actor, request=request, override_four_eyes=override)
    if problem is not None:
        raise ScopeError(problem)


@transaction.atomic
def relief_request_reject(
    *,
    request: ReliefRequest,
    comment: str,
    actor: AbstractBaseUser | AnonymousUser | None,
    override_four_eyes: bool = False,
) -> ReliefRequest:
    """The next level up says no, with the reason; the targets stay as they are."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the relief is rejected.")})
    _plan, request = _lock(request)
    _pending(request)
    _may_decide(request, actor, override_four_eyes)
    request.override_four_eyes = bool(override_four_eyes)
    return _decide(
        request,
        status=Status.REJECTED,
        actor=actor,
        comment=comment,
        now=timezone.now(),
        fields=["override_four_eyes"],
    )


def _no_open_version(plan: Plan) -> None:
    """A newer version in the making would drop the relief when it is published."""
    newer = plan.next_versions.exclude(status=Plan.Status.ARCHIVED).filter(scenario_of=None)
    existing = newer.order_by("pk").first()
    if existing is not None:
        raise ConflictError(
            _(
                "Version %(version)s of this plan is being prepared (%(status)s) and would "
                "replace the relieved targets when published; decide the relief after it is "
                "published or archived."
            )
            % {"version": existing.version, "status": existing.get_status_display().lower()}
        )


@transaction.atomic
def relief_approve(
    *,
    request: ReliefRequest,
    actor: AbstractBaseUser | AnonymousUser | None,
    distribution: str | None = None,
    comment: str = "",
    override_four_eyes: bool = False,
) -> ReliefRequest:
    """Approve pending relief and apply it to the published plan, in one transaction.

    ``distribution`` is "absorb" or "redistribute" (default: the plan's rule). The person's
    covered leaves drop by the relief, exactly; redistributed relief goes to their unlocked
    teammates in the same lines and months. One audit batch names the request; the
    acknowledgements of everyone whose targets changed go back to pending.
    """
    plan, request = _lock(request)
    _pending(request)
    _may_decide(request, actor, override_four_eyes)
    _published(plan)
    _no_open_version(plan)
    choice = distribution or plan.relief_distribution
    if choice not in {c.value for c in ReliefDistribution}:
        raise ValidationError({"distribution": _("Choose absorb or redistribute.")})
    structure = plan_structure_get(plan=plan)
    labels = structure.fiscal.month_labels()
    lines = list(request.product_lines.values_list("pk", flat=True))
    line_ids, every = lines_parse(structure, list(ProductLine.objects.filter(pk__in=lines)))
    cover = Coverage(
        months=tuple(labels.index(m) for m in request.months if m in labels),
        line_ids=line_ids,
        all_lines=every,
    )
    account = acting_user(actor)
    outcome = relief_cells_apply(
        plan=plan,
        structure=structure,
        request=request,
        cover=cover,
        distribution=choice,
        actor=account,
    )
    request.distribution = choice
    request.target_amount = from_cents(outcome.target_cents)
    request.relieved_amount = from_cents(outcome.relieved_cents)
    request.override_four_eyes = bool(override_four_eyes)
    request.result = relief_result(structure, outcome, request.salesperson_id)
    months = structure.fiscal.months
    cells = sorted(
        {
            (int(sp), months[int(m)])
            for sp, m in zip(outcome.changes["salesperson_id"], outcome.changes["m"], strict=True)
        }
    )
    plan_targets_changed.send(sender=Plan, plan=plan, cells=cells, actor=actor)
    return _decide(
        request,
        status=Status.APPROVED,
        actor=actor,
        comment=(comment or "").strip(),
        now=timezone.now(),
        fields=["distribution", "target_amount", "relieved_amount", "override_four_eyes", "result"],
    )
