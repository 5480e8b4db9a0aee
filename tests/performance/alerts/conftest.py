from tests.performance.tracking.conftest import tracked  # noqa: F401  (shared fixture)
