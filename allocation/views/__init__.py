"""Browser pages of plans: the list, a new plan, the editor, comparisons and "My targets".

The editor is a page shell rendered here; ``static/js/plan_editor.js`` works the grid over
the plans JSON API (grid, cells, locks, paste, lifecycle, files). Everything else renders on
the server through the same scoped selectors and services the API uses: a form validates, a
service writes, a selector reads. Roles as in the API: salespeople only have "My targets";
managers see the plans overlapping their subtree and edit inside it; admins see everything.
"""
