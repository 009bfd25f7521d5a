"""Satellite capacity per area, the assignment of sites under it, and the joint choice.

Capacity a system offers one coarse area (an H3 res-5 parent, ~253 km^2) at step ``t``
(``research/backhaul-anchors.md`` §3.4):

    C(t, a) = min(n_visible(t, a) * beams_per_satellite * area_share, max_beams_per_area)
              * mbps_per_beam                                               [Mbit/s]

``n_visible`` is what the engine counts for the system over the area at each step;
``area_share`` is the share of one satellite's beams that may point at one area (the
rest serve the other areas in its field of regard); ``max_beams_per_area`` is the
spectrum cap (colours x polarisations). The plan uses a low percentile over time
(default p10, as Ookla's p10 speeds): capacity that is there 90 % of the time.

Assignment under capacity (:func:`assign_with_capacity`): sites claim capacity in order
of *regret* (cost of their second-best option minus their best, highest first), each
taking its cheapest option that still has room in its area. So the sites that are
cheapest to move are the ones moved to their next option. One pass, deterministic;
lowering one system's capacity never raises the demand it carries (a site's claim only
fails where the load so far plus its demand exceeds the capacity, and the loads before
the first failure are the same), and unlimited capacity gives every site its cheapest
option.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numba
import numpy as np

from ..errors import CoverageError
from .network import FibreGraph, NetworkDesign, design_network, prepare_graph


class CapacityError(CoverageError):
    """Capacity or option inputs that are inconsistent (shapes, unknown areas, signs)."""


@dataclass(frozen=True)
class SatelliteCapacity:
    """How much one system can deliver into one coarse area.

    Attributes
    ----------
    beams_per_satellite : float
        User downlink beams of one satellite [1].
    mbps_per_beam : float
        Throughput of one beam [Mbit/s].
    area_share : float
        Share of a satellite's beams that may serve one area at a time [1].
    max_beams_per_area : float
        Beams one area can use at once (frequency reuse: colours x polarisations) [1].
    source : str
        Where the numbers come from; ``[ASSUMPTION]`` marks our own choices.
    """

    beams_per_satellite: float
    mbps_per_beam: float
    area_share: float
    max_beams_per_area: float = math.inf
    source: str = "[ASSUMPTION]"

    def capacity_mbps(self, visible_count):
        """``C(t, a)`` [Mbit/s] for visible counts of any shape; NaN stays NaN (unknown)."""
        n = np.asarray(visible_count, dtype=np.float64)
        beams = np.minimum(n * self.beams_per_satellite * self.area_share, self.max_beams_per_area)
        return beams * self.mbps_per_beam


#: Defaults per system family; replace with operator figures where known.
DEFAULT_CAPACITY = {
    "starlink": SatelliteCapacity(
        48,
        1_230.0,
        1.0 / 48.0,
        8.0,
        "48 downlink beams (Puchol, bufferbloat list); 1.23 Gbit/s per 240 MHz beam "
        "(derived from Pekhterev, SatMagazine 2021: 20.22 Gbit/s per satellite); 8 beams per "
        "cell in one polarisation (Pekhterev); area_share = one beam of each satellite per "
        "res-5 area [ASSUMPTION]",
    ),
    "oneweb": SatelliteCapacity(
        16,
        450.0,
        1.0 / 16.0,
        2.0,
        "16 user beams, ~450 Mbit/s forward per 250 MHz beam (kusat.com OneWeb resources, "
        "weak); area_share one beam per satellite and 2 beams per area [ASSUMPTION]",
    ),
    "kuiper": SatelliteCapacity(
        32,
        1_000.0,
        1.0 / 32.0,
        8.0,
        "[ASSUMPTION] no per-satellite Kuiper figure found (research §6); Starlink-like",
    ),
    "geo": SatelliteCapacity(
        1,
        500.0,
        0.1,
        1.0,
        "[ASSUMPTION] one HTS spot beam of 500 Mbit/s over the area, a tenth of it "
        "available to one res-5 area (a spot beam spans tens of such areas)",
    ),
}


def default_capacity(system: str, orbit: str) -> SatelliteCapacity:
    """The default for a system name (matched by family) or its orbit class."""
    name = system.lower()
    for family, model in DEFAULT_CAPACITY.items():
        if family in name:
            return model
    if orbit.lower() == "geo":
        return DEFAULT_CAPACITY["geo"]
    return DEFAULT_CAPACITY["kuiper"]  # an unknown LEO: the labelled assumption


def area_capacity_mbps(visible_count, model: SatelliteCapacity, percentile: float = 10.0):
    """Planning capacity per area: the ``percentile`` over time of ``C(t, a)`` [Mbit/s].

    Parameters
    ----------
    visible_count : array_like, ``(n_time, n_area)``
        Satellites of one system in view of each area at each step; NaN = unknown (a
        failed propagation), ignored in the percentile.
    model : SatelliteCapacity
    percentile : float
        Share of time below which the capacity may fall [%]; default 10 (p10).

    Returns
    -------
    numpy.ndarray, ``(n_area,)``
        Capacity [Mbit/s]; 0 for an area with no known step (unknown is not plannable).
    """
    count = np.asarray(visible_count, dtype=np.float64)
    if count.ndim != 2:
        raise CapacityError(
            f"area_capacity_mbps visible_count: expected (n_time, n_area), "
            f"found shape {count.shape}; pass counts per step and area"
        )
    if not 0.0 <= percentile <= 100.0:
        raise CapacityError(
            f"area_capacity_mbps percentile: expected 0-100, found {percentile}; p10 is 10"
        )
    cap = model.capacity_mbps(count)
    known = np.isfinite(cap).any(axis=0)
    out = np.zeros(cap.shape[1])
    if known.any():
        out[known] = np.nanpercentile(cap[:, known], percentile, axis=0)
    return out


def area_index(site_area_id, area_ids) -> np.ndarray:
    """Position of each site's coarse-cell id in ``area_ids``, ``(n_site,)`` int64."""
    ids = np.asarray(area_ids)
    sites = np.asarray(site_area_id)
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids[order], sites)
    pos = np.minimum(pos, ids.size - 1)
    found = ids[order][pos] == sites
    if not np.all(found):
        missing = sites[~found][0].item()
        raise CapacityError(
            f"area_index: expected every site's coarse cell among the "
            f"{ids.size} capacity areas, found {missing!r} missing; compute "
            "the visible counts over every coarse cell that holds a site"
        )
    return order[pos].astype(np.int64)


