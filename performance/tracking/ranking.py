"""Reads for the ranking: the salespeople of a peer group by attainment or pace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from allocation.access import viewer_scope
from allocation.models import Salesperson
from performance.tracking import engine
from performance.tracking.engine import Figures
from performance.tracking.selectors import (
    Node,
    _unit_node,
    attainment_compute,
    tracking_node_get,
    tracking_plan_get,
)

RANK_BY = ("attainment", "pace")


@dataclass(frozen=True)
class RankRow:
    rank: int | None
    node: Node
    figures: Figures


@dataclass(frozen=True)
class Ranking:
    year: int
    as_of: dt.date
    group: Node
    by: str
    rows: list[RankRow]
    peers: int  # salespeople in the peer group (a salesperson sees only their own row)


def ranking_get(
    *,
    user: AbstractBaseUser | AnonymousUser,
    year: int,
    as_of: dt.date,
    org_unit: str | None = None,
    by: str = "attainment",
    measure: str = "revenue",
) -> Ranking:
    """Salespeople of a peer group (an org unit's subtree) ranked by attainment or pace of
    ``measure`` (revenue by default; a published measure plan against its actuals).

    Managers and admins rank any visible unit (default: their own node). A salesperson sees
    only their own row and rank within their team; nobody else's figures.
    """
    scope = viewer_scope(user=user)
    node = tracking_node_get(user=user, org_unit=org_unit)
    own_only = isinstance(node, Salesperson)
    unit = node.org_unit if isinstance(node, Salesperson) else node
    result = attainment_compute(
        scope=scope,
        target=unit,
        line=None,
        plan=tracking_plan_get(year=year, target=unit, measure=measure),
        year=year,
        as_of=as_of,
        people=True,
        measure=measure,
    )
    metric = "pace" if by == "pace" else "attainment"
    values = [getattr(child.figures, metric) for child in result.children]
    ranks = engine.competition_ranks(values)
    rows = sorted(
        (
            RankRow(rank=rank, node=child.node, figures=child.figures)
            for rank, child in zip(ranks, result.children, strict=True)
        ),
        key=lambda row: (row.rank is None, row.rank or 0, row.node.code),
    )
    if own_only:
        rows = [row for row in rows if row.node.code == node.code]
    return Ranking(
        year=year,
        as_of=as_of,
        group=_unit_node(unit),
        by=metric,
        rows=rows,
        peers=len(result.children),
    )
