"""REST API of plans: lifecycle, allocation, the editor's grid and cells, the Excel round trip,
comparisons, audit, acknowledgements and the salespeople's own targets.

Every view reads through a scoped selector (a plan out of scope is a 404, like a missing
one), checks the role with a permission class (403), validates with an input serializer and
calls one service. Services check the actor again (a manager edits only cells whose parent
lies in their subtree). ``views/`` and ``serializers/`` are split by resource; ``urls.py``
mounts them under /api/v1/.
"""
