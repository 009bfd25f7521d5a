"""The planning stage's faster formulations against the ones they replaced, bit for bit.

Each former formulation is kept here verbatim (per-site Python loops, the walk over every
item, one weight matrix per mean), or taken from the module where it is still kept there
(Python's heap of Horn's sequence, used for NaN people): the new code must give the same
strings, orders, integers and floats (``np.array_equal``, not ``allclose``), on random
inputs with ties, zeros, infinities, NaN and empty arrays. Planted bugs these tests
caught while written are named in each test's docstring.
"""

import numpy as np
import pytest
from hybridplan.coverage.planning.capacity import (
    CapacityAssignment,
    CapacityError,
    SiteOption,
    _family,
    assign_with_capacity,
    decide_sites,
)
from hybridplan.coverage.planning.rollout import (
    RolloutError,
    _check_forest,
    _horn_order,
    _horn_order_python,
    _reaches_a_root,
    rollout_order,
)
from hybridplan.coverage.planning.sites import Sites, cell_rows, cluster_points
from hybridplan.coverage.planning.sphere import chord_of_km, unit_vectors
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

# --------------------------------------------------------------------------- former code


def former_reason(s, c, result, options, unlicensed, cost):
    """``capacity._reason`` as it was: one Python call per site."""
    if c < 0:
        if result.preferred[s] >= 0:
            return f"none:{_family(options[result.preferred[s]].name)}_capacity_limited"
        return "none:no_feasible_option"
    option = options[c]
    if result.capacity_limited[s]:
        return f"{option.name}:{_family(options[result.preferred[s]].name)}_capacity_limited"
    cheaper = [u for u in unlicensed if np.asarray(u.cost_usd)[s] < cost]
    if cheaper:
        best = min(cheaper, key=lambda u: np.asarray(u.cost_usd)[s])
        return f"{option.name}:{_family(best.name)}_not_licensed"
    if option.kind == "fiber" and option.detail is not None:
        n = int(option.detail[s])
        return f"fiber:shared_trunk(n={n})" if n > 1 else "fiber:own_spur"
    if option.kind == "microwave" and option.detail is not None:
        hops = int(option.detail[s])
        return f"microwave:{hops}_hop" + ("s" if hops != 1 else "")
    if option.capacity_mbps is not None:
        return f"{option.name}:capacity_ok"
    return f"{option.name}:cheapest"


def former_assign_loop(cost, demand, area, cap, fixed):
    """The claims of ``assign_with_capacity`` as they were (Python loops), no idle shortcut."""
    n_option, n_site = cost.shape
    ranked = np.argsort(cost, axis=0, kind="stable")
    sorted_cost = np.take_along_axis(cost, ranked, axis=0)
    best = sorted_cost[0]
    second = sorted_cost[1] if n_option > 1 else np.full(n_site, np.inf)
    regret = np.full(n_site, np.inf)
    two = np.isfinite(second)
    regret[two] = second[two] - best[two]
    order = np.lexsort((np.arange(n_site), -regret))
    load = np.zeros_like(cap)
    choice = fixed.copy()
    for s in np.flatnonzero(fixed >= 0).tolist():
        load[fixed[s], area[s]] += demand[s]
    for s in order[fixed[order] < 0].tolist():
        for o, ok in zip(
            ranked[:, s].tolist(), np.isfinite(sorted_cost[:, s]).tolist(), strict=True
        ):
            if not ok:
                break
            if load[o, area[s]] + demand[s] <= cap[o, area[s]]:
                load[o, area[s]] += demand[s]
                choice[s] = o
                break
    return choice, load


def former_check_forest(parent):
    """``rollout._check_forest`` as it was: a walk from every item."""
    n = parent.size
    state = np.zeros(n, np.int8)
    for start in range(n):
        walk, i = [], start
        while i >= 0 and state[i] == 0:
            state[i] = 1
            walk.append(i)
            i = int(parent[i])
        if i >= 0 and state[i] == 1:
            raise RolloutError(f"cycle through item {i}")
        state[walk] = 2


