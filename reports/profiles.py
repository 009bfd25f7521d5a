"""District profiles: one collapsed section per district with its map at full resolution,
its table (cells, people, underserved, per technology, cost, top reasons) and the
coverage series of up to two of its cells (from the plan's per-step series)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import xarray as xr

from . import charts, maps
from .findings import money, option_label, people
from .labels import as_text, categories
from .overlays import Overlay, map_box
from .page import Report, e, kv_table, note, table
from .tables import recommended_cost_usd


def _series_cells(ds: xr.Dataset, cells: set[str]) -> list[str]:
    if "series_cell" not in ds.dims:
        return []
    return [c for c in as_text(ds["series_cell"].values) if c in cells][:2]


def district_profile(
    report: Report,
    ds: xr.Dataset,
    district: str,
    *,
    boundaries: dict | None = None,
    network: dict | None = None,
    max_hexagons: int | None = None,
) -> str:
    """The ``<details>`` block of one district (collapsed); its map draws every cell, or
    with ``max_hexagons`` the finest resolution with at most that many hexagons."""
    names = as_text(ds["district"].values)
    sel = names == district
    ids = np.asarray(as_text(ds["cell"].values))[sel]
    pop = (
        np.nan_to_num(np.asarray(ds["population"].values, float))
        if "population" in ds
        else np.zeros(ds.sizes["cell"])
    )
    under = (
        np.asarray(ds["underserved"].values).astype(bool)
        if "underserved" in ds
        else np.zeros(ds.sizes["cell"], bool)
    )
    province = ""
    if "province" in ds:
        province = ", " + str(as_text(ds["province"].values)[sel][0])
    cost = recommended_cost_usd(ds) if "recommendation" in ds else np.zeros(ds.sizes["cell"])
    summary = (
        f"{district}{province}: {int(sel.sum()):,} cells, {people(pop[sel].sum())} "
        f"people, {people(pop[sel & under].sum())} underserved, "
        f"{money(float(cost[sel].sum()))}"
    )
    parts = [
        kv_table(
            [
                ("Cells", f"{int(sel.sum()):,}"),
                ("People", f"{pop[sel].sum():,.0f}"),
                ("Underserved cells", f"{int((sel & under).sum()):,}"),
                ("Underserved people", f"{pop[sel & under].sum():,.0f}"),
                ("Cost of the recommended builds (present value)", money(float(cost[sel].sum()))),
            ]
        )
    ]
    if "recommendation" in ds:
        chosen = categories(ds["recommendation"])
        rows = []
        for meaning in str(ds["recommendation"].attrs["flag_meanings"]).split():
            m = sel & (chosen == meaning)
            if m.any():
                rows.append(
                    [
                        option_label(meaning),
                        int(m.sum()),
                        float(pop[m].sum()),
                        float(pop[m & under].sum()),
                        float(cost[m].sum()),
                    ]
                )
        parts.append(
            table(
                [
                    ("Technology", ""),
                    ("Cells", ""),
                    ("People", "person"),
                    ("Underserved people", "person"),
                    ("Cost", "present value [USD]"),
                ],
                rows,
            )
        )
    if "reason" in ds:
        top = Counter(as_text(ds["reason"].values)[sel]).most_common(3)
        parts.append(
            "<p><b>Top reasons:</b> " + "; ".join(f"{e(r)} ({n:,} cells)" for r, n in top) + "</p>"
        )
    variable = "recommendation" if "recommendation" in ds else "population"
    parts.append(
        report.lazy_figure(
            f"profile map {district}",
            lambda: maps.district_map(
                ds,
                variable,
                district,
                boundaries=boundaries,
                network=network,
                max_hexagons=max_hexagons,
            ),
        )
    )
    series = _series_cells(ds, set(ids))
    if series:
        parts.append(
            report.lazy_figure(
                f"profile series {district}", lambda: charts.visibility_series_chart(ds, series)
            )
        )
    else:
        parts.append(
            note("No per-step series for a cell of this district ([engine] series_cells).")
        )
    return (
        f'<details class="profile" id="profile-{e(district)}"><summary>{e(summary)}'
        f"</summary>{''.join(parts)}</details>"
    )


def district_profiles(
    report: Report, ds: xr.Dataset, *, boundaries: dict | None = None, network: dict | None = None
) -> list[str]:
    """Every district's profile, sorted by name; a note without ``district``.

    Each map gets the outlines and routes near its district only, simplified to its
    scale (:class:`~.overlays.Overlay`). A plan of more than
    :data:`PROFILE_MAX_HEXAGONS` cells (a national grid) draws each district at the finest
    resolution with at most ``PROFILE_MAX_HEXAGONS / n_districts`` hexagons (at least
    :data:`PROFILE_MIN_HEXAGONS`), so the page stays tens of megabytes; smaller plans draw
    every cell."""
    if "district" not in ds:
        return [note("District profiles skipped: the plan has no district variable.")]
    names = as_text(ds["district"].values)
    districts = sorted(set(names))
    cap = None
    if ds.sizes["cell"] > PROFILE_MAX_HEXAGONS:
        cap = max(PROFILE_MIN_HEXAGONS, PROFILE_MAX_HEXAGONS // len(districts))
    lines = Overlay(boundaries, "boundaries")
    routes = Overlay(network, "network")
    lat = np.asarray(ds["lat"].values, float)
    lon = np.asarray(ds["lon"].values, float)
    # a profile reads per-cell variables and the series, never a (system, cell) figure
    # of merit: cut those once, not in every district
    per_system = [n for n, v in ds.data_vars.items() if {"system", "cell"} <= set(v.dims)]
    ds = ds.drop_vars(per_system)
    parts = []
    if cap is not None:
        parts.append(
            note(
                f"{ds.sizes['cell']:,} cells: each district map draws at most {cap:,} "
                "hexagons (coarser H3 parents where a district has more cells; the "
                "district table and plan.nc keep every cell)."
            )
        )
    for district in districts:
        sel = np.flatnonzero(names == district)
        box, tolerance = map_box(lon[sel], lat[sel])
        parts.append(
            district_profile(
                report,
                ds.isel(cell=sel),  # work in proportion to the district, not the plan
                district,
                boundaries=lines.near(box, tolerance),
                network=routes.near(box, tolerance),
                max_hexagons=cap,
            )
        )
    return parts


PROFILE_MAX_HEXAGONS = 40_000
"""Hexagons drawn over all district profiles of a big plan (about 16 MB of page)."""
PROFILE_MIN_HEXAGONS = 500
"""Fewest hexagons a district profile map may be cut to."""
