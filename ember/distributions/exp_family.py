"""ExponentialFamily: distributions with density h(x) exp(<theta, t(x)> - F(theta)).

Subclasses give the natural parameters theta (``_natural_params``), the log normaliser F
(``_log_normalizer``) and E[log h(x)] (``_mean_carrier_measure``); the entropy then follows from
the Bregman divergence of F, with F's gradient (the mean of t(x)) taken by autograd.
"""
from __future__ import annotations

import ember

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base class for exponential-family distributions (entropy and KL via the log normaliser)."""

    @property
    def _natural_params(self) -> tuple:
        """The natural parameters theta, as a tuple of tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """The log normaliser F(theta), batched."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """E[log h(x)] under the distribution."""
        raise NotImplementedError

    def entropy(self):
        """H = F(theta) - <theta, grad F(theta)> - E[log h(x)]."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        with ember.enable_grad():
            lg_normal = self._log_normalizer(*nparams)
            gradients = ember.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for nparam, grad in zip(nparams, gradients):
            result = result - (nparam * grad).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
