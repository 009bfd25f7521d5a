"""SGP4 for near-earth satellites, compiled with numba and free of the GIL.

python-sgp4's ``SatrecArray.sgp4`` (C++) holds the GIL for the whole batch, so two threads
cannot propagate at once. This module ports Vallado's near-earth branch (period below
225 min: ``method == 'n'``) of ``sgp4init`` and ``sgp4`` (``extension/SGP4.cpp`` of
python-sgp4 2.x, AIAA 2006-6753 "Revisiting Spacetrack Report #3") to numba functions
compiled ``nogil=True`` without fastmath, keeping the C++ operation order and calling the
same libm, so positions agree with the C++ to rounding; measured: bit for bit on every
bundled near-earth set, on Vallado's near-earth verification records and on random orbits
(tests/test_sgp4_compiled.py allows 1e-9 km). Deep-space satellites (SDP4, ``method == 'd'``) are not ported: callers keep them on
python-sgp4 (:func:`near_earth_mask` tells which are which).

The per-satellite constants of ``sgp4init`` are recomputed here from the elements the
``Satrec`` exposes (``ecco``, ``inclo``, ``no_kozai``, ``bstar``, ... and its gravity
model), because the C++ object does not expose them; ``sgp4init``'s own outputs that it
does expose (``no_unkozai``, ``mdot``, ``argpdot``, ``nodedot``) let the tests check the
port of the initialisation too.

Shape contract (as ``SatrecArray.sgp4``): positions ``(n_sat, n_time, 3)`` km in TEME
(or ITRS for :func:`propagate_itrs_km`), error codes ``(n_sat, n_time)`` uint8 with the
SGP4 codes (1: mean eccentricity out of range, 2: mean motion below zero, 4: semi-latus
rectum below zero, 6: decayed; 3 and 5 only arise in deep space or not at all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit

#: Orbital period [min] from which sgp4init switches to the deep-space (SDP4) branch.
DEEP_SPACE_PERIOD_MIN = 225.0

# Columns of the element array read from each Satrec (sgp4init's inputs).
_ELEMENT_ATTRIBUTES = (
    "ecco",
    "argpo",
    "inclo",
    "mo",
    "no_kozai",
    "nodeo",
    "bstar",
    "jdsatepoch",
    "jdsatepochF",
    "radiusearthkm",
    "xke",
    "j2",
    "j3oj2",
    "j4",
)

# Columns of the constants array (what sgp4 reads from the initialised satrec).
(
    _JDSATEPOCH,
    _JDSATEPOCHF,
    _ISIMP,
    _MO,
    _MDOT,
    _ARGPO,
    _ARGPDOT,
    _NODEO,
    _NODEDOT,
    _NODECF,
    _CC1,
    _BSTAR,
    _CC4,
    _T2COF,
    _OMGCOF,
    _ETA,
    _XMCOF,
    _DELMO,
    _D2,
    _D3,
    _D4,
    _CC5,
    _SINMAO,
    _T3COF,
    _T4COF,
    _T5COF,
    _NO_UNKOZAI,
    _ECCO,
    _INCLO,
    _XKE,
    _AYCOF,
    _XLCOF,
    _J2,
    _CON41,
    _X1MTH2,
    _X7THM1,
    _RADIUSEARTHKM,
    _DEEP_SPACE,
) = range(38)
N_CONSTANTS = 38
#: Column of the constants array that flags deep-space satellites (1.0), skipped by
#: :func:`propagate_itrs_km` and refused by :func:`sgp4_teme_km`.
DEEP_SPACE_COLUMN = _DEEP_SPACE


def satrec_elements(satrecs: Sequence) -> np.ndarray:
    """sgp4init's inputs read from initialised ``Satrec`` objects, ``(n_sat, 14)`` float64.

    Columns: ``ecco``, ``argpo`` [rad], ``inclo`` [rad], ``mo`` [rad], ``no_kozai``
    [rad/min], ``nodeo`` [rad], ``bstar`` [1/earth radii], ``jdsatepoch``, ``jdsatepochF``
    [days], and the gravity model's ``radiusearthkm`` [km], ``xke``, ``j2``, ``j3oj2``,
    ``j4``.
    """
    elements = np.empty((len(satrecs), len(_ELEMENT_ATTRIBUTES)), dtype=np.float64)
    for column, name in enumerate(_ELEMENT_ATTRIBUTES):
        elements[:, column] = [getattr(s, name) for s in satrecs]
    return elements


def near_earth_mask(satrecs: Sequence) -> np.ndarray:
    """``(n_sat,)`` bool: True for the satellites sgp4init put on the near-earth branch."""
    return np.array([s.method == "n" for s in satrecs], dtype=bool)


@njit(cache=True, nogil=True, error_model="numpy")
def near_earth_constants(elements: np.ndarray) -> np.ndarray:
    """Port of ``sgp4init``'s near-earth part (``initl`` and the drag/secular terms).

    Parameters
    ----------
    elements : numpy.ndarray
        ``(n_sat, 14)`` from :func:`satrec_elements`.

    Returns
    -------
    numpy.ndarray
        ``(n_sat, N_CONSTANTS)`` float64: what :func:`sgp4_teme_km` reads. Rows of
        deep-space satellites are flagged (the kernels skip or refuse them: they lack the
        lunar-solar terms); keep those satellites on python-sgp4.
    """
    n_sat = elements.shape[0]
    out = np.zeros((n_sat, N_CONSTANTS))
    x2o3 = 2.0 / 3.0
    temp4 = 1.5e-12
    for i in range(n_sat):
        ecco = elements[i, 0]
        argpo = elements[i, 1]
        inclo = elements[i, 2]
        mo = elements[i, 3]
        no_kozai = elements[i, 4]
        nodeo = elements[i, 5]
        bstar = elements[i, 6]
        radiusearthkm = elements[i, 9]
        xke = elements[i, 10]
        j2 = elements[i, 11]
        j3oj2 = elements[i, 12]
        j4 = elements[i, 13]
        ss = 78.0 / radiusearthkm + 1.0
        qzms2ttemp = (120.0 - 78.0) / radiusearthkm
        qzms2t = qzms2ttemp * qzms2ttemp * qzms2ttemp * qzms2ttemp
        # ---- initl ----
        eccsq = ecco * ecco
        omeosq = 1.0 - eccsq
        rteosq = math.sqrt(omeosq)
        cosio = math.cos(inclo)
        cosio2 = cosio * cosio
        ak = math.pow(xke / no_kozai, x2o3)
        d1 = 0.75 * j2 * (3.0 * cosio2 - 1.0) / (rteosq * omeosq)
        delta = d1 / (ak * ak)
        adel = ak * (1.0 - delta * delta - delta * (1.0 / 3.0 + 134.0 * delta * delta / 81.0))
        delta = d1 / (adel * adel)
        no_unkozai = no_kozai / (1.0 + delta)
        ao = math.pow(xke / no_unkozai, x2o3)
        sinio = math.sin(inclo)
        po = ao * omeosq
        con42 = 1.0 - 5.0 * cosio2
        con41 = -con42 - cosio2 - cosio2
        posq = po * po
        rp = ao * (1.0 - ecco)
        # ---- sgp4init ----
        isimp = 0.0
        if rp < (220.0 / radiusearthkm + 1.0):
            isimp = 1.0
        sfour = ss
        qzms24 = qzms2t
        perige = (rp - 1.0) * radiusearthkm
        if perige < 156.0:
            sfour = perige - 78.0
            if perige < 98.0:
                sfour = 20.0
            qzms24temp = (120.0 - sfour) / radiusearthkm
            qzms24 = qzms24temp * qzms24temp * qzms24temp * qzms24temp
            sfour = sfour / radiusearthkm + 1.0
        pinvsq = 1.0 / posq
        tsi = 1.0 / (ao - sfour)
        eta = ao * ecco * tsi
        etasq = eta * eta
        eeta = ecco * eta
        psisq = abs(1.0 - etasq)
        coef = qzms24 * math.pow(tsi, 4.0)
        coef1 = coef / math.pow(psisq, 3.5)
        cc2 = (
            coef1
            * no_unkozai
            * (
                ao * (1.0 + 1.5 * etasq + eeta * (4.0 + etasq))
                + 0.375 * j2 * tsi / psisq * con41 * (8.0 + 3.0 * etasq * (8.0 + etasq))
            )
        )
        cc1 = bstar * cc2
        cc3 = 0.0
        if ecco > 1.0e-4:
            cc3 = -2.0 * coef * tsi * j3oj2 * no_unkozai * sinio / ecco
        x1mth2 = 1.0 - cosio2
        cc4 = (
            2.0
            * no_unkozai
            * coef1
            * ao
            * omeosq
            * (
                eta * (2.0 + 0.5 * etasq)
                + ecco * (0.5 + 2.0 * etasq)
                - j2
                * tsi
                / (ao * psisq)
                * (
                    -3.0 * con41 * (1.0 - 2.0 * eeta + etasq * (1.5 - 0.5 * eeta))
                    + 0.75 * x1mth2 * (2.0 * etasq - eeta * (1.0 + etasq)) * math.cos(2.0 * argpo)
                )
            )
        )
        cc5 = 2.0 * coef1 * ao * omeosq * (1.0 + 2.75 * (etasq + eeta) + eeta * etasq)
        cosio4 = cosio2 * cosio2
        temp1 = 1.5 * j2 * pinvsq * no_unkozai
        temp2 = 0.5 * temp1 * j2 * pinvsq
        temp3 = -0.46875 * j4 * pinvsq * pinvsq * no_unkozai
        mdot = (
            no_unkozai
            + 0.5 * temp1 * rteosq * con41
            + 0.0625 * temp2 * rteosq * (13.0 - 78.0 * cosio2 + 137.0 * cosio4)
        )
        argpdot = (
            -0.5 * temp1 * con42
            + 0.0625 * temp2 * (7.0 - 114.0 * cosio2 + 395.0 * cosio4)
            + temp3 * (3.0 - 36.0 * cosio2 + 49.0 * cosio4)
        )
        xhdot1 = -temp1 * cosio
        nodedot = (
            xhdot1
            + (0.5 * temp2 * (4.0 - 19.0 * cosio2) + 2.0 * temp3 * (3.0 - 7.0 * cosio2)) * cosio
        )
        omgcof = bstar * cc3 * math.cos(argpo)
        xmcof = 0.0
        if ecco > 1.0e-4:
            xmcof = -x2o3 * coef * bstar / eeta
        nodecf = 3.5 * omeosq * xhdot1 * cc1
        t2cof = 1.5 * cc1
        if abs(cosio + 1.0) > 1.5e-12:
            xlcof = -0.25 * j3oj2 * sinio * (3.0 + 5.0 * cosio) / (1.0 + cosio)
        else:
            xlcof = -0.25 * j3oj2 * sinio * (3.0 + 5.0 * cosio) / temp4
        aycof = -0.5 * j3oj2 * sinio
        delmotemp = 1.0 + eta * math.cos(mo)
        delmo = delmotemp * delmotemp * delmotemp
        sinmao = math.sin(mo)
        x7thm1 = 7.0 * cosio2 - 1.0
        deep_space = (2.0 * math.pi / no_unkozai) >= DEEP_SPACE_PERIOD_MIN
        if deep_space:
            isimp = 1.0
        d2 = d3 = d4 = t3cof = t4cof = t5cof = 0.0
        if isimp != 1.0:
            cc1sq = cc1 * cc1
            d2 = 4.0 * ao * tsi * cc1sq
            temp = d2 * tsi * cc1 / 3.0
            d3 = (17.0 * ao + sfour) * temp
            d4 = 0.5 * temp * ao * tsi * (221.0 * ao + 31.0 * sfour) * cc1
            t3cof = d2 + 2.0 * cc1sq
            t4cof = 0.25 * (3.0 * d3 + cc1 * (12.0 * d2 + 10.0 * cc1sq))
            t5cof = 0.2 * (
                3.0 * d4 + 12.0 * cc1 * d3 + 6.0 * d2 * d2 + 15.0 * cc1sq * (2.0 * d2 + cc1sq)
            )
        c = out[i]
        c[_JDSATEPOCH] = elements[i, 7]
        c[_JDSATEPOCHF] = elements[i, 8]
        c[_ISIMP] = isimp
        c[_MO] = mo
        c[_MDOT] = mdot
        c[_ARGPO] = argpo
        c[_ARGPDOT] = argpdot
        c[_NODEO] = nodeo
        c[_NODEDOT] = nodedot
        c[_NODECF] = nodecf
        c[_CC1] = cc1
        c[_BSTAR] = bstar
        c[_CC4] = cc4
        c[_T2COF] = t2cof
        c[_OMGCOF] = omgcof
        c[_ETA] = eta
        c[_XMCOF] = xmcof
        c[_DELMO] = delmo
        c[_D2] = d2
        c[_D3] = d3
        c[_D4] = d4
        c[_CC5] = cc5
        c[_SINMAO] = sinmao
        c[_T3COF] = t3cof
        c[_T4COF] = t4cof
        c[_T5COF] = t5cof
        c[_NO_UNKOZAI] = no_unkozai
        c[_ECCO] = ecco
        c[_INCLO] = inclo
        c[_XKE] = xke
        c[_AYCOF] = aycof
        c[_XLCOF] = xlcof
        c[_J2] = j2
        c[_CON41] = con41
        c[_X1MTH2] = x1mth2
        c[_X7THM1] = x7thm1
        c[_RADIUSEARTHKM] = radiusearthkm
        c[_DEEP_SPACE] = 1.0 if deep_space else 0.0
    return out


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _sgp4(c: np.ndarray, t: float, r: np.ndarray, v: np.ndarray) -> int:
    """Port of ``SGP4Funcs::sgp4`` (near-earth branch) for one satellite at ``t`` minutes
    from its epoch; fills ``r`` [km] and ``v`` [km/s] (TEME) and returns the error code."""
    twopi = 2.0 * math.pi
    x2o3 = 2.0 / 3.0
    xke = c[_XKE]
    vkmpersec = c[_RADIUSEARTHKM] * xke / 60.0
    mrt = 0.0
    xmdf = c[_MO] + c[_MDOT] * t
    argpdf = c[_ARGPO] + c[_ARGPDOT] * t
    nodedf = c[_NODEO] + c[_NODEDOT] * t
    argpm = argpdf
    mm = xmdf
    t2 = t * t
    nodem = nodedf + c[_NODECF] * t2
    tempa = 1.0 - c[_CC1] * t
    tempe = c[_BSTAR] * c[_CC4] * t
    templ = c[_T2COF] * t2
    if c[_ISIMP] != 1.0:
        delomg = c[_OMGCOF] * t
        delmtemp = 1.0 + c[_ETA] * math.cos(xmdf)
        delm = c[_XMCOF] * (delmtemp * delmtemp * delmtemp - c[_DELMO])
        temp = delomg + delm
        mm = xmdf + temp
        argpm = argpdf - temp
        t3 = t2 * t
        t4 = t3 * t
        tempa = tempa - c[_D2] * t2 - c[_D3] * t3 - c[_D4] * t4
        tempe = tempe + c[_BSTAR] * c[_CC5] * (math.sin(mm) - c[_SINMAO])
        templ = templ + c[_T3COF] * t3 + t4 * (c[_T4COF] + t * c[_T5COF])
    nm = c[_NO_UNKOZAI]
    em = c[_ECCO]
    inclm = c[_INCLO]
    if nm <= 0.0:
        return 2
    am = math.pow(xke / nm, x2o3) * tempa * tempa
    nm = xke / math.pow(am, 1.5)
    em = em - tempe
    if em >= 1.0 or em < -0.001:
        return 1
    if em < 1.0e-6:
        em = 1.0e-6
    mm = mm + c[_NO_UNKOZAI] * templ
    xlm = mm + argpm + nodem
    nodem = np.fmod(nodem, twopi)
    argpm = np.fmod(argpm, twopi)
    xlm = np.fmod(xlm, twopi)
    mm = np.fmod(xlm - argpm - nodem, twopi)
    sinim = math.sin(inclm)
    cosim = math.cos(inclm)
    ep = em
    xincp = inclm
    argpp = argpm
    nodep = nodem
    mp = mm
    sinip = sinim
    cosip = cosim
    # ---- long period periodics ----
    axnl = ep * math.cos(argpp)
    temp = 1.0 / (am * (1.0 - ep * ep))
    aynl = ep * math.sin(argpp) + temp * c[_AYCOF]
    xl = mp + argpp + nodep + temp * c[_XLCOF] * axnl
    # ---- Kepler's equation ----
    u = np.fmod(xl - nodep, twopi)
    eo1 = u
    tem5 = 9999.9
    ktr = 1
    sineo1 = 0.0
    coseo1 = 0.0
    while abs(tem5) >= 1.0e-12 and ktr <= 10:
        sineo1 = math.sin(eo1)
        coseo1 = math.cos(eo1)
        tem5 = 1.0 - coseo1 * axnl - sineo1 * aynl
        tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5
        if abs(tem5) >= 0.95:
            tem5 = 0.95 if tem5 > 0.0 else -0.95
        eo1 = eo1 + tem5
        ktr = ktr + 1
    # ---- short period preliminary quantities ----
    ecose = axnl * coseo1 + aynl * sineo1
    esine = axnl * sineo1 - aynl * coseo1
    el2 = axnl * axnl + aynl * aynl
    pl = am * (1.0 - el2)
    if pl < 0.0:
        return 4
    rl = am * (1.0 - ecose)
    rdotl = math.sqrt(am) * esine / rl
    rvdotl = math.sqrt(pl) / rl
    betal = math.sqrt(1.0 - el2)
    temp = esine / (1.0 + betal)
    sinu = am / rl * (sineo1 - aynl - axnl * temp)
    cosu = am / rl * (coseo1 - axnl + aynl * temp)
    su = math.atan2(sinu, cosu)
    sin2u = (cosu + cosu) * sinu
    cos2u = 1.0 - 2.0 * sinu * sinu
    temp = 1.0 / pl
    temp1 = 0.5 * c[_J2] * temp
    temp2 = temp1 * temp
    con41 = c[_CON41]
    x1mth2 = c[_X1MTH2]
    mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
    su = su - 0.25 * temp2 * c[_X7THM1] * sin2u
    xnode = nodep + 1.5 * temp2 * cosip * sin2u
    xinc = xincp + 1.5 * temp2 * cosip * sinip * cos2u
    mvt = rdotl - nm * temp1 * x1mth2 * sin2u / xke
    rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) / xke
    # ---- orientation vectors ----
    sinsu = math.sin(su)
    cossu = math.cos(su)
    snod = math.sin(xnode)
    cnod = math.cos(xnode)
    sini = math.sin(xinc)
    cosi = math.cos(xinc)
    xmx = -snod * cosi
    xmy = cnod * cosi
    ux = xmx * sinsu + cnod * cossu
    uy = xmy * sinsu + snod * cossu
    uz = sini * sinsu
    vx = xmx * cossu - cnod * sinsu
    vy = xmy * cossu - snod * sinsu
    vz = sini * cossu
    radius = c[_RADIUSEARTHKM]
    r[0] = (mrt * ux) * radius
    r[1] = (mrt * uy) * radius
    r[2] = (mrt * uz) * radius
    v[0] = (mvt * ux + rvdot * vx) * vkmpersec
    v[1] = (mvt * uy + rvdot * vy) * vkmpersec
    v[2] = (mvt * uz + rvdot * vz) * vkmpersec
    if mrt < 1.0:
        return 6
    return 0


@njit(cache=True, nogil=True, inline="always")
def _minutes_since_epoch(c: np.ndarray, jd: float, fr: float) -> float:
    """``tsince`` [min] exactly as python-sgp4's ``SatrecArray`` computes it."""
    return (jd - c[_JDSATEPOCH]) * 1440.0 + (fr - c[_JDSATEPOCHF]) * 1440.0


