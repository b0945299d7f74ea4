"""Reference evaluation counts for the L-BFGS tests (LBFGSTests.swift).

Runs scipy.optimize.fmin_l_bfgs_b (L-BFGS-B without bounds, history m as listed) on the exact problems of
the tests, from the same start points, and prints nfev, nit, f and ||g||_inf at the end.
pgtol equals the Swift gradientTolerance; factr=10 (relative decrease 2.2e-15) so that the gradient
tolerance, not the decrease test, ends each run.

    python3 Tests/StyleTransferTests/Fixtures/scipy_reference.py > Tests/StyleTransferTests/Fixtures/scipy_reference.txt
"""
import numpy as np
import scipy
from scipy.optimize import fmin_l_bfgs_b


def rosenbrock(x):
    """Extended Rosenbrock: sum over pairs (x[2i], x[2i+1]) of 100 (x[2i+1] - x[2i]^2)^2 + (1 - x[2i])^2."""
    a, b = x[0::2], x[1::2]
    f = np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)
    g = np.zeros_like(x)
    g[0::2] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * (b - a * a)
    return f, g


def chained_rosenbrock(x):
    """Chained Rosenbrock: sum over i of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2 (coupled neighbours)."""
    a, b = x[:-1], x[1:]
    f = np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)
    g = np.zeros_like(x)
    g[:-1] += -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[1:] += 200.0 * (b - a * a)
    return f, g


def quadratic_problem(n):
    """f = 0.5 sum d_i (x_i - c_i)^2, d_i = 10^(-4 i / (n - 1)) (condition number 1e4), c_i = 1 + i / n."""
    i = np.arange(n, dtype=np.float64)
    d = 10.0 ** (-4.0 * i / (n - 1))
    c = 1.0 + i / n

    def f(x):
        r = x - c
        return 0.5 * np.sum(d * r * r), d * r
    return f


PROBLEMS = [
    # name, objective, start, pgtol, m
    ("rosenbrock2", rosenbrock, np.array([-1.2, 1.0]), 1e-4, 10),
    ("rosenbrock2_m3", rosenbrock, np.array([-1.2, 1.0]), 1e-4, 3),
    ("rosenbrock100", rosenbrock, np.tile([-1.2, 1.0], 50), 1e-4, 10),
    ("chained_rosenbrock10", chained_rosenbrock, np.tile([-1.2, 1.0], 5), 1e-4, 10),
    ("quadratic100", quadratic_problem(100), np.zeros(100), 1e-6, 10),
    ("quadratic100_m100", quadratic_problem(100), np.zeros(100), 1e-6, 100),
]

print(f"# scipy {scipy.__version__}, numpy {np.__version__}: fmin_l_bfgs_b(factr=10, maxfun=100000, pgtol and m as listed)")
print("# name m pgtol nfev nit f gnorm_inf")
for name, fun, x0, pgtol, m in PROBLEMS:
    x, f, info = fmin_l_bfgs_b(fun, x0.copy(), m=m, factr=10.0, pgtol=pgtol, maxfun=100000, maxiter=100000)
    print(f"{name} {m} {pgtol:g} {info['funcalls']} {info['nit']} {f:.6e} {np.max(np.abs(info['grad'])):.3e}")
