"""Draw a tensor's autograd graph with Graphviz, as a teaching tool.

``draw_graph(loss, params=model)`` walks the graph that ``loss.backward()`` would walk, starting at
``loss.grad_fn`` and following each node's ``next_functions``, and draws:

* the output tensor (highlighted, at the top);
* one box per op node, named as torch names them (``AddmmBackward0``, ``ReluBackward0``, ...) with the
  shape and dtype of the tensor that op produced in the forward pass;
* one box per leaf (an ``AccumulateGrad`` node), in another colour, named from ``params`` (a dict or a
  Module's ``named_parameters()``) with its shape, and after ``backward()`` optionally its gradient's norm;
* optionally the tensors each op saved for backward (``show_saved=True``) and its non-tensor arguments
  (``show_attrs=True``).

Arrows point the way gradients flow during ``backward()``: from the output towards the leaves.

Graphviz is an optional dependency (``pip install "ember[viz]"``): the Python package builds the DOT
source, and Graphviz's ``dot`` program turns it into an image. Without ``dot`` the returned graph still
has its ``.source``; rendering raises an error that says how to install ``dot``.
"""
from __future__ import annotations

import html
import importlib
import inspect
from typing import Any

import numpy as np

__all__ = ["draw_graph"]

# Colours: leaves (what gradients are for) stand out from the ops; the output is highlighted.
_OUTPUT_COLOR = "#b7e4a3"   # green
_OP_COLOR = "#f2f2f2"       # light grey
_LEAF_COLOR = "#a8d1f0"     # blue
_SAVED_COLOR = "#ffd59e"    # orange
_MISSING_DOT = (
    "Graphviz's `dot` program was not found on your PATH, so the graph cannot be rendered to an "
    "image. Install Graphviz (Debian/Ubuntu: `sudo apt-get install graphviz`, macOS: `brew install "
    "graphviz`, conda: `conda install -c conda-forge graphviz`, Windows: https://graphviz.org/download/)."
    " The DOT source is still available as the graph's `.source` (or `.save('graph.dot')`)."
)


def optional_import(module: str, extra: str, purpose: str) -> Any:
    """Import an optional dependency, or raise ImportError naming the pip extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{purpose} needs the optional package '{module}', which is not installed. Install it with "
            f"`pip install \"ember[{extra}]\"` (or `pip install {module}`).") from e


_GRAPH_CLASS = None


def _graph_class():
    """A graphviz.Digraph whose rendering says how to install `dot` when it is missing.

    Made on first use because graphviz is optional: importing ember.viz must not need it.
    """
    global _GRAPH_CLASS
    if _GRAPH_CLASS is not None:
        return _GRAPH_CLASS
    graphviz = optional_import("graphviz", "viz", "Drawing the autograd graph")

    class DotNotFoundError(graphviz.ExecutableNotFound):
        """Raised when rendering without Graphviz's `dot`; a graphviz.ExecutableNotFound too."""

        def __init__(self, message: str) -> None:
            RuntimeError.__init__(self, message)

    class AutogradGraph(graphviz.Digraph):
        """The graph draw_graph returns: a graphviz.Digraph (renders in Jupyter, ``.render``,
        ``.pipe``, ``.source``) with a clearer message when `dot` is missing."""

        def pipe(self, *args, **kwargs):
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as e:
                raise DotNotFoundError(_MISSING_DOT) from e

        def render(self, *args, **kwargs):
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as e:
                raise DotNotFoundError(_MISSING_DOT) from e

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            # In a notebook, show the message and the DOT source instead of a traceback.
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except graphviz.ExecutableNotFound:
                return {"text/plain": _MISSING_DOT + "\n\n" + self.source}

    AutogradGraph.DotNotFoundError = DotNotFoundError
    _GRAPH_CLASS = AutogradGraph
    return AutogradGraph