@dataclass(frozen=True)
class CapacityAssignment:
    """Options taken under capacity. ``choice`` indexes the options; -1 = none fits.

    Attributes
    ----------
    choice, preferred : int64 array, ``(n_site,)``
        Option taken / cheapest option ignoring capacity (-1 if none is feasible).
    capacity_limited : bool array, ``(n_site,)``
        The site did not get its preferred option because the area was full.
    load_mbps : float array, ``(n_option, n_area)``
        Demand each option carries per area [Mbit/s].
    share : float array, ``(n_option,)``
        Share of all demand each option carries [1].
    capacity_mbps : float array, ``(n_option, n_area)``
        The capacities the assignment ran against [Mbit/s] (inf = unlimited).
    """

    choice: np.ndarray
    preferred: np.ndarray
    capacity_limited: np.ndarray
    load_mbps: np.ndarray
    share: np.ndarray
    capacity_mbps: np.ndarray

    @property
    def load_fraction(self) -> np.ndarray:
        """Load over capacity per (option, area) [1]; 0 where unlimited, inf on a zero
        capacity carrying load."""
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = self.load_mbps / self.capacity_mbps
        frac = np.where(np.isnan(frac), 0.0, frac)
        return np.where(np.isfinite(self.capacity_mbps), frac, 0.0)


