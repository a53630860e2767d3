"""ember: PyTorch's tensor, autograd, nn and optim API in readable Python over NumPy.

``import ember as torch`` runs PyTorch code unchanged. This module only re-exports.
"""
import numpy as _np

# torch never warns on floating-point exceptions (0/0 -> nan, exp overflow -> inf); NumPy does.
_np.seterr(all="ignore")

from . import _dtype  # noqa: E402
from ._backend import device  # noqa: E402
from ._dtype import (bool, double, dtype, float, float16, float32, float64, get_default_dtype,  # noqa: E402
                     half, int, int8, int16, int32, int64, long, promote_types, result_type,
                     set_default_dtype, short, uint8, can_cast)
from ._tensor import Size, Tensor  # noqa: E402
from ._creation import *  # noqa: E402,F401,F403
from . import ops as _ops  # noqa: E402
from .ops.pointwise import *  # noqa: E402,F401,F403
from .ops.reduction import *  # noqa: E402,F401,F403
from .ops.movement import *  # noqa: E402,F401,F403
from .ops.indexing import *  # noqa: E402,F401,F403
from .ops.linalg import *  # noqa: E402,F401,F403
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,  # noqa: E402
                       no_grad, set_grad_enabled)
from . import autograd  # noqa: E402
from .random import (Generator, default_generator, initial_seed, manual_seed, normal, rand,  # noqa: E402
                     rand_like, randint, randint_like, randn, randn_like, randperm, seed)

_ops.bind_methods()

__version__ = "0.1.0"


def is_tensor(obj) -> "bool":
    return isinstance(obj, Tensor)


def numel(input) -> "int":
    return input.numel()


def is_floating_point(input) -> "bool":
    return input.dtype.is_floating_point
