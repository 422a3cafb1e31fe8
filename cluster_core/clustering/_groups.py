"""Automatic k: split the symbols only where the data have separate modes, never where a spread can be cut.

A market is often one continuum in some behaviours (daily volume spans decades with no
tiers) and grouped in others (a handful of pegged coins far from everything). K-Means with
a silhouette criterion cuts a continuum into slices as readily as it separates groups, so
automatic k here is a divisive search for *modes* (:func:`find_groups`):

1. **Isolated symbols are set aside** (a single gold token, the benchmark among synthetic
   groups): their distance to the second-nearest neighbour is more than 4x the 90th
   percentile of everyone's. They join the group of their nearest neighbour at the end,
   so one outlier cannot hide or fake a gap.
2. **Divisive splitting.** A set of symbols is split in two when some one-dimensional view
   of it has separate modes. Views: each feature axis, the first three principal axes,
   the directions between 2- and 3-means centroids, and each of those refined towards a
   discriminant direction (alternating the best 1-D 2-means cut and a regularised LDA).
   Evidence: Hartigan's dip test, a distribution-free test of unimodality, on the whole
   view and on a balanced window at each of its three deepest density valleys (the
   smaller side plus as many of the nearest points of the other side: the dip of a
   6-coin group next to 300 others is tiny, of 6 against their 6 nearest neighbours it is
   decisive). A uniform, normal or skewed spread has one mode in every view, so it is
   never split, whatever its size.
3. **Small sets** (fewer than 100 symbols) need a second kind of evidence: so many views
   of a few points always show a gap somewhere, so the split must also separate its two
   sides by at least ``3.5 + 80 / n`` pooled standard deviations (the 95th percentile
   over structureless boxes of that size, measured with the same views).
4. **Merging back.** Two groups of 100+ symbols together whose union has one mode along
   their discriminant direction were one population cut by an early, oblique split: they
   are merged.
5. **Polishing.** Hyperplane cuts misplace boundary symbols; Lloyd iterations with the
   pooled within-group (Mahalanobis) distance reassign them, as K-Means would in the
   metric of the groups themselves.

Thresholds were chosen on seeds 0-9 of every family of :mod:`cluster_core.synthetic` at
300 and 1,000 symbols and reported on held-out seeds (docs/methodology.md, "How k is chosen"):
``ALPHA`` keeps structureless markets whole (the smallest node p-value over 40 continuum
markets was 6e-4 with these views), the small-node floor was measured on uniform and
Gaussian boxes of 8 to 100 points.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from diptest import diptest
from sklearn.neighbors import NearestNeighbors

from cluster_core._memo import Memo
from cluster_core._typing import FloatArray, IntArray

__all__ = ["GroupSearch", "Split", "find_groups"]

ALPHA = 1e-3  # a set of 100+ symbols splits when its best view's dip p-value is below this
ALPHA_SMALL = 0.01  # ... of fewer symbols, below this and with the separation floor
SMALL_NODE = 100
SEPARATION_FLOOR, SEPARATION_SMALL = 3.5, 80.0  # a small set's split separates its sides by 3.5 + 80 / n sd
FAR_SEPARATION = 8.0  # a larger set splits at p < ALPHA_FAR too when its sides are this far apart
ALPHA_FAR = 0.05  # (a dip test on three stablecoins and their three nearest neighbours cannot go much lower)
MIN_GROUP = 3  # smallest group a split may leave (four pegged coins are a group; two are a pair)
N_CUTS = 3  # density valleys tested per view
N_PRINCIPAL = 3
REFINE_STEPS = 5
SEARCH_MAX = 1000  # a larger set's views are searched on a sample of this many symbols...
SEARCH_FAR = 50  # ... its farthest from the median included
MERGE_MIN = 60  # only groups this large together are tested for merging back
MERGE_P = 0.2  # ... and merged when their union's dip p-value is above this (one mode, plainly)
PEEL_FACTOR, PEEL_SHARE = 4.0, 0.02  # isolated: 2nd-neighbour distance > 4x its 90th percentile; <= 2 %
POLISH_STEPS = 10
SHRINK = 0.1  # within-group covariance shrunk this far towards its diagonal


@dataclass(frozen=True)
class Split:
    """One accepted split of the divisive search.

    Attributes
    ----------
    size : int
        Symbols in the set that was split.
    smaller : int
        Symbols on the smaller side.
    p_value : float
        Dip test p-value of the deciding view.
    separation : float
        Distance between the two sides' medians along the view, in pooled robust deviations.
    window : bool
        True when the evidence was the balanced window at the cut (a small group next to
        a large one), False when it was the whole view.
    """

    size: int
    smaller: int
    p_value: float
    separation: float
    window: bool


@dataclass(frozen=True, eq=False)
class GroupSearch:
    """The outcome of :func:`find_groups`.

    Attributes
    ----------
    labels : ndarray of int
        Group per symbol, ``0..k-1`` (no noise).
    splits : tuple of Split
        The splits made, in the order they were made.
    merges : int
        Groups merged back (one population cut by an oblique split).
    isolated : int
        Symbols set aside during the search and attached to their nearest neighbour's group.
    root_p : float
        The smallest dip p-value of any view of the whole set (1 when it has too few symbols):
        how close a market without groups came to a split.
    """

    labels: IntArray
    splits: tuple[Split, ...]
    merges: int
    isolated: int
    root_p: float = 1.0

    @property
    def n_groups(self) -> int:
        """Number of groups found."""
        return int(self.labels.max()) + 1 if len(self.labels) else 0

    def splits_table(self) -> pd.DataFrame:
        """One row per split, in the order made: ``size``, ``smaller``, ``p_value``, ``separation``, ``evidence``."""
        return pd.DataFrame(
            [(s.size, s.smaller, s.p_value, s.separation, "balanced window" if s.window else "whole view")
             for s in self.splits], columns=["size", "smaller", "p_value", "separation", "evidence"])


def find_groups(Z: FloatArray, random_state: int = 0) -> GroupSearch:
    """Find the groups of ``Z``'s rows that are separate modes (steps 1-5 of the module docstring).

    Parameters
    ----------
    Z : ndarray of shape (n_symbols, n_features)
        Prepared features (finite).
    random_state : int, default=0
        Seeds the k-means views and the samples of large sets.

    Returns
    -------
    GroupSearch
        One group when no view of the data has separate modes.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(8, 1, (40, 2))]
    >>> find_groups(Z).n_groups
    2
    >>> find_groups(rng.uniform(0, 10, (200, 2))).n_groups
    1
    """
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    key = (hashlib.blake2b(Z.tobytes(), digest_size=16).hexdigest(), Z.shape, int(random_state))
    return _SEARCHES.get(key, lambda: _search(Z, int(random_state)))


# A search depends on the features only: a k change, a map change or a second analyst on the
# same window reuses it (4 KB of labels at 500 symbols, 40 KB at 5,000).
_SEARCHES = Memo(size=64)


def _search(Z: FloatArray, random_state: int) -> GroupSearch:
    rng = np.random.default_rng(random_state)
    isolated = _isolated(Z)
    core = np.flatnonzero(~isolated)
    labels = np.zeros(len(Z), dtype=int)
    leaves, splits, root_p = _divide(Z[core], rng)
    leaves, merges = _merge(Z[core], leaves)
    for g, members in enumerate(leaves):
        labels[core[members]] = g
    if isolated.any() and len(core):
        nearest = NearestNeighbors(n_neighbors=1).fit(Z[core]).kneighbors(Z[isolated], return_distance=False)
        labels[isolated] = labels[core[nearest[:, 0]]]
    labels = _polish(Z, labels)
    labels.setflags(write=False)
    return GroupSearch(labels, tuple(splits), merges, int(isolated.sum()), root_p)


def _isolated(Z: FloatArray) -> np.ndarray:
    """Symbols far from every other (step 1), not the members of a small far group.

    Far: the distance to the second-nearest neighbour (a pair far away is still far) is
    over ``PEEL_FACTOR`` times its 90th percentile. A far symbol whose tenth neighbour is
    more than twice as far as its second sits in a small group of its own (five pegged
    coins): it stays in the search. At most ``PEEL_SHARE`` of the symbols, farthest first.
    """
    n = len(Z)
    out = np.zeros(n, dtype=bool)
    if n < 20:
        return out
    distances, _ = NearestNeighbors(n_neighbors=11).fit(Z).kneighbors(Z)
    second, tenth = distances[:, 2], distances[:, 10]
    threshold = PEEL_FACTOR * np.percentile(second, 90)
    far = np.flatnonzero((second > threshold) & (tenth <= 2 * second)) if threshold > 0 else np.array([], int)
    out[far[np.argsort(-second[far])][: int(PEEL_SHARE * n)]] = True
    return out


def _divide(Z: FloatArray, rng: np.random.Generator) -> tuple[list[IntArray], list[Split], float]:
    """Split recursively (steps 2-3); return the leaves, the splits and the root's smallest p-value."""
    leaves, splits, stack, root_p = [], [], [np.arange(len(Z))], None
    while stack:
        node = stack.pop()
        found, smallest = _best_split(Z[node], rng)
        root_p = smallest if root_p is None else root_p
        if found is None:
            leaves.append(node)
            continue
        left, split = found
        splits.append(split)
        stack += [node[~left], node[left]]
    leaves.sort(key=lambda members: members.min())
    return leaves, splits, float(root_p)


