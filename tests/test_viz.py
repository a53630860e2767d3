"""ember.viz.draw_graph: every node of the graph drawn once, leaves named, grads/saved/attrs shown."""
import re
import shutil
import sys

import numpy as np
import pytest

import ember
from ember import viz

graphviz = pytest.importorskip("graphviz")
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's `dot` program is not installed")


def walk(roots):
    """Every grad_fn node reachable from roots (a plain walk, independent of the one in viz)."""
    seen, todo = {}, list(roots)
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node
        todo.extend(child for child, _ in node.next_functions)
    return list(seen.values())


def declared(g):
    """node id -> label of every node statement in the DOT body (edges excluded)."""
    out = {}
    for line in g.body:
        m = re.match(r"\s*(\S+) \[label=<(.*)>", line)
        if m and "->" not in line:
            assert m.group(1) not in out, f"node {m.group(1)} declared twice"
            out[m.group(1)] = m.group(2)
    return out


def edges(g):
    return [tuple(m.groups()) for line in g.body if (m := re.match(r"\s*(\S+) -> (\S+)", line))]


def title(label):
    return re.match(r"<b>(.*?)</b>", label).group(1)


def mlp_and_loss(lib, seed=0):
    lib.manual_seed(seed)
    model = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.ReLU(), lib.nn.Linear(6, 3))
    x = lib.randn(5, 4)
    y = lib.tensor([0, 2, 1, 1, 0])
    return model, lib.nn.CrossEntropyLoss()(model(x), y)


def test_mlp_every_op_once_and_leaves_named():
    model, loss = mlp_and_loss(ember)
    g = viz.draw_graph(loss, params=model)
    nodes = walk([loss.grad_fn])
    decl = declared(g)
    # every node of the graph is drawn exactly once, under its own name; nothing else but the output
    assert set(decl) == {str(id(n)) for n in nodes} | {"out0"}
    names = {}
    for n in nodes:
        label = decl[str(id(n))]
        if n.name().endswith("AccumulateGrad"):
            names[title(label)] = n.variable
            assert "float32" in label and "[" + ", ".join(map(str, n.variable.shape)) + "]" in label
        else:
            assert title(label) == n.name()
    # leaves carry the module's parameter names, and each is the right tensor
    params = dict(model.named_parameters())
    assert set(names) == set(params)
    assert all(names[k] is params[k] for k in params)
    # one arrow per input that needs a gradient, from consumer to producer (the way gradients flow)
    expected = {(str(id(n)), str(id(c))) for n in nodes for c, _ in n.next_functions if c is not None}
    drawn = [e for e in edges(g) if e[0] != "out0"]
    assert len(drawn) == len(expected) and set(drawn) == expected
    assert ("out0", str(id(loss.grad_fn))) in edges(g)
    # output shapes of the ops: the logits feeding log_softmax are [5, 3]
    assert "[5, 3] float32" in decl[str(id(loss.grad_fn.next_functions[0][0]))]
    assert "[] float32" in decl["out0"] and "value = " in decl["out0"]


def test_mlp_node_names_match_torch():
    torch = pytest.importorskip("torch")
    _, loss_e = mlp_and_loss(ember)
    _, loss_t = mlp_and_loss(torch)
    g = viz.draw_graph(loss_e)
    drawn = sorted(title(lbl) for nid, lbl in declared(g).items() if nid != "out0")
    torch_names = sorted(n.name().replace("torch::autograd::", "") for n in walk([loss_t.grad_fn]))
    assert sorted("AccumulateGrad" if d == "leaf" else d for d in drawn) == torch_names


def test_show_grads_matches_torch_norms():
    torch = pytest.importorskip("torch")
    model_e, loss_e = mlp_and_loss(ember)
    model_t, loss_t = mlp_and_loss(torch)  # same seed: ember's generator reproduces torch's weights
    g_before = viz.draw_graph(loss_e, params=model_e, show_grads=True)
    assert declared(g_before)[str(id(model_e[0].weight._accumulator()))].count("grad: None") == 1
    loss_e.backward()
    loss_t.backward()
    g = viz.draw_graph(loss_e, params=model_e, show_grads=True)
    decl = {title(lbl): lbl for lbl in declared(g).values()}
    for name, p in model_t.named_parameters():
        shown = float(re.search(r"grad norm = ([-0-9.e+]+)", decl[name]).group(1))
        assert shown == pytest.approx(p.grad.norm().item(), rel=1e-3)


def test_detach_and_control_flow():
    torch = pytest.importorskip("torch")

    def f(lib, x, w):
        h = x * w
        h = h.exp() if h.sum() > 0 else h.sin()  # data-dependent branch: only one op is recorded
        scale = h.detach().mean()                # the detached part sends no gradient back
        out = h
        for _ in range(3):                       # a loop unrolls into three separate nodes
            out = out * scale + w
        return out.sum()

    xs = np.array([[0.5, -0.2], [0.3, 0.1]], dtype=np.float32)
    ws = np.array([0.7, 1.1], dtype=np.float32)
    x_e, w_e = ember.tensor(xs), ember.tensor(ws, requires_grad=True)
    out = f(ember, x_e, w_e)
    g = viz.draw_graph(out, params={"w": w_e})
    decl = declared(g)
    drawn = sorted(title(lbl) for nid, lbl in decl.items() if nid != "out0")
    x_t, w_t = torch.tensor(xs), torch.tensor(ws, requires_grad=True)
    torch_names = sorted(n.name().replace("torch::autograd::", "") for n in walk([f(torch, x_t, w_t).grad_fn]))
    assert sorted("AccumulateGrad" if d == "w" else d for d in drawn) == torch_names
    assert drawn.count("ExpBackward0") == 1 and "SinBackward0" not in drawn and "MeanBackward0" not in drawn
    assert drawn.count("AddBackward0") == 3 and drawn.count("w") == 1  # one leaf, reached four times
    leaf_id = next(nid for nid, lbl in decl.items() if title(lbl) == "w")
    assert sum(1 for e in edges(g) if e[1] == leaf_id) == 4  # x * w and three "+ w"
    # x needs no gradient: it never appears
    assert "[2, 2]" not in "".join(lbl for lbl in decl.values() if title(lbl) == "leaf")


