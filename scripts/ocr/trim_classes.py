"""Trims the OCR recogniser's output classes to the Latin alphabet pagewire reads.

The recogniser's last layer scores 18,710 classes (CTC blank, the wheel's character list, a space), most
of them CJK ideographs an invoice in a Latin script never holds; that layer is about a sixth of the int8
recogniser's time. This keeps the columns of the final MatMul weight and Add bias for CTC's blank
(index 0, unchanged), the characters of `latin()` and the trailing space, fixes the declared output
width, and records the kept character list in the model's metadata (`character`, one per line, blank
and space left implicit as in keys.txt), which the loader prefers to keys.txt: the model and its
alphabet travel together.

    python trim_classes.py FLOAT_MODEL KEYS_TXT OUT_MODEL
"""

import sys

import numpy as np
import onnx
from onnx import numpy_helper

# Code point ranges (inclusive) of what the product reads, beyond ASCII.
KEPT_RANGES = [
    (0x0021, 0x007E),  # ASCII printable (the space is the model's last class)
    (0x00A0, 0x00FF),  # Latin-1 Supplement: accented letters, £ ¥ ¢ ° § ¶ © ® ½ ¼ ¾ × ÷ µ
    (0x0100, 0x017F),  # Latin Extended-A: Central European letters, Œ œ
    (0x0192, 0x0192),  # ƒ
    (0x0218, 0x021B),  # Ș ș Ț ț (Romanian)
    (0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    (0x2030, 0x203A),  # per mille, primes, angle quotes
    (0x2044, 0x2044),  # fraction slash
    (0x20A0, 0x20CF),  # currency signs: € ₹ ₽ ₺ ₩ ...
    (0x2116, 0x2116),  # №
    (0x2122, 0x2122),  # ™
    (0x2150, 0x215F),  # vulgar fractions ⅓ ⅔ ⅛ ...
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus sign
]


def latin(character: str) -> bool:
    return len(character) == 1 and any(lo <= ord(character) <= hi for lo, hi in KEPT_RANGES)


def final_layer(graph):
    """The MatMul and Add that feed the output Softmax, through any Identity in between."""
    producer = {out: node for node in graph.node for out in node.output}
    softmax = producer[graph.output[0].name]
    assert softmax.op_type == "Softmax", softmax.op_type
    node = producer[softmax.input[0]]
    while node.op_type == "Identity":
        node = producer[node.input[0]]
    assert node.op_type == "Add", node.op_type
    add = node
    matmul = producer[add.input[0]]
    assert matmul.op_type == "MatMul", matmul.op_type
    return matmul, add


def main():
    source, keys_path, out = sys.argv[1:4]
    model = onnx.load(source)
    graph = model.graph
    with open(keys_path, encoding="utf-8") as f:
        listed = [line.rstrip("\r") for line in f.read().split("\n") if line.rstrip("\r")]
    classes = [""] + listed + [" "]  # as shared/extract/src/ocr/ctc.rs lays them out
    kept = [0] + [i for i, c in enumerate(classes) if 0 < i < len(classes) - 1 and latin(c)]
    kept.append(len(classes) - 1)

    matmul, add = final_layer(graph)
    initialisers = {init.name: init for init in graph.initializer}
    weight = numpy_helper.to_array(initialisers[matmul.input[1]])
    bias = numpy_helper.to_array(initialisers[add.input[1]])
    assert weight.shape[1] == len(classes) == bias.shape[0], (weight.shape, bias.shape, len(classes))
    index = np.array(kept)
    initialisers[matmul.input[1]].CopyFrom(
        numpy_helper.from_array(np.ascontiguousarray(weight[:, index]), matmul.input[1])
    )
    initialisers[add.input[1]].CopyFrom(
        numpy_helper.from_array(np.ascontiguousarray(bias[index]), add.input[1])
    )
    graph.output[0].type.tensor_type.shape.dim[-1].dim_value = len(kept)
    del graph.value_info[:]  # shapes inferred from the full width would now be wrong

    trimmed = [classes[i] for i in kept[1:-1]]
    entry = model.metadata_props.add()
    entry.key, entry.value = "character", "\n".join(trimmed)
    onnx.checker.check_model(model)
    onnx.save(model, out)
    print(f"classes: {len(classes)} -> {len(kept)}", file=sys.stderr)


if __name__ == "__main__":
    main()