def former_mean_over_cells(sites, per_cell, weight):
    """``Sites.mean_over_cells`` as it was: the weights built for every quantity."""
    values = np.nan_to_num(np.asarray(per_cell, dtype=np.float64), nan=0.0)
    w = sites.share.multiply(np.asarray(weight, dtype=np.float64)[:, None]).tocsc()
    total = np.asarray(w.sum(axis=0)).reshape(-1)
    value = np.asarray(w.T @ values).reshape(-1)
    mean = np.divide(value, total, out=np.full(total.shape, np.nan), where=total > 0)
    coo = w.tocoo()
    held = coo.data > 0
    site, cell = coo.col[held], coo.row[held]
    lo = np.full(sites.n_sites, np.inf)
    hi = np.full(sites.n_sites, -np.inf)
    np.minimum.at(lo, site, values[cell])
    np.maximum.at(hi, site, values[cell])
    inside = total > 0
    mean[inside] = np.clip(mean[inside], lo[inside], hi[inside])
    return mean


def former_allocate(sites, per_site, cell_population):
    """``Sites.allocate_to_cells`` as it was."""
    per_site = np.asarray(per_site, dtype=np.float64)
    finite = np.isfinite(per_site)
    per_person = np.divide(
        np.where(finite, per_site, 0.0),
        sites.population,
        out=np.zeros(sites.n_sites),
        where=sites.population > 0,
    )
    people = sites.share.multiply(np.asarray(cell_population, dtype=np.float64)[:, None])
    people = people.tocsr()
    out = np.asarray(people @ per_person).reshape(-1)
    defined = np.asarray(people @ (~np.isnan(per_site)).astype(float)).reshape(-1) > 0
    infinite = np.asarray(people @ np.isinf(per_site).astype(float)).reshape(-1) > 0
    out = np.where(infinite, np.inf, out)
    return np.where(defined, out, np.nan)


def former_cluster_points(lat, lon, radius_km, weight):
    """``cluster_points`` as it was: each leader's unit vector computed on its own."""
    order = np.lexsort((np.arange(lat.size), -weight))
    tree = cKDTree(unit_vectors(lat, lon))
    labels = np.full(lat.size, -1, dtype=np.int64)
    chord = chord_of_km(radius_km)
    site = 0
    for leader in order.tolist():
        if labels[leader] >= 0:
            continue
        near = np.asarray(
            tree.query_ball_point(
                unit_vectors(lat[leader : leader + 1], lon[leader : leader + 1])[0], chord
            ),
            dtype=np.int64,
        )
        near = near[labels[near] < 0]
        labels[near] = site
        labels[leader] = site
        site += 1
    return labels


# --------------------------------------------------------------------------- strategies

# costs drawn from a few values so that ties are common; inf = infeasible
COSTS = st.sampled_from([0.0, 1.0, 2.0, 2.0, 5.0, 7.5, np.inf, np.inf])
FAMILIES = ["leo_a", "leo_b", "geo_c", "meo_d", "microwave", "fiber"]


@st.composite
def site_problems(draw):
    n_site = draw(st.integers(0, 25))
    n_area = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kinds = ["fiber", "microwave", "satellite", "satellite", "satellite"]
    options = []
    for k in range(draw(st.integers(1, 6))):
        kind = kinds[k % len(kinds)]
        name = {"fiber": "fiber", "microwave": "microwave"}.get(kind, FAMILIES[k % 4] + str(k))
        cost = rng.choice([0.0, 1.0, 2.0, 5.0, np.inf], n_site)
        detail = None
        if kind != "satellite" and draw(st.booleans()):
            detail = rng.integers(0, 4, n_site).astype(draw(st.sampled_from([np.int64, float])))
        capacity = None
        if kind == "satellite" and draw(st.booleans()):
            capacity = rng.choice([0.0, 3.0, 10.0, np.inf], n_area)
        licensed = kind == "fiber" or draw(st.booleans())
        options.append(SiteOption(name, kind, cost, licensed, capacity, detail))
    demand = rng.choice([0.0, 0.0, 1.0, 2.5, 4.0], n_site)
    area = rng.integers(0, n_area, n_site)
    tree = rng.random(n_site) < 0.3 if draw(st.booleans()) else None
    explain = rng.random(n_site) < 0.7 if draw(st.booleans()) else None
    return options, demand, area, tree, explain


# --------------------------------------------------------------------------- reasons


