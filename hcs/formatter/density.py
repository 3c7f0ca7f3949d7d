"""Optical densities as P-values: what pixel value the border and empty boxes get.

Border Density and Empty Image Density (PS3.3 C.13.3) are BLACK, WHITE or a density in
hundredths of OD. The formatter needs them as P-values twice: to fill a box around an
image that does not cover it, and to draw the film preview. A printer turns P-values
into densities so that equal P-value steps look equally different under the viewing
conditions (PS3.14's Grayscale Standard Display Function, between the film's Min and
Max Density on a light box of Illumination L0 with Reflected Ambient Light La; PS3.4
H.2). Going the other way: density D gives luminance L = La + L0 * 10**-D, L gives a
JND index j(L) (PS3.14 equation 7-2), and the P-value is j's position between the JND
indices of the darkest (Max Density) and brightest (Min Density) film.
"""

from __future__ import annotations

import math

# PS3.14 7.1, equation 7-2: j(L) as a polynomial in log10(L).
_JND = (
    71.498068,
    94.593053,
    41.912053,
    9.8247004,
    0.28175407,
    -1.1878455,
    -0.18014349,
    0.14710899,
    -0.017046845,
)

DEFAULT_MIN_DENSITY = 20  # hundredths of OD: unexposed film base plus fog
DEFAULT_MAX_DENSITY = 300
DEFAULT_ILLUMINATION = 2000.0  # cd/m², PS3.4 H.4.2.2.1 recommended default (transmissive)
DEFAULT_AMBIENT = 10.0  # cd/m²


def jnd_index(luminance: float) -> float:
    """The JND index of a luminance in cd/m² (PS3.14 equation 7-2)."""
    x = math.log10(min(max(luminance, 0.05), 4000.0))
    return sum(c * x**k for k, c in enumerate(_JND))


def density_to_pvalue(
    density: str | int | None,
    bits: int = 8,
    *,
    min_density: int | None = None,
    max_density: int | None = None,
    illumination: float = DEFAULT_ILLUMINATION,
    ambient: float = DEFAULT_AMBIENT,
    default: str = "BLACK",
) -> int:
    """P-value (0..2**bits-1) for BLACK, WHITE or a density in hundredths of OD."""
    top = 2**bits - 1
    value = default if density is None else str(density).strip().upper()
    if value == "BLACK":
        return 0
    if value == "WHITE":
        return top
    if not value.isdigit():
        raise ValueError(f"density {density!r} is not BLACK, WHITE or hundredths of OD")
    dmin = (DEFAULT_MIN_DENSITY if min_density is None else min_density) / 100.0
    dmax = (DEFAULT_MAX_DENSITY if max_density is None else max_density) / 100.0
    if dmax <= dmin:
        raise ValueError(f"Max Density {dmax:g} must exceed Min Density {dmin:g}")
    d = min(max(int(value) / 100.0, dmin), dmax)

    def jnd(od: float) -> float:
        return jnd_index(ambient + illumination * 10.0**-od)

    bright, dark = jnd(dmin), jnd(dmax)
    return round((jnd(d) - dark) / (bright - dark) * top)