def assign_with_capacity(
    option_cost_usd, demand_mbps, site_area, capacity_mbps, fixed_choice=None
) -> CapacityAssignment:
    """Each site's cheapest option with room left in its area (regret order, one pass).

    Parameters
    ----------
    option_cost_usd : array_like, ``(n_option, n_site)``
        Present value of each option at each site [USD]; inf where infeasible.
    demand_mbps : array_like, ``(n_site,)``
        Busy-hour demand [Mbit/s].
    site_area : array_like of int, ``(n_site,)``
        Index of each site's coarse area (see :func:`area_index`).
    capacity_mbps : array_like, ``(n_option, n_area)``
        Planning capacity of each option per area [Mbit/s]; inf for options without a
        capacity limit (fibre, microwave).
    fixed_choice : array_like of int, ``(n_site,)``, optional
        An option a site must take (-1: free), e.g. fibre for the sites the network
        design serves; fixed sites load their option first.
    """
    cost = np.asarray(option_cost_usd, dtype=np.float64)
    n_option, n_site = cost.shape
    demand = np.broadcast_to(np.asarray(demand_mbps, np.float64), (n_site,))
    area = np.broadcast_to(np.asarray(site_area, np.int64), (n_site,))
    cap = np.asarray(capacity_mbps, np.float64)
    if cap.ndim != 2 or cap.shape[0] != n_option or (n_site and area.max() >= cap.shape[1]):
        raise CapacityError(
            f"assign_with_capacity capacity_mbps: expected ({n_option}, "
            f"n_area > max site_area), found {cap.shape}; one row per option"
        )
    ranked = np.argsort(cost, axis=0, kind="stable")  # (n_option, n_site)
    sorted_cost = np.take_along_axis(cost, ranked, axis=0)
    best = sorted_cost[0]
    second = sorted_cost[1] if n_option > 1 else np.full(n_site, np.inf)
    regret = np.full(n_site, np.inf)  # a site with one feasible option claims first
    two = np.isfinite(second)
    regret[two] = second[two] - best[two]
    fixed = (
        np.full(n_site, -1, np.int64)
        if fixed_choice is None
        else np.broadcast_to(np.asarray(fixed_choice, np.int64), (n_site,))
    )
    order = np.lexsort((np.arange(n_site), -regret))
    load = np.zeros_like(cap)
    choice = fixed.copy()
    if n_site and fixed.max() >= n_option:
        raise CapacityError(
            f"assign_with_capacity fixed_choice: expected -1 or an option in [0, {n_option}), "
            f"found {fixed.max()}; one index into option_cost_usd's rows per site"
        )
    # (fresh writable arrays: the compiled loops then have one signature)
    _load_fixed(load, np.flatnonzero(fixed >= 0), np.array(fixed), np.array(area), np.array(demand))
    free = order[fixed[order] < 0]
    # A site without demand adds nothing to any load, and takes its first feasible option
    # with ``load <= cap`` in its area; only the fixed sites can push a load above its
    # capacity (the others take room only where it is left), so that test gives the same
    # answer whenever in the order it is made: these sites are decided at once.
    idle = free[demand[free] == 0.0]
    if idle.size and not np.any(demand[free] < 0):  # (a negative demand would free room)
        room = load <= cap  # (n_option, n_area), the same after every later step
        fits = np.isfinite(sorted_cost[:, idle]) & room[ranked[:, idle], area[idle]]
        first = np.argmax(fits, axis=0)
        taken = ranked[first, idle]
        choice[idle] = np.where(fits.any(axis=0), taken, -1)
        free = free[demand[free] != 0.0]
    _claim_in_order(
        load,
        choice,
        np.array(free, np.int64),
        np.ascontiguousarray(ranked[:, free].T),
        np.ascontiguousarray(np.isfinite(sorted_cost[:, free]).T),
        demand[free],
        area[free],
        np.array(cap),
    )
    preferred = np.where(fixed >= 0, fixed, np.where(np.isfinite(best), ranked[0], -1))
    total = float(demand.sum())
    share = load.sum(axis=1) / total if total > 0 else np.zeros(n_option)
    return CapacityAssignment(choice, preferred, choice != preferred, load, share, cap)