@settings(max_examples=300, deadline=None)
@given(site_problems())
def test_site_reasons_equal_the_per_site_function(problem):
    """Every reason string equals the former per-site function's (planted: ``<=`` for
    ``<`` in the cheaper-unlicensed test, and the last instead of the first cheapest
    unlicensed option on ties; both failed here)."""
    options, demand, area, tree, explain = problem
    if tree is not None and not any(o.name == "fiber" and o.licensed for o in options):
        tree = None
    decision = decide_sites(options, demand, area, tree, explain)
    chosen = [o for o in options if o.licensed]
    unlicensed = [o for o in options if not o.licensed]
    wanted = range(demand.size) if explain is None else np.flatnonzero(explain).tolist()
    expected = np.full(demand.size, "", object) if explain is not None else [None] * demand.size
    for s in wanted:
        expected[s] = former_reason(
            s,
            decision.choice[s],
            decision.assignment,
            chosen,
            unlicensed,
            decision.chosen_cost_usd[s],
        )
    assert decision.reason.dtype == object
    assert decision.reason.tolist() == list(expected)


def test_site_reasons_by_hand():
    """The reason rules, one site each, written out."""
    inf = np.inf
    fiber = SiteOption("fiber", "fiber", np.array([1.0, 9, 9, 9, inf]), detail=[3, 1, 1, 1, 1])
    mw = SiteOption("microwave", "microwave", np.array([9.0, 2, 9, 9, inf]), detail=[1] * 5)
    leo = SiteOption("leo_x", "satellite", np.array([9.0, 9, 3, 3, inf]), capacity_mbps=[5.0])
    geo = SiteOption("geo_y", "satellite", np.array([inf, 9, 9, 4, inf]), licensed=False)
    d = decide_sites([fiber, mw, leo, geo], np.array([1.0, 1, 1, 6, 1]), np.zeros(5, int))
    assert d.reason.tolist() == [
        "fiber:shared_trunk(n=3)",
        "microwave:1_hop",  # geo's 9 is not cheaper than 2
        "leo_x:capacity_ok",
        "fiber:leo_capacity_limited",  # 6 Mbit/s do not fit in 5 (fibre before microwave)
        "none:no_feasible_option",
    ]
    fiber = SiteOption("fiber", "fiber", np.array([1.0, 9, 9, 9, 9]), detail=[3, 1, 1, 1, 2])
    d = decide_sites([fiber, geo], np.ones(5), np.zeros(5, int))
    assert d.reason.tolist() == [
        "fiber:shared_trunk(n=3)",
        "fiber:own_spur",  # a tie with the unlicensed geo: not cheaper
        "fiber:own_spur",
        "fiber:geo_not_licensed",  # 4 < 9
        "fiber:shared_trunk(n=2)",
    ]


def test_site_reasons_refuse_a_nan_fibre_count_as_before():
    """``int(nan)`` raised ValueError in the per-site function: so does the new one."""
    fiber = SiteOption("fiber", "fiber", np.array([1.0, 1.0]), detail=np.array([2.0, np.nan]))
    with pytest.raises(ValueError):
        decide_sites([fiber], np.ones(2), np.zeros(2, int))


# --------------------------------------------------------------------------- capacity


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 30),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_capacity_claims_equal_the_python_loop(n_site, n_option, n_area, seed, with_fixed):
    """Choice and loads equal the former Python loop bit for bit (planted: ``<`` for
    ``<=`` in the room test, and claims in site order instead of regret order; both
    failed here)."""
    rng = np.random.default_rng(seed)
    cost = rng.choice([0.0, 1.0, 2.0, 2.0, 5.0, np.inf], (n_option, n_site))
    demand = rng.choice([0.0, 0.1, 0.2, 0.3, 1.0, 2.5], n_site)  # 0.1 + 0.2: rounding
    area = rng.integers(0, n_area, n_site)
    cap = rng.choice([0.0, 0.3, 1.0, 3.0, np.inf], (n_option, n_area))
    fixed = (
        np.where(rng.random(n_site) < 0.3, rng.integers(0, n_option, n_site), -1)
        if with_fixed
        else np.full(n_site, -1)
    )
    result = assign_with_capacity(cost, demand, area, cap, fixed)
    choice, load = former_assign_loop(cost, demand, area, cap, fixed)
    assert np.array_equal(result.choice, choice)
    assert np.array_equal(result.load_mbps, load)
    assert isinstance(result, CapacityAssignment)


