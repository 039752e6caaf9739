"""Beta distribution CDF and quantiles in pure Python, so the summaries' intervals need no scipy in a Lambda.

The CDF is the regularized incomplete beta function I_x(a, b), evaluated by its continued fraction
(modified Lentz); the quantile inverts it with Halley steps from a closed-form first guess, kept inside a
bisection bracket so that it converges for any a, b > 0 (Numerical Recipes, 3rd ed., 6.4 and 6.14).
"""

from __future__ import annotations

import math

_EPS = 1e-15
_TINY = 1e-300
_MAX_TERMS = 100_000  # the fraction needs O(sqrt(max(a, b))) terms; this covers a + b up to ~1e10


def _check(a: float, b: float) -> None:
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"Beta parameters must be finite and > 0, got a={a!r}, b={b!r}")


def _continued_fraction(a: float, b: float, x: float) -> float:
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_TERMS + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def _log_front(x: float, a: float, b: float) -> float:
    """log of x^a (1-x)^b / B(a, b)."""
    return math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)


def beta_cdf(x: float, a: float, b: float) -> float:
    """P(X <= x) for X ~ Beta(a, b)."""
    _check(a, b)
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(_log_front(x, a, b))
    # The fraction converges fast on the side of the mean where x is small relative to it; use symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _continued_fraction(a, b, x) / a
    return 1.0 - front * _continued_fraction(b, a, 1.0 - x) / b


def _first_guess(q: float, a: float, b: float) -> float:
    if a >= 1.0 and b >= 1.0:
        pp = q if q < 0.5 else 1.0 - q
        t = math.sqrt(-2.0 * math.log(pp))
        z = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t
        if q < 0.5:
            z = -z
        al = (z * z - 3.0) / 6.0
        h = 2.0 / (1.0 / (2.0 * a - 1.0 + 1e-300) + 1.0 / (2.0 * b - 1.0 + 1e-300))
        w = z * math.sqrt(al + h) / h - (1.0 / (2.0 * b - 1.0 + 1e-300) - 1.0 / (2.0 * a - 1.0 + 1e-300)) * (
            al + 5.0 / 6.0 - 2.0 / (3.0 * h)
        )
        exponent = 2.0 * w
        return a / (a + b * math.exp(exponent)) if exponent < 700 else 0.0
    lna, lnb = math.log(a / (a + b)), math.log(b / (a + b))
    t, u = math.exp(a * lna) / a, math.exp(b * lnb) / b
    w = t + u
    if q < t / w:
        return (a * w * q) ** (1.0 / a)
    return 1.0 - (b * w * (1.0 - q)) ** (1.0 / b)


def beta_ppf(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b), to ~1e-10 in x: safeguarded Halley iteration on I_x(a, b) = q."""
    _check(a, b)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile level must be in [0, 1], got {q!r}")
    if q == 0.0:
        return 0.0
    if q == 1.0:
        return 1.0
    if q > 0.5:
        # Solve in the upper tail through X ~ 1 - Beta(b, a): a CDF near 1 has only absolute precision,
        # while the tail probability 1 - q (exact for q > 0.5) keeps its relative precision.
        return 1.0 - _ppf_lower(1.0 - q, b, a)
    return _ppf_lower(q, a, b)


def _ppf_lower(q: float, a: float, b: float) -> float:
    lo, hi = 0.0, 1.0
    x = min(max(_first_guess(q, a, b), 1e-300), 1.0 - 1e-16)
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    for _ in range(200):
        f = beta_cdf(x, a, b) - q
        if f == 0.0:
            return x
        if f < 0.0:
            lo = x
        else:
            hi = x
        if hi - lo <= 1e-15 * max(x, 1e-300) or hi - lo < 1e-300:
            return x
        log_pdf = log_norm + (a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x)
        step = None
        if log_pdf > -700.0:
            pdf = math.exp(log_pdf)
            newton = f / pdf
            # Halley's correction uses d(log pdf)/dx; cap it so a poor guess cannot flip the step's sign.
            curvature = (a - 1.0) / x - (b - 1.0) / (1.0 - x)
            step = newton / (1.0 - 0.5 * min(newton * curvature, 1.0))
            if abs(step) <= 2e-15 * x:
                return x
        candidate = x - step if step is not None else math.nan
        if not (lo < candidate < hi):
            # Outside the bracket (or no usable derivative): bisect, geometrically when the bracket
            # spans many orders of magnitude near 0 so tiny quantiles are reached quickly.
            if lo == 0.0:
                candidate = hi * 1e-3 if hi > 1e-290 else hi / 2.0
            else:
                candidate = math.sqrt(lo * hi) if hi / lo > 1e3 else 0.5 * (lo + hi)
        if abs(candidate - x) <= 1e-15 * max(x, 1e-300):
            return candidate
        x = candidate
    return x
