"""The geometry behind the pictures: covariance ellipses, their probability mass, and straight
paths between parameters.  (Lining up the components of two mixtures is emlib.compare's.)

No plotting here (this module never imports matplotlib): `emlib.plotting` draws what these
functions compute, and the tests check them on their own.
"""
import numpy as np
from scipy.special import chdtr

from ._checks import (
    as_float_array, check_finite, check_number, check_params, real_array, rounding_tolerance, to_float64,
)
from .gmm import GMM


def ellipse_geometry(cov, n_std):
    """Width, height and angle of the n_std-sigma ellipse of a 2-D Gaussian.

    The ellipse {x : (x - mu)^T Sigma^{-1} (x - mu) = n_std^2} has its axes along the
    eigenvectors of Sigma = V diag(lambda_1, lambda_2) V^T (lambda_1 >= lambda_2), and

        width  = 2 n_std sqrt(lambda_1)      (full length of the long axis)
        height = 2 n_std sqrt(lambda_2)      (full length of the short axis)
        angle  = direction of the leading eigenvector v_1, in degrees in [0, 180)

    The square roots matter: sqrt(lambda) is a standard deviation; drawing lambda itself
    (a variance) is the classic bug that makes wide components look wider still.

    cov: (2, 2) symmetric positive definite; n_std: a positive number.
    Returns (width, height, angle_degrees), three floats.
    """
    cov = real_array(cov, "cov")
    tol = rounding_tolerance(cov.dtype)
    cov = to_float64(cov, "cov")
    if cov.shape != (2, 2):
        raise ValueError(f"cov must be a 2x2 covariance matrix, but has shape {cov.shape}")
    check_finite(cov, "cov")
    n_std = check_number(n_std, "n_std", minimum=0, strict=True)
    with np.errstate(over="ignore"):
        asymmetric = not abs(cov[0, 1] - cov[1, 0]) <= tol * np.abs(cov).max()
    if asymmetric:
        raise ValueError("cov must be symmetric: cov[0, 1] != cov[1, 0]")
    eigenvalues, eigenvectors = np.linalg.eigh(cov)          # ascending: lambda_2, lambda_1
    if eigenvalues[0] <= 0:
        raise ValueError(
            f"cov must be positive definite (smallest eigenvalue {eigenvalues[0]:.3g})"
        )
    lead = eigenvectors[:, 1]
    angle = float(np.degrees(np.arctan2(lead[1], lead[0])) % 180.0)
    if angle >= 180.0:                                       # -1e-17 % 180 rounds to 180.0
        angle = 0.0
    width, height = 2 * n_std * np.sqrt(eigenvalues[::-1])
    return float(width), float(height), angle


def ellipse_mass(n_std, d=2):
    """Probability mass of a Gaussian inside its n_std-sigma ellipse (ellipsoid in d dimensions).

    P[(x - mu)^T Sigma^{-1} (x - mu) <= n_std^2] = F_chi2(n_std^2; d)

    because the squared Mahalanobis distance of x ~ N(mu, Sigma) is chi-squared with d degrees
    of freedom.  In 2-D: 1 sigma holds 39.3%, 2 sigma 86.5%, 3 sigma 98.9% (not the 68-95-99.7
    of one dimension).

    n_std: a number or array of numbers >= 0; d: the dimension.  Returns a float (or array).
    """
    d = check_number(d, "d", minimum=1, integer=True)
    n_std = as_float_array(n_std, "n_std")
    if np.any(n_std < 0) or not np.all(np.isfinite(n_std)):
        raise ValueError(f"n_std must be finite and >= 0, got {n_std}")
    mass = np.asarray(chdtr(d, n_std**2))      # the chi-squared CDF (scipy.stats.chi2.cdf's own)
    return float(mass) if mass.ndim == 0 else mass


def interpolate_params(params_old, params_new, s):
    """The point at s on the straight line from theta_old to theta_new in parameter space.

    theta(s) = (1 - s) theta_old + s theta_new,  applied to the weights, the means and the
    covariances separately.

    For s in [0, 1] this is a convex combination, so theta(s) is always a valid mixture;
    outside [0, 1] a weight can turn negative or a covariance indefinite, and then the
    GMM constructor raises ValueError.

    params_old, params_new: GMMs with the same k and d; s: a number.  Returns a GMM.
    """
    check_params(params_old, "params_old")
    check_params(params_new, "params_new")
    s = check_number(s, "s", minimum=-np.inf)
    if (params_old.k, params_old.d) != (params_new.k, params_new.d):
        raise ValueError(
            f"params_old has k={params_old.k}, d={params_old.d} but params_new has "
            f"k={params_new.k}, d={params_new.d}"
        )

    def mix(old, new):
        return (1 - s) * old + s * new

    covariances = mix(params_old.covariances, params_new.covariances)
    covariances = 0.5 * (covariances + np.swapaxes(covariances, 1, 2))     # exact symmetry
    return GMM(mix(params_old.weights, params_new.weights),
               mix(params_old.means, params_new.means), covariances)


def params_path(params_old, params_new, s_values):
    """The valid points of the straight path theta(s) = (1 - s) theta_old + s theta_new.

    s_values: (m,) numbers.  Returns (s_valid, path): the s at which theta(s) is a valid
    mixture (all of them in [0, 1]; outside it, those where every weight stays positive and
    every covariance positive definite), as an array, and the list of those GMMs.
    """
    s_values = as_float_array(s_values, "s_values").ravel()
    check_finite(s_values, "s_values")
    s_valid, path = [], []
    for s in s_values:
        try:
            path.append(interpolate_params(params_old, params_new, float(s)))
        except ValueError:
            continue
        s_valid.append(float(s))
    return np.array(s_valid), path

