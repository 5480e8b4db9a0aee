"""The demo company, built from the public Superstore order data (see README.md here).

Superstore Inc. has four regions with the managers the data set's "People" sheet names,
two teams per region and 3-4 salespeople per region. The file has no salesperson column, so
each state becomes a territory rule; states are dealt to a region's salespeople by revenue
(largest first, to whoever has the least so far), which keeps the split deterministic and
roughly fair. The two largest states' lines are shared: a credit rule splits California's
60 / 40 and New York's in equal halves between the state's salesperson and their teammate, so
the Orders page, the actuals and the reports show split credit. Product lines are the file's
Category -> Sub-Category tree, coded by the Product ID prefix (FUR -> FUR-CH Chairs ...).
Every order line then goes through the real import path, and the recompute fills the actuals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction

from allocation.models import OrgUnit, ProductLine, Salesperson
from allocation.services import org_unit_create, product_line_create, salesperson_create
from customers.credit.services import credit_rule_create
from customers.importing import (
    SUPERSTORE_DATE_ORDER,
    SUPERSTORE_MAPPING_NAME,
    superstore_mapping_columns,
)
from customers.models import OrderLine
from customers.services import (
    column_mapping_create,
    import_job_create,
    import_job_run,
    territory_rule_create,
)
from salesalloc.core.money import MoneySum
from salesalloc.demo import COMPANY_CODE
from salesalloc.demo.accounts import demo_accounts_create
from salesalloc.demo.incentives import demo_incentives_create
from salesalloc.demo.plan import demo_draft_plan_create, demo_plan_create
from salesalloc.demo.relief import demo_relief_create
from salesalloc.demo.tiers import demo_tiers_create
from salesalloc.pipeline import recompute_all

SUPERSTORE_CSV = Path(__file__).with_name("superstore.csv")
# State -> the share of its own salesperson (the teammate gets the rest; None: equal halves).
SHARED_STATES: dict[str, Decimal | None] = {"California": Decimal(60), "New York": None}
DEMO_PASSWORD = "demo1234"  # noqa: S105 - published demo logins, printed by `make run`

# region code, name, manager (username, first, last), teams: {team suffix: [salesperson]}
REGIONS: list[tuple[str, str, tuple[str, str, str], dict[str, list[tuple[str, str]]]]] = [
    (
        "WEST",
        "West",
        ("anna", "Anna", "Andreadi"),
        {
            "A": [("W01", "Wendy Zhou"), ("W02", "Marco Ruiz")],
            "B": [("W03", "Priya Nair"), ("W04", "Tom Becker")],
        },
    ),
    (
        "EAST",
        "East",
        ("chuck", "Chuck", "Magee"),
        {
            "A": [("E01", "Emily Chen"), ("E02", "David Okafor")],
            "B": [("E03", "Sarah Kim"), ("E04", "Liam O'Brien")],
        },
    ),
    (
        "CENTRAL",
        "Central",
        ("kelly", "Kelly", "Williams"),
        {
            "A": [("C01", "Carlos Mendes"), ("C02", "Grace Liu")],
            "B": [("C03", "Noah Fischer")],
        },
    ),
    (
        "SOUTH",
        "South",
        ("cassandra", "Cassandra", "Brandow"),
        {
            "A": [("S01", "Sofia Alvarez"), ("S02", "James Carter")],
            "B": [("S03", "Mei Tanaka")],
        },
    ),
]


@dataclass
class DemoSummary:
    already_loaded: bool = False
    salespeople: int = 0
    product_lines: int = 0
    territory_rules: int = 0
    credit_rules: int = 0
    import_job_id: int | None = None
    plan_id: int | None = None
    draft_plan_id: int | None = None
    tier_runs: int = 0
    lines_imported: int = 0
    net_sales: Decimal = Decimal(0)
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, password, role) of every demo login, for the README and `make run`."""
    rows = [("admin", DEMO_PASSWORD, "admin (sales director), also /admin/")]
    for code, name, (username, _first, _last), teams in REGIONS:
        rows.append((username, DEMO_PASSWORD, f"manager of {name}"))
        first = next(iter(teams.values()))[0]
        rows.append((first[0].lower(), DEMO_PASSWORD, f"salesperson {first[1]} ({code})"))
    return rows


def superstore_frame() -> pd.DataFrame:
    """The columns of the demo file the company set-up needs (read once, as text)."""
    return pd.read_csv(
        SUPERSTORE_CSV,
        encoding="utf-8-sig",
        usecols=["Region", "State", "Category", "Sub-Category", "Product ID", "Sales"],
        dtype=str,
        keep_default_na=False,
    )


def _user(
    username: str, *, first: str = "", last: str = "", superuser: bool = False
) -> AbstractBaseUser:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _deal_states(frame: pd.DataFrame, region: str, codes: list[str]) -> dict[str, str]:
    """Give each state of the region to the salesperson with the least revenue so far."""
    sales = frame.loc[frame["Region"] == region, ["State", "Sales"]].copy()
    sales["cents"] = sales["Sales"].map(lambda text: int(Decimal(text) * 100))
    by_state = sales.groupby("State")["cents"].sum().reset_index()
    by_state = by_state.sort_values(["cents", "State"], ascending=[False, True])
    load = dict.fromkeys(codes, 0)
    assignment: dict[str, str] = {}
    for state, cents in zip(by_state["State"], by_state["cents"], strict=True):
        code = min(codes, key=lambda c: (load[c], c))
        assignment[state] = code
        load[code] += int(cents)
    return assignment


