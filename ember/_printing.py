"""repr/str of tensors (placeholder: replaced by the torch-identical printer)."""
from __future__ import annotations


def tensor_repr(t) -> str:
    body = repr(t._data.tolist())
    suffix = ""
    if t.grad_fn is not None:
        suffix = f", grad_fn=<{t.grad_fn.name()}>"
    elif t.requires_grad:
        suffix = ", requires_grad=True"
    return f"tensor({body}{suffix})"