# --------------------------------------------------------------------------- labels
def _shape_str(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _meta_str(shape, dtype) -> str:
    """'(5, 3) float32': what a learner compares with ``tensor.shape`` and ``tensor.dtype``."""
    name = getattr(dtype, "name", None) or str(dtype)
    return f"{_shape_str(shape)} {name.replace('ember.', '')}"


def _html_label(title: str, lines=(), bold: bool = True) -> str:
    """A Graphviz HTML-like label: the title in bold, then smaller lines."""
    parts = [f"<b>{html.escape(title)}</b>" if bold else html.escape(title)]
    parts += [f'<font point-size="10">{html.escape(line)}</font>' for line in lines]
    return "<" + "<br/>".join(parts) + ">"


def _short(value, limit: int) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def _node_output_meta(node, nr: int, outputs: dict):
    """(shape, dtype) of output ``nr`` of ``node``, from what the node or its consumers recorded."""
    out_meta = getattr(node, "out_meta", None) or getattr(node, "_out_meta", None)
    if out_meta and nr < len(out_meta) and out_meta[nr][0] is not None:
        return out_meta[nr]
    return outputs.get((id(node), nr))


def _saved_entries(node):
    """[(name, saved object)] for the tensors an op node keeps for backward ([] once freed)."""
    from .autograd.function import BackwardCFunction
    from .autograd.graph import OpNode
    if isinstance(node, OpNode):
        names = [p for p in inspect.signature(node.op.forward).parameters][1:]  # drop xp
        entries = []
        for i, s in enumerate(node.saved or ()):
            if s is not None and hasattr(s, "unpack"):
                entries.append((names[i] if i < len(names) else f"input{i}", s))
        for i, r in enumerate(node.result or ()):
            entries.append(("result" if len(node.result) == 1 else f"result{i}", r))
        return entries
    if isinstance(node, BackwardCFunction):
        return [(f"saved_tensors[{i}]", s) for i, s in enumerate(node._saved or ()) if s is not None]
    return []


def _saved_meta(saved):
    """(shape, dtype, the Tensor if there is one) of a saved entry, whatever its kind."""
    from ._dtype import from_numpy_dtype
    tensor = getattr(saved, "tensor", None)
    if tensor is not None:
        return tuple(tensor.shape), tensor.dtype, tensor
    if isinstance(saved, tuple):  # an OpNode's saved result: (array, version counter, version)
        arr = saved[0]
        return arr.shape, from_numpy_dtype(arr.dtype), None
    arr = saved.array  # a custom Function's saved output
    return arr.shape, saved.dtype, None


def _attrs(node) -> dict:
    """The non-tensor arguments an op was called with (dim, alpha, reduction, ...)."""
    from .autograd.graph import OpNode
    if not isinstance(node, OpNode):
        return {}
    attrs = dict(node.params or {})
    names = [p for p in inspect.signature(node.op.forward).parameters][1:]
    for i, s in enumerate(node.saved or ()):
        if s is not None and not hasattr(s, "unpack"):  # a Python scalar passed positionally
            attrs[names[i] if i < len(names) else f"input{i}"] = s
    return attrs


def _is_released(node) -> bool:
    """Whether backward freed tensors this node had saved (ops that save nothing are never 'freed')."""
    from .autograd.graph import OpNode
    if isinstance(node, OpNode):
        op = node.op
        saves = op.save_result or op.saves_inputs
        return bool(node.released and saves)
    return bool(getattr(node, "_released", False))


def _param_names(params) -> dict:
    """id(tensor) -> name, from a dict name->tensor or a Module (its named_parameters())."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    elif not isinstance(params, dict):
        raise TypeError("draw_graph(): params must be a dict of name -> Tensor or an nn.Module, "
                        f"got {type(params).__name__}")
    return {id(t): name for name, t in params.items()}


# --------------------------------------------------------------------------- the walk
def _walk(roots):
    """Every node reachable from ``roots`` through next_functions, each once, outputs first."""
    order, seen, stack = [], set(), list(reversed(roots))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        for child, _ in reversed(node.next_functions):
            if child is not None and id(child) not in seen:
                stack.append(child)
    return order


def draw_graph(root, params=None, show_saved: bool = False, show_grads: bool = False,
               show_attrs: bool = False, max_attr_chars: int = 50, caption: bool = True,
               graph_attr: dict | None = None):
    """Draw the autograd graph behind ``root`` as a ``graphviz.Digraph``.

    Args:
        root: a Tensor (usually a loss), a sequence of Tensors, or a grad_fn Node.
        params: names for the leaves: a dict ``name -> Tensor`` or an ``nn.Module`` (its
            ``named_parameters()``). Unnamed leaves are labelled "leaf".
        show_saved: also draw the tensors each op saved for backward (dotted edges). After a
            ``backward()`` without ``retain_graph=True`` they are freed, and the op says so.
        show_grads: label each leaf with the norm of its ``.grad`` (call after ``backward()``).
        show_attrs: list each op's non-tensor arguments (``dim=1``, ``reduction='mean'``, ...).
        max_attr_chars: longer attribute values are cut to this many characters.
        caption: add a line under the graph explaining the colours and the arrows.
        graph_attr: extra Graphviz graph attributes (e.g. ``{"rankdir": "LR"}``).

    Returns:
        A ``graphviz.Digraph``: it renders inline in Jupyter; ``.render("g", format="svg")`` writes
        ``g.svg``; ``.source`` is the DOT text. Rendering needs Graphviz's ``dot`` program.

    Every op node is drawn once, with node id ``str(id(node))``; every leaf once, with id
    ``str(id(its AccumulateGrad node))``.
    """
    from ._tensor import Tensor
    from .autograd.graph import AccumulateGrad, Node, grad_accumulator

    graph_cls = _graph_class()
    names = _param_names(params)

    # The starting points: (tensor or None, node) pairs.
    items = list(root) if isinstance(root, (list, tuple)) else [root]
    starts = []
    for item in items:
        if isinstance(item, Node):
            starts.append((None, item))
        elif isinstance(item, Tensor):
            if item.grad_fn is not None:
                starts.append((item, item.grad_fn))
            elif item.requires_grad:
                starts.append((item, grad_accumulator(item)))
            else:
                raise ValueError("draw_graph(): the tensor has no autograd graph: it does not require grad "
                                 "(was it computed under no_grad(), or detached?)")
        else:
            raise TypeError("draw_graph(): expected a Tensor, a sequence of Tensors or a grad_fn node, got "
                            f"{type(item).__name__}")

    attrs = {"rankdir": "TB", "nodesep": "0.3", "ranksep": "0.35", "fontname": "Helvetica"}
    attrs.update(graph_attr or {})
    g = graph_cls(name="autograd_graph", graph_attr=attrs,
                  node_attr={"shape": "box", "style": "filled,rounded", "fontname": "Helvetica",
                             "fontsize": "12", "fillcolor": _OP_COLOR, "margin": "0.12,0.06"},
                  edge_attr={"fontname": "Helvetica", "fontsize": "9"})

    nodes = _walk([n for _, n in starts])

    # The shape of each node's output is what its consumer recorded for that input.
    outputs = {}
    for node in nodes:
        for (child, nr), meta in zip(node.next_functions, getattr(node, "in_meta", None) or ()):
            if child is not None and meta is not None:
                outputs.setdefault((id(child), nr), meta)
    for t, node in starts:
        if t is not None:
            outputs.setdefault((id(node), t._output_nr), (tuple(t.shape), t.dtype))

    # The output tensors, highlighted, with an arrow into the node where backward starts.
    for i, (t, node) in enumerate(starts):
        if t is None:
            continue
        title = "output" if len(starts) == 1 else f"output {i}"
        lines = [_meta_str(t.shape, t.dtype)]
        if t.numel() == 1:
            lines.append(f"value = {float(t._data.reshape(-1)[0]):.4g}")
        oid = f"out{i}"
        g.node(oid, _html_label(title, lines), fillcolor=_OUTPUT_COLOR, penwidth="2")
        g.edge(oid, str(id(node)), style="bold")

    drawn_saved = {}
    node_ids = {str(id(n)) for n in nodes}
    for node in nodes:
        nid = str(id(node))
        if isinstance(node, AccumulateGrad):
            var = node.variable
            title = names.get(id(var), "leaf")
            lines = [_meta_str(var.shape, var.dtype)]
            if show_grads:
                grad = var.grad
                lines.append("grad: None" if grad is None else
                             f"grad norm = {float(np.linalg.norm(np.asarray(grad._data, dtype=np.float64))):.4g}")
            g.node(nid, _html_label(title, lines), fillcolor=_LEAF_COLOR)
            continue

        lines = []
        metas = [_node_output_meta(node, nr, outputs) for nr in range(getattr(node, "num_outputs", 1))]
        for nr, meta in enumerate(metas):
            if meta is not None:
                prefix = f"out{nr}: " if len(metas) > 1 else ""
                lines.append(prefix + _meta_str(*meta))
        if show_attrs:
            for key, value in _attrs(node).items():
                lines.append(f"{key}={_short(value, max_attr_chars)}")
        if show_saved and _is_released(node):
            lines.append("(saved tensors freed by backward)")
        g.node(nid, _html_label(node.name(), lines))

        for child, nr in node.next_functions:
            if child is None:
                continue  # an input that needs no gradient (a constant, a detached tensor)
            label = f"out{nr}" if getattr(child, "num_outputs", 1) > 1 else None
            g.edge(nid, str(id(child)), label=label)

        if show_saved:
            for name, saved in _saved_entries(node):
                shape, dtype, tensor = _saved_meta(saved)
                leaf = tensor is not None and tensor.grad_fn is None and tensor.requires_grad
                if leaf:  # a saved leaf is the leaf box itself
                    target = str(id(grad_accumulator(tensor)))
                    if target not in node_ids:
                        leaf = False
                if not leaf:
                    key = id(tensor) if tensor is not None else id(saved[0] if isinstance(saved, tuple)
                                                                   else saved.array)
                    target = drawn_saved.get(key)
                    if target is None:
                        target = drawn_saved[key] = f"saved{len(drawn_saved)}"
                        g.node(target, _html_label("saved tensor", [_meta_str(shape, dtype)], bold=False),
                               fillcolor=_SAVED_COLOR, shape="box", style="filled")
                g.edge(nid, target, label=name, style="dotted", arrowhead="none")

    if caption:
        g.attr(label="Gradients flow along the arrows during backward(): from the output (green), "
                     "through each op, into the leaves (blue)." +
                     (" Dotted: tensors saved for backward (orange)." if show_saved else ""),
               labelloc="b", fontsize="10")
    return g
