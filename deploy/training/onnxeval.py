"""A small numpy interpreter for ONNX graphs, to check an export against torch.

Debian ships no onnxruntime for Python and onnx 1.12 has no reference
evaluator, so the recipe runs the exported graph itself: only the operators a
BERT export uses, each written from the ONNX operator spec. An operator it
does not know raises NotImplementedError rather than guessing.
"""
import math

import numpy as np
import onnx
from onnx import numpy_helper

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _slice(x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [int(a) % x.ndim for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[a] = slice(int(s), int(max(min(e, 2**62), -2**62)), int(st))
    return x[tuple(index)]


def _reshape(x, shape):
    shape = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(shape)]
    return x.reshape(shape)


def _layernorm(x, scale, bias=None, axis=-1, epsilon=1e-5, **_):
    axes = tuple(range(axis % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + epsilon) * scale
    return (y + bias if bias is not None else y).astype(x.dtype)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _run(op, ins, at):
    """Returns the outputs (a list) of one node."""
    x = ins[0] if ins else None
    if op == "Constant":
        return [numpy_helper.to_array(at["value"])]
    if op == "Identity":
        return [x]
    if op in ("Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
             "Pow": np.power, "Equal": np.equal, "Less": np.less, "Greater": np.greater}[op]
        out = f(ins[0], ins[1])
        if op == "Div" and np.issubdtype(x.dtype, np.integer):
            out = np.floor_divide(ins[0], ins[1])
        return [out.astype(x.dtype) if op in ("Add", "Sub", "Mul", "Div", "Pow") else out]
    if op == "MatMul":
        return [np.matmul(ins[0], ins[1])]
    if op == "Gemm":
        a = ins[0].T if at.get("transA") else ins[0]
        b = ins[1].T if at.get("transB") else ins[1]
        y = at.get("alpha", 1.0) * (a @ b)
        if len(ins) > 2:
            y = y + at.get("beta", 1.0) * ins[2]
        return [y.astype(np.float32)]
    if op == "Gather":
        return [np.take(x, ins[1], axis=at.get("axis", 0))]
    if op == "Transpose":
        return [np.transpose(x, at.get("perm"))]
    if op == "Reshape":
        return [_reshape(x, ins[1])]
    if op == "Unsqueeze":
        axes = ins[1] if len(ins) > 1 else at["axes"]
        out = x
        for a in sorted(int(a) % (x.ndim + len(axes)) for a in axes):
            out = np.expand_dims(out, a)
        return [out]
    if op == "Squeeze":
        axes = ins[1] if len(ins) > 1 else at.get("axes")
        return [np.squeeze(x, axis=None if axes is None else tuple(int(a) for a in axes))]
    if op == "Shape":
        return [np.array(x.shape, dtype=np.int64)]
    if op == "Cast":
        to = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[at["to"]]
        return [x.astype(to)]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return [np.full(tuple(int(d) for d in x), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Concat":
        return [np.concatenate(ins, axis=at["axis"])]
    if op == "Slice":
        return [_slice(x, *[i for i in ins[1:]])]
    if op == "Range":
        return [np.arange(ins[0], ins[1], ins[2]).astype(x.dtype)]
    if op == "Expand":
        return [x * np.ones(tuple(int(d) for d in ins[1]), dtype=x.dtype)]
    if op == "Where":
        return [np.where(ins[0], ins[1], ins[2])]
    if op == "Softmax":
        return [_softmax(x, at.get("axis", -1)).astype(x.dtype)]
    if op == "Erf":
        return [_erf(x).astype(x.dtype)]
    if op in ("Tanh", "Sqrt", "Exp", "Neg", "Sigmoid", "Not", "Relu"):
        f = {"Tanh": np.tanh, "Sqrt": np.sqrt, "Exp": np.exp, "Neg": np.negative,
             "Sigmoid": lambda v: 1 / (1 + np.exp(-v)), "Not": np.logical_not,
             "Relu": lambda v: np.maximum(v, 0)}[op]
        return [f(x).astype(x.dtype)]
    if op == "ReduceMean":
        axes = at.get("axes") or (ins[1] if len(ins) > 1 else None)
        return [x.mean(axis=tuple(int(a) for a in axes), keepdims=bool(at.get("keepdims", 1))).astype(x.dtype)]
    if op == "LayerNormalization":
        return [_layernorm(*ins, **at)]
    raise NotImplementedError(f"onnxeval: operator {op} not supported")


def run(model, feeds):
    """Runs model (an onnx.ModelProto) on feeds {name: array}; returns {output: array}."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        ins = [env[n] if n else None for n in node.input]
        while ins and ins[-1] is None:
            ins.pop()
        outs = _run(node.op_type, ins, _attrs(node))
        for name, val in zip(node.output, outs):
            env[name] = np.asarray(val)
    return {o.name: env[o.name] for o in model.graph.output}
