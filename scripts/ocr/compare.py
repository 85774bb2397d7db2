"""Findings behind the int8 recogniser (BENCHMARKS.md, "OCR int8"), on ONNX Runtime's Python package, one
thread, no memory patterns and threads that sleep, as pagewire runs it:

    python compare.py quantisation PAGES_DIR [CORPUS_PNG_DIR]
        dynamic quantisation variants (MatMul, MatMul + Conv; QInt8 / QUInt8; per channel) and static
        ones (Conv + MatMul, + Add, every operator) of models/ocr/rec.onnx: CPU seconds over the text
        lines of the pages, and how many lines decode (greedy CTC) exactly as the float model's
    python compare.py settings PAGES_DIR
        graph optimisation levels and denormals-as-zero for det.onnx (pages scaled to 1088 px) and
        rec.int8.onnx (lines of the pages, runs of 16)

Text lines are cut as scripts/ocr/quantise.py cuts them for calibration (ink bands, no detector).
Run from the repository root in the virtualenv of scripts/requirements-quantise.txt.
"""

import glob
import sys
import time
from difflib import SequenceMatcher

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from PIL import Image

sys.path.insert(0, "scripts/ocr")
import quantise  # noqa: E402

MODELS = "models/ocr/"
CALIBRATION = ["tests/fixtures/invoice.png", "tests/fixtures/invoice.jpg", "tests/fixtures/invoice-scan.jpg"]


def session(path, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL, denormals_zero=False):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_mem_pattern = False
    options.graph_optimization_level = level
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if denormals_zero:
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def lines_of(paths):
    crops = []
    for path in paths:
        crops.extend(quantise.text_lines(np.asarray(Image.open(path).convert("L"))))
    crops.sort(key=lambda c: c.shape[1] / c.shape[0])
    return crops


def runs(crops, size):
    return [quantise.as_input(crops[i : i + size]) for i in range(0, len(crops), size)]


def greedy(scores):
    decoded = []
    for row in scores.argmax(-1):
        text, previous = [], -1
        for k in row:
            if k != previous and k != 0:
                text.append(int(k))
            previous = k
        decoded.append(text)
    return decoded


def read(path, batches):
    s = session(path)
    name = s.get_inputs()[0].name
    s.run(None, {name: batches[0]})
    started, decoded = time.process_time(), []
    for batch in batches:
        decoded += greedy(s.run(None, {name: batch})[0])
    return decoded, time.process_time() - started


def quantisation(pages_dir, corpus_dir=None):
    pages = sorted(glob.glob(f"{pages_dir}/*.png"))
    if corpus_dir:
        pages += sorted(glob.glob(f"{corpus_dir}/*.png"))
    batches = runs(lines_of(pages), 8)
    source = MODELS + "rec.onnx"
    name = onnx.load(source).graph.input[0].name
    base, cpu = read(source, batches)
    print(f"float: CPU {cpu:.2f} s for {len(base)} lines")
    variants = {
        "dynamic MatMul QInt8 per channel": ("dynamic", ["MatMul"], QuantType.QInt8, True),
        "dynamic MatMul QUInt8": ("dynamic", ["MatMul"], QuantType.QUInt8, False),
        "dynamic MatMul + Conv QInt8 per channel": ("dynamic", ["MatMul", "Conv"], QuantType.QInt8, True),
        "dynamic MatMul + Conv QUInt8 per channel": ("dynamic", ["MatMul", "Conv"], QuantType.QUInt8, True),
        "static Conv + MatMul (shipped)": ("static", ["Conv", "MatMul"], QuantType.QInt8, True),
        "static Conv + MatMul + Add": ("static", ["Conv", "MatMul", "Add"], QuantType.QInt8, True),
        "static, every operator": ("static", None, QuantType.QInt8, True),
    }
    for label, (kind, ops, weights, per_channel) in variants.items():
        out = "/tmp/pagewire-rec-variant.onnx"
        if kind == "dynamic":
            quantize_dynamic(source, out, op_types_to_quantize=ops, weight_type=weights, per_channel=per_channel)
        else:
            quantize_static(
                source,
                out,
                quantise.Lines(name, CALIBRATION),
                quant_format=QuantFormat.QOperator,
                op_types_to_quantize=ops,
                per_channel=per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=weights,
                calibrate_method=CalibrationMethod.MinMax,
            )
        decoded, cpu = read(out, batches)
        same = sum(a == b for a, b in zip(base, decoded))
        differ = sum(1 - SequenceMatcher(None, a, b).ratio() for a, b in zip(base, decoded))
        print(f"{label}: CPU {cpu:.2f} s; lines as the float model's {same}/{len(base)}; "
              f"summed difference {differ:.2f} lines")


def page_input(path):
    image = Image.open(path).convert("L")
    w, h = image.size
    scale = min(1, 1088 / max(w, h))
    dw, dh = [max(1, round(v * scale / 32)) * 32 for v in (w, h)]
    plane = np.asarray(image.resize((dw, dh), Image.BILINEAR), dtype=np.float32) / 127.5 - 1
    return np.repeat(plane[None, None], 3, axis=1)


def settings(pages_dir):
    pages = sorted(glob.glob(f"{pages_dir}/*.png"))
    levels = ort.GraphOptimizationLevel
    for model, batches in [("det.onnx", [page_input(p) for p in pages]), ("rec.int8.onnx", runs(lines_of(pages), 16))]:
        for level in [levels.ORT_ENABLE_BASIC, levels.ORT_ENABLE_EXTENDED, levels.ORT_ENABLE_ALL]:
            for denormals_zero in [False, True]:
                s = session(MODELS + model, level, denormals_zero)
                name = s.get_inputs()[0].name
                s.run(None, {name: batches[0]})
                best = float("inf")
                for _ in range(2):
                    started = time.process_time()
                    for batch in batches:
                        s.run(None, {name: batch})
                    best = min(best, time.process_time() - started)
                print(f"{model} {level.name} denormals as zero {denormals_zero}: CPU {best / len(pages):.3f} s a page")


if __name__ == "__main__":
    {"quantisation": quantisation, "settings": settings}[sys.argv[1]](*sys.argv[2:])