def _best_split(Y: FloatArray, rng: np.random.Generator) -> tuple[tuple[np.ndarray, Split] | None, float]:
    """Return the split of ``Y`` with the strongest evidence of separate modes if strong enough, and the smallest p."""
    n = len(Y)
    if n < 2 * MIN_GROUP:
        return None, 1.0
    search = Y if n <= SEARCH_MAX else Y[_search_sample(Y, rng)]
    floor = SEPARATION_FLOOR + SEPARATION_SMALL / n if n < SMALL_NODE else FAR_SEPARATION
    best, smallest = None, 1.0
    for v in _views(search, rng):
        if best is not None and best[0] == 0.0:
            break  # the dip test's p-value table bottoms out at 0: no later view can show stronger evidence
        xs = np.sort(search @ v)
        for p_value, cut, window in _view_tests(xs):
            smallest = min(smallest, p_value)
            if p_value >= (ALPHA_SMALL if n < SMALL_NODE else ALPHA_FAR) or (best is not None and p_value >= best[0]):
                continue
            separation = _separation(xs, cut)
            if (n < SMALL_NODE or p_value >= ALPHA) and separation < floor:
                continue  # few points, or weaker evidence: the two sides must also be far apart
            best = (p_value, v, cut, window, separation)
    if best is None:
        return None, smallest
    p_value, v, cut, window, separation = best
    left = Y @ v < cut
    smaller = int(min(left.sum(), n - left.sum()))
    if smaller < MIN_GROUP:
        return None, smallest
    return (left, Split(n, smaller, float(p_value), float(separation), bool(window))), smallest


