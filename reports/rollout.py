"""Rollout under a budget and the worth of planned routes: the report's two sections.

Reads the plan's ``rollout_*`` variables (the curve "people connected vs cumulative USD"
over ``rollout_step``, per licensing case over ``rollout_case_step``, the totals by
``rollout_year`` under ``rollout_budget_usd_per_year``) and the ``route_*`` table over
``route``. Every number is read from the plan; labels come from long names and units.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import xarray as xr

from . import plotly_objects
from .charts import _styled
from .findings import money, option_label, people
from .labels import as_text, categories, require, units_of
from .page import Report, e, note, table

#: Line colours of the licensing cases' curves (first: the plan's own case).
CASE_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")


def _curves(ds: xr.Dataset) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(name, cumulative USD, cumulative people)`` per licensing case, else the plan's."""
    if "rollout_cumulative_usd_by_case" in ds and "case" in ds:
        usd = np.asarray(ds["rollout_cumulative_usd_by_case"].values, float)
        ppl = np.asarray(ds["rollout_cumulative_people_by_case"].values, float)
        out = []
        for k, name in enumerate(as_text(ds["case"].values)):
            keep = np.isfinite(usd[k])
            out.append((str(name), usd[k][keep], ppl[k][keep]))
        return out
    return [
        (
            "plan",
            np.asarray(ds["rollout_cumulative_usd"].values, float),
            np.asarray(ds["rollout_cumulative_people"].values, float),
        )
    ]


def rollout_chart(ds: xr.Dataset) -> go.Figure:
    """People connected against money committed, one line per licensing case, with the
    plan's year ends under its budget marked."""
    require(
        ds,
        ["rollout_cumulative_usd", "rollout_cumulative_people", "rollout_people_by_year"],
        "the rollout chart",
    )
    fig = plotly_objects.figure()
    for k, (name, usd, ppl) in enumerate(_curves(ds)):
        fig.add_trace(
            plotly_objects.scatter(
                x=np.concatenate([[0.0], usd]),
                y=np.concatenate([[0.0], ppl]),
                mode="lines",
                line={"color": CASE_COLOURS[k % len(CASE_COLOURS)], "shape": "hv"},
                name=name,
                hovertemplate="USD %{x:,.0f}<br>%{y:,.0f} people<extra>" + name + "</extra>",
            )
        )
    years = np.asarray(ds["rollout_year"].values)
    budget = float(ds["rollout_budget_usd_per_year"].values)
    fig.add_trace(
        plotly_objects.scatter(
            x=np.asarray(ds["rollout_usd_by_year"].values, float),
            y=np.asarray(ds["rollout_people_by_year"].values, float),
            mode="markers+text",
            text=[f"y{int(y)}" for y in years],
            textposition="bottom right",
            marker={"color": "#d62728", "size": 8},
            name=f"end of year ({money(budget)} a year)",
            hovertemplate="year %{text}: USD %{x:,.0f}, %{y:,.0f} people<extra></extra>",
        )
    )
    fig = _styled(
        fig,
        "People connected against money committed (builds by people per USD, trunks first)",
        f"money committed, trunks included [{units_of(ds['rollout_cumulative_usd'])}]",
        f"people connected [{units_of(ds['rollout_cumulative_people'])}]",
    )
    fig.update_layout(legend={"orientation": "h", "y": -0.18}, height=480)
    return fig


def _share_point(usd: np.ndarray, ppl: np.ndarray, share: float) -> float:
    """Money committed when ``share`` of the curve's people are connected [USD]."""
    k = int(np.searchsorted(ppl, share * ppl[-1], side="left"))
    return float(usd[min(k, usd.size - 1)])


def _built_by_year(ds: xr.Dataset, years: np.ndarray) -> list[str]:
    """Per year, the technologies of the sites connected in it (``"microwave 326"``)."""
    if "site_build_year" not in ds or "site_recommendation" not in ds:
        return [""] * len(years)
    year = np.asarray(ds["site_build_year"].values).astype(int)
    tech = categories(ds["site_recommendation"])
    out = []
    for y in years:
        names, counts = np.unique(tech[year == y], return_counts=True)
        order = np.argsort(-counts, kind="stable")
        out.append(", ".join(f"{option_label(str(names[k]))} {counts[k]:,}" for k in order))
    return out