@transaction.atomic
def demo_company_create(*, frame: pd.DataFrame) -> tuple[DemoSummary, dict[str, str]]:
    """Create the org tree, logins, salespeople, product lines; return state -> salesperson."""
    summary = DemoSummary()
    admin = _user("admin", first="Ada", last="Admin", superuser=True)
    root = org_unit_create(
        code=COMPANY_CODE,
        name="Superstore Inc.",
        kind=OrgUnit.Kind.COMPANY,
        currency="USD",  # the Superstore orders are in US dollars
        actor=admin,
    )
    territories: dict[str, str] = {}
    for code, name, (username, first, last), teams in REGIONS:
        manager = _user(username, first=first, last=last)
        region = org_unit_create(
            code=code,
            name=name,
            kind=OrgUnit.Kind.REGION,
            parent=root,
            managers=[manager],
            actor=admin,
        )
        people_codes: list[str] = []
        for suffix, people in teams.items():
            team = org_unit_create(
                code=f"{code}-{suffix}",
                name=f"{name} Team {suffix}",
                kind=OrgUnit.Kind.TEAM,
                parent=region,
                actor=admin,
            )
            for person_code, person_name in people:
                person_first, _, person_last = person_name.partition(" ")
                login = _user(person_code.lower(), first=person_first, last=person_last)
                salesperson_create(
                    code=person_code,
                    name=person_name,
                    org_unit=team,
                    user=login,
                    start_date=dt.date(2015, 1, 1),
                    actor=admin,
                )
                people_codes.append(person_code)
                summary.salespeople += 1
        territories.update(_deal_states(frame, name, people_codes))

    lines = frame[["Category", "Sub-Category", "Product ID"]].drop_duplicates()
    lines = lines.assign(code=lines["Product ID"].str[:6]).drop_duplicates(["Sub-Category"])
    for category in sorted(lines["Category"].unique()):
        subset = lines[lines["Category"] == category].sort_values("code")
        parent = product_line_create(code=subset["code"].iloc[0][:3], name=category, actor=admin)
        summary.product_lines += 1
        for sub_code, sub_name in zip(subset["code"], subset["Sub-Category"], strict=True):
            product_line_create(code=sub_code, name=sub_name, parent=parent, actor=admin)
            summary.product_lines += 1
    return summary, territories


def _shared_states_create(
    territories: dict[str, str], people: dict[str, Salesperson], admin: AbstractBaseUser
) -> int:
    """Credit rules sharing the largest states between their salesperson and a teammate."""
    for state, own_share in SHARED_STATES.items():
        owner = people[territories[state]]
        mate = next(
            p
            for code, p in sorted(people.items())
            if p.org_unit_id == owner.org_unit_id and p != owner
        )
        shares = (own_share, None if own_share is None else 100 - own_share)
        credit_rule_create(
            attribute="state",
            value=state,
            parties=[(owner, shares[0]), (mate, shares[1])],
            description=f"Key accounts of {state} are worked by the whole team",
            actor=admin,
        )
    return len(SHARED_STATES)


def demo_load(*, progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    """Load the demo company and its orders unless it is already there (idempotent).

    The import runs here, synchronously (not on a worker), and so does the recompute of
    the actuals, so the demo is complete when this returns, with or without a broker.
    """
    if OrgUnit.objects.filter(code=COMPANY_CODE).exists():
        return DemoSummary(already_loaded=True, logins=demo_logins())
    frame = superstore_frame()
    summary, territories = demo_company_create(frame=frame)
    admin = get_user_model().objects.get(username="admin")
    mapping = column_mapping_create(
        name=SUPERSTORE_MAPPING_NAME,
        description="Tableau's Sample - Superstore export (salesperson by state rules)",
        columns=superstore_mapping_columns(),
        date_order=SUPERSTORE_DATE_ORDER,
        actor=admin,
    )
    people = {p.code: p for p in Salesperson.objects.all()}
    for state, code in sorted(territories.items()):
        territory_rule_create(attribute="state", value=state, salesperson=people[code], actor=admin)
        summary.territory_rules += 1
    summary.credit_rules = _shared_states_create(territories, people, admin)

    with SUPERSTORE_CSV.open("rb") as handle:
        job = import_job_create(
            file=File(handle, name=SUPERSTORE_CSV.name),
            original_name=SUPERSTORE_CSV.name,
            mapping=mapping,
            actor=admin,
            enqueue=False,
        )
    job = import_job_run(job=job, progress=progress)
    if job.status != job.Status.SUCCEEDED:
        raise RuntimeError(f"The demo import failed: {job.message} {job.errors[:5]}")
    if not (settings.CELERY_TASK_ALWAYS_EAGER and not settings.SALESALLOC_BACKGROUND_THREAD):
        # The import's own recompute went to a worker (or a thread): the plan below needs the
        # actuals now, so compute them here too (idempotent, same rows).
        recompute_all(kind="manual", actor=admin, inline=True)
    plan = demo_plan_create(actor=admin)
    summary.draft_plan_id = demo_draft_plan_create(actor=admin).pk
    summary.tier_runs = len(demo_tiers_create(actor=admin))
    demo_incentives_create(plan=plan, actor=admin)
    demo_accounts_create(plan=plan, actor=admin)
    demo_relief_create(plan=plan)
    summary.import_job_id = job.pk
    summary.plan_id = plan.pk
    summary.lines_imported = job.rows_imported
    summary.product_lines = ProductLine.objects.count()
    summary.net_sales = OrderLine.objects.aggregate(total=MoneySum("amount"))["total"] or Decimal(0)
    summary.logins = demo_logins()
    return summary
