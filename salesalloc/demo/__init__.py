"""The demo company on the public Superstore orders (``manage.py load_demo``).

``loader`` builds the company and imports the orders through the real import path, then
``plan`` allocates and publishes its FY2019 target plan. Part of the roof: it may import
every app, and no app imports it.
"""

COMPANY_CODE = "SUPERSTORE"  # the root org unit's code