@njit(cache=True, nogil=True, error_model="numpy")
def sgp4_teme_km(
    constants: np.ndarray, jd_whole: np.ndarray, jd_fraction: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop-in for ``SatrecArray.sgp4(jd, fr)`` on near-earth satellites.

    Parameters
    ----------
    constants : numpy.ndarray
        ``(n_sat, N_CONSTANTS)`` from :func:`near_earth_constants`.
    jd_whole, jd_fraction : numpy.ndarray
        ``(n_time,)`` UTC Julian dates split in two [days].

    Returns
    -------
    errors, positions, velocities
        ``(n_sat, n_time)`` uint8, ``(n_sat, n_time, 3)`` TEME [km] and [km/s]; NaN where
        the code is 1..5 (a decayed satellite, code 6, keeps its position, as in the C++).

    Raises
    ------
    ValueError
        When a satellite is on the deep-space branch (not ported).
    """
    n_sat, n_time = constants.shape[0], jd_whole.shape[0]
    errors = np.zeros((n_sat, n_time), dtype=np.uint8)
    positions = np.empty((n_sat, n_time, 3))
    velocities = np.empty((n_sat, n_time, 3))
    for i in range(n_sat):
        c = constants[i]
        if c[_DEEP_SPACE] != 0.0:
            raise ValueError("a deep-space satellite (period >= 225 min): use python-sgp4")
        for j in range(n_time):
            code = _sgp4(
                c,
                _minutes_since_epoch(c, jd_whole[j], jd_fraction[j]),
                positions[i, j],
                velocities[i, j],
            )
            errors[i, j] = code
            if code != 0 and code < 6:
                positions[i, j, :] = np.nan
                velocities[i, j, :] = np.nan
    return errors, positions, velocities


@njit(cache=True, nogil=True, error_model="numpy")
def propagate_itrs_km(
    constants: np.ndarray,
    rows: np.ndarray,
    jd_whole: np.ndarray,
    jd_fraction: np.ndarray,
    cos_gmst: np.ndarray,
    sin_gmst: np.ndarray,
    positions_itrs_km: np.ndarray,
    error_codes: np.ndarray,
) -> None:
    """SGP4 then TEME -> ITRS (rotation about z by GMST) for the satellites ``rows``.

    Fills ``positions_itrs_km[k, j]`` [km] and ``error_codes[k, j]`` for satellite
    ``rows[k]`` at time ``j``; positions are NaN wherever the code is non-zero (decayed
    satellites included). Rows of deep-space satellites are left as they are, for the
    caller to fill with python-sgp4. The rotation is ``x cos + y sin, y cos - x sin``, the operation
    order of :func:`hybridplan.tle.propagate.teme_to_itrs_km`.
    """
    r = np.empty(3)
    v = np.empty(3)
    for k in range(rows.shape[0]):
        c = constants[rows[k]]
        if c[_DEEP_SPACE] != 0.0:
            continue
        for j in range(jd_whole.shape[0]):
            code = _sgp4(c, _minutes_since_epoch(c, jd_whole[j], jd_fraction[j]), r, v)
            error_codes[k, j] = code
            if code != 0:
                positions_itrs_km[k, j, 0] = np.nan
                positions_itrs_km[k, j, 1] = np.nan
                positions_itrs_km[k, j, 2] = np.nan
            else:
                positions_itrs_km[k, j, 0] = r[0] * cos_gmst[j] + r[1] * sin_gmst[j]
                positions_itrs_km[k, j, 1] = r[1] * cos_gmst[j] - r[0] * sin_gmst[j]
                positions_itrs_km[k, j, 2] = r[2]
