"""Which ONNX graphs quantize activations per batch, on tiny graphs written with ``onnx``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trueneg.rescore.onnx_cross_encoder import quantizes_per_batch, run_alone

onnx = pytest.importorskip("onnx")
helper = onnx.helper


def write_graph(path: Path, nodes: list, outputs: list) -> Path:
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", 4])
    graph = helper.make_graph(nodes, "tiny", [x], outputs)
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_a_dynamically_quantized_graph_is_recognised(tmp_path):
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "scale", "zero"])
    outputs = [
        helper.make_tensor_value_info("q", onnx.TensorProto.UINT8, ["batch", 4]),
        helper.make_tensor_value_info("scale", onnx.TensorProto.FLOAT, []),
        helper.make_tensor_value_info("zero", onnx.TensorProto.UINT8, []),
    ]
    assert quantizes_per_batch(write_graph(tmp_path / "int8.onnx", [node], outputs))


def test_a_float_graph_is_batched(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"])
    outputs = [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["batch", 4])]
    assert not quantizes_per_batch(write_graph(tmp_path / "fp32.onnx", [node], outputs))


def test_an_empty_file_is_not_quantized(tmp_path):
    (tmp_path / "empty.onnx").write_bytes(b"")
    assert not quantizes_per_batch(tmp_path / "empty.onnx")


def test_run_alone_calls_once_per_item_and_keeps_the_order():
    calls: list[list[int]] = []

    def run(items: list[int]) -> np.ndarray:
        calls.append(items)
        return np.array([[item * 10.0] for item in items])

    out = run_alone(run, [3, 1, 2])
    assert calls == [[3], [1], [2]]
    np.testing.assert_array_equal(out, [[30.0], [10.0], [20.0]])
