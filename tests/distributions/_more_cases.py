"""Cases for the distributions added on top of the first set: each builds the same distribution in
torch and in ember from float64 arrays (numbers stay numbers)."""
import numpy as np

from tests.distributions._cases import _pos, _real, _simplex, _spd

# name -> (class name, positional args, keyword args); ndarray values become float64 tensors
MORE = {
    "cauchy": ("Cauchy", (), {"loc": _real(2, 3), "scale": _pos(3)}),
    "cauchy_scalar": ("Cauchy", (), {"loc": 0.5, "scale": 2.0}),
    "half_cauchy": ("HalfCauchy", (), {"scale": _pos(4)}),
    "half_normal": ("HalfNormal", (), {"scale": _pos(2, 3)}),
    "log_normal": ("LogNormal", (), {"loc": _real(2, 3), "scale": _pos(2, 3, high=1.0)}),
    "laplace": ("Laplace", (), {"loc": _real(4), "scale": _pos(4)}),
    "gumbel": ("Gumbel", (), {"loc": _real(2, 3), "scale": _pos(2, 3)}),
    "geometric_probs": ("Geometric", (), {"probs": _pos(2, 3, low=0.1, high=0.9)}),
    "geometric_logits": ("Geometric", (), {"logits": _real(4)}),
    "negative_binomial": ("NegativeBinomial", (), {"total_count": _pos(3, high=8.0),
                                                   "probs": _pos(3, low=0.1, high=0.8)}),
    "negative_binomial_logits": ("NegativeBinomial", (), {"total_count": 4.0, "logits": _real(2, 3)}),
    "one_hot_categorical": ("OneHotCategorical", (), {"probs": _simplex(2, 4)}),
    "one_hot_st": ("OneHotCategoricalStraightThrough", (), {"logits": _real(3, 5)}),
    "relaxed_bernoulli": ("RelaxedBernoulli", (), {"temperature": np.array(0.7),
                                                   "probs": _pos(2, 3, low=0.1, high=0.9)}),
    "relaxed_one_hot": ("RelaxedOneHotCategorical", (), {"temperature": np.array(0.5),
                                                         "logits": _real(2, 4)}),
    "studentT": ("StudentT", (), {"df": _pos(2, 3, low=2.5, high=9.0), "loc": _real(3),
                                  "scale": _pos(3)}),
    "studentT_low_df": ("StudentT", (), {"df": np.array([0.5, 1.5, 3.0])}),
    "fisher_snedecor": ("FisherSnedecor", (), {"df1": _pos(4, low=2.5, high=9.0),
                                               "df2": _pos(4, low=4.5, high=12.0)}),
    "pareto": ("Pareto", (), {"scale": _pos(2, 3), "alpha": _pos(2, 3, low=2.5, high=5.0)}),
    "weibull": ("Weibull", (), {"scale": _pos(3), "concentration": _pos(3, low=1.2)}),
    "kumaraswamy": ("Kumaraswamy", (), {"concentration1": _pos(2, 3, low=1.1),
                                        "concentration0": _pos(2, 3, low=1.1, seed=3)}),
    "inverse_gamma": ("InverseGamma", (), {"concentration": _pos(4, low=2.5, high=6.0),
                                           "rate": _pos(4)}),
    "generalized_pareto": ("GeneralizedPareto", (), {"loc": _real(4), "scale": _pos(4),
                                                     "concentration": np.array([0.3, 0.0, 0.2, 0.1])}),
    "logistic_normal": ("LogisticNormal", (), {"loc": _real(2, 3), "scale": _pos(2, 3, high=1.0)}),
    "lowrank_mvn": ("LowRankMultivariateNormal", (), {"loc": _real(2, 4),
                                                      "cov_factor": _real(4, 2, seed=5),
                                                      "cov_diag": _pos(4)}),
    "continuous_bernoulli": ("ContinuousBernoulli", (), {"probs": np.array([0.1, 0.4995, 0.7, 0.95])}),
    "continuous_bernoulli_logits": ("ContinuousBernoulli", (), {"logits": _real(2, 3)}),
    "von_mises": ("VonMises", (), {"loc": _real(2, 3), "concentration": _pos(2, 3, low=0.2, high=6.0)}),
    "wishart": ("Wishart", (), {"df": np.array([4.0, 6.5]), "covariance_matrix": _spd(3, 2)}),
    "wishart_tril": ("Wishart", (), {"df": 5.0, "scale_tril": np.linalg.cholesky(_spd(2, seed=4))}),
    "wishart_precision": ("Wishart", (), {"df": 3.5, "precision_matrix": _spd(3, seed=6)}),
    "lkj_cholesky": ("LKJCholesky", (3,), {"concentration": _pos(2, low=0.5)}),
    "chi2": ("Chi2", (), {"df": _pos(3, low=1.0, high=6.0)}),
}

# torch's GeneralizedPareto fails in float64 (it compares with a float32 zero), so that case is float32
DTYPES = {"generalized_pareto": "float32"}


def build_more(lib, name, requires_grad=False):
    """(distribution, {param: leaf tensor}) for MORE[name] in lib (torch or ember)."""
    cls_name, args, params = MORE[name]
    dtype = getattr(lib, DTYPES.get(name, "float64"))
    kwargs, leaves = {}, {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            t = lib.tensor(v, dtype=dtype)
            if requires_grad and k not in ("temperature", "total_count"):
                t.requires_grad_(True)
                leaves[k] = t
            kwargs[k] = t
        else:
            kwargs[k] = v
    return getattr(lib.distributions, cls_name)(*args, **kwargs), leaves
