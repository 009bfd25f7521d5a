"""The answer in plain sentences: findings and the per-technology table, from the plan.

Every number in a sentence is computed here from the plan's variables and attributes
(no fixed prose with numbers in it), so changing the plan changes the sentences. A
sentence whose inputs are missing is left out; later stages (sites, trunks, capacity)
add sentences when their variables appear.

Technologies group the recommendation's meanings: ``fiber``; ``leo_<system>``,
``meo_<system>``, ``geo_<system>`` (one row per system, named "<system> (LEO)");
``already_served``, ``no_population``, ``none_feasible``, ``not_target`` (settled but
outside the target rule: urban, near fibre or too small; nothing is built for them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .labels import as_text, categories

NOT_BUILT = ("no_population", "already_served", "none_feasible", "not_target")
ORBITS = ("leo", "meo", "geo")


def people(value: float) -> str:
    """A head count for a sentence: ``"3.1 million"``, ``"12,400"``, ``"870"``."""
    if value >= 1e6:
        return f"{value / 1e6:.1f} million"
    if value >= 1e4:
        return f"{round(value, -2):,.0f}"
    return f"{value:,.0f}"


def cells(n: int) -> str:
    """``"1 cell"``, ``"9,093 cells"``."""
    return f"{n:,} cell" + ("" if n == 1 else "s")


def money(value_usd: float) -> str:
    """USD for a sentence: ``"USD 419.8 million"``, ``"USD 2.3 billion"``, ``"USD 5,000"``."""
    if abs(value_usd) >= 1e9:
        return f"USD {value_usd / 1e9:.2f} billion"
    if abs(value_usd) >= 1e6:
        return f"USD {value_usd / 1e6:.1f} million"
    return f"USD {value_usd:,.0f}"


def option_label(meaning: str) -> str:
    """``"leo_starlink"`` -> ``"starlink (LEO)"``; ``"fiber"`` -> ``"fibre"``."""
    orbit, _, system = meaning.partition("_")
    if orbit in ORBITS and system:
        return f"{system} ({orbit.upper()})"
    return {
        "fiber": "fibre",
        "already_served": "already served (on the network)",
        "no_population": "nobody lives there",
        "none_feasible": "no feasible option",
        "not_target": "not a target (urban, near fibre or too small)",
    }.get(meaning, meaning.replace("_", " "))


@dataclass(frozen=True)
class TechnologyRow:
    """One row of the per-technology table."""

    meaning: str
    label: str
    cells: int
    population: float  # [person]
    underserved_population: float  # [person]
    cost_usd: float  # present value [USD]

    @property
    def cost_per_person_usd(self) -> float:
        return self.cost_usd / self.population if self.population > 0 else float("nan")


def _array(ds: xr.Dataset, name: str, fill: float = 0.0) -> np.ndarray | None:
    if name not in ds.data_vars:
        return None
    return np.nan_to_num(np.asarray(ds[name].values, dtype=float), nan=fill)


def technology_rows(ds: xr.Dataset) -> list[TechnologyRow]:
    """Cells, people, underserved people and cost per recommended option (plan order);
    options no cell takes are left out. Empty without ``recommendation``."""
    if "recommendation" not in ds.data_vars:
        return []
    from .tables import recommended_cost_usd

    chosen = categories(ds["recommendation"])
    n = ds.sizes["cell"]
    pop = _array(ds, "population")
    pop = np.zeros(n) if pop is None else pop
    under = _array(ds, "underserved")
    under = np.zeros(n, bool) if under is None else under.astype(bool)
    cost = recommended_cost_usd(ds)
    meanings = str(ds["recommendation"].attrs["flag_meanings"]).split()
    rows = []
    for meaning in meanings:
        sel = chosen == meaning
        if sel.any():
            rows.append(
                TechnologyRow(
                    meaning,
                    option_label(meaning),
                    int(sel.sum()),
                    float(pop[sel].sum()),
                    float(pop[sel & under].sum()),
                    float(cost[sel].sum()),
                )
            )
    return rows


def _underserved_sentence(ds: xr.Dataset) -> str | None:
    pop, under = _array(ds, "population"), _array(ds, "underserved")
    if pop is None or under is None:
        return None
    under = under.astype(bool)
    total = pop.sum()
    share = 100.0 * pop[under].sum() / total if total > 0 else 0.0
    rule = str(ds["underserved"].attrs.get("rule") or ds.attrs.get("underserved_rule", ""))
    rule = f" ({rule})" if rule else ""
    return (
        f"{int(under.sum()):,} of {ds.sizes['cell']:,} cells, home to "
        f"{people(pop[under].sum())} of the {people(total)} people ({share:.0f} %), are "
        f"underserved{rule}."
    )


def _cost_sentence(ds: xr.Dataset, rows: list[TechnologyRow]) -> str | None:
    built = [r for r in rows if r.meaning not in NOT_BUILT]
    if not built:
        return None
    total = sum(r.cost_usd for r in built)
    n_cells = sum(r.cells for r in built)
    reached = sum(r.population for r in built)
    horizon = ds.attrs.get("planning_horizon_years")
    rate = ds.attrs.get("discount_rate")
    over = ""
    if horizon is not None:
        over = f" over {int(horizon)} years"
        if rate is not None:
            over += f" at a discount rate of {100 * float(rate):g} %"
    return (
        f"Connecting the {cells(n_cells)} the plan builds for ({people(reached)} people) "
        f"costs {money(total)}{over} (present value), {money(total / max(reached, 1))} "
        "per person."
    )


def _technology_sentence(rows: list[TechnologyRow]) -> str | None:
    built = sorted((r for r in rows if r.meaning not in NOT_BUILT), key=lambda r: -r.population)
    if not built:
        return None
    parts = [f"{people(r.population)} in {cells(r.cells)} ({money(r.cost_usd)})" for r in built]
    label = built[0].label[0].upper() + built[0].label[1:]
    tail = "; ".join(f"{r.label} {p}" for r, p in zip(built[1:], parts[1:], strict=True))
    return f"{label} serves the most people: {parts[0]}{'; ' + tail if tail else ''}."


def _gap_sentence(ds: xr.Dataset, rows: list[TechnologyRow]) -> str | None:
    none = next((r for r in rows if r.meaning == "none_feasible"), None)
    served = next((r for r in rows if r.meaning == "already_served"), None)
    parts = []
    if served is not None and served.population > 0:
        parts.append(
            f"{people(served.population)} people in {cells(served.cells)} are "
            "already on the fibre network"
        )
    if none is not None and none.cells:
        full = _capacity_limited(ds)
        if full is not None and full[0]:
            n_full, pop_full = full
            why = (
                "the satellite systems that cover them are full (capacity per area) and no "
                "fibre or microwave option reaches them"
            )
            if n_full < none.cells:
                why = (
                    f"in {cells(n_full)} ({people(pop_full)} people) {why}; the other "
                    f"{cells(none.cells - n_full)} have no feasible option under the "
                    "scenario's criteria"
                )
            parts.append(
                f"{people(none.population)} people in {cells(none.cells)} (settled) get no "
                f"backhaul: {why}"
            )
        else:
            parts.append(
                f"{people(none.population)} people in {cells(none.cells)} (settled) "
                "have no feasible option under the scenario's criteria"
            )
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _capacity_limited(ds: xr.Dataset) -> tuple[int, float] | None:
    """Cells without backhaul because the satellites are full (reason
    ``none:<family>_capacity_limited``) and their people, or None without reasons."""
    if "reason" not in ds or "recommendation" not in ds or "population" not in ds:
        return None
    meanings = str(ds["recommendation"].attrs.get("flag_meanings", "")).split()
    if "none_feasible" not in meanings:
        return None
    code = np.asarray(ds["recommendation"].values)
    reason = np.asarray(as_text(ds["reason"].values), dtype=str)
    full = (code == meanings.index("none_feasible")) & np.char.endswith(reason, "_capacity_limited")
    return int(full.sum()), float(np.asarray(ds["population"].values, float)[full].sum())


def licensing_sentence(ds: xr.Dataset) -> str | None:
    """The licensing comparison in one sentence (plan with a ``case`` dimension), or which
    backhaul systems are unlicensed and so not used."""
    if "cost_recommended_by_case_usd" in ds.data_vars and ds.sizes.get("case", 0) >= 2:
        cost = np.nansum(np.asarray(ds["cost_recommended_by_case_usd"].values, float), axis=1)
        names = [str(c) for c in as_text(ds["case"].values)]
        about = as_text(ds["case_description"].values) if "case_description" in ds else names
        change = cost[1] - cost[0]
        moved = ""
        if "recommendation_by_case" in ds.data_vars:
            codes = np.asarray(ds["recommendation_by_case"].values)
            moved = f" and changes the choice in {cells(int((codes[0] != codes[1]).sum()))}"
        pct = 100.0 * change / cost[0] if cost[0] else float("nan")
        return (
            f"Licensing case '{names[1]}' ({about[1]}) changes the plan's cost by "
            f"{money(change)} ({pct:+.1f} %) against '{names[0]}'{moved}."
        )
    if "licensed" in ds.data_vars and "system" in ds.coords:
        licensed = np.asarray(ds["licensed"].values).astype(bool)
        backhaul = (
            np.asarray(ds["backhaul"].values).astype(bool)
            if "backhaul" in ds
            else np.ones_like(licensed)
        )
        names = [str(s) for s in ds["system"].values]
        off = [
            n
            for n, lic, b in zip(names, licensed, backhaul, strict=True)
            if b and not lic and n != "combined"
        ]
        if off:
            return (
                f"Not licensed in this scenario, so never recommended: {', '.join(off)}; "
                "the plan holds no second licensing case to compare."
            )
    return None


def findings(ds: xr.Dataset) -> list[str]:
    """Three to five sentences that answer the planner's question, from the plan."""
    rows = technology_rows(ds)
    sentences = [
        _underserved_sentence(ds),
        _cost_sentence(ds, rows),
        _technology_sentence(rows),
        _gap_sentence(ds, rows),
        licensing_sentence(ds),
    ]
    return [s for s in sentences if s][:5]
