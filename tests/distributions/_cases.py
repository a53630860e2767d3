"""Distribution cases shared by the tests: each builds the same distribution in torch and in ember."""
import numpy as np


def _pos(*shape, seed=0, low=0.5, high=3.0):
    return np.random.default_rng(seed + 31 * len(shape)).uniform(low, high, size=shape)


def _real(*shape, seed=0):
    return np.random.default_rng(seed + 17 * len(shape)).uniform(-2.0, 2.0, size=shape)


def _simplex(*shape, seed=0):
    p = _pos(*shape, seed=seed)
    return p / p.sum(-1, keepdims=True)


def _spd(n, *batch, seed=0):
    a = np.random.default_rng(seed).normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# name -> (class name, {param: array or number}); arrays become float64 tensors
CASES = {
    "normal_scalar": ("Normal", {"loc": 0.3, "scale": 1.7}),
    "normal_vec": ("Normal", {"loc": _real(4), "scale": _pos(4)}),
    "normal_broadcast": ("Normal", {"loc": _real(3, 1), "scale": _pos(4)}),
    "uniform": ("Uniform", {"low": _real(2, 3), "high": _real(2, 3) + 4.5}),
    "uniform_broadcast": ("Uniform", {"low": -1.0, "high": _pos(3)}),
    "exponential": ("Exponential", {"rate": _pos(2, 3)}),
    "bernoulli_probs": ("Bernoulli", {"probs": _pos(2, 3, low=0.05, high=0.95)}),
    "bernoulli_logits": ("Bernoulli", {"logits": _real(5)}),
    "categorical_probs": ("Categorical", {"probs": _simplex(3, 5)}),
    "categorical_logits": ("Categorical", {"logits": _real(2, 3, 4)}),
    "multinomial_probs": ("Multinomial", {"total_count": 7, "probs": _simplex(2, 4)}),
    "multinomial_logits": ("Multinomial", {"total_count": 5, "logits": _real(3)}),
    "binomial_probs": ("Binomial", {"total_count": 9.0, "probs": _pos(2, 3, low=0.05, high=0.95)}),
    "binomial_logits": ("Binomial", {"total_count": 6.0, "logits": _real(4)}),
    "binomial_tensor_count": ("Binomial", {"total_count": np.array([3.0, 5.0, 8.0]),
                                           "probs": _pos(2, 3, low=0.1, high=0.9)}),
    "poisson": ("Poisson", {"rate": _pos(2, 3, high=12.0)}),
    "gamma": ("Gamma", {"concentration": _pos(2, 3, low=0.3), "rate": _pos(3)}),
    "gamma_scalar": ("Gamma", {"concentration": 2.5, "rate": 0.7}),
    "chi2": ("Chi2", {"df": _pos(4, low=1.0, high=6.0)}),
    "beta": ("Beta", {"concentration1": _pos(2, 3, low=0.3), "concentration0": _pos(3, seed=1)}),
    "beta_scalar": ("Beta", {"concentration1": 2.0, "concentration0": 3.5}),
    "dirichlet": ("Dirichlet", {"concentration": _pos(2, 4, low=0.3)}),
    "mvn_cov": ("MultivariateNormal", {"loc": _real(3), "covariance_matrix": _spd(3)}),
    "mvn_tril_batch": ("MultivariateNormal", {"loc": _real(2, 3),
                                              "scale_tril": np.linalg.cholesky(_spd(3, 2, seed=1))}),
    "mvn_precision": ("MultivariateNormal", {"loc": _real(4, 2),
                                             "precision_matrix": _spd(2, seed=2)}),
}

# torch does not implement these (NotImplementedError), so neither side is compared
NO_ENTROPY = {"Poisson"}
NO_MODE = set()


def build(lib, name, dtype="float64", requires_grad=False):
    """(distribution, {param: leaf tensor}) for CASES[name] in lib (torch or ember)."""
    cls_name, params = CASES[name]
    kwargs, leaves = {}, {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            t = lib.tensor(v, dtype=getattr(lib, dtype))
            if requires_grad and k != "total_count":
                t.requires_grad_(True)
                leaves[k] = t
            kwargs[k] = t
        else:
            kwargs[k] = v
    return getattr(lib.distributions, cls_name)(**kwargs), leaves
