"""The import -> recompute workflow, wired in one place (placeholder; filled in below)."""
