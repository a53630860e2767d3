# ruff: noqa: F401  (this module only re-exports)
"""ember: PyTorch's tensor, autograd, nn and optim API in readable Python over NumPy.

``import ember as torch`` runs PyTorch code unchanged. This module only re-exports.
"""
import numpy as _np

# torch never warns on floating-point exceptions (0/0 -> nan, exp overflow -> inf); NumPy does.
_np.seterr(all="ignore")

from . import (
    _dtype,
    autograd,
    return_types,
)
from . import ops as _ops
from . import (
    random as _random,
)
from ._backend import device
from ._creation import *
from ._dtype import (
    bool,
    can_cast,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from ._finfo import finfo, iinfo
from ._printing import set_printoptions
from ._tensor import Size, Tensor
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops._out import add_out_support as _add_out_support
from .ops.composite import *
from .ops.conv import *
from .ops.extra import *
from .ops.indexing import *
from .ops.linalg import *
from .ops.linalg_ext import *
from .ops.movement import *
from .ops.nn_ops import *
from .ops.pointwise import *
from .ops.reduction import *
from .ops.special import *
from .random import *

_ops.bind_methods()
_add_out_support(globals())
_random.bind(Tensor)

# Subpackages that build on the core (they import the names above)
from . import backends, cuda, datasets, distributed, distributions, func, linalg, nn, optim, utils, viz
from ._config import *
from .func import vmap
from .serialization import *

# Classes print under the package's name, as torch's do (<class 'ember.Tensor'>)
for _cls in (Tensor, Size, dtype, device, Generator):
    _cls.__module__ = "ember"


def _legacy_constructor(_dt, name):
    def make(*args, **kwargs):
        return Tensor(*args, dtype=_dt, **kwargs)
    make.__name__ = make.__qualname__ = name
    return make


FloatTensor = _legacy_constructor(float32, "FloatTensor")
DoubleTensor = _legacy_constructor(float64, "DoubleTensor")
HalfTensor = _legacy_constructor(float16, "HalfTensor")
LongTensor = _legacy_constructor(int64, "LongTensor")
IntTensor = _legacy_constructor(int32, "IntTensor")
ShortTensor = _legacy_constructor(int16, "ShortTensor")
CharTensor = _legacy_constructor(int8, "CharTensor")
ByteTensor = _legacy_constructor(uint8, "ByteTensor")
BoolTensor = _legacy_constructor(bool, "BoolTensor")

__version__ = "0.1.0"


def is_tensor(obj) -> "bool":
    return isinstance(obj, Tensor)


def numel(input) -> "int":
    return input.numel()


def is_floating_point(input) -> "bool":
    return input.dtype.is_floating_point
