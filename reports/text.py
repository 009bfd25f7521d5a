"""Fixed prose of the report: the methods (the data's limits come from the plan's
provenance records, see :mod:`~hybridplan.reports.assumptions`).

Kept apart from the HTML assembly so the wording can be reviewed on its own. Each entry
is (heading, paragraph); the paragraphs are plain text (escaped when rendered).
"""

from __future__ import annotations

METHODS = (
    (
        "Figures of merit",
        (
            "Coverage figures follow the definitions of STK Coverage so results can be compared: "
            "percent of time covered is the share of time steps in the analysis window with at "
            "least one satellite of the system above both the system's minimum elevation and "
            "the terrain horizon of the cell centre; gaps are runs of uncovered steps. Time is "
            "sampled every step (see the assumptions), so passes or gaps shorter than one step "
            "can be missed."
        ),
    ),
    (
        "Open sky and terrain",
        (
            "Each figure is computed twice: with an open sky (horizon at the minimum elevation) "
            "and with the terrain horizon of the cell centre from the elevation model. The "
            "difference is the terrain loss map. One point per cell stands for the whole cell: "
            "a site on a ridge sees more sky than the valley floor in the same hexagon."
        ),
    ),
    (
        "Orbits",
        (
            "Satellites are propagated with SGP4 from published element sets; SGP4 errors grow "
            "by about 1-3 km per day away from a set's epoch, so windows far from the epochs "
            "shown in the constellation section are less reliable. Systems still being deployed "
            "(or modelled as Walker shells from filings) show a possible future, not today's "
            "service."
        ),
    ),
    (
        "Recommendation and cost",
        (
            "Each cell's recommendation compares the present value of costs of the feasible "
            "options over the planning horizon (capital plus discounted operating costs) under "
            "the scenario's prices; it is a screening result for planners, not a network design. "
            "Costs are indicative defaults unless the scenario sets real quotes; the sensitivity "
            "sweep shows how the answer moves with them."
        ),
    ),
    (
        "Maps",
        (
            "Overview maps aggregate cells to a coarser H3 resolution (area-weighted means; "
            "area-weighted majority for categories; sums for population) so the page stays "
            "responsive; each district profile shows every cell. Fields where a few cells "
            "dominate (population, cost) use logarithmic colour bins; a field with one value "
            "everywhere is drawn in one colour and says so."
        ),
    ),
)
