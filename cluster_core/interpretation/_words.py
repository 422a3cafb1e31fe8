"""One vocabulary for how far a clustering can be trusted, used with the same words on every page and CSV.

- A **symbol's confidence**: the share of its cluster-mates that stay with it over refits
  on 80 % of the symbols that redo every automatic choice (:func:`cluster_core.clustering.confidence`).
- A **boundary symbol**: confidence below :data:`BOUNDARY`; the others are the cluster's **core**.
- A **cluster's stability**: the mean confidence of its members.
- A **tentative cluster**: stability below :data:`TENTATIVE`.
- **Month-to-month agreement** (the Stability page): the adjusted Rand index between
  consecutive month ends' published groups; a different question (does the grouping hold
  next month?) with its own name.
"""

from __future__ import annotations

__all__ = ["BOUNDARY", "CONFIDENCE_MEANS", "STABILITY_MEANS", "TENTATIVE", "TENTATIVE_MEANS"]

BOUNDARY = 0.6
TENTATIVE = 0.5

CONFIDENCE_MEANS = ("a symbol's confidence is the share of its cluster-mates that stay with it over 20 refits on "
                    "80 % of the symbols that redo every automatic choice (1 = the same mates every time); below "
                    f"{BOUNDARY:.0%} it is a boundary symbol")
STABILITY_MEANS = ("a cluster's stability is the mean confidence of its members (1 = the group is found again whole "
                   "in every refit)")
TENTATIVE_MEANS = f"a cluster is tentative when its stability is below {TENTATIVE:.0%}"
