"""Preparing a State's next visit (docs/dossier.md), in six parts:

1. Open items: every item under follow-up whose latest verified status is not closed (items.py).
2. Claims to verify: self-reported statuses newer than the latest verification, and delivered
   technical assistance not assessed since (items.py).
3. The track record of the State's claims that a later visit verified (items.py).
4. The assessment debt per top-level area, and the areas never covered (debt.py).
5. New recommendations of the latest follow-up, to be followed (items.py).
6. Suggested partners per open area (partners.py).

`compute_dossier` (build.py) reads them all at the reader's level; `debt_by_state` gives the debt of
every State for the Overview; area_map.py edits the area → resolution map behind the debt.
"""
