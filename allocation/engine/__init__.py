"""Pure allocation engine: exact splits of integer cents (DESIGN §3).

Everything here works on integer cents (Python ``int`` or ``numpy.int64``) and exact weights
(``Fraction``); floats never decide a cent. No Django: plain numpy, pandas and fractions, so
services call it and tests exercise it without a database. Import from the modules:

* ``errors`` (:class:`AllocationError`), ``exact`` (reading user numbers exactly,
  ``format_cents``) and ``arrays`` (the numpy array types it works with);
* ``split`` (one parent: largest remainder, locks, bounds by water-filling) and ``grouped``
  (``split_frame``: many parents at once, vectorised);
* ``twoway`` (RAS fitting) and ``rounding`` (controlled rounding to both margins);
* ``weights`` (weight methods), ``seasonality`` and ``calendars`` (monthly weights, working
  days), ``fiscal`` (fiscal years and periods);
* ``levels`` and ``allocate`` (the whole plan cube: org levels, product lines, months);
* ``rebalance`` (editing: the one rebalance, rescale, re-spread).

Conventions shared by every function:

* Every split of a parent among its children sums to the parent **exactly**.
* Rounding is largest remainder: floor each exact share to the cent, then hand the leftover
  cents one at a time to the largest fractional remainders; ties go to the lower key (plain
  string order of the keys).
* Weights may be ``int``, ``Decimal``, ``Fraction``, ``str`` or ``float``. They are read
  exactly: a ``str`` or ``Decimal`` as written; a ``float`` as the shortest decimal with at
  most 12 places that round-trips to it (so ``0.1`` means 1/10), otherwise its ``repr``.
* Invalid or infeasible input raises :class:`AllocationError`; ``.child`` names the offending
  child when there is one. Functions are pure, so an error never leaves anything half done.
"""
