"""The network the plan builds: the report's section on trunks, relay chains and sharing.

Reads the plan's network scalars (``new_fiber_km``, ``fiber_trunks``,
``microwave_links``, ``microwave_radio_pairs``, ``microwave_relays``,
``microwave_shared_saving_usd``, ``per_site_cost_usd``), its per-site choices
(``site_recommendation``, ``site_cost_usd``, ``site_population``, ``site_target``) and
the routing grid's resolution (``attrs["routing_resolution"]``, else the plan's own).
Every number is read from the plan; nothing is recomputed.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .findings import money, option_label
from .labels import categories
from .page import e, note, table


def _scalar(ds: xr.Dataset, name: str) -> float | None:
    return float(ds[name].values) if name in ds else None


def network_section(ds: xr.Dataset) -> list[str]:
    """A paragraph and a table: what is built per technology, how much sharing saves."""
    if "site_recommendation" not in ds:
        return [note("The plan has no per-site decision, so no network to describe.")]
    chosen = categories(ds["site_recommendation"])
    cost = np.asarray(ds["site_cost_usd"].values, dtype=np.float64)
    pop = np.asarray(ds["site_population"].values, dtype=np.float64)
    built = np.isfinite(cost)
    rows = []
    for name in dict.fromkeys(chosen[built].tolist()):
        mine = built & (chosen == name)
        rows.append([name, int(mine.sum()), pop[mine].sum(), cost[mine].sum()])
    rows.sort(key=lambda r: -r[2])
    parts = []
    resolution = ds.attrs.get("routing_resolution", ds.attrs.get("h3_resolution", ""))
    fibre_km, trunks = _scalar(ds, "new_fiber_km"), _scalar(ds, "fiber_trunks")
    links, pairs = _scalar(ds, "microwave_links"), _scalar(ds, "microwave_radio_pairs")
    relays, saving = _scalar(ds, "microwave_relays"), _scalar(ds, "microwave_shared_saving_usd")
    alone = _scalar(ds, "per_site_cost_usd")
    said = [
        (
            f"Fibre trunks and microwave relay chains are laid out on the H3 res-{resolution} "
            "routing grid whatever the resolution of the maps, and each demand site joins it "
            "at its settlement points, so the choice of technology is a property of the "
            "ground."
        )
    ]
    if fibre_km is not None:
        said.append(
            f"New fibre: {fibre_km:,.0f} km in {trunks or 0:,.0f} shared trunk(s), each "
            "site paying a share of its trunk no higher than its best alternative."
        )
    if links is not None:
        said.append(
            f"Microwave: {links:,.0f} hops ({pairs:,.0f} radio pairs) through "
            f"{relays:,.0f} relay masts; building the hops that chains share once saves "
            f"{money(saving)} of investment against every chain priced alone."
        )
    if alone is not None:
        total = cost[built & np.asarray(ds["site_target"].values, bool)].sum()
        said.append(
            f"Every target site priced alone would cost {money(alone)}; the network plan "
            f"costs {money(total)} (present values)."
        )
    parts.append("<p>" + e(" ".join(said)) + "</p>")
    parts.append(
        table(
            [
                ("Technology", "the option chosen for the site"),
                ("Sites", "demand sites with a build"),
                ("People", "people of those sites"),
                ("Cost [USD]", "present value of the builds, the sites' shares"),
            ],
            [[option_label(r[0]), r[1], round(r[2]), round(r[3])] for r in rows],
        )
    )
    return parts
