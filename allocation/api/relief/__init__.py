"""Quota relief API: ask, list, approve, reject and withdraw relief requests."""
