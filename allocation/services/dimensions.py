"""Writes to the plan grid's dimensions and to the actuals table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson
from salesalloc.core.pgbulk import constraints_restore, foreign_keys_drop
from salesalloc.core.users import acting_user

TreeModel = TypeVar("TreeModel", OrgUnit, ProductLine)


def _tree_place(*, node: TreeModel, parent: TreeModel | None) -> None:
    """Set ``node.parent`` and its path/depth, moving its whole subtree along. Saves."""
    if parent is not None and node.pk is not None and parent.path.startswith(node.path):
        raise ValidationError({"parent": _("A node cannot be placed under itself.")})
    old_path, old_depth = node.path, node.depth
    node.parent = parent
    if node.pk is None:
        node.path = ""
        node.full_clean(exclude=["path", "depth"])
        node.save()
    new_path = (parent.path if parent is not None else "/") + f"{node.pk}/"
    new_depth = parent.depth + 1 if parent is not None else 0
    if old_path and old_path != new_path:
        type(node).objects.filter(path__startswith=old_path).exclude(pk=node.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + (new_depth - old_depth),
        )
    node.path, node.depth = new_path, new_depth
    node.full_clean()
    node.save()


def _tree_update(*, node: TreeModel, fields: dict[str, Any]) -> TreeModel:
    """Re-read ``node`` under a row lock, change ``fields`` and re-place it in its tree."""
    locked = type(node).objects.select_for_update().get(pk=node.pk)
    parent = fields.pop("parent", locked.parent)
    for name, value in fields.items():
        setattr(locked, name, value)
    _tree_place(node=locked, parent=parent)
    return locked


@transaction.atomic
def org_unit_create(
    *,
    code: str,
    name: str,
    kind: str = OrgUnit.Kind.TEAM,
    parent: OrgUnit | None = None,
    managers: Collection[AbstractBaseUser] = (),
    currency: str = "",
    actor: AbstractBaseUser | None = None,
) -> OrgUnit:
    """Create an org unit under ``parent`` (or a root) with its materialised path.

    ``currency``: the company's currency, kept on its top unit (``company_currency``)."""
    unit = OrgUnit(code=code.strip(), name=name.strip(), kind=kind, currency=currency.upper())
    _tree_place(node=unit, parent=parent)
    if managers:
        unit.managers.set([user.pk for user in managers])
    return unit


@transaction.atomic
def org_unit_update(
    *, org_unit: OrgUnit, actor: AbstractBaseUser | None = None, **fields: Any
) -> OrgUnit:
    """Change an org unit; a new ``parent`` moves the whole subtree."""
    return _tree_update(node=org_unit, fields=fields)


@transaction.atomic
def product_line_create(
    *,
    code: str,
    name: str,
    parent: ProductLine | None = None,
    actor: AbstractBaseUser | None = None,
) -> ProductLine:
    """Create a product line under ``parent`` (or a root) with its materialised path."""
    line = ProductLine(code=code.strip(), name=name.strip())
    _tree_place(node=line, parent=parent)
    return line


@transaction.atomic
def product_line_update(
    *, product_line: ProductLine, actor: AbstractBaseUser | None = None, **fields: Any
) -> ProductLine:
    """Change a product line; a new ``parent`` moves the whole subtree."""
    return _tree_update(node=product_line, fields=fields)


def tree_save(*, node: TreeModel, actor: AbstractBaseUser | None = None) -> TreeModel:
    """Save a tree node edited elsewhere (admin forms), keeping paths consistent."""
    if node.pk is None:
        with transaction.atomic():
            _tree_place(node=node, parent=node.parent)
        return node
    fields = {
        f.name: getattr(node, f.name)
        for f in node._meta.concrete_fields
        if f.name not in {"id", "path", "depth", "created_at", "updated_at"}
    }
    if isinstance(node, OrgUnit):
        return org_unit_update(org_unit=node, actor=actor, **fields)
    return product_line_update(product_line=node, actor=actor, **fields)


@transaction.atomic
def salesperson_create(
    *,
    code: str,
    name: str,
    org_unit: OrgUnit,
    user: AbstractBaseUser | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    fte: Decimal = Decimal(1),
    is_active: bool = True,
    actor: AbstractBaseUser | None = None,
) -> Salesperson:
    """Create a salesperson placed in ``org_unit``."""
    person = Salesperson(
        code=code.strip(),
        name=name.strip(),
        org_unit=org_unit,
        user=acting_user(user),
        start_date=start_date,
        end_date=end_date,
        fte=fte,
        is_active=is_active,
    )
    person.full_clean()
    person.save()
    return person


