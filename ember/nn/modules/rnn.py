"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

How a multi-layer recurrent net runs here (the readable version of what torch does in C++):

* For each layer and direction the input projection of the WHOLE sequence is one matmul up front,
  ``gx = x @ W_ih.T + b`` of shape (T, B, gates * hidden). Only the recurrent part, ``h @ W_hh.T``,
  has to wait for the previous step, so the Python loop runs once per time step and each step is
  vectorised over the batch and over all gates at once.
* Every step is written in ember ops, so autograd records the unrolled graph and ``backward()``
  is backpropagation through time with no extra code.
* A reverse direction walks the same projected sequence from the end; the two directions' outputs
  are concatenated on the feature dim, and dropout (training only) sits between layers.

Gate order and parameter names/shapes follow torch exactly (LSTM: i, f, g, o; GRU: r, z, n), so a
torch ``state_dict`` loads unchanged and gives the same numbers.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ... import _creation
from ..._tensor import Tensor
from ...ops import linalg, movement
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --------------------------------------------------------------------------- one time step
# Each step takes the precomputed input projection gx (B, gates*H), the previous state (a tuple:
# (h,) or (h, c)) and the recurrent weights, and returns the new state; its first entry is the output.
# For RNN and LSTM both biases were already folded into gx; GRU needs b_hh apart (see _gru_step).

def _rnn_tanh_step(gx: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None,
                   w_hr_t: Tensor | None) -> tuple:
    return (linalg.addmm(gx, state[0], w_hh_t).tanh(),)


def _rnn_relu_step(gx: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None,
                   w_hr_t: Tensor | None) -> tuple:
    return (linalg.addmm(gx, state[0], w_hh_t).relu(),)


def _lstm_step(gx: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None,
               w_hr_t: Tensor | None) -> tuple:
    h, c = state
    i, f, g, o = linalg.addmm(gx, h, w_hh_t).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr_t is not None:  # LSTM with projections: the carried and emitted h is h @ W_hr.T
        h = linalg.matmul(h, w_hr_t)
    return (h, c)


def _gru_step(gx: Tensor, state: tuple, w_hh_t: Tensor, b_hh: Tensor | None,
              w_hr_t: Tensor | None) -> tuple:
    h = state[0]
    # b_hn sits inside r * (W_hn h + b_hn), so b_hh cannot be folded into gx as for the others.
    gh = linalg.matmul(h, w_hh_t) if b_hh is None else linalg.addmm(b_hh, h, w_hh_t)
    size = h.shape[1]
    gx_rz, gx_n = gx.split([2 * size, size], 1)
    gh_rz, gh_n = gh.split([2 * size, size], 1)
    r, z = (gx_rz + gh_rz).sigmoid().chunk(2, 1)
    n = (gx_n + r * gh_n).tanh()
    # (1 - z) * n + z * h, written with one multiply fewer
    return (n + z * (h - n),)


_STEPS = {"RNN_TANH": _rnn_tanh_step, "RNN_RELU": _rnn_relu_step, "LSTM": _lstm_step, "GRU": _gru_step}


def _projection_bias(mode: str, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
    """The bias added to the up-front input projection: both biases except for GRU (see _gru_step)."""
    if b_ih is None:
        return None
    return b_ih if mode == "GRU" else b_ih + b_hh


def _check_dim_type(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")


# --------------------------------------------------------------------------- full sequences
class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU: parameters, checks, and the layer/time loops.

    ``mode`` is one of 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'. Parameters are named
    ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}``
    for an LSTM with ``proj_size``), with a ``_reverse`` suffix for the backward direction.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of "
                             "an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        _check_dim_type("input_size", input_size)
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        _check_dim_type("hidden_size", hidden_size)
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)

        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, real_hidden)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for stem, shape in shapes.items():
                    setattr(self, stem + suffix, Parameter(_creation.empty(shape, device=device, dtype=dtype)))
                    names.append(stem + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), drawn in parameters() order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Kept for API compatibility: torch packs weights for cuDNN here; ember has nothing to pack."""

    @property
    def _flat_weights(self) -> list[Tensor | None]:
        # Looked up by name on every use, so swapped or reloaded parameters are always the ones used.
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, in torch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    # ---------------------------------------------------------------- checks (torch's messages)
    def check_input(self, input: Tensor, batch_sizes: Tensor | None = None) -> None:
        """Check dtype, rank and feature size of a (batched) input."""
        weight_dtype = getattr(self, self._flat_weights_names[0]).dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                             f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes: Tensor | None = None) -> tuple[int, int, int]:
        """(num_layers * num_directions, batch, proj_size or hidden_size)."""
        batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        """Raise torch's RuntimeError when ``hx`` does not have the expected shape."""
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes: Tensor | None = None) -> None:
        """Check the input, then the initial hidden state against the shape the input implies."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---------------------------------------------------------------- the computation
    def _zeros_state(self, input: Tensor, size: int) -> Tensor:
        batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return _creation.zeros((self.num_layers * num_directions, batch, size), dtype=input.dtype,
                               device=input.device)

    def _run(self, input: Tensor, states: tuple) -> tuple[Tensor, tuple]:
        """Run every layer and direction over a batched input.

        ``states`` holds the initial states, each (num_layers * num_directions, B, size): (h0,) or
        (h0, c0). Returns the output and the final states stacked the same way.
        """
        step = _STEPS[self.mode]
        x = input.transpose(0, 1) if self.batch_first else input  # time-major from here on
        num_directions = 2 if self.bidirectional else 1
        initial = [s.unbind(0) for s in states]  # one view per (layer, direction)
        finals: list[tuple] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                params = dict(zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"),
                                  self._layer_params(self._all_weights[k])))
                out, final = self._run_direction(step, x, tuple(s[k] for s in initial), params,
                                                 reverse=direction == 1)
                outputs.append(out)
                finals.append(final)
            x = outputs[0] if num_directions == 1 else movement.cat(outputs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x.transpose(0, 1) if self.batch_first else x
        final_states = tuple(movement.stack([f[i] for f in finals], 0) for i in range(len(states)))
        return output, final_states

    def _layer_params(self, names: list[str]) -> list[Tensor | None]:
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of one layer and direction, None where absent."""
        got = {name.split("_l")[0]: getattr(self, name) for name in names}
        return [got.get(stem) for stem in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]

    def _run_direction(self, step, x: Tensor, state: tuple, params: dict, reverse: bool) -> tuple[Tensor, tuple]:
        w_hh_t = params["weight_hh"].t()  # transposed once, not once per step
        w_hr = params["weight_hr"]
        w_hr_t = w_hr.t() if w_hr is not None else None
        gx = F.linear(x, params["weight_ih"], _projection_bias(self.mode, params["bias_ih"], params["bias_hh"]))
        gx_steps = gx.unbind(0)
        seq_len = len(gx_steps)
        outputs: list[Tensor | None] = [None] * seq_len
        for t in (range(seq_len - 1, -1, -1) if reverse else range(seq_len)):
            state = step(gx_steps[t], state, w_hh_t, params["bias_hh"], w_hr_t)
            outputs[t] = state[0]
        return movement.stack(outputs, 0), state

    def _forward_single(self, name: str, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor]:
        """forward for RNN and GRU, whose state is a single tensor h."""
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             f"{' tensor' if name == 'RNN' else ''} instead")
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if hx is None:
            hx = self._zeros_state(input, self.hidden_size)
        self.check_forward_args(input, hx)
        output, (h_n,) = self._run(input, (hx,))
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
        return output, h_n


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked in layers.

    Args: input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None. ``forward(input, hx=None)`` returns
    ``(output, h_n)``: output (L, N, D*H) (or (N, L, D*H) with batch_first), h_n (D*num_layers, N, H).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:  # nonlinearity is RNN's fourth positional argument
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single("RNN", input, hx)