def _search_sample(Y: FloatArray, rng: np.random.Generator) -> IntArray:
    """Return the rows to search a large set's views on: its farthest points and a seeded sample of the rest.

    The ``SEARCH_FAR`` points farthest from the median are always in, so a small far group
    (five stablecoins among 5,000 coins) is always seen; ``SEARCH_MAX`` rows in all.
    """
    distance = ((Y - np.median(Y, axis=0)) ** 2).sum(axis=1)
    far = np.argpartition(-distance, SEARCH_FAR)[:SEARCH_FAR]
    rest = np.setdiff1d(np.arange(len(Y)), far)
    return np.r_[far, rng.choice(rest, SEARCH_MAX - SEARCH_FAR, replace=False)]


def _views(Y: FloatArray, rng: np.random.Generator) -> list[FloatArray]:
    """Return unit directions to look along (step 2): axes, principal and k-means directions, their refinements."""
    n, d = Y.shape
    centred = Y - Y.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    views = [*np.eye(d), *vt[:N_PRINCIPAL]]
    for k in (2, 3):
        if n > 2 * k:
            centres = _kmeans_centres(Y, k, rng)
            views += [centres[j] - centres[i] for i in range(k) for j in range(i + 1, k)]
    views = [v / norm for v in views if (norm := np.linalg.norm(v)) > 1e-12]
    covariance = np.atleast_2d(np.cov(Y, rowvar=False))
    shrink = float(np.clip(2.0 * d / n, 0.05, 1.0))  # few points: a discriminant overfits, lean on the diagonal
    inverse = np.linalg.pinv((1 - shrink) * covariance + shrink * np.diag(np.diag(covariance)))
    return views + [_refine(Y, v, inverse) for v in views]


def _refine(Y: FloatArray, v: FloatArray, inverse: FloatArray) -> FloatArray:
    """Alternate the best 1-D 2-means cut along ``v`` and the discriminant direction of that cut."""
    for _ in range(REFINE_STEPS):
        projection = Y @ v
        left = projection < _otsu(projection)
        if left.all() or not left.any():
            break
        w = inverse @ (Y[~left].mean(axis=0) - Y[left].mean(axis=0))
        norm = np.linalg.norm(w)
        if norm < 1e-12:
            break
        w = w / norm
        done = abs(float(w @ v)) > 1 - 1e-9
        v = w
        if done:
            break
    return v


