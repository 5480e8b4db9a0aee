"""Serializers of the plans API, one module per resource (see ``allocation.api.plans``)."""