@numba.njit(cache=True, nogil=True)
def _load_fixed(load, fixed_sites, fixed, area, demand):  # pragma: no cover (compiled)
    """Add each fixed site's demand to its option's load in its area, in site order."""
    for s in fixed_sites:
        load[fixed[s], area[s]] += demand[s]


@numba.njit(cache=True, nogil=True)
def _claim_in_order(load, choice, sites, ranked, finite, demand, area, cap):  # pragma: no cover
    """The claims of :func:`assign_with_capacity`, one site after the other: row ``k``
    of ``ranked`` (options, cheapest first) and ``finite`` (feasible) belong to site
    ``sites[k]``, which takes its first feasible option with ``load + demand <= cap`` in
    its area. ``load`` and ``choice`` are updated in place."""
    for k in range(sites.size):
        a, d = area[k], demand[k]
        for j in range(ranked.shape[1]):
            if not finite[k, j]:
                break
            o = ranked[k, j]
            if load[o, a] + d <= cap[o, a]:
                load[o, a] += d
                choice[sites[k]] = o
                break


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True)
class SiteOption:
    """One backhaul option at every site.

    Attributes
    ----------
    name : str
        ``fiber``, ``microwave`` or a satellite code name such as ``leo_starlink``.
    kind : {"fiber", "microwave", "satellite"}
    cost_usd : numpy.ndarray, ``(n_site,)``
        Present value over the horizon [USD]; inf where infeasible (no path, no link,
        no coverage).
    licensed : bool
        Unlicensed options are not chosen; they explain a choice (``leo_not_licensed``).
    capacity_mbps : numpy.ndarray, ``(n_area,)``, optional
        Planning capacity per coarse area [Mbit/s]; None = unlimited.
    detail : numpy.ndarray, ``(n_site,)``, optional
        For fibre, sites sharing the trunk; for microwave, hops on the chain.
    """

    name: str
    kind: Literal["fiber", "microwave", "satellite"]
    cost_usd: np.ndarray
    licensed: bool = True
    capacity_mbps: np.ndarray | None = None
    detail: np.ndarray | None = field(default=None)


@dataclass(frozen=True)
class SiteDecision:
    """The joint choice per site, ``(n_site,)`` arrays; costs are present values [USD].

    ``choice`` and ``runner_up`` index ``names`` (-1 = none); ``reason`` holds strings
    ``<choice>:<why>`` such as ``fiber:shared_trunk(n=34)``, ``microwave:2_hops``,
    ``leo_starlink:capacity_ok``, ``geo_paksat:leo_not_licensed``,
    ``fiber:leo_capacity_limited``, ``none:no_feasible_option``.
    """

    names: tuple[str, ...]
    choice: np.ndarray
    chosen_cost_usd: np.ndarray
    runner_up: np.ndarray
    runner_up_cost_usd: np.ndarray
    reason: np.ndarray
    assignment: CapacityAssignment


def _family(name: str) -> str:
    return name.split("_")[0]


