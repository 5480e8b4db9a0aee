"""Writes for customers, orders and imports (see the modules of this package)."""

from customers.services.actuals import order_actuals_refresh

__all__ = ["order_actuals_refresh"]