def rollout_section(report: Report, ds: xr.Dataset) -> list[str]:
    """The budget curve, a sentence and the build-by-year table."""
    if "rollout_cumulative_usd" not in ds or ds.sizes.get("rollout_step", 0) == 0:
        return [note("The plan has no rollout: nothing is built for the target sites.")]
    usd = np.asarray(ds["rollout_cumulative_usd"].values, float)
    ppl = np.asarray(ds["rollout_cumulative_people"].values, float)
    budget = float(ds["rollout_budget_usd_per_year"].values)
    years = np.asarray(ds["rollout_year"].values).astype(int)
    by_year = np.asarray(ds["rollout_people_by_year"].values, float)
    sites = np.asarray(ds["rollout_sites_by_year"].values).astype(int)
    spent = np.asarray(ds["rollout_usd_by_year"].values, float)
    half = _share_point(usd, ppl, 0.5)
    last = int(years[-1])
    done = sites[-1] == usd.size
    text = (
        f"With {money(budget)} a year committed (present values of build and running "
        f"costs, as the plan's costs), year 1 connects {sites[0]:,} sites with "
        f"{people(by_year[0])} people; "
        + (
            f"all {usd.size:,} sites ({people(ppl[-1])} people, {money(usd[-1])}) are "
            f"connected by year {last}. "
            if done
            else f"by year {last}, {sites[-1]:,} of {usd.size:,} sites ({people(by_year[-1])} "
            f"of {people(ppl[-1])} people). "
        )
        + f"Half the people are connected for {money(half)}, "
        f"{half / usd[-1]:.0%} of the money."
    )
    for name, c_usd, c_ppl in _curves(ds)[1:]:
        if c_usd.size:
            text += (
                f" In case '{name}' the builds cost {money(c_usd[-1])} for "
                f"{people(c_ppl[-1])} people; half of them for "
                f"{money(_share_point(c_usd, c_ppl, 0.5))}."
            )
    mix = _built_by_year(ds, years)
    rows = [
        [str(y), int(s), float(p), f"{p / ppl[-1]:.0%}", float(u), m]
        for y, s, p, u, m in zip(years, sites, by_year, spent, mix, strict=True)
    ]
    head = [
        ("Year", "year of the rollout (1: first)"),
        ("Sites connected", str(ds["rollout_sites_by_year"].attrs.get("long_name", ""))),
        ("People connected", str(ds["rollout_people_by_year"].attrs.get("long_name", ""))),
        ("Share of people", "share of the people the whole plan connects"),
        ("Committed [USD]", str(ds["rollout_usd_by_year"].attrs.get("long_name", ""))),
        ("Built in the year [sites]", "sites connected in the year, by technology"),
    ]
    return [
        f"<p>{e(text)}</p>",
        report.figure("budget curve", lambda: rollout_chart(ds)),
        "<h3>Sites connected by year</h3>",
        table(head, rows),
        note(
            "Order: the builds with the most people per USD first (Horn's algorithm for "
            "weighted completion on an out-tree), a fibre trunk before the branches it "
            "carries; satellite terminals and microwave chains stand alone. A site is "
            "connected in the year by which the budget covers the money committed up to "
            "it. Any other budget: read the curve at budget x years. The other licensing "
            "case's curve orders that case's own builds."
        ),
    ]


