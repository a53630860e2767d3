"""ember.nn.functional (``import ember.nn.functional as F``): re-exports only.

Activations and losses live in _activation.py / _loss.py; convolution, pooling, normalisation,
embedding, dropout and padding in _layers.py.
"""
from ._activation import *
from ._layers import *
from ._loss import *
