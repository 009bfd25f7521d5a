"""The visibility kernel: per step, which cells see which satellites, into accumulators.

Visibility of satellite ``s`` from cell ``i`` (ECEF position ``p``, local unit vectors
up/east/north) for a system with minimum elevation ``el_min`` and GSO band ``beta``::

    d = s - p,   sin(el) = d . up / |d|,   az = atan2(d . east, d . north) mod 360
    visible  <=>  sin(el) >= sin(el_min)                                 (elevation)
             and  sep_GSO(p, d) >= beta            (only when the band is set, > 0)
             and  sin(el) > sin(horizon[i, floor(az / (360 / K))])       (terrain)

``open sky`` drops the terrain condition. ``sep_GSO`` is the smallest angle between
``d`` and the direction from ``p`` to any point of the geostationary ring (radius
42164.17 km in the equatorial plane; the whole ring counts, so for a minimum elevation
below the band a satellite low in the sky near the arc's horizon ends is excluded by
arc points under the horizon). It is found by Newton's method on the ring longitude
(maximising the cosine of the angle), started from a 5-degree scan of the ring.

Speed comes from bounds (see :mod:`hybridplan.coverage.celltree`): for a node of cells
with centre ``c``, radius ``r`` and vertical spread ``alpha``, every member's elevation
lies within ``el(c) +- (asin(r / |s - c|) + alpha)`` and its GSO separation within
``sep(c) +- (asin(r / |s - c|) + asin(r / (R_GSO - |c|)))`` (triangle inequality on the
sphere of directions). The tests are done on sines and cosines with the angle-sum
formulas, with a margin of 1e-9 rad, so no trigonometric call is needed at a node. A
node whose bounds decide the answer for all members is counted in O(1) (a difference
array over its cell range); only undecided leaves are evaluated cell by cell. The
decisions agree exactly with the cell-by-cell evaluation, which ``prune=False`` runs
everywhere (tests compare the two).

The tree is walked once per step for all of a system's satellites: each node carries the
list of satellites still undecided there (with their per-satellite state), so its data
and, at a leaf, its cells are read once per step while they are in cache, instead of
once per satellite. A satellite's tests and their order are those of a walk of its own,
and each cell sees its satellites in one fixed order, so the results do not depend on
the walk.

The best (highest) elevation per cell and step is resolved the same way: a node fully
visible to several satellites keeps only those whose elevation upper bound reaches the
best lower bound, tightening the bounds down the tree until one candidate is left, whose
exact elevations are then computed over the node's cells (a compact ``(6, n_cells)`` copy
of positions and up vectors, vectorised).

Accumulators are integers (counts, and sums in fixed point: nano-degrees, millimetres),
so chunks merge exactly in any grouping.

All functions compile with ``error_model="numpy"``: a float division never raises (no
divisor here can be zero for real geometry), which lets the compiler vectorise loops.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .geometry import GSO_RADIUS_KM

EPS = 1e-9
"""Safety margin on every bound [rad, or its sine]: far above rounding, far below physics."""
NANO_DEGREE = 1e9
MM_PER_KM = 1e6

# accumulator fields (last axis of the accumulator array)
F_COVERED, F_COVERED_OPEN, F_N_OR_MORE, F_NVIS_SUM, F_NVIS_MIN, F_NVIS_MAX = range(6)
# F_PATH_MM: sum over covered steps of the serving satellite's one-way bent-pipe path, user
# slant range + gateway slant range [mm] (twice the user slant range for a system without
# gateways); the round-trip latency is 2 x path / c
F_BEST_EL_NDEG, F_PATH_MM, F_ANY, F_LEAD, F_TRAIL, F_GAP_MAX, F_GAP_SUM, F_GAP_COUNT = range(6, 14)
LAYOUT = "path-mm-2"
"""Version of the accumulator fields' meaning (part of every run token, so checkpoints
written before a change of meaning are refused)."""
# STK figures of merit beyond the first release (appended, so the fields above keep their
# places): sum of squared closed gap lengths [steps^2] (time-average gap, response time);
# the access (maximal covered run) state mirroring the gap state: any uncovered step yet,
# leading and trailing covered runs, and the count, longest and shortest closed access
F_GAP_SQ, F_UNC_ANY, F_ACC_LEAD, F_ACC_TRAIL, F_ACC_COUNT, F_ACC_MAX, F_ACC_MIN = range(14, 21)
F_HIST0 = 21
"""First of the gap-length histogram fields (closed gaps; see :data:`GAP_BIN_LOWER_STEPS`)."""
GAP_BIN_LOWER_STEPS = np.array(
    [1, 2, 3, 4, 5, 6, 7, 8] + [int(round(8 * 2 ** (k / 3))) for k in range(1, 25)], dtype=np.int64
)
"""Lower edges [steps] of the gap-length histogram bins: one bin per length up to 8 steps,
then 2**(1/3) apart (26 % wide) up to 2048 steps; the last bin is open-ended. Revisit- and
response-time percentiles stream through this histogram (exact below 8 steps)."""
N_GAP_BINS = GAP_BIN_LOWER_STEPS.size
GAP_BIN_OF_STEPS = (
    (np.searchsorted(GAP_BIN_LOWER_STEPS, np.arange(2049), side="right") - 1)
    .clip(0)
    .astype(np.int64)
)
"""Bin index of a gap of L steps, for L = 0..2048 (longer gaps: the last bin)."""
N_FIELDS = F_HIST0 + N_GAP_BINS
N_BASE_FIELDS = F_GAP_SQ
"""Fields of an accumulator without the STK figures (``stk=False``: 14 instead of 53)."""
_GAP_BIN = GAP_BIN_OF_STEPS
NVIS_MIN_START = np.iinfo(np.int64).max

# system parameter columns
(S_SIN_MIN, S_COS_MIN, S_MIN_EL, S_BAND, S_SIN_BAND, S_COS_BAND, S_BAND_ON, S_N_REQ, S_LICENSED) = (
    range(9)
)
N_SYS_COLUMNS = 9

# node columns (celltree.NODE_COLUMNS)
(
    N_X,
    N_Y,
    N_Z,
    N_R,
    N_UX,
    N_UY,
    N_UZ,
    N_ALPHA,
    N_MAXH,
    N_NORM,
    N_CA,
    N_SA,
    N_SMH,
    N_CMH,
    N_SG,
    N_CG,
    N_EX,
    N_EY,
    N_EZ,
    N_NX,
    N_NY,
    N_NZ,
    N_BE_LO,
    N_BE_HI,
    N_BN_LO,
    N_BN_HI,
    N_BU_LO,
    N_BU_HI,
) = range(28)

_SCAN = 72
# uphill steps are at most 0.05 rad, so 160 of them cross the whole ring (2 pi = 126)
_NEWTON_ITERATIONS = 160
_DIRECT = 3
_HALF_PI = 0.5 * math.pi
_RAD2DEG = 180.0 / math.pi
_INV6, _INV12, _INV20, _INV30, _INV42 = 1.0 / 6.0, 1.0 / 12.0, 1.0 / 20.0, 1.0 / 30.0, 1.0 / 42.0
# fdlibm e_asin.c rational approximation of (asin(x) - x) / x^3 in z = x^2
_PS0, _PS1, _PS2 = (
    1.66666666666666657415e-01,
    -3.25565818622400915405e-01,
    2.01212532134862925881e-01,
)
_PS3, _PS4, _PS5 = (
    -4.00555345006794114027e-02,
    7.91534994289814532176e-04,
    3.47933107596021167570e-05,
)
_QS1, _QS2, _QS3, _QS4 = (
    -2.40339491173441421878e00,
    2.02094576023350569471e00,
    -6.88283971605453293030e-01,
    7.70381505559019352791e-02,
)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def asin_fast(x):
    """arcsin [rad] without branches (fdlibm's approximation; error < 1e-15 rad).

    ``|x| < 0.5``: ``x + x R(x^2)``; otherwise ``pi/2 - 2 asin(sqrt((1 - |x|) / 2))``
    with the same ``R``. Both share ``s = sqrt(z)``, so the two cases differ only in a
    final select, which the compiler can vectorise. ``|x|`` is clamped to 1.
    """
    ax = min(abs(x), 1.0)
    big = ax >= 0.5
    z = (1.0 - ax) * 0.5 if big else ax * ax
    p = z * (_PS0 + z * (_PS1 + z * (_PS2 + z * (_PS3 + z * (_PS4 + z * _PS5)))))
    q = 1.0 + z * (_QS1 + z * (_QS2 + z * (_QS3 + z * _QS4)))
    root = math.sqrt(z)
    y = root + root * (p / q)
    y = _HALF_PI - 2.0 * y if big else y
    return y if x >= 0.0 else -y


@njit(cache=True, nogil=True, error_model="numpy")
def _gso_newton(px, py, pz, vx, vy, vz, c, s):
    """Ring point nearest in angle to unit direction v seen from p, Newton from (c, s).

    Maximises ``F(phi) = v . (g(phi) - p) / |g(phi) - p|`` over the ring ``g`` by Newton's
    method on ``G = N' Q - N Q' / 2`` (``F = N / sqrt(Q)``, so ``G = F' Q^1.5``); a step
    where ``G' >= 0`` (not near a maximum) moves uphill by 0.05 rad. The longitude is
    carried as ``(cos phi, sin phi)`` and turned by each step with a Taylor series (steps
    <= 0.05 rad; error < 1e-15), so no trigonometric call is needed. Stops when a Newton
    step is below 1e-8 rad or would raise ``F`` by less than 1e-15 (so ``F`` is exact to
    ~1e-15). Returns ``(cos, sin, F)`` of the best point visited.
    """
    r = GSO_RADIUS_KM
    vp = vx * px + vy * py + vz * pz
    a = r * r + px * px + py * py + pz * pz
    norm = 1.0 / math.sqrt(c * c + s * s)
    c *= norm
    s *= norm
    best_c = c
    best_s = s
    best_f = -2.0
    for _ in range(_NEWTON_ITERATIONS):
        a1 = vx * c + vy * s
        b1 = px * c + py * s
        n = r * a1 - vp
        q = a - 2.0 * r * b1
        f = n / math.sqrt(q)
        if f > best_f:
            best_f = f
            best_c = c
            best_s = s
        n1 = r * (-vx * s + vy * c)
        q1 = 2.0 * r * (px * s - py * c)
        g = n1 * q - 0.5 * n * q1
        g1 = -r * a1 * q + 0.5 * n1 * q1 - n * r * b1
        if g1 < 0.0:
            step = -g / g1
            # predicted gain of F from the quadratic model: F' step / 2, F' = g / q^1.5;
            # far from the arc F is flat and its maximum value is reached long before
            # its place is pinned down
            if abs(step) < 1e-8 or abs(0.5 * g * step) < 1e-15 * q * math.sqrt(q):
                break
        else:
            step = 0.05 if g > 0.0 else -0.05
        step = min(0.05, max(-0.05, step))
        d2 = step * step
        # reciprocals, not divisions (the compiler keeps a division by 6.0 a division:
        # 1/6 is not exact; five of them were a sixth of the iteration's time)
        sin_d = step * (1.0 - d2 * _INV6 * (1.0 - d2 * _INV20 * (1.0 - d2 * _INV42)))
        cos_d = 1.0 - d2 * 0.5 * (1.0 - d2 * _INV12 * (1.0 - d2 * _INV30))
        c, s = c * cos_d - s * sin_d, s * cos_d + c * sin_d
    return best_c, best_s, best_f


@njit(cache=True, nogil=True, error_model="numpy")
def _gso_global(px, py, pz, vx, vy, vz):
    """Global optimum: scan the ring every 5 degrees, then Newton from the best sample."""
    r = GSO_RADIUS_KM
    best_k = 0
    best_f = -3.0
    step_c = math.cos(2.0 * math.pi / _SCAN)
    step_s = math.sin(2.0 * math.pi / _SCAN)
    c = 1.0
    s = 0.0
    for k in range(_SCAN):
        gx = r * c - px
        gy = r * s - py
        gz = -pz
        f = (vx * gx + vy * gy + vz * gz) / math.sqrt(gx * gx + gy * gy + gz * gz)
        if f > best_f:
            best_f = f
            best_k = k
        c, s = c * step_c - s * step_s, s * step_c + c * step_s
    phi = 2.0 * math.pi * best_k / _SCAN
    return _gso_newton(px, py, pz, vx, vy, vz, math.cos(phi), math.sin(phi))


@njit(cache=True, nogil=True, error_model="numpy")
def gso_max_cos(px, py, pz, vx, vy, vz, c, s):
    """Cosine of the smallest angle between unit direction v from p and the GSO ring.

    Newton from ring longitude ``(c, s)``, any start: for a direction above the horizon of
    a point near the ellipsoid the cosine has a single maximum over the ring wherever the
    angle is below 90 degrees (the largest band allowed; a second local maximum appears
    only beyond 93 degrees, checked on a 1-degree sky grid at every 2.5 degrees of
    latitude), so climbing from anywhere finds it.
    """
    return _gso_newton(px, py, pz, vx, vy, vz, c, s)[2]


@njit(cache=True, nogil=True, error_model="numpy")
def gso_separation_rad(px, py, pz, dx, dy, dz):
    """Smallest angle [rad] between direction d from p and the geostationary ring."""
    norm = math.sqrt(dx * dx + dy * dy + dz * dz)
    _, _, f = _gso_global(px, py, pz, dx / norm, dy / norm, dz / norm)
    return math.acos(min(1.0, max(-1.0, f)))


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _axis_range2(v, lo, hi):
    """(min, max) of (v - x)^2 over x in [lo, hi]."""
    a = v - hi
    b = v - lo
    top = max(a * a, b * b)
    if a <= 0.0 <= b:
        return 0.0, top
    return min(a * a, b * b), top


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _box_terms(node_data, node, sx, sy, sz):
    """Elevation geometry of a satellite over a node's box, in the node's local frame.

    Returns ``(n_lo, h_lo, n_hi, h_hi)``: every member cell sees the satellite at an
    elevation (measured from the node's up vector) between ``atan2(n_lo, h_lo)`` and
    ``atan2(n_hi, h_hi)``; ``n`` is the height of the satellite above the cell's plane
    and ``h`` its horizontal distance, bounded over the box of member offsets.
    """
    dx = sx - node_data[node, N_X]
    dy = sy - node_data[node, N_Y]
    dz = sz - node_data[node, N_Z]
    a = dx * node_data[node, N_EX] + dy * node_data[node, N_EY] + dz * node_data[node, N_EZ]
    b = dx * node_data[node, N_NX] + dy * node_data[node, N_NY] + dz * node_data[node, N_NZ]
    h = dx * node_data[node, N_UX] + dy * node_data[node, N_UY] + dz * node_data[node, N_UZ]
    ax_min, ax_max = _axis_range2(a, node_data[node, N_BE_LO], node_data[node, N_BE_HI])
    ay_min, ay_max = _axis_range2(b, node_data[node, N_BN_LO], node_data[node, N_BN_HI])
    h_min = math.sqrt(ax_min + ay_min)
    h_max = math.sqrt(ax_max + ay_max)
    n_lo = h - node_data[node, N_BU_HI]
    n_hi = h - node_data[node, N_BU_LO]
    return n_lo, (h_max if n_lo >= 0.0 else h_min), n_hi, (h_min if n_hi >= 0.0 else h_max)


@njit(cache=True, nogil=True, error_model="numpy")
def _node_el_bounds(node_data, node, sx, sy, sz):
    """(lower, upper) elevation bound [rad] of a satellite over a node's cells."""
    n_lo, h_lo, n_hi, h_hi = _box_terms(node_data, node, sx, sy, sz)
    alpha = node_data[node, N_ALPHA] + EPS
    return math.atan2(n_lo, h_lo) - alpha, math.atan2(n_hi, h_hi) + alpha


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _cell_visible(
    cell_data, sin_horizon, terrain, i, sx, sy, sz, sys_row, check_el, check_gso, ring_c, ring_s
):
    """Exact test of one cell: returns (open_sky_visible, visible, sin_el, dist2)."""
    dx = sx - cell_data[i, 0]
    dy = sy - cell_data[i, 1]
    dz = sz - cell_data[i, 2]
    d2 = dx * dx + dy * dy + dz * dz
    up = dx * cell_data[i, 3] + dy * cell_data[i, 4] + dz * cell_data[i, 5]
    sin_min = sys_row[S_SIN_MIN]
    # sin(el) >= sin(el_min) without a square root (sin(el_min) >= 0)
    if check_el and (up < 0.0 or up * up < sin_min * sin_min * d2):
        return False, False, -1.0, d2
    dist = math.sqrt(d2)
    sin_el = up / dist
    if check_gso:
        # cosine of the angle to the ring point nearest as seen from the leaf's centre: a
        # lower bound of the cell's own maximum (any ring point is), so a value inside the
        # band decides at once. Otherwise the cell's own nearest point is found by Newton
        # from there: the optimum moves with the cell (by tens of degrees of ring longitude
        # across a leaf of sparse sites), so the leaf's point alone under-states how close
        # the satellite is to the arc
        px = cell_data[i, 0]
        py = cell_data[i, 1]
        pz = cell_data[i, 2]
        gx = GSO_RADIUS_KM * ring_c - px
        gy = GSO_RADIUS_KM * ring_s - py
        f = (dx * gx + dy * gy - dz * pz) / (dist * math.sqrt(gx * gx + gy * gy + pz * pz))
        if f <= sys_row[S_COS_BAND]:
            f = gso_max_cos(px, py, pz, dx / dist, dy / dist, dz / dist, ring_c, ring_s)
        if f > sys_row[S_COS_BAND]:
            return False, False, sin_el, d2
    if terrain and sin_el <= cell_data[i, 12]:
        east = dx * cell_data[i, 6] + dy * cell_data[i, 7] + dz * cell_data[i, 8]
        north = dx * cell_data[i, 9] + dy * cell_data[i, 10] + dz * cell_data[i, 11]
        az = math.atan2(east, north)
        if az < 0.0:
            az += 2.0 * math.pi
        n_az = sin_horizon.shape[1]
        k = int(az * n_az / (2.0 * math.pi))
        if k >= n_az:
            k = n_az - 1
        if sin_el <= sin_horizon[i, k]:
            return True, False, sin_el, d2
    return True, True, sin_el, d2


@njit(cache=True, nogil=True, error_model="numpy")
def _descend(
    sats,
    n_sats,
    base,
    sat_pos,
    sat_gw_km,
    sys_row,
    terrain,
    prune,
    cell_data,
    sin_horizon,
    node_data,
    node_links,
    diff_open,
    diff_vis,
    best_sin,
    best_d2,
    best_gw,
    ent,
    n_ent,
    frame_node,
    frame_len,
    frame_above,
    frame_sat,
    frame_flags,
    frame_ring,
    node_best_lb,
):
    """Visit the tree for a step's satellites; returns the new number of entries, -1 if full.

    The tree is walked once, node by node, with the list of satellites still undecided
    there (``sats[:n_sats]``: indices from ``base`` into ``sat_pos``, in this order at
    every node), so each node's and leaf's data are read once per step rather than once
    per satellite. Per satellite the tests and their order are those of a walk of its own:
    a satellite's decisions at a node, its cell tests and its updates of a cell's best
    satellite (in the list's order) are the same. Fully visible nodes go to the difference
    arrays and, for the best-elevation pass, to ``ent`` (rows: node, satellite, lower and
    upper elevation bound [rad]); an entry is dropped when another one on the node or
    an ancestor has a lower bound above its upper bound (it is never the highest there).
    ``sat_gw_km`` holds the satellites' gateway slant ranges [km] (< 0: none given), kept
    in ``best_gw`` for the cells where the satellite is the best.

    ``frame_*`` are the walk's stack (``frame_sat`` etc. hold ``width`` slots per frame,
    ``width = frame_sat.shape[0] // frame_len.shape[0]`` >= the number of satellites).
    """
    sin_min = sys_row[S_SIN_MIN]
    cos_min = sys_row[S_COS_MIN]
    sin_b = sys_row[S_SIN_BAND]
    cos_b = sys_row[S_COS_BAND]
    width = frame_sat.shape[0] // frame_len.shape[0]
    # per satellite: flags (1: elevation decided, 2: GSO decided, 4: open sky counted), and
    # the cos and sin of the parent's nearest ring longitude (cos 2: scan the ring)
    gso_start = 0 if sys_row[S_BAND_ON] > 0.0 else 2
    for q in range(n_sats):
        frame_sat[q] = sats[q]
        frame_flags[q] = gso_start
        frame_ring[q, 0] = 2.0
        frame_ring[q, 1] = 0.0
    frame_node[0] = 0
    frame_len[0] = n_sats
    frame_above[0] = -10.0
    top = 1
    while top > 0:
        top -= 1
        node = frame_node[top]
        slot = top * width
        n_in = frame_len[top]
        lo = node_links[node, 0]
        hi = node_links[node, 1]
        left = node_links[node, 2]
        ca = node_data[node, N_CA]
        sa = node_data[node, N_SA]
        # the best lower bound of the entries on the strict ancestors (final: they were
        # all visited before this node)
        above = frame_above[top]
        kept = 0
        for q in range(n_in):
            sat = frame_sat[slot + q]
            flags = frame_flags[slot + q]
            el_ok = (flags & 1) != 0
            gso_ok = (flags & 2) != 0
            open_counted = (flags & 4) != 0
            ring_c = frame_ring[slot + q, 0]
            ring_s = frame_ring[slot + q, 1]
            sx = sat_pos[base + sat, 0]
            sy = sat_pos[base + sat, 1]
            sz = sat_pos[base + sat, 2]
            # the box terms only where they are used: the elevation tests, and a node
            # decided for all its cells (most satellites with the elevation decided
            # above pass a node near the GSO band's edge without either)
            n_lo = h_lo = n_hi = h_hi = margin_lo = 0.0
            have_box = prune and not el_ok
            if have_box:
                n_lo, h_lo, n_hi, h_hi = _box_terms(node_data, node, sx, sy, sz)
                margin_lo = EPS * (abs(n_lo) + h_lo)
                # none: atan2(n_hi, h_hi) + alpha < el_min  (angle Y = el_min - alpha)
                c_y = cos_min * ca + sin_min * sa
                if c_y > 0.0 and n_hi * c_y - h_hi * (sin_min * ca - cos_min * sa) < -EPS * (
                    abs(n_hi) + h_hi
                ):
                    continue
                # all: atan2(n_lo, h_lo) - alpha >= el_min  (angle X = el_min + alpha < 90 deg)
                c_x = cos_min * ca - sin_min * sa
                if c_x > 0.0 and n_lo * c_x - h_lo * (sin_min * ca + cos_min * sa) >= margin_lo:
                    el_ok = True
            if not gso_ok:
                dx = sx - node_data[node, N_X]
                dy = sy - node_data[node, N_Y]
                dz = sz - node_data[node, N_Z]
                dist = math.sqrt(dx * dx + dy * dy + dz * dz)
                radius = node_data[node, N_R]
                bounded = prune and dist > radius * 1.000001 + 1e-9
                rho = 0.0
                crho = 1.0
                if bounded:
                    rho = radius / dist
                    crho = math.sqrt(1.0 - rho * rho)
                ux = dx / dist
                uy = dy / dist
                uz = dz / dist
                px = node_data[node, N_X]
                py = node_data[node, N_Y]
                pz = node_data[node, N_Z]
                if ring_c > 1.5:
                    ring_c, ring_s, f = _gso_global(px, py, pz, ux, uy, uz)
                else:
                    ring_c, ring_s, f = _gso_newton(px, py, pz, ux, uy, uz, ring_c, ring_s)
                if bounded:
                    # sin and cos of the GSO half-width asin(rho) + asin(parallax)
                    sg = rho * node_data[node, N_CG] + crho * node_data[node, N_SG]
                    cg = crho * node_data[node, N_CG] - rho * node_data[node, N_SG]
                    # excluded everywhere: sep < band - width (cos sep > cos(band - width))
                    if sin_b * cg - cos_b * sg > 0.0 and f > cos_b * cg + sin_b * sg + EPS:
                        continue
                    # clear everywhere: sep >= band + width
                    if sin_b * cg + cos_b * sg > 0.0 and f <= cos_b * cg - sin_b * sg - EPS:
                        gso_ok = True
            if el_ok and gso_ok and prune:
                if not have_box:
                    n_lo, h_lo, n_hi, h_hi = _box_terms(node_data, node, sx, sy, sz)
                    margin_lo = EPS * (abs(n_lo) + h_lo)
                if not open_counted:
                    diff_open[lo] += 1
                    diff_open[hi] -= 1
                    open_counted = True
                clear = not terrain
                if terrain:
                    # all clear of the terrain: atan2(n_lo, h_lo) - alpha > max horizon
                    smh = node_data[node, N_SMH]
                    cmh = node_data[node, N_CMH]
                    c_z = cmh * ca - smh * sa
                    clear = c_z > 0.0 and n_lo * c_z - h_lo * (smh * ca + cmh * sa) >= margin_lo
                if clear:
                    diff_vis[lo] += 1
                    diff_vis[hi] -= 1
                    alpha = node_data[node, N_ALPHA] + EPS
                    lb = math.atan2(n_lo, h_lo) - alpha
                    ub = math.atan2(n_hi, h_hi) + alpha
                    # else never the highest in this node
                    if ub >= max(above, node_best_lb[node]) - EPS:
                        if n_ent >= ent.shape[0]:
                            return -1
                        ent[n_ent, 0] = node
                        ent[n_ent, 1] = sat
                        ent[n_ent, 2] = lb
                        ent[n_ent, 3] = ub
                        n_ent += 1
                        node_best_lb[node] = max(node_best_lb[node], lb)
                    continue
            # undecided here: on to the children (or the cells), in the list's order
            frame_sat[slot + kept] = sat
            frame_flags[slot + kept] = (
                (1 if el_ok else 0) + (2 if gso_ok else 0) + (4 if open_counted else 0)
            )
            frame_ring[slot + kept, 0] = ring_c
            frame_ring[slot + kept, 1] = ring_s
            kept += 1
        if kept == 0:
            continue
        if left < 0:
            for q in range(kept):
                sat = frame_sat[slot + q]
                flags = frame_flags[slot + q]
                _leaf_cells(
                    cell_data,
                    sin_horizon,
                    terrain,
                    lo,
                    hi,
                    sat_pos[base + sat, 0],
                    sat_pos[base + sat, 1],
                    sat_pos[base + sat, 2],
                    sat_gw_km[base + sat],
                    sys_row,
                    (flags & 1) == 0,
                    (flags & 2) == 0,
                    (flags & 4) != 0,
                    frame_ring[slot + q, 0],
                    frame_ring[slot + q, 1],
                    diff_open,
                    diff_vis,
                    best_sin,
                    best_d2,
                    best_gw,
                )
            continue
        # the left child on top of the right one (so visited first); the right child's
        # list is this frame's own, in place
        above = max(above, node_best_lb[node])
        frame_node[top] = node_links[node, 3]
        frame_len[top] = kept
        frame_above[top] = above
        child = (top + 1) * width
        for q in range(kept):
            frame_sat[child + q] = frame_sat[slot + q]
            frame_flags[child + q] = frame_flags[slot + q]
            frame_ring[child + q, 0] = frame_ring[slot + q, 0]
            frame_ring[child + q, 1] = frame_ring[slot + q, 1]
        frame_node[top + 1] = left
        frame_len[top + 1] = kept
        frame_above[top + 1] = above
        top += 2
    return n_ent


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _leaf_cells(
    cell_data,
    sin_horizon,
    terrain,
    lo,
    hi,
    sx,
    sy,
    sz,
    gw_km,
    sys_row,
    check_el,
    check_gso,
    open_counted,
    ring_c,
    ring_s,
    diff_open,
    diff_vis,
    best_sin,
    best_d2,
    best_gw,
):
    """Exact tests of one satellite on the cells ``lo..hi-1`` of a leaf, into the arrays."""
    for i in range(lo, hi):
        is_open, is_vis, sin_c, d2 = _cell_visible(
            cell_data,
            sin_horizon,
            terrain,
            i,
            sx,
            sy,
            sz,
            sys_row,
            check_el,
            check_gso,
            ring_c,
            ring_s,
        )
        if is_open and not open_counted:
            diff_open[i] += 1
            diff_open[i + 1] -= 1
        if is_vis:
            diff_vis[i] += 1
            diff_vis[i + 1] -= 1
            if sin_c > best_sin[i] or (sin_c == best_sin[i] and d2 < best_d2[i]):
                best_sin[i] = sin_c
                best_d2[i] = d2
                best_gw[i] = gw_km


_BEST_BLOCK = 128
"""Cells per block of the best-elevation pass over a node's cells (13 kB of cell data:
they stay in the L1 cache while the candidates pass over them)."""


@njit(cache=True, nogil=True, error_model="numpy")
def _best_over_range(sat_pos, sat_gw_km, j, cell_pos_up, lo, hi, best_sin, best_d2, best_gw):
    """Fold one satellite's exact elevation into the best of cells lo..hi-1.

    ``cell_pos_up`` is ``(6, n_cells)``: position [km] and up vector, one row each. The
    loop runs over views from 0 and updates without branches, so the compiler vectorises it.
    """
    gw = sat_gw_km[j]
    sx = sat_pos[j, 0]
    sy = sat_pos[j, 1]
    sz = sat_pos[j, 2]
    px = cell_pos_up[0, lo:hi]
    py = cell_pos_up[1, lo:hi]
    pz = cell_pos_up[2, lo:hi]
    ux = cell_pos_up[3, lo:hi]
    uy = cell_pos_up[4, lo:hi]
    uz = cell_pos_up[5, lo:hi]
    b_sin = best_sin[lo:hi]
    b_d2 = best_d2[lo:hi]
    b_gw = best_gw[lo:hi]
    for i in range(hi - lo):
        dx = sx - px[i]
        dy = sy - py[i]
        dz = sz - pz[i]
        d2 = dx * dx + dy * dy + dz * dz
        sin_el = (dx * ux[i] + dy * uy[i] + dz * uz[i]) / math.sqrt(d2)
        old_sin = b_sin[i]
        old_d2 = b_d2[i]
        better = (sin_el > old_sin) | ((sin_el == old_sin) & (d2 < old_d2))
        b_sin[i] = sin_el if better else old_sin
        b_d2[i] = d2 if better else old_d2
        b_gw[i] = gw if better else b_gw[i]


@njit(cache=True, nogil=True, error_model="numpy")
def _resolve_best(
    sat_pos,
    sat_gw_km,
    base,
    cell_pos_up,
    node_data,
    node_links,
    ent,
    n_ent,
    best_sin,
    best_d2,
    best_gw,
    head,
    nxt,
    marked,
    slot_sat,
    slot_lb,
    slot_ub,
    slot_len,
    stack_node,
    tmp_sat,
    tmp_lb,
    tmp_ub,
):
    """Best elevation per cell among the satellites that fully cover tree nodes."""
    if n_ent == 0:
        return
    width = slot_sat.shape[0] // slot_len.shape[0]  # at most one candidate per satellite
    for e in range(n_ent):  # per-node lists, and mark the nodes with entries below them
        node = int(ent[e, 0])
        nxt[e] = head[node]
        head[node] = e
        while node >= 0 and marked[node] == 0:
            marked[node] = 1
            node = node_links[node, 4]
    stack_node[0] = 0
    slot_len[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack_node[top]
        count = 0
        best_lb = -10.0
        for k in range(slot_len[top]):  # inherited candidates, bounds tightened here
            j = slot_sat[top * width + k]
            lb, ub = _node_el_bounds(
                node_data, node, sat_pos[base + j, 0], sat_pos[base + j, 1], sat_pos[base + j, 2]
            )
            lb = max(lb, slot_lb[top * width + k])
            ub = min(ub, slot_ub[top * width + k])
            tmp_sat[count] = j
            tmp_lb[count] = lb
            tmp_ub[count] = ub
            best_lb = max(best_lb, lb)
            count += 1
        e = head[node]
        while e >= 0:
            tmp_sat[count] = int(ent[e, 1])
            tmp_lb[count] = ent[e, 2]
            tmp_ub[count] = ent[e, 3]
            best_lb = max(best_lb, ent[e, 2])
            count += 1
            e = nxt[e]
        kept = 0
        for k in range(count):
            if tmp_ub[k] >= best_lb - EPS:
                tmp_sat[kept] = tmp_sat[k]
                tmp_lb[kept] = tmp_lb[k]
                tmp_ub[kept] = tmp_ub[k]
                kept += 1
        left = node_links[node, 2]
        right = node_links[node, 3]
        below = left >= 0 and (marked[left] == 1 or marked[right] == 1)
        if kept == 0 and not below:
            continue
        # few candidates left: evaluating them on every cell below is cheaper than
        # tightening their bounds node by node (which only pays to drop candidates)
        if left < 0 or (kept <= _DIRECT and not below):
            # in blocks of cells that stay in cache while each candidate passes over them
            # (a cell sees the candidates in the list's order, as one pass each would)
            for b0 in range(node_links[node, 0], node_links[node, 1], _BEST_BLOCK):
                b1 = min(b0 + _BEST_BLOCK, node_links[node, 1])
                for k in range(kept):
                    _best_over_range(
                        sat_pos,
                        sat_gw_km,
                        base + tmp_sat[k],
                        cell_pos_up,
                        b0,
                        b1,
                        best_sin,
                        best_d2,
                        best_gw,
                    )
            continue
        for child in (right, left):
            stack_node[top] = child
            for k in range(kept):
                slot_sat[top * width + k] = tmp_sat[k]
                slot_lb[top * width + k] = tmp_lb[k]
                slot_ub[top * width + k] = tmp_ub[k]
            slot_len[top] = kept
            top += 1
    for e in range(n_ent):  # reset the scratch arrays
        node = int(ent[e, 0])
        head[node] = -1
        while node >= 0 and marked[node] == 1:
            marked[node] = 0
            node = node_links[node, 4]


_BLOCK = 1024
"""Cells per block of :func:`_fold`. Wide blocks make each step's inputs long contiguous
runs for the hardware prefetcher, while the block's accumulator state stays in a core's
L2 cache (53 int64 fields with the STK figures: 434 kB). Measured on a national chunk
(160,871 cells, 14 fields) and the default grid (13,837 cells, 53 fields): 1.35x and
1.45x faster than blocks of 64. A compile-time constant: with a block width known only at
run time the compiler no longer vectorises the update (3x slower)."""


@njit(cache=True, nogil=True, error_model="numpy")
def _fold(
    acc,
    row,
    n_vis,
    open_cov,
    req_ok,
    best_sin,
    best_d2,
    best_gw,
    smap,
    series_n,
    series_open,
    series_best,
):
    """Fold a chunk of per-step results (``(n_steps, n_cells)`` arrays) into ``acc[row]``.

    Cells go in blocks of :data:`_BLOCK` whose accumulators stay in field-major arrays in
    cache while the steps stream by in memory order. The update, gap state machine included, is
    branch-free, so the compiler vectorises it. A step covered in every cell of a block after
    another such step (most steps of most systems on a national grid) takes a shorter
    update: no gap can close or open there, so only the sums and the covered run move. The best elevation and the bent-pipe path
    (user slant range plus the serving satellite's gateway slant range ``best_gw``, or
    the user slant range twice where ``best_gw < 0``: no gateway given) are rounded to
    whole nano-degrees and millimetres (each range on its own) in floating point and
    summed there: sums of whole numbers below 2**53 are exact (a path of two GEO ranges,
    8.4e10 mm, over 100,000 steps stays below), and a chunk's sums are added to the int64
    accumulators once.
    """
    n_steps, n_cells = n_vis.shape
    n_fields = acc.shape[2]  # N_BASE_FIELDS: without the STK fields
    stk = n_fields > F_GAP_SQ
    st = np.empty((n_fields, _BLOCK), np.int64)
    el_sum = np.empty(_BLOCK)
    closed = np.zeros(_BLOCK, np.int64)
    path_sum = np.empty(_BLOCK)
    for b0 in range(0, n_cells, _BLOCK):
        width = min(_BLOCK, n_cells - b0)
        acc_b = acc[row, b0 : b0 + width]
        for f in range(n_fields):
            for j in range(width):
                st[f, j] = acc_b[j, f]
        el_sum[:] = 0.0
        path_sum[:] = 0.0
        # the longest gap and access are >= 0 in an accumulator (they start at 0), so a
        # step adds nothing to them where no gap or access closes; checked, not assumed
        maxima_ok = True
        for j in range(width):
            maxima_ok &= st[F_GAP_MAX, j] >= 0
        if stk:
            for j in range(width):
                maxima_ok &= st[F_ACC_MAX, j] >= 0
        # steady: the block's last step was covered in every cell, so every cell has had
        # coverage and has no open trailing gap (F_ANY 1, F_TRAIL 0)
        steady = False
        for t in range(n_steps):
            # views from the block's first cell: indices from 0 that the compiler knows are
            # not negative, so contiguous vector loads (with ``b0 + j`` it emitted gathers
            # and byte inserts: 1.2x slower)
            nv_t = n_vis[t, b0 : b0 + width]
            oc_t = open_cov[t, b0 : b0 + width]
            rq_t = req_ok[t, b0 : b0 + width]
            bs_t = best_sin[t, b0 : b0 + width]
            bd_t = best_d2[t, b0 : b0 + width]
            bg_t = best_gw[t, b0 : b0 + width]
            low = np.int32(1)
            for j in range(width):
                low = min(low, nv_t[j])
            all_covered = low > 0
            if steady and all_covered:
                # covered after covered in every cell: no gap closes, the leading gap and
                # the gap state stay (F_ANY 1, F_TRAIL 0), so only the sums move. Three
                # fifths of the fold's time went to the gap state, and most blocks of a
                # national grid are covered at every step by most systems
                for j in range(width):
                    n = np.int64(nv_t[j])
                    st[F_NVIS_SUM, j] += n
                    st[F_NVIS_MIN, j] = min(st[F_NVIS_MIN, j], n)
                    st[F_NVIS_MAX, j] = max(st[F_NVIS_MAX, j], n)
                    st[F_COVERED_OPEN, j] += np.int64(oc_t[j])
                    st[F_N_OR_MORE, j] += np.int64(rq_t[j])
                    st[F_COVERED, j] += 1
                    el = math.floor(asin_fast(bs_t[j]) * (_RAD2DEG * NANO_DEGREE) + 0.5)
                    slant = math.floor(math.sqrt(min(bd_t[j], 1e12)) * MM_PER_KM + 0.5)
                    gw = bg_t[j]
                    gw_mm = math.floor(min(gw, 1e6) * MM_PER_KM + 0.5) if gw >= 0.0 else slant
                    el_sum[j] += el
                    path_sum[j] += slant + gw_mm
                if stk:
                    # the access state with every cell covered: no access closes (so no
                    # gap squared, no histogram entry), the covered run grows
                    for j in range(width):
                        unc_any = st[F_UNC_ANY, j]
                        st[F_ACC_LEAD, j] += 1 - unc_any
                        st[F_ACC_TRAIL, j] += unc_any
                continue
            steady = all_covered and maxima_ok
            for j in range(width):
                n = np.int64(nv_t[j])
                c = np.int64(n > 0)
                st[F_NVIS_SUM, j] += n
                st[F_NVIS_MIN, j] = min(st[F_NVIS_MIN, j], n)
                st[F_NVIS_MAX, j] = max(st[F_NVIS_MAX, j], n)
                st[F_COVERED_OPEN, j] += np.int64(oc_t[j])
                st[F_N_OR_MORE, j] += np.int64(rq_t[j])
                st[F_COVERED, j] += c
                # round half up (both are >= 0 where covered): nano-degrees, millimetres
                el = math.floor(asin_fast(bs_t[j]) * (_RAD2DEG * NANO_DEGREE) + 0.5)
                slant = math.floor(math.sqrt(min(bd_t[j], 1e12)) * MM_PER_KM + 0.5)
                gw = bg_t[j]
                gw_mm = math.floor(min(gw, 1e6) * MM_PER_KM + 0.5) if gw >= 0.0 else slant
                el_sum[j] += el if c == 1 else 0.0
                path_sum[j] += slant + gw_mm if c == 1 else 0.0
                # gaps: a covered step closes the open trailing run (if coverage came
                # before it); an uncovered one extends it, or the leading run
                any_cov = st[F_ANY, j]
                trail = st[F_TRAIL, j]
                closing = c * any_cov * np.int64(trail > 0)
                st[F_GAP_SUM, j] += closing * trail
                st[F_GAP_COUNT, j] += closing
                st[F_GAP_MAX, j] = max(st[F_GAP_MAX, j], closing * trail)
                st[F_LEAD, j] += (1 - c) * (1 - any_cov)
                st[F_TRAIL, j] = (1 - c) * (trail + any_cov)
                st[F_ANY, j] = max(any_cov, c)
                closed[j] = closing * trail
            if not stk:
                continue
            # STK figures of merit: squared gap lengths, the access (covered run) state,
            # the mirror image of the gap state above, and the gap histogram
            for j in range(width):
                c = np.int64(nv_t[j] > 0)
                st[F_GAP_SQ, j] += closed[j] * closed[j]
                unc_any = st[F_UNC_ANY, j]
                a_trail = st[F_ACC_TRAIL, j]
                a_closing = (1 - c) * unc_any * np.int64(a_trail > 0)
                st[F_ACC_COUNT, j] += a_closing
                st[F_ACC_MAX, j] = max(st[F_ACC_MAX, j], a_closing * a_trail)
                st[F_ACC_MIN, j] = min(
                    st[F_ACC_MIN, j], a_closing * a_trail + (1 - a_closing) * NVIS_MIN_START
                )
                st[F_ACC_LEAD, j] += c * (1 - unc_any)
                st[F_ACC_TRAIL, j] = c * (a_trail + unc_any)
                st[F_UNC_ANY, j] = max(unc_any, 1 - c)
            # the gap histogram apart, so the loop above stays vectorised (gaps close
            # rarely; the scatter into a bin would serialise every step)
            for j in range(width):
                if closed[j] > 0:
                    st[F_HIST0 + _GAP_BIN[min(closed[j], 2048)], j] += 1
        for j in range(width):
            st[F_BEST_EL_NDEG, j] += np.int64(el_sum[j])
            st[F_PATH_MM, j] += np.int64(path_sum[j])
        for f in range(n_fields):
            for j in range(width):
                acc_b[j, f] = st[f, j]
        for j in range(width):
            k = smap[b0 + j]
            if k >= 0:
                for t in range(n_steps):
                    series_n[t, row, k] = n_vis[t, b0 + j]
                    series_open[t, row, k] = open_cov[t, b0 + j]
                    series_best[t, row, k] = (
                        asin_fast(best_sin[t, b0 + j]) * _RAD2DEG
                        if n_vis[t, b0 + j] > 0
                        else np.nan
                    )


@njit(cache=True, nogil=True, error_model="numpy")
def _system_steps(
    step_sys_ptr,
    s,
    sat_pos,
    sat_gw_km,
    row,
    terrain,
    prune,
    cell_data,
    sin_horizon,
    node_data,
    node_links,
    depth,
    n_vis,
    open_cov,
    req_ok,
    best_sin,
    best_d2,
    best_gw,
    ent,
    nxt,
    head,
    marked,
    cell_pos_up,
):
    """Visibility of one system over a chunk of steps into the per-step arrays.

    ``cell_pos_up`` is ``cell_data[:, :6].T`` (position and up vector, one row each) in a
    compact copy for the passes of the best-elevation search over whole nodes (half the
    memory traffic, and contiguous rows that the compiler vectorises).
    Returns the (possibly grown) entry buffers.
    """
    n_steps = step_sys_ptr.shape[0]
    n_cells = cell_data.shape[0]
    n_req = np.int64(row[S_N_REQ])
    diff_open = np.zeros(n_cells + 1, np.int64)
    diff_vis = np.zeros(n_cells + 1, np.int64)
    stack_node = np.empty(2 * depth + 4, np.int64)
    slot_len = np.empty(2 * depth + 4, np.int64)
    frame_above = np.empty(2 * depth + 4)
    node_best_lb = np.full(node_data.shape[0], -10.0)
    for t in range(n_steps):
        start = step_sys_ptr[t, s]
        stop = step_sys_ptr[t, s + 1]
        bs = best_sin[t]
        bd = best_d2[t]
        bg = best_gw[t]
        bs[:] = -2.0
        bd[:] = np.inf
        bg[:] = -1.0
        # highest satellites first, so that lower ones covering the same nodes can be
        # dropped from the best-elevation pass (the order changes nothing else)
        key = np.empty(stop - start)
        for j in range(stop - start):
            dx = sat_pos[start + j, 0] - node_data[0, N_X]
            dy = sat_pos[start + j, 1] - node_data[0, N_Y]
            dz = sat_pos[start + j, 2] - node_data[0, N_Z]
            key[j] = -(
                dx * node_data[0, N_UX] + dy * node_data[0, N_UY] + dz * node_data[0, N_UZ]
            ) / math.sqrt(dx * dx + dy * dy + dz * dz)
        order = np.argsort(key)
        n_frames = 2 * depth + 4
        n_sats = stop - start
        width = max(1, n_sats)
        frame_sat = np.empty(n_frames * width, np.int64)
        frame_flags = np.empty(n_frames * width, np.int64)
        frame_ring = np.empty((n_frames * width, 2))
        while True:
            n_ent = _descend(
                order,
                n_sats,
                start,
                sat_pos,
                sat_gw_km,
                row,
                terrain,
                prune,
                cell_data,
                sin_horizon,
                node_data,
                node_links,
                diff_open,
                diff_vis,
                bs,
                bd,
                bg,
                ent,
                0,
                stack_node,
                slot_len,
                frame_above,
                frame_sat,
                frame_flags,
                frame_ring,
                node_best_lb,
            )
            if n_ent >= 0:
                break
            # entry buffer full: grow it and redo this step
            for e in range(ent.shape[0]):
                node_best_lb[int(ent[e, 0])] = -10.0
            ent = np.empty((2 * ent.shape[0], 4))
            nxt = np.empty(ent.shape[0], np.int64)
            diff_open[:] = 0
            diff_vis[:] = 0
            bs[:] = -2.0
            bd[:] = np.inf
            bg[:] = -1.0
        for e in range(n_ent):
            node_best_lb[int(ent[e, 0])] = -10.0
        _resolve_best(
            sat_pos,
            sat_gw_km,
            start,
            cell_pos_up,
            node_data,
            node_links,
            ent,
            n_ent,
            bs,
            bd,
            bg,
            head,
            nxt,
            marked,
            np.empty((2 * depth + 4) * width, np.int64),
            np.empty((2 * depth + 4) * width),
            np.empty((2 * depth + 4) * width),
            slot_len,
            stack_node,
            np.empty(width + n_ent, np.int64),
            np.empty(width + n_ent),
            np.empty(width + n_ent),
        )
        count_open = np.int64(0)
        count_vis = np.int64(0)
        nv_row = n_vis[t]
        oc_row = open_cov[t]
        rq_row = req_ok[t]
        for i in range(n_cells):
            count_open += diff_open[i]
            count_vis += diff_vis[i]
            nv_row[i] = count_vis
            oc_row[i] = 1 if count_open > 0 else 0
            rq_row[i] = 1 if count_vis >= n_req else 0
        # cleared in one vectorised pass after the scan (1.2x faster than in it)
        diff_open[:] = 0
        diff_vis[:] = 0
    return ent, nxt


def work_buffers(n_steps: int, n_cells: int) -> tuple:
    """Scratch arrays of :func:`run_steps` for chunks of up to ``n_steps`` steps (reuse them:
    fresh allocations of this size cost page faults at every chunk)."""
    shape = (n_steps, n_cells)
    return (
        np.empty(shape, np.int32),
        np.empty(shape, np.int8),
        np.empty(shape, np.int8),
        np.empty(shape),
        np.empty(shape),
        np.empty(shape, np.int32),
        np.empty(shape, np.int8),
        np.empty(shape, np.int8),
        np.empty(shape),
        np.empty(shape),
        np.empty(shape),
        np.empty(shape),
    )


@njit(cache=True, nogil=True, error_model="numpy")
def run_steps(
    step_sys_ptr,
    sat_pos,
    sat_gw_km,
    sys_table,
    terrain,
    prune,
    cell_data,
    sin_horizon,
    node_data,
    node_links,
    depth,
    acc,
    series_cells,
    series_n,
    series_open,
    series_best,
    work,
    weights,
    step_sums,
):
    """Process a chunk of consecutive steps into the accumulators.

    Parameters
    ----------
    step_sys_ptr : int64 (n_steps, n_systems + 1)
        Row ``t``: offsets into ``sat_pos`` of each system's satellites at step ``t``
        (``[t, s] .. [t, s + 1]``).
    sat_pos : float64 (n_entries, 3)
        ITRS positions [km] of the candidate satellites (no NaN).
    sat_gw_km : float64 (n_entries,)
        Per entry, the slant range [km] from the satellite to the nearest gateway of its
        system that sees it (bent pipe; see :mod:`.gateway`), or a negative number for a
        system without gateways (its gateway is then taken at the user's slant range).
        The latency field adds it to the serving satellite's user slant range.
    sys_table : float64 (n_systems, 9)
        Per-system parameters (``S_*`` columns).
    acc : int64 (n_systems + 1, n_cells, 14)
        Accumulators (last row: combined over licensed systems), updated in place.
    series_cells : int64 (n_series,)
        Tree positions of cells whose per-step values go to ``series_*``
        (``(n_steps, n_systems + 1, n_series)``).
    work : tuple
        From :func:`work_buffers` with at least ``n_steps`` rows.
    weights : int64 (n_weights, n_cells)
        Cell weights in tree order, in fixed point (e.g. ones, area, population; see
        :func:`accumulator.fixed_point_weights`) for the per-step satisfied sums.
    step_sums : int64 (n_steps, n_systems + 1, 2, n_weights)
        Filled with the weighted sums over cells of "covered" (``[..., 0, :]``) and "at
        least n_required visible" (``[..., 1, :]``) per step (percent satisfied over time).
        Integer sums: exact, whatever the split into spans.
    """
    n_steps = step_sys_ptr.shape[0]
    n_sys = sys_table.shape[0]
    n_cells = cell_data.shape[0]
    n_nodes = node_data.shape[0]
    smap = np.full(n_cells, -1, np.int64)
    for k in range(series_cells.shape[0]):
        smap[series_cells[k]] = k
    n_vis = work[0][:n_steps]
    open_cov = work[1][:n_steps]
    req_ok = work[2][:n_steps]
    best_sin = work[3][:n_steps]
    best_d2 = work[4][:n_steps]
    comb_n = work[5][:n_steps]
    comb_open = work[6][:n_steps]
    comb_req = work[7][:n_steps]
    comb_sin = work[8][:n_steps]
    comb_d2 = work[9][:n_steps]
    best_gw = work[10][:n_steps]
    comb_gw = work[11][:n_steps]
    comb_n[:] = 0
    comb_open[:] = 0
    comb_req[:] = 0
    comb_sin[:] = -2.0
    comb_d2[:] = np.inf
    comb_gw[:] = -1.0
    ent = np.empty((1024, 4))
    nxt = np.empty(1024, np.int64)
    cell_pos_up = np.ascontiguousarray(cell_data[:, :6].T)
    head = np.full(n_nodes, -1, np.int64)
    marked = np.zeros(n_nodes, np.int8)
    for s in range(n_sys):
        row = sys_table[s]
        ent, nxt = _system_steps(
            step_sys_ptr,
            s,
            sat_pos,
            sat_gw_km,
            row,
            terrain,
            prune,
            cell_data,
            sin_horizon,
            node_data,
            node_links,
            depth,
            n_vis,
            open_cov,
            req_ok,
            best_sin,
            best_d2,
            best_gw,
            ent,
            nxt,
            head,
            marked,
            cell_pos_up,
        )
        _fold(
            acc,
            s,
            n_vis,
            open_cov,
            req_ok,
            best_sin,
            best_d2,
            best_gw,
            smap,
            series_n,
            series_open,
            series_best,
        )
        _step_sums(n_vis, req_ok, weights, step_sums, s)
        if row[S_LICENSED] > 0.0:
            for t in range(n_steps):
                for i in range(n_cells):
                    n = n_vis[t, i]
                    comb_n[t, i] += n
                    comb_open[t, i] |= open_cov[t, i]
                    comb_req[t, i] |= req_ok[t, i]
                    if n > 0:
                        comb_sin[t, i] = max(comb_sin[t, i], best_sin[t, i])
                        # the user picks the system whose serving satellite gives the
                        # shortest bent-pipe path (so the lowest latency)
                        if _path_km(best_d2[t, i], best_gw[t, i]) < _path_km(
                            comb_d2[t, i], comb_gw[t, i]
                        ):
                            comb_d2[t, i] = best_d2[t, i]
                            comb_gw[t, i] = best_gw[t, i]
    _fold(
        acc,
        n_sys,
        comb_n,
        comb_open,
        comb_req,
        comb_sin,
        comb_d2,
        comb_gw,
        smap,
        series_n,
        series_open,
        series_best,
    )
    _step_sums(comb_n, comb_req, weights, step_sums, n_sys)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _path_km(d2, gw_km):
    """One-way bent-pipe path [km]: user slant range ``sqrt(d2)`` plus the gateway slant
    range, or the user slant range twice without a gateway (``gw_km < 0``)."""
    slant = math.sqrt(d2)
    return slant + (gw_km if gw_km >= 0.0 else slant)


@njit(cache=True, nogil=True, error_model="numpy")
def _step_sums(n_vis, req_ok, weights, step_sums, row):
    """Weighted sums over cells of covered / n-or-more per step into ``step_sums[:, row]``."""
    n_steps, n_cells = n_vis.shape
    for t in range(n_steps):
        for w in range(weights.shape[0]):
            covered = np.int64(0)
            satisfied = np.int64(0)
            for i in range(n_cells):  # integers: exact in any order, so vectorised
                covered += weights[w, i] * np.int64(n_vis[t, i] > 0)
                satisfied += weights[w, i] * np.int64(req_ok[t, i] > 0)
            step_sums[t, row, 0, w] = covered
            step_sums[t, row, 1, w] = satisfied
