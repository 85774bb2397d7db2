"""Makes the int8 OCR recogniser that ONNX Runtime runs, from the float one of models/ocr.

Static quantisation (ONNX Runtime's quantize_static, QOperator format: QLinearConv and QLinearMatMul),
8-bit weights per output channel and 8-bit activations whose ranges are calibrated (min/max) on text
lines cut from the repository's invoice fixtures. Dynamic quantisation does not help this model: its
time is convolutions, and ONNX Runtime's dynamic ConvInteger is slower than the float kernels
(BENCHMARKS.md, "OCR int8").

    python quantise.py FLOAT_MODEL OUT_MODEL PAGE.png [PAGE ...]
"""

import sys

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from PIL import Image

HEIGHT = 48  # the recogniser's input height (shared/extract/src/ocr/recognise.rs)
WIDTH_STEP = 8
MAX_LINES_PER_RUN = 8


def text_lines(page: np.ndarray):
    """Bands of rows with ink, split at wide white gaps into pieces: rough text lines, enough to show the
    recogniser the activations of real print (the detector is not needed for calibration)."""
    ink = page < 128
    rows = ink.sum(axis=1) > 0
    y = 0
    height = page.shape[0]
    while y < height:
        if not rows[y]:
            y += 1
            continue
        top = y
        while y < height and rows[y]:
            y += 1
        bottom = y
        if bottom - top < 6:
            continue
        band = ink[top:bottom]
        columns = band.sum(axis=0) > 0
        gap_limit = 3 * (bottom - top)
        x, width = 0, page.shape[1]
        while x < width:
            if not columns[x]:
                x += 1
                continue
            left, white = x, 0
            while x < width and white < gap_limit:
                white = 0 if columns[x] else white + 1
                x += 1
            right = x - white
            if right - left >= 8:
                pad = max(2, (bottom - top) // 4)
                yield page[
                    max(0, top - pad) : min(height, bottom + pad),
                    max(0, left - pad) : min(width, right + pad),
                ]


def as_input(crops):
    """Crops scaled to the recogniser's height and laid out as pagewire feeds them (grey in 3 channels,
    -1..1, padded with 0 to the run's widest line)."""
    scaled = []
    for crop in crops:
        h, w = crop.shape
        width = max(1, min(HEIGHT * 50, round(HEIGHT * w / h)))
        image = Image.fromarray(crop).resize((width, HEIGHT), Image.BILINEAR)
        scaled.append(np.asarray(image, dtype=np.float32) / 127.5 - 1.0)
    width = -(-max(s.shape[1] for s in scaled) // WIDTH_STEP) * WIDTH_STEP
    batch = np.zeros((len(scaled), 3, HEIGHT, width), dtype=np.float32)
    for i, s in enumerate(scaled):
        batch[i, :, :, : s.shape[1]] = s
    return batch


class Lines(CalibrationDataReader):
    def __init__(self, input_name, pages):
        crops = []
        for path in pages:
            page = np.asarray(Image.open(path).convert("L"))
            crops.extend(text_lines(page))
        crops.sort(key=lambda c: c.shape[1] / c.shape[0])
        runs = [crops[i : i + MAX_LINES_PER_RUN] for i in range(0, len(crops), MAX_LINES_PER_RUN)]
        print(f"calibration: {len(crops)} lines from {len(pages)} pages", file=sys.stderr)
        self.inputs = iter([{input_name: as_input(run)} for run in runs])

    def get_next(self):
        return next(self.inputs, None)


def main():
    source, out, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
    model = onnx.load(source)
    reader = Lines(model.graph.input[0].name, pages)
    quantize_static(
        source,
        out,
        reader,
        quant_format=QuantFormat.QOperator,
        op_types_to_quantize=["Conv", "MatMul"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )


if __name__ == "__main__":
    main()