class LSTM(RNNBase):
    """Long short-term memory, gates in torch's order i, f, g, o:

    i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.); c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t)
    (then h_t = h_t W_hr^T when proj_size > 0). ``forward(input, (h0, c0)=None)`` returns
    ``(output, (h_n, c_n))``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes: Tensor | None = None) -> tuple[int, int, int]:
        """(num_layers * num_directions, batch, hidden_size): c is never projected."""
        batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden: tuple[Tensor, Tensor],  # type: ignore[override]
                           batch_sizes: Tensor | None = None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if hx is None:
            real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros_state(input, real_hidden), self._zeros_state(input, self.hidden_size))
        else:
            want = 3 if is_batched else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not is_batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        output, (h_n, c_n) = self._run(input, tuple(hx))
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, gates in torch's order r, z, n:

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
    h' = (1 - z) * n + z * h. ``forward(input, hx=None)`` returns ``(output, h_n)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single("GRU", input, hx)


# --------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Parameters and checks shared by the cells: weight_ih (chunks*H, in), weight_hh (chunks*H, H),
    bias_ih and bias_hh (chunks*H) or None."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(_creation.empty((gates, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty((gates, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(gates, device=device, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(gates, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = self.__dict__.get("nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), drawn in parameters() order."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, name: str, input: Tensor, hidden: tuple) -> None:
        """torch's rank checks, then its size checks (input size, then each hidden's batch and size)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for idx, h in enumerate(hidden):
            if h is not None and h.dim() not in (1, 2):
                what = f"hx[{idx}]" if len(hidden) > 1 else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.dim()}D instead")

    def _check_sizes(self, input: Tensor, hidden: tuple) -> None:
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                               f"{self.input_size}")
        for idx, h in enumerate(hidden):
            if h.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{idx} batch size "
                                   f"{h.size(0)}")
            if h.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{idx} has inconsistent hidden_size: got {h.size(1)}, expected "
                                   f"{self.hidden_size}")

    def _cell(self, mode: str, input: Tensor, hidden: tuple | None) -> tuple:
        """One step on a batched or unbatched input; returns the new state tuple (unbatched if input was)."""
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hidden is None:
            zeros = _creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype, device=input.device)
            hidden = (zeros,) * (2 if mode == "LSTM" else 1)
        elif not is_batched:
            hidden = tuple(h.unsqueeze(0) for h in hidden)
        self._check_sizes(input, hidden)
        gx = F.linear(input, self.weight_ih, _projection_bias(mode, self.bias_ih, self.bias_hh))
        state = _STEPS[mode](gx, tuple(hidden), self.weight_hh.t(), self.bias_hh, None)
        return state if is_batched else tuple(s.squeeze(0) for s in state)


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). ``forward(input, hx=None)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check("RNNCell", input, (hx,))
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._cell(mode, input, None if hx is None else (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o). ``forward(input, (h, c)=None)`` returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        self._check("LSTMCell", input, tuple(hx) if hx is not None else ())
        h, c = self._cell("LSTM", input, None if hx is None else tuple(hx))
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n). ``forward(input, hx=None)`` returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check("GRUCell", input, (hx,))
        return self._cell("GRU", input, None if hx is None else (hx,))[0]
