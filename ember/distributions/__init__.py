"""ember.distributions: probability distributions with sample/rsample/log_prob/entropy.

Mirrors ``torch.distributions``: each distribution has ``batch_shape``/``event_shape``, ``sample``
(and ``rsample`` where a reparameterised, differentiable draw exists), ``log_prob``, ``entropy``,
``mean``/``mode``/``variance``/``stddev``, ``support``/``arg_constraints`` and ``expand``;
``kl_divergence`` dispatches on the pair of types (extend it with ``register_kl``).
"""
from . import constraints, kl  # noqa: F401  (kl: the submodule, as torch has it)
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Chi2, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Chi2",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "Gamma",
    "Independent",
    "Multinomial",
    "MultivariateNormal",
    "Normal",
    "Poisson",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