def _otsu(x: FloatArray) -> float:
    """Return the cut of ``x`` maximising the between-sides variance (exact 1-D 2-means)."""
    xs = np.sort(x)
    n = len(xs)
    sums = np.cumsum(xs)
    i = np.arange(1, n)
    between = i * (n - i) * (sums[:-1] / i - (sums[-1] - sums[:-1]) / (n - i)) ** 2
    j = int(np.argmax(between))
    return float((xs[j] + xs[j + 1]) / 2)


def _view_tests(xs: FloatArray) -> list[tuple[float, float, bool]]:
    """``(p_value, cut, window)`` of one sorted view: the whole view's dip, and each valley's balanced window."""
    cuts = _valleys(xs)
    if not cuts:
        return []
    tests = [(float(diptest(xs, sort_x=False)[1]), cuts[0], False)]
    for cut in cuts:
        i = int(np.searchsorted(xs, cut))
        m = min(i, len(xs) - i)
        tests.append((float(diptest(xs[i - m : i + m], sort_x=False)[1]), cut, True))
    return tests


def _valleys(xs: FloatArray) -> list[float]:
    """Up to ``N_CUTS`` local minima of a binned Gaussian density of sorted ``xs``, deepest first.

    Bandwidth: half of Silverman's rule on the robust spread, so that two modes a few
    within-group deviations apart still show a valley. Each cut leaves ``MIN_GROUP``
    points on either side.
    """
    n = len(xs)
    lo, hi = xs[MIN_GROUP - 1], xs[n - MIN_GROUP]
    spread = min(xs.std(), (xs[(3 * (n - 1)) // 4] - xs[(n - 1) // 4]) / 1.349) or xs.std()
    if hi <= lo or spread <= 0:
        return []
    bandwidth = 0.45 * spread * n ** -0.2
    bins = 512
    counts, edges = np.histogram(xs, bins=bins, range=(xs[0], xs[-1]))
    step = edges[1] - edges[0]
    half = min(int(np.ceil(4 * bandwidth / step)), bins)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * step / bandwidth) ** 2)
    density = np.convolve(counts, kernel)[half : half + bins]
    centres = (edges[:-1] + edges[1:]) / 2
    inner = density[1:-1]
    minima = np.flatnonzero((inner < density[:-2]) & (inner <= density[2:])) + 1
    minima = minima[(centres[minima] > lo) & (centres[minima] < hi)]
    deepest = minima[np.argsort(density[minima], kind="stable")][:N_CUTS]
    return [float(centres[i]) for i in deepest]


def _separation(x: FloatArray, cut: float) -> float:
    """Robust distance between the two sides of ``cut`` (:func:`_gap`)."""
    left = x < cut
    return _gap(x[left], x[~left])


def _gap(a: FloatArray, b: FloatArray) -> float:
    """Distance between the medians of ``a`` and ``b`` in pooled robust deviations (1.4826 MAD).

    Robust, so that one far symbol on a side (the benchmark among its followers) does not
    hide a gap. 0 when a side has fewer than 2 points.
    """
    if len(a) < 2 or len(b) < 2:
        return 0.0
    ma, mb = np.median(a), np.median(b)
    sa, sb = 1.4826 * np.median(np.abs(a - ma)), 1.4826 * np.median(np.abs(b - mb))
    pooled = np.sqrt((sa**2 * len(a) + sb**2 * len(b)) / (len(a) + len(b)))
    return float(abs(mb - ma) / pooled) if pooled > 0 else float("inf")


def _kmeans_centres(Y: FloatArray, k: int, rng: np.random.Generator, restarts: int = 2, steps: int = 20) -> FloatArray:
    """Centres of a small seeded k-means (k-means++ starts): only a direction to look along, not a result."""
    squares = (Y**2).sum(axis=1)
    best, best_cost = None, np.inf
    for _ in range(restarts):
        centres = Y[[int(rng.integers(len(Y)))]]
        while len(centres) < k:
            d2 = np.maximum(squares[:, None] - 2 * Y @ centres.T + (centres**2).sum(axis=1), 0).min(axis=1)
            total = d2.sum()
            pick = int(rng.choice(len(Y), p=d2 / total)) if total > 0 else int(rng.integers(len(Y)))
            centres = np.r_[centres, Y[[pick]]]
        assign = np.full(len(Y), -1)
        for _ in range(steps):
            moved = (squares[:, None] - 2 * Y @ centres.T + (centres**2).sum(axis=1)).argmin(axis=1)
            if np.array_equal(moved, assign):
                break
            assign = moved
            onehot = np.eye(k)[assign]
            counts = onehot.sum(axis=0)
            centres = np.where(counts[:, None] > 0, onehot.T @ Y / np.maximum(counts, 1)[:, None], centres)
        cost = float(((Y - centres[assign]) ** 2).sum())
        if cost < best_cost:
            best, best_cost = centres, cost
    return best


def _merge(Z: FloatArray, leaves: list[IntArray]) -> tuple[list[IntArray], int]:
    """Merge back, most plainly unimodal first, pairs of large groups that are one population (step 4).

    Each pair is tested once; a merge only adds the new group's pairs.
    """
    groups: dict[int, IntArray] = dict(enumerate(leaves))
    tested: dict[tuple[int, int], float] = {}

    def test(i: int, j: int) -> None:
        if len(groups[i]) + len(groups[j]) >= MERGE_MIN:
            tested[(i, j)] = _union_p(Z[groups[i]], Z[groups[j]])

    keys = list(groups)
    for a, i in enumerate(keys):
        for j in keys[a + 1 :]:
            test(i, j)
    merges, fresh = 0, len(leaves)
    while tested:
        (i, j), p_value = max(tested.items(), key=lambda item: item[1])
        if p_value <= MERGE_P:
            break
        groups[fresh] = np.sort(np.r_[groups.pop(i), groups.pop(j)])
        tested = {pair: p for pair, p in tested.items() if i not in pair and j not in pair}
        for k in groups:
            if k != fresh:
                test(k, fresh)
        fresh, merges = fresh + 1, merges + 1
    return sorted(groups.values(), key=lambda members: members.min()), merges


def _union_p(a: FloatArray, b: FloatArray) -> float:
    """Smallest dip p-value of two groups' balanced window along their mean difference and discriminant direction.

    Two directions, because each misses a case: the discriminant direction discounts the
    axis along which a small, spread-out group (four stablecoins at 1-2 % volatility) sits
    far from a large one, the mean difference ignores the large group's shape. 0 when the
    two groups are as far apart as a split requires of their size (:func:`_best_split`).
    """
    d = a.shape[1]
    n = len(a) + len(b)
    floor = SEPARATION_FLOOR + SEPARATION_SMALL / n if n < SMALL_NODE else FAR_SEPARATION
    residuals = np.r_[a - a.mean(axis=0), b - b.mean(axis=0)]
    covariance = residuals.T @ residuals / max(n - 2, 1)
    covariance = (1 - SHRINK) * covariance + SHRINK * np.eye(d) * np.trace(covariance) / d + 1e-12 * np.eye(d)
    difference = b.mean(axis=0) - a.mean(axis=0)
    smallest = 1.0
    for v in (difference, np.linalg.solve(covariance, difference)):
        norm = np.linalg.norm(v)
        if norm < 1e-12:
            continue
        pa, pb = np.sort(a @ v / norm), np.sort(b @ v / norm)
        if _gap(pa, pb) >= floor:
            return 0.0
        m = min(len(pa), len(pb))
        smallest = min(smallest, float(diptest(np.r_[pa[-m:], pb[:m]])[1]))
    return smallest


def _polish(Z: FloatArray, labels: IntArray) -> IntArray:
    """Reassign symbols to the nearest group mean in the pooled within-group metric (step 5); groups renumbered."""
    n, d = Z.shape
    for _ in range(POLISH_STEPS):
        groups = np.unique(labels)
        if len(groups) < 2:
            break
        codes = np.searchsorted(groups, labels)
        means = np.array([Z[codes == g].mean(axis=0) for g in range(len(groups))])
        residuals = Z - means[codes]
        covariance = residuals.T @ residuals / max(n - len(groups), 1)
        covariance = (1 - SHRINK) * covariance + SHRINK * np.diag(np.diag(covariance)) + 1e-9 * np.eye(d)
        inverse = np.linalg.inv(covariance)
        diff = Z[:, None, :] - means[None]
        moved = groups[np.einsum("nkd,de,nke->nk", diff, inverse, diff).argmin(axis=1)]
        if np.array_equal(moved, labels):
            break
        labels = moved
    return np.unique(labels, return_inverse=True)[1]