def decide_sites(
    options: Sequence[SiteOption], demand_mbps, site_area=None, on_fibre_tree=None, explain=None
) -> SiteDecision:
    """Choose per site among the licensed options under satellite capacity.

    Parameters
    ----------
    options : sequence of SiteOption
        Order breaks cost ties (earlier wins).
    demand_mbps : array_like, ``(n_site,)``
        Busy-hour demand [Mbit/s].
    site_area : array_like of int, ``(n_site,)``, optional
        Coarse-area index of each site; required when an option has a capacity.
    on_fibre_tree : array_like of bool, ``(n_site,)``, optional
        Sites the network design serves: they take the option named ``fiber`` (the tree
        is a joint choice; a site's allocated share may exceed its own alternative).
    explain : array_like of bool, ``(n_site,)``, optional
        The sites whose ``reason`` is wanted (the others get ``""``); all by default.
    """
    chosen_options = [o for o in options if o.licensed]
    names = tuple(o.name for o in chosen_options)
    if not chosen_options:
        raise CapacityError(
            "decide_sites: expected at least one licensed option, found none; "
            "fibre is always licensed: pass it"
        )
    cost = np.stack([np.asarray(o.cost_usd, np.float64) for o in chosen_options])
    n_site = cost.shape[1]
    if any(np.asarray(o.cost_usd).shape != (n_site,) for o in options):
        raise CapacityError(
            "decide_sites: expected every option's cost_usd of shape "
            f"({n_site},); pass one cost per site"
        )
    capped = [o.capacity_mbps is not None for o in chosen_options]
    if any(capped) and site_area is None:
        raise CapacityError(
            "decide_sites: an option has a capacity per area but site_area "
            "is missing; pass each site's coarse-area index"
        )
    area = np.zeros(n_site, np.int64) if site_area is None else np.asarray(site_area, np.int64)
    n_area = int(area.max()) + 1 if n_site else 1
    for o in chosen_options:
        if o.capacity_mbps is not None:
            n_area = max(n_area, np.asarray(o.capacity_mbps).size)
    cap = np.stack(
        [
            np.full(n_area, np.inf)
            if o.capacity_mbps is None
            else np.asarray(o.capacity_mbps, np.float64)
            for o in chosen_options
        ]
    )
    fixed = None
    if on_fibre_tree is not None:
        if "fiber" not in names:
            raise CapacityError("decide_sites: on_fibre_tree given but no option named 'fiber'")
        tree = np.broadcast_to(np.asarray(on_fibre_tree, bool), (n_site,))
        fixed = np.where(tree, names.index("fiber"), -1)
    result = assign_with_capacity(cost, demand_mbps, area, cap, fixed)
    choice = result.choice
    sites = np.arange(n_site)
    chosen_cost = np.where(choice >= 0, cost[np.maximum(choice, 0), sites], np.nan)
    others = cost.copy()
    others[np.maximum(choice, 0), sites] = np.where(
        choice >= 0, np.inf, others[np.maximum(choice, 0), sites]
    )
    runner = np.argmin(others, axis=0)
    runner_cost = others[runner, sites]
    runner = np.where(np.isfinite(runner_cost), runner, -1)
    runner_cost = np.where(runner >= 0, runner_cost, np.nan)
    unlicensed = [o for o in options if not o.licensed]
    reason = np.empty(n_site, dtype=object) if explain is None else np.full(n_site, "", object)
    wanted = np.arange(n_site) if explain is None else np.flatnonzero(explain)
    reason[wanted] = _reasons(wanted, result, chosen_options, unlicensed, chosen_cost)
    return SiteDecision(names, choice, chosen_cost, runner, runner_cost, reason, result)


