#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesalloc.settings.base")
    if len(sys.argv) > 1 and sys.argv[1] != "runserver":
        # Commands (import_orders, recompute, load_demo) finish their work before they exit:
        # in the embedded mode their background work runs inline, not on a thread.
        os.environ.setdefault("SALESALLOC_BACKGROUND_THREAD", "false")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