def _why_sites_leave(ds: xr.Dataset, names: list[str]) -> list[str]:
    """Paragraphs saying why target sites leave fibre (or terrestrial backhaul) with a
    route although fibre came nearer (``route_change_reasons``); none when no site does."""
    if "route_change_reasons" not in ds:
        return []
    reasons = [str(r) for r in as_text(ds["route_change_reasons"].values)]
    out = [f"<p><b>{e(n)}</b>: {e(r)}.</p>" for n, r in zip(names, reasons, strict=True) if r]
    if out:
        out.append(
            note(
                "A shared trunk is built where the sites along it pay for it together; "
                "none of them would alone. When a route gives some of them a shorter way "
                "to fibre, the sites left on the trunk may no longer pay for it and take "
                "their microwave or satellite alternative. The plan's total still falls "
                "(the plan as it was stays possible with the route); an exact optimiser "
                "does the same. 'Fibre alone now' is such a site's own path to the nearer "
                "of the old network and the route."
            )
        )
    return out


def planned_routes_section(ds: xr.Dataset) -> list[str]:
    """The planned routes of the network file and what each is worth to the plan."""
    if "route_cost_saved_usd" not in ds:
        return [
            note(
                "The network file has no planned route, or the plan already counts them as "
                "built ([network] include_planned = true)."
            )
        ]
    names = [str(n) for n in as_text(ds["route"].values)]
    cells = np.asarray(ds["route_cells"].values).astype(int)
    newly = np.asarray(ds["route_people_newly_reached"].values, float)
    lost = np.asarray(ds["route_people_no_longer_reached"].values, float)
    sites = np.asarray(ds["route_sites_newly_reached"].values).astype(int)
    saved = np.asarray(ds["route_cost_saved_usd"].values, float)
    changes = [str(c) for c in as_text(ds["route_technology_changes"].values)]
    rows = [
        [n, int(c), float(p), float(q), int(s), float(u), ch or "none"]
        for n, c, p, q, s, u, ch in zip(
            names, cells, newly, lost, sites, saved, changes, strict=True
        )
    ]
    head = [
        ("Planned route", "route with status 'planned' in the network file"),
        ("Cells entered", str(ds["route_cells"].attrs.get("long_name", ""))),
        (
            "People newly on fibre/microwave",
            str(ds["route_people_newly_reached"].attrs["long_name"]),
        ),
        ("People no longer", str(ds["route_people_no_longer_reached"].attrs["long_name"])),
        ("Sites newly", str(ds["route_sites_newly_reached"].attrs["long_name"])),
        ("Cost saved [USD]", str(ds["route_cost_saved_usd"].attrs["long_name"])),
        ("Technology changes [sites]", str(ds["route_technology_changes"].attrs["long_name"])),
    ]
    if not (cells > 0).any():
        text = (
            f"None of the {len(names)} planned routes enters a cell of the region off the "
            "existing network: with the plan as it stands, building them changes nothing for "
            "its target sites (they matter for the corridor beyond the region)."
        )
    elif not (np.any(newly > 0) or np.any(lost > 0) or np.any(saved != 0)):
        entering = [
            f"{n} ({c:,} cell{'s' if c != 1 else ''})"
            for n, c in zip(names, cells, strict=True)
            if c > 0
        ]
        text = (
            f"None of the {len(names)} planned routes changes this plan. "
            + ", ".join(entering)
            + (" enter" if len(entering) > 1 else " enters")
            + " the region off the existing network, where no target site gains from it; "
            "the others stay outside the region."
        )
    else:
        best = int(np.argmax(saved))
        text = (
            f"{names[best]} is worth the most to this plan: {people(newly[best])} target "
            f"people newly on terrestrial backhaul and {money(saved[best])} saved."
        )
    parts = [f"<p>{e(text)}</p>"]
    parts.append(table(head, rows, wide=True, widths=[22, 8, 12, 9, 8, 12, 29]))
    parts.extend(_why_sites_leave(ds, names))
    parts.append(
        note(
            "Each route is valued alone: the plan with the route built by others (its cells "
            "join the network, least-cost paths recomputed) against the plan without it, on "
            "the same coverage, target sites and licensing (the first case); the route's own "
            "cost is not counted, and microwave chains keep their hubs. Both plans are the "
            "best found with each grown from the other's fibre tree, so the trunk "
            "heuristic's choices far from the route cancel out."
        )
    )
    return parts