def test_show_saved_and_freed():
    model, loss = mlp_and_loss(ember)
    g = viz.draw_graph(loss, params=model, show_saved=True)
    saved = {nid: lbl for nid, lbl in declared(g).items() if nid.startswith("saved")}
    assert saved and all(lbl.startswith("saved tensor") for lbl in saved.values())
    dotted = [line for line in g.body if "style=dotted" in line]
    assert any("label=target" in line for line in dotted)  # NLL keeps the targets (int64)
    assert any("int64" in lbl for lbl in saved.values())
    assert any("label=result" in line for line in dotted)  # ReLU and log_softmax keep their result
    # the bias that addmm saves is the leaf itself: the dotted edge goes to the leaf's box
    bias_id = str(id(model[2].bias._accumulator()))
    assert any(re.match(rf"\s*\S+ -> {bias_id} \[.*style=dotted", line) for line in g.body)
    assert "freed" not in g.source
    loss.backward()
    g2 = viz.draw_graph(loss, params=model, show_saved=True)
    assert "saved tensors freed by backward" in g2.source
    assert not any(nid.startswith("saved") for nid in declared(g2))
    # TBackward0 saves nothing, so nothing of it was freed
    t_node = next(n for n in walk([loss.grad_fn]) if n.name() == "TBackward0")
    assert "freed" not in declared(g2)[str(id(t_node))]


def test_show_attrs_and_truncation():
    _, loss = mlp_and_loss(ember)
    g = viz.draw_graph(loss, show_attrs=True)
    assert "dim=1" in g.source and "reduction=&#x27;mean&#x27;" in g.source
    assert "dim=1" not in viz.draw_graph(loss).source
    x = ember.randn(3, requires_grad=True)
    y = x.reshape(1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
    long_label = viz.draw_graph(y, show_attrs=True, max_attr_chars=12).source
    assert "..." in long_label


def test_roots_grad_fn_list_leaf_and_errors():
    x = ember.randn(4, 3, requires_grad=True)
    a, b = x.split(2)
    s, t = a.sum(), b.exp().sum()
    g = viz.draw_graph(s.grad_fn)  # a grad_fn: no output box
    assert "out0" not in declared(g) and "SumBackward0" in g.source
    g2 = viz.draw_graph([s, t], params={"x": x})
    decl = declared(g2)
    assert {"out0", "out1"} <= set(decl) and title(decl["out0"]) == "output 0"
    assert list(decl.values()).count(decl[str(id(a.grad_fn))]) == 1  # SplitBackward0 once
    assert "label=out0" in g2.source and "label=out1" in g2.source  # which output of split
    assert "out0: [2, 3] float32" in decl[str(id(a.grad_fn))]
    leaf = viz.draw_graph(x, params={"x": x})
    assert [title(lbl) for lbl in declared(leaf).values()] == ["output", "x"]
    with pytest.raises(ValueError, match="does not require grad"):
        viz.draw_graph(x.detach())
    with pytest.raises(TypeError, match="params must be"):
        viz.draw_graph(s, params=[x])
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.draw_graph(3.0)


def test_custom_function_node():
    class Cube(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad

    x = ember.randn(3, requires_grad=True)
    y = Cube.apply(x * 2).sum()
    g = viz.draw_graph(y, show_saved=True)
    decl = declared(g)
    node = y.grad_fn.next_functions[0][0]
    assert title(decl[str(id(node))]) == node.name() == "CubeBackward"
    assert "[3] float32" in decl[str(id(node))]
    assert "label=\"saved_tensors[0]\"" in g.source


@needs_dot
def test_render_svg(tmp_path):
    model, loss = mlp_and_loss(ember)
    loss.backward(retain_graph=True)
    g = viz.draw_graph(loss, params=model, show_saved=True, show_grads=True, show_attrs=True)
    path = g.render(str(tmp_path / "graph"), format="svg")
    text = (tmp_path / "graph.svg").read_text()
    assert path.endswith("graph.svg") and "<svg" in text
    assert "AddmmBackward0" in text and "0.weight" in text and "grad norm" in text
    assert g._repr_mimebundle_()["image/svg+xml"].count("<svg") == 1  # what Jupyter shows


def test_missing_dot_message_and_source(tmp_path, monkeypatch):
    _, loss = mlp_and_loss(ember)
    g = viz.draw_graph(loss)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    with pytest.raises(graphviz.ExecutableNotFound, match="Install Graphviz") as info:
        g.render(str(tmp_path / "g"), format="svg")
    assert ".source" in str(info.value) and isinstance(info.value, g.DotNotFoundError)
    with pytest.raises(RuntimeError, match="`dot` program was not found"):
        g.pipe(format="svg")
    assert g.source.startswith("digraph") and "NllLossBackward0" in g.source
    bundle = g._repr_mimebundle_()
    assert "Install Graphviz" in bundle["text/plain"] and "digraph" in bundle["text/plain"]


def test_missing_graphviz_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now raises ImportError
    monkeypatch.setattr(viz, "_GRAPH_CLASS", None)
    _, loss = mlp_and_loss(ember)
    with pytest.raises(ImportError, match=r'pip install "ember\[viz\]"'):
        viz.draw_graph(loss)