def test_capacity_refuses_a_fixed_choice_outside_the_options():
    with pytest.raises(CapacityError, match=r"fixed_choice: expected -1 or an option in \[0, 2\)"):
        assign_with_capacity(
            np.ones((2, 3)), np.ones(3), np.zeros(3, int), np.ones((2, 1)), [0, 2, -1]
        )


# --------------------------------------------------------------------------- rollout


@st.composite
def forests(draw, max_items=40):
    n = draw(st.integers(0, max_items))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    parent = np.array([rng.integers(-1, i) if i else -1 for i in range(n)], np.int64)
    perm = rng.permutation(n)  # items in any order, parents anywhere
    inverse = np.empty(n, np.int64)
    inverse[perm] = np.arange(n)
    parent = np.where(parent[perm] >= 0, inverse[np.maximum(parent[perm], 0)], -1)
    cost = rng.choice([0.0, 0.0, 1.0, 2.0, 3.0, 1e-300, 7.25], n)  # ties and zero costs
    people = rng.choice([0.0, 0.0, 1.0, 2.0, 4.0, 6.0], n)
    return parent, cost, people


@settings(max_examples=400, deadline=None)
@given(forests())
def test_horn_order_compiled_equals_python_heap(forest):
    """The compiled heap pops in Python's sequence, ties included (planted: the group
    compared before the key, and a group merged behind its parent's group after that
    was emitted; both failed here. The version's place in the order changes nothing:
    of two entries of one group only the newest is live)."""
    parent, cost, people = forest
    expected = _horn_order_python(parent, cost, people)
    got = _horn_order(parent, cost, people)
    assert got.tolist() == list(expected)
    assert sorted(got.tolist()) == list(range(parent.size))  # every item once


def test_rollout_order_with_nan_people_keeps_the_python_heap():
    """NaN people (no order among ratios) go to Python's heap, as before."""
    parent = np.array([-1, 0, -1, 2])
    cost = np.array([1.0, 1.0, 2.0, 1.0])
    people = np.array([np.nan, 3.0, 1.0, 5.0])
    r = rollout_order(parent, cost, people)
    assert r.order.tolist() == list(_horn_order_python(parent, cost, people))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 30), st.integers(0, 2**32 - 1), st.integers(0, 3))
def test_forest_check_equals_the_walks(n, seed, n_cycles):
    """No error on a forest; on a cycle the same item named as the former walks
    (planted: ``any`` for ``all`` in the doubling test, which lets cycles through;
    failed here)."""
    rng = np.random.default_rng(seed)
    parent = np.array([rng.integers(-1, i) if i else -1 for i in range(n)], np.int64)
    parent = parent[::-1].copy()  # long chains upwards in index too
    parent = np.where(parent >= 0, n - 1 - parent, -1)
    for _ in range(n_cycles if n else 0):
        parent[rng.integers(0, n)] = rng.integers(0, n)  # may close a cycle
    try:
        former_check_forest(parent)
        expected = None
    except RolloutError as err:
        expected = str(err).split("item ")[1]
    if expected is None:
        _check_forest(parent)
    else:
        with pytest.raises(RolloutError, match=rf"cycle through item {expected};"):
            _check_forest(parent)


def test_forest_check_on_a_chain_longer_than_half():
    """A chain of n items (the longest a forest has) passes; closing it is a cycle
    (planted: ``steps < n // 2`` as the doubling bound; failed here)."""
    n = 1025
    parent = np.arange(-1, n - 1)
    assert _reaches_a_root(parent)  # (not by the fallback walks)
    _check_forest(parent)
    parent[0] = n - 1
    with pytest.raises(RolloutError, match="cycle through item 0;"):
        _check_forest(parent)


# --------------------------------------------------------------------------- sites


