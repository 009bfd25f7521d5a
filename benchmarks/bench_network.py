"""Benchmark of the network design: microwave link tests per second, the PCST heuristic
against the exact MILP, and the shared-trunk plan on the default region.

Run (from any folder except the repo root, so coverage/ cannot shadow coverage.py):

    /work/wt/netdesign/.venv/bin/python /work/wt/netdesign/benchmarks/bench_network.py \
        [--links 400000] [--instances 50] [--no-region] [--resolution 7]
    .../bench_network.py --plan-clusters [--clusters 8] [--max-nodes 180] [--time-limit 120]

Prints:
1. microwave: link tests per second on 1 thread and on all threads (goal >= 100,000/s on
   2 cores), numba cache warm (one warm-up call first);
2. PCST on random instances (30 nodes, Delaunay graphs): gap of the heuristic to the MILP
   optimum (max, mean, share optimal) and the time of each;
3. the default region (GB + AJK, H3 res 7): the shared-trunk fibre tree with LEO PV as
   prizes on underserved cells, its time, cells served, km of new fibre, network vs
   per-cell total, and heuristic vs MILP gaps on clusters cut around its largest trunks.
4. ``--plan-clusters`` (alone): the default *plan's* own fibre graph (cells and target
   sites) and the prizes of its joint decision, through the pipeline; clusters of at most
   ``--max-nodes`` nodes around the plan's trunks and the richest network cells; per
   cluster the heuristic's and the plan's own tree's gap to the MILP lower bound.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
import scipy.sparse as sp
from hybridplan.coverage.planning.demand import (
    DemandAssumptions,
    UnderservedRule,
    demand_mbps,
    target_sites,
)
from hybridplan.coverage.planning.economics import (
    DEFAULT_LEO_COSTS,
    FiberCosts,
    FinanceAssumptions,
    present_value_usd,
    satellite_option_usd,
)
from hybridplan.coverage.planning.microwave import check_links
from hybridplan.coverage.planning.network import (
    FibreGraph,
    design_network,
    fibre_edge_cost_usd,
    fibre_site_cost_usd,
)
from hybridplan.coverage.planning.network_exact import certify
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay

FINANCE = FinanceAssumptions()
FIBER = FiberCosts()


def bench_microwave(n_links: int, n_samples: int = 64) -> None:
    rng = np.random.default_rng(0)
    path = rng.uniform(2, 50, n_links)
    distance = np.linspace(0, 1, n_samples)[None, :] * path[:, None]
    # A rough valley: a floor at 2,000 m with ridges up to 600 m high.
    height = 2_000 + 600 * np.abs(np.sin(distance / rng.uniform(2, 9, (n_links, 1))))
    mast = rng.uniform(15, 40, n_links)
    freq = rng.choice([7.0, 11.0, 18.0], n_links)
    check_links(height[:100], distance[:100], mast[:100], mast[:100], freq[:100])  # warm
    threads = numba.config.NUMBA_NUM_THREADS
    rates = {}
    for n_threads in sorted({1, threads}):
        numba.set_num_threads(n_threads)
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            r = check_links(height, distance, mast, mast, freq)
            best = min(best, time.perf_counter() - start)
        rates[n_threads] = n_links / best
    numba.set_num_threads(threads)
    print(f"microwave: {n_links:,} links x {n_samples} samples, feasible {r.feasible.mean():.1%}")
    for n_threads, rate in rates.items():
        print(f"  {n_threads} thread(s): {rate:12,.0f} link tests/s")
    if len(rates) > 1:
        print(f"  speed-up {rates[threads] / rates[1]:.2f}x on {threads} threads")


def random_instance(seed: int, n: int):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40, (n, 2))
    edges = set()
    for simplex in Delaunay(xy).simplices:
        for a in range(3):
            edges.add(tuple(sorted((int(simplex[a]), int(simplex[(a + 1) % 3])))))
    edges = np.array(sorted(edges))
    km = np.linalg.norm(xy[edges[:, 0]] - xy[edges[:, 1]], axis=1) * rng.uniform(1, 1.6, len(edges))
    graph = FibreGraph.from_edges(
        n, edges[:, 0], edges[:, 1], fibre_edge_cost_usd(km, FIBER, FINANCE)
    )
    prize = rng.choice([0.0, 42_760.0, 128_281.0, 300_000.0, 600_000.0], n)
    roots = np.zeros(n, bool)
    roots[rng.choice(n, 2, replace=False)] = True
    return graph, prize, roots


def bench_random(n_instances: int, n: int = 30) -> None:
    site = fibre_site_cost_usd(FIBER, FINANCE)
    gaps, t_heur, t_exact = [], [], []
    for seed in range(n_instances):
        graph, prize, roots = random_instance(seed, n)
        start = time.perf_counter()
        design = design_network(graph, prize, roots, site)
        t_heur.append(time.perf_counter() - start)
        start = time.perf_counter()
        cert = certify(graph, prize, roots, site, time_limit_s=60, design=design)
        t_exact.append(time.perf_counter() - start)
        gaps.append(cert.gap)
    gaps = np.array(gaps)
    print(
        f"PCST on {n_instances} random instances of {n} nodes: gap to the MILP optimum "
        f"max {gaps.max():.2%}, mean {gaps.mean():.3%}, optimal in "
        f"{(gaps < 1e-9).mean():.0%}; heuristic {np.mean(t_heur) * 1e3:.0f} ms, MILP "
        f"{np.mean(t_exact) * 1e3:.0f} ms per instance"
    )


def bench_region_microwave(grid, prize, roots, n_sites: int = 1_500) -> None:
    """Relay chains on the bundled DEM: the most populous target cells, the network cells
    (as PoPs) and the highest cell of each res-5 parent (ridge relays); 7 GHz, 30 m masts
    (relays 40 m), 48 samples per profile."""
    import h3
    from hybridplan.coverage.planning.microwave import candidate_links, profile_points, relay_chains
    from hybridplan.grids import load_dem

    start = time.perf_counter()
    n = grid.sizes["cell"]
    population = grid["population"].values
    elevation = grid["elevation_m"].values
    targets = np.flatnonzero(prize > 0)
    targets = targets[np.argsort(-population[targets])][:n_sites]
    parents = np.array([h3.cell_to_parent(str(c), 5) for c in grid["cell"].values])
    order = np.lexsort((-elevation, parents))
    first = np.ones(n, bool)
    first[1:] = parents[order][1:] != parents[order][:-1]
    ridges = order[first]
    sites = np.unique(np.concatenate([targets, np.flatnonzero(roots), ridges]))
    on_network = roots[sites]
    relay_only = np.isin(sites, ridges) & ~np.isin(sites, targets) & ~on_network
    lat, lon = grid["lat"].values[sites], grid["lon"].values[sites]
    a, b, km = candidate_links(lat, lon, 50.0)
    plat, plon, dist = profile_points(lat[a], lon[a], lat[b], lon[b], 48)
    dem = load_dem()
    height = dem.elevation_m(plat, plon)
    t_profiles = time.perf_counter() - start
    mast = np.where(relay_only, 40.0, 30.0)
    start = time.perf_counter()
    links = check_links(height, dist, mast[a], mast[b], 7.0)
    t_links = time.perf_counter() - start
    chains = relay_chains(sites.size, a, b, km, links.feasible, on_network, relay_only)
    reached = np.isin(sites, targets) & np.isfinite(chains.capex_usd)
    finite = np.where(reached, chains.capex_usd, 0.0)
    pv = present_value_usd(finite, finite * 0.10, FINANCE.discount_rate, FINANCE.horizon_years)
    cheaper = reached & (pv < prize[sites])
    relays_used = set()
    for s in np.flatnonzero(cheaper).tolist():
        relays_used.update(v for v in chains.path(s) if relay_only[v])
    hops = np.bincount(chains.hops[reached], minlength=4)
    print(
        f"microwave on the bundled DEM: {sites.size:,} sites ({targets.size:,} target, "
        f"{on_network.sum()} PoPs, {relay_only.sum()} ridge relays); {a.size:,} pairs "
        f"<= 50 km, {links.feasible.sum():,} feasible at 7 GHz; profiles "
        f"{t_profiles:.1f} s, link tests {t_links:.2f} s"
    )
    print(
        f"  targets with a chain: {reached.sum():,} (hops 1/2/3+: {hops[1]}, {hops[2]}, "
        f"{hops[3:].sum()}); chain PV below the LEO PV: {cheaper.sum():,} targets "
        f"({population[sites[cheaper]].sum():,.0f} people) using {len(relays_used)} "
        f"ridge relays (stand-alone chains, indicative on the 9 km DEM)"
    )


def region_graph(resolution: int):
    import h3
    from hybridplan.grids import (
        add_terrain,
        build_grid,
        distribute_population,
        fiber_reach,
        load_dem,
        load_network,
        load_region,
    )
    from hybridplan.grids._geo import great_circle_km

    grid = build_grid(load_region("Gilgit-Baltistan + Azad Jammu and Kashmir"), resolution)
    grid = distribute_population(add_terrain(grid, load_dem()))
    grid = fiber_reach(grid, load_network())
    cells = [str(c) for c in grid["cell"].values]
    index = {c: i for i, c in enumerate(cells)}
    ei, ej = [], []
    for i, cell in enumerate(cells):
        for other in h3.grid_ring(cell, 1):
            j = index.get(other)
            if j is not None and j > i:
                ei.append(i)
                ej.append(j)
    ei, ej = np.array(ei), np.array(ej)
    lat, lon = grid["lat"].values, grid["lon"].values
    km = great_circle_km(lat[ei], lon[ei], lat[ej], lon[ej])
    factor = grid["fiber_terrain_factor"].values
    weighted = km * 0.5 * (factor[ei] + factor[ej])
    return grid, ei, ej, km, weighted


def bench_region(resolution: int) -> None:
    start = time.perf_counter()
    grid, ei, ej, km, weighted = region_graph(resolution)
    t_grid = time.perf_counter() - start
    n = grid.sizes["cell"]
    population = grid["population"].values
    demand = demand_mbps(population, DemandAssumptions())
    # every cell a site of its own (the plan groups settlements into sites first)
    target, _ = target_sites(population, grid["fiber_distance_km"].values, UnderservedRule())
    capex, opex = satellite_option_usd(demand, DEFAULT_LEO_COSTS)
    leo = present_value_usd(capex, opex, FINANCE.discount_rate, FINANCE.horizon_years)
    prize = np.where(target, leo, 0.0)
    roots = grid["on_network"].values.astype(bool)
    site = fibre_site_cost_usd(FIBER, FINANCE)
    graph = FibreGraph.from_edges(n, ei, ej, fibre_edge_cost_usd(weighted, FIBER, FINANCE))
    start = time.perf_counter()
    design = design_network(graph, prize, roots, site, demand_weight=demand)
    t_design = time.perf_counter() - start
    served = design.served
    print(
        f"default region, res {resolution}: {n:,} cells, {len(ei):,} edges, "
        f"{roots.sum():,} on the network, {target.sum():,} target cells "
        f"({population[target].sum():,.0f} people); grid {t_grid:.1f} s"
    )
    print(f"  design_network {t_design:.2f} s ({design.rounds} improving rounds)")
    print(
        f"  fibre serves {served.sum():,} target cells ({population[served].sum():,.0f} "
        f"people) in {len(set(design.trunk_id[served].tolist())):,} trunks; new fibre "
        f"{km[design.edge_used].sum():,.0f} km"
    )
    print(
        f"  total PV: network {design.total_usd / 1e6:,.1f} M USD vs per-cell "
        f"{design.per_cell_total_usd / 1e6:,.1f} M USD (all-LEO "
        f"{prize.sum() / 1e6:,.1f} M USD)"
    )
    bench_region_microwave(grid, prize, roots)
    # Clusters: balls of a few hex rings around network cells with the most prize inside,
    # cut out as separate instances (their roots = the network cells inside).
    ring = 7
    m = sp.csr_matrix((np.ones(len(ei)), (ei, ej)), shape=(n, n))
    candidates = np.flatnonzero(roots)
    hops = dijkstra(m, directed=False, indices=candidates, unweighted=True, limit=ring)
    score = np.where(np.isfinite(hops), prize[None, :], 0.0).sum(axis=1)
    taken = np.zeros(n, bool)
    gaps = []
    for k in np.argsort(-score).tolist():
        ball = np.isfinite(hops[k])
        if taken[ball].any() or len(gaps) >= 8:
            continue
        taken |= ball
        idx = np.flatnonzero(ball)
        pos = np.full(n, -1)
        pos[idx] = np.arange(idx.size)
        inside = ball[ei] & ball[ej]
        sub = FibreGraph.from_edges(
            idx.size, pos[ei[inside]], pos[ej[inside]], graph.edge_cost_usd[inside]
        )
        start = time.perf_counter()
        cert = certify(sub, prize[idx], roots[idx], site, time_limit_s=120)
        gaps.append(cert.gap)
        print(
            f"  cluster {len(gaps)} ({ring} rings around cell {candidates[k]}): {idx.size} "
            f"cells, {(prize[idx] > 0).sum()} targets, {roots[idx].sum()} on the network: "
            f"heuristic {cert.heuristic_usd / 1e6:.3f} M USD, MILP "
            f"{cert.exact_usd / 1e6:.3f} M USD, bound {cert.lower_bound_usd / 1e6:.3f}, "
            f"gap {cert.gap:.2%}{'' if cert.optimal else ' (time limit)'}, "
            f"{time.perf_counter() - start:.1f} s"
        )
    if gaps:
        print(
            f"  certified gap on {len(gaps)} clusters: max {max(gaps):.2%}, "
            f"mean {np.mean(gaps):.2%}"
        )


def plan_network(workers: int = 2):
    """The default plan's own fibre problem: the scenario resolved and its coverage run
    through the pipeline, the joint decision taken (base licensing case); returns the
    NetworkPlan (graph of cells and site nodes, the design, its last prizes) and the
    number of cells."""
    import xarray as xr
    from hybridplan.coverage import default_scenario, prepare_ground, resolve, run_coverage
    from hybridplan.coverage.planning.decide import decide

    start = time.perf_counter()
    inputs = resolve(default_scenario())
    ground = prepare_ground(inputs)
    fom = run_coverage(inputs.scenario, grid=ground, systems=inputs.systems, workers=workers)
    fom = fom.drop_vars([v for v in ("lat", "lon") if v in fom.coords])
    plan = xr.merge([ground, fom], compat="override", combine_attrs="override")
    t_inputs = time.perf_counter() - start
    cases = inputs.scenario.licensing_cases()
    licensed = dict(next(iter(cases.values()))) if cases else None
    start = time.perf_counter()
    decision = decide(plan, inputs.spec, licensed)
    t_decide = time.perf_counter() - start
    print(
        f"default plan inputs and coverage {t_inputs:.1f} s, joint decision {t_decide:.1f} s "
        f"(shared machine)"
    )
    return decision.network, plan.sizes["cell"], inputs.spec


def _grow(adjacency: sp.csr_matrix, seeds: np.ndarray, taken: np.ndarray, max_nodes: int):
    """Nodes reached from ``seeds`` ring by ring (breadth first, not through ``taken``),
    at most ``max_nodes``, in the order reached."""
    order = [int(s) for s in seeds if not taken[s]][:max_nodes]
    seen = set(order)
    frontier = list(order)
    while frontier and len(order) < max_nodes:
        nxt = []
        for v in frontier:
            for w in adjacency.indices[adjacency.indptr[v] : adjacency.indptr[v + 1]].tolist():
                if w not in seen and not taken[w]:
                    seen.add(w)
                    nxt.append(w)
                    order.append(w)
                    if len(order) >= max_nodes:
                        return np.array(order)
        frontier = nxt
    return np.array(order)


def _restricted_total(graph, design, idx, prize, roots, site):
    """The plan's own tree restricted to the nodes ``idx``: its total on that instance,
    or NaN when the restriction is not a feasible tree there (it leaves the cluster)."""
    inside = np.zeros(graph.n_nodes, bool)
    inside[idx] = True
    tree_nodes = design.in_tree & ~roots & inside
    up = design.parent[tree_nodes]
    if np.any(up < 0) or not inside[up].all():
        return np.nan
    edges = design.parent_edge[tree_nodes]
    served = design.served & inside
    unserved = inside & ~design.served & ~roots
    return float(graph.edge_cost_usd[edges].sum() + site[served].sum() + prize[unserved].sum())


def bench_plan_clusters(
    n_clusters: int, max_nodes: int, time_limit_s: float, workers: int = 2
) -> None:
    """Certified gap on the default plan's own fibre graph and prizes (item 4 of issue 12).

    Clusters of at most ``max_nodes`` nodes, disjoint: first around each trunk of the
    plan's tree (the trunk's nodes, then rings of neighbours), then around the network
    cells with the most prize within reach (where a trunk could have been built). Each
    cluster is an instance of its own (its roots = the network cells inside): the
    heuristic re-run on it, and the plan's tree restricted to it where that is a feasible
    tree there, against the MILP's optimum and lower bound (HiGHS).
    """
    net, n_cell, spec = plan_network(workers)
    if net is None or net.graph is None:
        print("the default plan has no shared network design; nothing to certify")
        return
    graph, design = net.graph, net.design
    n = graph.n_nodes
    prize = np.asarray(net.prize_usd, float)
    roots = design.in_tree & (design.parent < 0)
    site = np.zeros(n)
    site[n_cell:] = fibre_site_cost_usd(spec.fiber, spec.finance)
    adjacency = sp.csr_matrix(
        (
            np.ones(2 * graph.edge_i.size),
            (np.r_[graph.edge_i, graph.edge_j], np.r_[graph.edge_j, graph.edge_i]),
        ),
        shape=(n, n),
    )
    served = design.served
    trunks = design.trunk_id[design.in_tree & ~roots]
    sizes = np.bincount(trunks, minlength=n) if trunks.size else np.zeros(n, int)
    print(
        f"plan graph: {n:,} nodes ({n_cell:,} cells, {n - n_cell:,} target sites), "
        f"{graph.edge_i.size:,} edges, {roots.sum():,} on the network; tree: "
        f"{int((sizes > 0).sum())} trunks, {served.sum()} sites on fibre, "
        f"{(design.in_tree & ~roots).sum()} tree nodes; prizes > 0 at "
        f"{(prize > 0).sum():,} nodes"
    )
    taken = np.zeros(n, bool)
    seeds_list = [
        ("trunk", np.flatnonzero(design.trunk_id == t)) for t in np.argsort(-sizes) if sizes[t]
    ]
    # then the network cells with the most prize within 7 rings
    ring = 7
    cells = sp.csr_matrix((np.ones(graph.edge_i.size), (graph.edge_i, graph.edge_j)), shape=(n, n))
    candidates = np.flatnonzero(roots)
    hops = dijkstra(cells, directed=False, indices=candidates, unweighted=True, limit=ring)
    score = np.where(np.isfinite(hops), prize[None, :], 0.0).sum(axis=1)
    seeds_list += [("network cell", np.array([candidates[k]])) for k in np.argsort(-score)]
    rows = []
    for kind, seeds in seeds_list:
        if len(rows) >= n_clusters:
            break
        if taken[seeds].any():
            continue
        idx = np.sort(_grow(adjacency, seeds, taken, max_nodes))
        if not roots[idx].any() or not (prize[idx] > 0).any():
            continue
        taken[idx] = True
        pos = np.full(n, -1)
        pos[idx] = np.arange(idx.size)
        inside = (pos[graph.edge_i] >= 0) & (pos[graph.edge_j] >= 0)
        sub = FibreGraph.from_edges(
            idx.size,
            pos[graph.edge_i[inside]],
            pos[graph.edge_j[inside]],
            graph.edge_cost_usd[inside],
        )
        start = time.perf_counter()
        cert = certify(sub, prize[idx], roots[idx], site[idx], time_limit_s=time_limit_s)
        own = _restricted_total(graph, design, idx, prize, roots, site)
        own_gap = (own - cert.lower_bound_usd) / own if np.isfinite(own) and own > 0 else np.nan
        rows.append((cert.gap, own_gap))
        print(
            f"  cluster {len(rows)} ({kind}): {idx.size} nodes, {(prize[idx] > 0).sum()} "
            f"with a prize, {roots[idx].sum()} on the network, {served[idx].sum()} on the "
            f"plan's fibre: heuristic {cert.heuristic_usd / 1e6:.4f} M USD, MILP "
            f"{cert.exact_usd / 1e6:.4f}, bound {cert.lower_bound_usd / 1e6:.4f}, gap "
            f"{cert.gap:.3%}{'' if cert.optimal else ' (time limit)'}; plan's tree there "
            + (
                f"{own / 1e6:.4f} M USD, gap {own_gap:.3%}"
                if np.isfinite(own)
                else "leaves the cluster"
            )
            + f"; {time.perf_counter() - start:.1f} s"
        )
    if rows:
        gaps = np.array(rows)
        own = gaps[:, 1][np.isfinite(gaps[:, 1])]
        print(
            f"  certified gap on {len(rows)} clusters of <= {max_nodes} nodes: heuristic "
            f"worst {gaps[:, 0].max():.3%}, mean {gaps[:, 0].mean():.3%}"
            + (
                f"; the plan's own tree (on {own.size} clusters it fits in) worst {own.max():.3%}"
                if own.size
                else ""
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=400_000)
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--resolution", type=int, default=7)
    parser.add_argument("--no-region", action="store_true")
    parser.add_argument(
        "--plan-clusters",
        action="store_true",
        help="only the certified gap on the default plan's own fibre graph and prizes",
    )
    parser.add_argument("--clusters", type=int, default=8)
    parser.add_argument("--max-nodes", type=int, default=180)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    if args.plan_clusters:
        bench_plan_clusters(args.clusters, args.max_nodes, args.time_limit)
        return
    bench_microwave(args.links)
    bench_random(args.instances)
    if not args.no_region:
        bench_region(args.resolution)


if __name__ == "__main__":
    main()
