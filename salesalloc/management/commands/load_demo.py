"""``manage.py load_demo``: the demo company on the real Superstore orders."""

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from salesalloc.demo.loader import demo_load


class Command(BaseCommand):
    help = "Load the demo company (Superstore orders, 4 regions, 14 salespeople). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        bar: tqdm | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="rows", desc="importing orders", leave=True)
            bar.update(done - bar.n)

        summary = demo_load(progress=progress)
        if bar is not None:
            bar.close()
        if summary.already_loaded:
            self.stdout.write("The demo company is already loaded.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo company loaded: {summary.salespeople} salespeople, "
                    f"{summary.product_lines} product lines, {summary.territory_rules} territory "
                    f"rules, {summary.lines_imported:,} order lines "
                    f"(net sales {summary.net_sales:,.2f}), the published FY2019 target plan, "
                    "the FY2020 plan as a draft to edit, a 2019 scorecard, commission "
                    "statements, a Q4 marketing pool and a quota relief request waiting for "
                    "anna."
                )
            )
        self.stdout.write("\nDemo logins (username / password / role):")
        for username, password, role in summary.logins:
            self.stdout.write(f"  {username:<10} {password:<10} {role}")
