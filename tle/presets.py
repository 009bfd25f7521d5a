"""Walker presets of real systems, each with its source; press figures are marked approximate.

A preset is a tuple of shells. Filed figures (FCC grants) are taken as filed; where only
press figures or our own reading of the bundled 2026-05-30 snapshot exist, the shell is
marked ``approximate=True`` and the source says so.
"""

from __future__ import annotations

import difflib
from datetime import datetime

from .constellation import Constellation
from .errors import WalkerError
from .walker import WalkerShell, allocate_first_ids, walker_element_sets

_FCC_21_48 = (
    "FCC 21-48, SpaceX Gen1 modification Order and Authorization, 27 Apr 2021 "
    "(IBFS SAT-MOD-20200417-00037)"
)
_GEN1_POLAR_NODES = (
    "; node positions are ours (the filing gives none): the 4-plane shell "
    "starts at RAAN 15 deg, between the 6-plane shell's planes (0, 60, ... "
    "deg), so shell discovery reads the two back as 10 distinct planes"
)
_FCC_22_91 = (
    "FCC 22-91, SpaceX Gen2 Order and Authorization, 1 Dec 2022: partial grant of "
    "7,500 satellites at 525/530/535 km and 53/43/33 deg; planes and satellites per "
    "plane: SpaceX's amended application has 28 planes x 120 per shell; we keep 28 planes "
    "and put 89 satellites in each (2,492 per shell, 7,476 in all) because the grant "
    "fixes no split"
)
_FCC_20_102 = "FCC 20-102, Kuiper Systems LLC Authorization, 30 Jul 2020"
_ONEWEB = (
    "OneWeb phase 1 as modified: FCC IBFS SAT-MPL-20200526-00062 (1,200 km, 87.9 deg, "
    "12 planes x 49); the bundled snapshot shows 12 planes at 87.9 deg, ~1,199 km"
)
_QIANFAN = (
    "press figures for Qianfan (Thousand Sails) phase 1 (648 satellites, 18 planes "
    "x 36); altitude and inclination read by hybridplan's shell discovery from the "
    "bundled 2026-05-30 snapshot (89.0 deg, ~1,066 km)"
)
_GUOWANG = (
    "ITU filing GW-A59 as reported in the press (shells near 1,145 km); plane counts "
    "read from the bundled 2026-05-30 snapshot (50 deg: 12 planes; 86.5 deg: 6 planes)"
)

WALKER_PRESETS: dict[str, tuple[WalkerShell, ...]] = {
    "starlink-gen1": (
        WalkerShell("starlink-gen1-s1", 550, 53.0, 72, 22, 17, source=_FCC_21_48),
        WalkerShell("starlink-gen1-s2", 540, 53.2, 72, 22, 17, source=_FCC_21_48),
        WalkerShell("starlink-gen1-s3", 570, 70.0, 36, 20, 11, source=_FCC_21_48),
        WalkerShell("starlink-gen1-s4", 560, 97.6, 6, 58, 1, source=_FCC_21_48),
        WalkerShell(
            "starlink-gen1-s5",
            560,
            97.6,
            4,
            43,
            1,
            raan0_deg=15.0,
            source=_FCC_21_48 + _GEN1_POLAR_NODES,
        ),
    ),
    "starlink-gen2-2022": (
        WalkerShell("starlink-gen2-53", 525, 53.0, 28, 89, 1, source=_FCC_22_91, approximate=True),
        WalkerShell("starlink-gen2-43", 530, 43.0, 28, 89, 1, source=_FCC_22_91, approximate=True),
        WalkerShell("starlink-gen2-33", 535, 33.0, 28, 89, 1, source=_FCC_22_91, approximate=True),
    ),
    "oneweb-phase1": (
        WalkerShell("oneweb-phase1", 1200, 87.9, 12, 49, 1, pattern="star", source=_ONEWEB),
    ),
    "kuiper": (
        WalkerShell("kuiper-630", 630, 51.9, 34, 34, 1, source=_FCC_20_102),
        WalkerShell("kuiper-610", 610, 42.0, 36, 36, 1, source=_FCC_20_102),
        WalkerShell("kuiper-590", 590, 33.0, 28, 28, 1, source=_FCC_20_102),
    ),
    "qianfan-phase1": (
        WalkerShell(
            "qianfan-phase1",
            1066,
            89.0,
            18,
            36,
            1,
            pattern="star",
            source=_QIANFAN,
            approximate=True,
        ),
    ),
    "guowang": (
        WalkerShell("guowang-50", 1145, 50.0, 12, 9, 1, source=_GUOWANG, approximate=True),
        WalkerShell(
            "guowang-86", 1145, 86.5, 6, 10, 1, pattern="star", source=_GUOWANG, approximate=True
        ),
    ),
}


def preset_shells(name: str) -> tuple[WalkerShell, ...]:
    """The shells of a preset; unknown names list the close matches."""
    key = name.strip().lower()
    if key not in WALKER_PRESETS:
        close = difflib.get_close_matches(key, list(WALKER_PRESETS), n=3, cutoff=0.3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise WalkerError(f"no Walker preset {name!r}; {hint}presets: {', '.join(WALKER_PRESETS)}")
    return WALKER_PRESETS[key]


def preset_constellation(name: str, epoch_utc: datetime) -> Constellation:
    """Every shell of a preset as one constellation.

    Each shell takes its own block of generated catalogue numbers (the next free block
    when two shells' preferred blocks meet), so no two satellites share an id.
    """
    shells = preset_shells(name)
    return shells_constellation(shells, epoch_utc, label=name)


def shells_constellation(shells, epoch_utc: datetime, label: str) -> Constellation:
    """Generated shells as one constellation with distinct catalogue numbers."""
    firsts = allocate_first_ids(shells)
    sets = []
    for shell, first in zip(shells, firsts, strict=True):
        sets += walker_element_sets(shell, epoch_utc, first)
    return Constellation.from_element_sets(sets, label)