def _month_add(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


_CELL_COLUMNS = (
    "salesperson_id",
    "product_line_id",
    "month",
    "amount",
    "cost",
    "quantity",
    "new_customer_amount",
    "lines",
)


def _source_sql(sources: list[QuerySet[Any]], using: str) -> tuple[str, list[Any]]:
    """One ``SELECT`` of the cell columns: the source's own, or several summed per cell."""
    compiled = [source.query.get_compiler(using=using).as_sql() for source in sources]
    if len(compiled) == 1:
        sql, params = compiled[0]
        return sql, list(params)
    keys = ", ".join(f"u.{name}" for name in _CELL_COLUMNS[:3])
    sums = ", ".join(f"SUM(u.{name}) AS {name}" for name in _CELL_COLUMNS[3:])
    union = " UNION ALL ".join(
        f"SELECT {', '.join(_CELL_COLUMNS)} FROM ({sql}) part{i}"  # noqa: S608 - ORM SQL
        for i, (sql, _params) in enumerate(compiled)
    )
    return (
        f"SELECT {keys}, {sums} FROM ({union}) u GROUP BY {keys}",  # noqa: S608 - ORM SQL
        [param for _sql, params in compiled for param in params],
    )


@transaction.atomic
def actual_cells_replace(
    *,
    source: QuerySet[Any],
    salesperson_ids: Collection[int] | None = None,
    month_from: dt.date | None = None,
    month_to: dt.date | None = None,
    also: QuerySet[Any] | None = None,
    actor: AbstractBaseUser | None = None,
) -> int:
    """Replace the actual cells in a block of the grid with freshly aggregated rows.

    The block is ``salesperson_ids`` (all when None) x months ``month_from``..``month_to``
    (inclusive; open-ended when None). ``source`` is a values-queryset, already filtered to
    the same block, with the columns ``salesperson_id, product_line_id, month, amount, cost,
    quantity, new_customer_amount, lines`` (every measure of ``allocation.measures`` at once);
    its SQL runs inside one ``INSERT ... SELECT`` so no rows pass through Python. ``also`` is
    a second such queryset (split credit: the credited parts of shared order lines) summed
    into the same cells.

    Idempotent: the block is deleted and rebuilt in one transaction after locking the
    salespeople's rows in primary-key order, so two concurrent refreshes serialise instead of
    colliding on the unique key, and running it twice gives the same rows. Returns the number
    of cells written.
    """
    people = Salesperson.objects.select_for_update().order_by("pk")
    if salesperson_ids is not None:
        people = people.filter(pk__in=list(salesperson_ids))
    list(people.values_list("pk", flat=True))  # takes the locks

    cells = ActualCell.objects.all()
    if salesperson_ids is not None:
        cells = cells.filter(salesperson_id__in=list(salesperson_ids))
    if month_from is not None:
        cells = cells.filter(month__gte=month_from)
    if month_to is not None:
        cells = cells.filter(month__lt=_month_add(month_to, 1))
    db = connections[cells.db]
    select_sql, params = _source_sql([source] if also is None else [source, also], cells.db)
    if db.vendor == "postgresql":
        return _actual_cells_merge(
            select_sql=select_sql,
            params=params,
            block=cells,
            staged=month_from is None,
            whole=salesperson_ids is None and month_from is None and month_to is None,
        )
    cells._raw_delete(cells.db)
    now = db.ops.adapt_datetimefield_value(timezone.now())
    table = ActualCell._meta.db_table
    sql = (
        f"INSERT INTO {table} "  # noqa: S608 - table name is ours, values are parameters
        "(salesperson_id, product_line_id, month, amount, cost, quantity, new_customer_amount, "
        "lines, created_at, updated_at) "
        "SELECT src.salesperson_id, src.product_line_id, src.month, src.amount, "
        "COALESCE(src.cost, 0), COALESCE(src.quantity, 0), COALESCE(src.new_customer_amount, 0), "
        "src.lines, %s, %s "
        f"FROM ({select_sql}) src"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [now, now, *params])
        return cursor.rowcount


# From this many cells on, an insert into an empty block checks foreign keys once.
BULK_CELLS = 20_000


def _actual_cells_merge(
    *,
    select_sql: str,
    params: list[Any],
    block: QuerySet[ActualCell],
    staged: bool = False,
    whole: bool = False,
) -> int:
    """PostgreSQL: bring the block to ``select_sql`` (the cells' source, with ``params``)
    writing only the differences (cells gone deleted, changed ones updated, new ones
    inserted), so a nightly rebuild where little changed rewrites little: no delete and
    re-insert of every cell and its index entries. Returns the number of cells in the block
    afterwards, as the delete-and-insert path does.

    ``staged`` (a block of whole salespeople, e.g. the full rebuild) first aggregates into a
    temporary table with ``CREATE TABLE AS``, which PostgreSQL may run as a parallel query
    (a ``SELECT`` inside a data-modifying statement always runs on one core), then merges
    from it; an empty block is then one plain ``INSERT``. When the block is the ``whole``
    table (the single-pass nightly rebuild; chunks running side by side would deadlock on the
    table lock) and from ``BULK_CELLS`` cells on, the table's foreign keys are checked once
    (``salesalloc.core.pgbulk``), which locks the table until the transaction commits. Small
    blocks (an import's cells) merge in one statement.
    """
    db = connections[block.db]
    block_sql, block_params = (
        block.order_by().values("id").query.get_compiler(using=block.db).as_sql()
    )
    now = db.ops.adapt_datetimefield_value(timezone.now())
    table = ActualCell._meta.db_table
    columns = (
        "s.salesperson_id, s.product_line_id, s.month, s.amount, "
        "COALESCE(s.cost, 0) AS cost, COALESCE(s.quantity, 0) AS quantity, "
        "COALESCE(s.new_customer_amount, 0) AS new_customer_amount, s.lines"
    )
    with db.cursor() as cursor:
        if not staged:
            src = f"WITH src AS MATERIALIZED (SELECT {columns} FROM ({select_sql}) s), "  # noqa: S608 - ORM SQL
            return _merge_from(
                cursor, src, params, table, block_sql, block_params, now, narrow=True
            )
        cursor.execute("DROP TABLE IF EXISTS actual_src")
        cursor.execute(
            f"CREATE TEMPORARY TABLE actual_src ON COMMIT DROP AS "  # noqa: S608 - ORM SQL
            f"SELECT {columns} FROM ({select_sql}) s",
            params,
        )
        cursor.execute(f"SELECT EXISTS ({block_sql})", block_params)
        if not cursor.fetchone()[0]:
            restore: list[str] = []
            if whole:
                cursor.execute("SELECT count(*) FROM actual_src")
                if cursor.fetchone()[0] >= BULK_CELLS:
                    restore = foreign_keys_drop(cursor, [table], quote=db.ops.quote_name)
            cursor.execute(
                f"INSERT INTO {table} (salesperson_id, product_line_id, month, amount, cost, "  # noqa: S608 - our table
                "quantity, new_customer_amount, lines, created_at, updated_at) "
                "SELECT salesperson_id, product_line_id, month, amount, cost, quantity, "
                "new_customer_amount, lines, %s, %s FROM actual_src",
                [now, now],
            )
            total = cursor.rowcount
            constraints_restore(cursor, restore)
        else:
            cursor.execute("ANALYZE actual_src")
            src = "WITH src AS (TABLE actual_src), "
            total = _merge_from(cursor, src, [], table, block_sql, block_params, now)
        cursor.execute("DROP TABLE actual_src")
        return total


def _merge_from(
    cursor: Any,
    src: str,
    src_params: list[Any],
    table: str,
    block_sql: str,
    block_params: list[Any],
    now: Any,
    *,
    narrow: bool = False,
) -> int:
    """Delete the block's cells missing from ``src``, update the changed, insert the new.

    ``narrow`` (a small block) names the block in the update too, so the planner scans only
    the block's cells (an index range), not the whole table, to find the changed ones.
    """
    same = (
        "src.salesperson_id = c.salesperson_id AND src.product_line_id = c.product_line_id "
        "AND src.month = c.month"
    )
    narrowed = f"c.id IN ({block_sql}) AND " if narrow else ""
    sql = (
        f"{src}"  # noqa: S608 - our table and the ORM's SQL; values are parameters
        f"gone AS (DELETE FROM {table} c WHERE c.id IN ({block_sql}) "
        f"AND NOT EXISTS (SELECT 1 FROM src WHERE {same}) RETURNING 1), "
        f"changed AS (UPDATE {table} c SET amount = src.amount, cost = src.cost, "
        "quantity = src.quantity, new_customer_amount = src.new_customer_amount, "
        f"lines = src.lines, updated_at = %s FROM src WHERE {narrowed}{same} "
        "AND (c.amount, c.cost, c.quantity, c.new_customer_amount, c.lines) IS DISTINCT FROM "
        "(src.amount, src.cost, src.quantity, src.new_customer_amount, src.lines) "
        "RETURNING 1), "
        f"added AS (INSERT INTO {table} (salesperson_id, product_line_id, month, amount, cost, "
        "quantity, new_customer_amount, lines, created_at, updated_at) "
        "SELECT src.salesperson_id, src.product_line_id, src.month, src.amount, src.cost, "
        "src.quantity, src.new_customer_amount, src.lines, %s, %s FROM src "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} c WHERE {same}) RETURNING 1) "
        "SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM gone), "
        "(SELECT count(*) FROM changed), (SELECT count(*) FROM added)"
    )
    cursor.execute(
        sql, [*src_params, *block_params, now, *(block_params if narrow else []), now, now]
    )
    total, *_writes = cursor.fetchone()
    return int(total)