def _reasons(sites: np.ndarray, result: CapacityAssignment, options, unlicensed, chosen_cost):
    """``<choice>:<why>`` for each of ``sites`` (int array), an object array of str.

    The rules, first that applies: no option (``none:<family>_capacity_limited`` when
    the preferred option was full, else ``none:no_feasible_option``); moved off a full
    preferred option (``<choice>:<family>_capacity_limited``); an unlicensed option
    cheaper than the choice (``<choice>:<family>_not_licensed``, the cheapest such,
    earlier options winning ties); fibre with its trunk (``fiber:shared_trunk(n=N)`` or
    ``fiber:own_spur``); microwave with its hops (``microwave:N_hop(s)``); a capacity
    limited option with room (``<choice>:capacity_ok``); else ``<choice>:cheapest``.
    The strings are made once per distinct reason and shared by the sites that have it.
    """
    sites = np.asarray(sites, np.int64)
    n_option = len(options)
    choice = result.choice[sites]
    preferred = result.preferred[sites]
    cost = chosen_cost[sites]
    # template per site: a string index into ``texts``; ``number`` fills the numbered ones
    texts: list[str] = []

    def text(t: str) -> int:
        texts.append(t)
        return len(texts) - 1

    template = np.full(sites.size, -1, np.int64)
    number = np.zeros(sites.size, np.int64)
    numbered: dict[int, object] = {}  # template -> function of the number
    undecided = np.ones(sites.size, bool)

    def settle(where, t: int) -> None:
        template[where & undecided] = t
        undecided[where] = False

    # no option at all
    none = choice < 0
    settle(none & (preferred < 0), text("none:no_feasible_option"))
    for p in range(n_option):
        settle(none & (preferred == p), text(f"none:{_family(options[p].name)}_capacity_limited"))
    # moved off a full preferred option (-1 would read the last option, as Python's index)
    limited = result.capacity_limited[sites]
    preferred = np.where(preferred < 0, preferred + n_option, preferred)
    for c in range(n_option):
        for p in range(n_option):
            family = _family(options[p].name)
            settle(
                (choice == c) & limited & (preferred == p),
                text(f"{options[c].name}:{family}_capacity_limited"),
            )
    # an unlicensed option cheaper than the choice (the cheapest, the first on ties)
    best = np.full(sites.size, -1, np.int64)
    best_cost = np.full(sites.size, np.nan)
    for k, u in enumerate(unlicensed):
        u_cost = np.asarray(u.cost_usd)[sites]
        take = (u_cost < cost) & ((best < 0) | (u_cost < best_cost))
        best[take] = k
        best_cost[take] = u_cost[take]
    for c in range(n_option):
        for k, u in enumerate(unlicensed):
            settle(
                undecided & (choice == c) & (best == k),
                text(f"{options[c].name}:{_family(u.name)}_not_licensed"),
            )
    for c, option in enumerate(options):
        here = undecided & (choice == c)
        if option.kind in ("fiber", "microwave") and option.detail is not None:
            detail = np.asarray(option.detail)[sites[here]]
            if detail.dtype.kind == "f" and not np.all(np.isfinite(detail)):
                int(detail[~np.isfinite(detail)][0])  # the error int() gives
            count = detail.astype(np.int64)  # int() of each: truncation towards zero
            t = text(option.kind)
            numbered[t] = _fibre_reason if option.kind == "fiber" else _microwave_reason
            template[here] = t
            number[here] = count
            undecided[here] = False
        elif option.capacity_mbps is not None:
            settle(here, text(f"{option.name}:capacity_ok"))
        else:
            settle(here, text(f"{option.name}:cheapest"))
    out = np.empty(sites.size, dtype=object)
    for t in np.unique(template).tolist():
        at = template == t
        if t not in numbered:
            out[at] = texts[t]
            continue
        values, inverse = np.unique(number[at], return_inverse=True)
        made = np.empty(values.size, dtype=object)
        made[:] = [numbered[t](int(v)) for v in values.tolist()]
        out[at] = made[inverse.reshape(-1)]
    return out


def _fibre_reason(n: int) -> str:
    return f"fiber:shared_trunk(n={n})" if n > 1 else "fiber:own_spur"


def _microwave_reason(hops: int) -> str:
    return f"microwave:{hops}_hop" + ("s" if hops != 1 else "")


# --------------------------------------------------------------------------- joint plan


@dataclass(frozen=True)
class JointPlan:
    """Fibre tree and per-site choice after the capacity loop.

    Attributes
    ----------
    design : NetworkDesign
        The last fibre tree.
    decision : SiteDecision
        The choice per site; ``reason`` keeps ``<choice>:<family>_capacity_limited`` for
        sites moved off a full system in any round, ``served:on_network`` for roots and
        ``none:no_demand`` for sites without demand.
    prize_usd : numpy.ndarray, ``(n_site,)``
        The prizes of the last tree (best non-fibre option still open) [USD].
    rounds : int
        Tree + assignment rounds run.
    """

    design: NetworkDesign
    decision: SiteDecision
    prize_usd: np.ndarray
    rounds: int