@st.composite
def share_matrices(draw):
    n_cell = draw(st.integers(0, 30))
    n_site = draw(st.integers(0, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dense = np.where(rng.random((n_cell, n_site)) < 0.3, rng.random((n_cell, n_site)), 0.0)
    rows = dense.sum(axis=1)
    dense = np.divide(dense, rows[:, None], out=np.zeros_like(dense), where=rows[:, None] > 0)
    share = csr_matrix(dense)
    people = rng.choice([0.0, 1.0, 3.0, 1e6, 17.0], n_cell)
    site_people = np.asarray(share.T @ people).reshape(-1)
    sites = Sites(
        np.zeros(n_site),
        np.zeros(n_site),
        site_people,
        np.zeros(n_site, int),
        share,
        np.zeros(n_cell, int),
        5.0,
        np.zeros(0, int),
    )
    return sites, people, rng


@settings(max_examples=300, deadline=None)
@given(share_matrices())
def test_site_means_with_shared_weights_equal_the_former_means(case):
    """Means over cells, many quantities on one weight, equal the former one-by-one
    means bit for bit, NaN, inf and signed zeros included (planted: the running
    maximum keeping the first of two equal values, which keeps a zero's other sign, and
    ``reduceat`` for the bounds, which does the same; both failed here. The minimum's
    tie rule cannot show: a clipped zero takes the maximum's sign last)."""
    sites, people, rng = case
    mean = sites.mean_over_cells_by(people)
    for _ in range(3):
        values = rng.choice(
            [0.0, -0.0, 99.0, 99.0, 100.0, 12.345678901, np.nan, np.inf, -np.inf], people.size
        )
        if rng.random() < 0.5:  # sites whose cells are all zeros of both signs
            values = rng.choice([0.0, -0.0, -0.0, np.nan], people.size)
        expected = former_mean_over_cells(sites, values, people).view(np.int64)
        assert np.array_equal(mean(values).view(np.int64), expected)  # bits: -0.0, NaN
        assert np.array_equal(sites.mean_over_cells(values, people).view(np.int64), expected)


@settings(max_examples=300, deadline=None)
@given(share_matrices())
def test_allocation_with_shared_people_equals_the_former(case):
    """Allocation to cells of many amounts on one people matrix equals the former
    one-by-one allocation bit for bit."""
    sites, people, rng = case
    allocate = sites.allocate_to_cells_by(people)
    for _ in range(3):
        amount = rng.choice([0.0, 1.5, 1e7, np.nan, np.inf], sites.n_sites)
        expected = former_allocate(sites, amount, people)
        assert np.array_equal(allocate(amount), expected, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 300), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 1.0, 5.0, 40.0]))
def test_clusters_equal_the_per_leader_unit_vectors(n, seed, radius_km):
    """Leader clustering on the tree's own unit vectors equals the former per-leader
    vectors (a platform whose sin/cos differ by array length would fail here)."""
    rng = np.random.default_rng(seed)
    lat = 35.0 + rng.random(n) * 0.5
    lon = 73.0 + rng.random(n) * 0.5
    weight = rng.choice([1.0, 1.0, 50.0, 800.0], n)
    expected = former_cluster_points(lat, lon, radius_km, weight)
    assert np.array_equal(cluster_points(lat, lon, radius_km, weight), expected)


def test_unit_vectors_of_one_point_equal_those_of_many():
    """The assumption behind ``cluster_points``: a point's unit vector is the same
    computed alone or in a batch."""
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(-90, 90, 2000), rng.uniform(-180, 180, 2000)
    batch = unit_vectors(lat, lon)
    alone = np.array([unit_vectors(lat[k : k + 1], lon[k : k + 1])[0] for k in range(lat.size)])
    assert np.array_equal(batch, alone)


def former_cell_rows(cell_id, wanted):
    """``demand_sites``' and ``decide._footprint``'s row look-up as it was (a dict)."""
    index = {str(c): i for i, c in enumerate(np.asarray(cell_id))}
    return np.array([index.get(str(c), -1) for c in np.asarray(wanted)], dtype=np.int64)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["872a1", "872a10", "872a1\u00e9", "", "8", "872b"]), max_size=12),
    st.lists(st.sampled_from(["872a1", "872a10", "x", "", "8", "872b", "872a"]), max_size=12),
)
def test_cell_rows_equal_the_dict(cells, wanted):
    """Sorted look-up equals the dict, repeated identifiers (the last row wins), prefixes,
    empty strings and empty arrays included (planted: ``side="left"``, the first row of
    a repeated identifier; failed here)."""
    cells, wanted = np.array(cells, dtype=str), np.array(wanted, dtype=str)
    assert np.array_equal(cell_rows(cells, wanted), former_cell_rows(cells, wanted))
    as_objects = np.array(list(cells), dtype=object)  # not unicode: the dict itself
    assert np.array_equal(cell_rows(as_objects, wanted), former_cell_rows(cells, wanted))