def joint_plan(
    graph: FibreGraph,
    root_mask,
    fibre_site_usd,
    options: Sequence[SiteOption],
    demand_mbps,
    site_area=None,
    max_rounds: int = 5,
    start_in_tree=None,
) -> JointPlan:
    """Fibre trunks, microwave and satellites chosen together, sites = graph nodes.

    Round: prizes = each site's cheapest licensed non-fibre option still open; the PCST
    (:func:`.network.design_network`) builds the tree; :func:`decide_sites` assigns the
    rest under capacity with the tree's sites fixed on fibre (cost = allocated trunk +
    site; off the tree, the stand-alone path). A site moved off a full system has that
    system closed to it, which raises its prize, and the tree is solved again, until no
    site moves (prizes only rise, so it ends) or ``max_rounds``.

    Parameters
    ----------
    graph : FibreGraph
    root_mask : array_like of bool, ``(n_site,)``
    fibre_site_usd : array_like or float
        Present value of the fibre site equipment [USD].
    options : sequence of SiteOption
        The non-fibre options (microwave, satellites; licensed or not), ``(n_site,)`` costs.
    demand_mbps : array_like, ``(n_site,)``
        Busy-hour demand [Mbit/s]; 0 for the sites the plan does not build for (not a
        target), which then get no option (``none:no_demand``), like the roots
        (``served:on_network``).
    site_area : array_like of int, ``(n_site,)``, optional
        Coarse-area index per site (needed if an option has a capacity).
    start_in_tree : array_like of bool, ``(n_site,)``, optional
        A tree every round's design starts from (``design_network``'s warm start).
    """
    n = graph.n_nodes
    roots = np.broadcast_to(np.asarray(root_mask, bool), (n,))
    demand = np.broadcast_to(np.asarray(demand_mbps, np.float64), (n,))
    site = np.broadcast_to(np.asarray(fibre_site_usd, np.float64), (n,))
    needs = (demand > 0) & ~roots
    closed = np.zeros((len(options), n), bool)
    limited_from = np.full(n, "", dtype=object)
    rounds = 0
    prepared = prepare_graph(graph, roots) if n and roots.any() else None  # every round's
    while rounds < max_rounds:
        rounds += 1
        open_options = [
            replace(o, cost_usd=np.where(closed[k], np.inf, np.asarray(o.cost_usd, np.float64)))
            for k, o in enumerate(options)
        ]
        licensed = [o.cost_usd for o in open_options if o.licensed]
        prize = np.min(np.stack(licensed), axis=0) if licensed else np.full(n, np.inf)
        prize = np.where(needs, prize, 0.0)
        design = design_network(
            graph,
            prize,
            roots,
            site,
            demand_weight=demand,
            start_in_tree=start_in_tree,
            prepared=prepared,
        )
        fibre_cost = np.where(
            design.served, design.allocated_trunk_usd + site, design.standalone_fibre_usd
        )
        fiber = SiteOption(
            "fiber",
            "fiber",
            fibre_cost,
            detail=np.where(design.served, design.cells_sharing_trunk, 1),
        )
        # reasons only where they are kept (the others are replaced below)
        decision = decide_sites(
            [fiber, *open_options], demand, site_area, design.served, explain=needs
        )
        moved = decision.assignment.capacity_limited & needs
        pref = decision.assignment.preferred
        newly = False
        for s in np.flatnonzero(moved).tolist():
            name = decision.names[pref[s]]
            k = next(i for i, o in enumerate(options) if o.name == name)
            if not closed[k, s]:
                closed[k, s] = True
                limited_from[s] = limited_from[s] or _family(name)
                newly = True
        if not newly:
            break
    reason = decision.reason.copy()
    choice_name = (*decision.names, "none")  # choice -1: "none"
    relabel = (limited_from != "") & needs
    reason[relabel] = [
        f"{choice_name[c]}:{f}_capacity_limited"
        for c, f in zip(
            decision.choice[relabel].tolist(), limited_from[relabel].tolist(), strict=True
        )
    ]
    reason[roots] = "served:on_network"
    reason[~needs & ~roots] = "none:no_demand"
    decision = replace(
        decision,
        reason=reason,
        choice=np.where(needs, decision.choice, -1),
        chosen_cost_usd=np.where(needs, decision.chosen_cost_usd, np.nan),
    )
    return JointPlan(design, decision, prize, rounds)
