"""Everything that can answer an evaluation question, behind one small interface.

A VLM sees the marked image; a baseline sees nothing; an expert depth model's saved depth map
is read at the pixel. All return *text* that the same parser scores, so a constant answer, a
dense expert and a VLM land in one table with one metric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from depthlm.data.records import Record
from depthlm.inference.backends import KINDS, Backend, load_generator
from depthlm.inference.base import Generation, generate_detailed
from depthlm.models.embedded import EMBEDDED
from depthlm.tasks.base import Probe, TaskInput


@dataclass
class EvalItem:
    """One question: its probe, ground truth and, for VLMs, the built model input."""

    dataset: str
    probe: Probe
    records: Sequence[Record]
    label: float
    input: TaskInput | None = None

    @property
    def record(self) -> Record:
        return self.records[self.probe.records[0]]

    @property
    def pixel(self) -> list[int] | None:
        """The (first) labelled pixel in record coordinates, for point tasks."""
        if not self.probe.points:
            return None
        return [int(v) for v in self.record.pixel_coords[self.probe.points[0]]]


class Answerer(Protocol):
    """``uses_images``: the runner builds marked model inputs (and skips points where the marker
    does not fit) only for answerers that look at them."""

    name: str
    uses_images: bool

    def answer(self, items: Sequence[EvalItem]) -> list[str]: ...


class ConstantAnswerer:
    """Always the same number: the paper's "always 2.0 m" row."""

    uses_images = False

    def __init__(self, value: float) -> None:
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"constant answer must be a positive number, got {value}")
        self.value = float(value)
        self.name = f"constant:{self.value}"

    def answer(self, items: Sequence[EvalItem]) -> list[str]:
        return [f"{self.value:g}"] * len(items)


class MedianAnswerer:
    """The dataset-median oracle: the median label of each dataset, known in advance.

    An upper bound for any answer that ignores the image; a model below it has not learned to
    look. The runner calls :meth:`fit` with each dataset's labels before asking.
    """

    name = "median"
    uses_images = False

    def __init__(self) -> None:
        self.medians: dict[str, float] = {}

    def fit(self, dataset: str, labels: Sequence[float]) -> None:
        self.medians[dataset] = float(np.median(np.asarray(labels, dtype=np.float64)))

    def answer(self, items: Sequence[EvalItem]) -> list[str]:
        return [repr(self.medians[it.dataset]) for it in items]


class GeneratorAnswerer:
    """A VLM behind any :class:`~depthlm.inference.base.Generator` backend."""

    uses_images = True

    def __init__(self, generator) -> None:
        self.generator = generator
        self.name = generator.name
        #: How answers are decoded: ``None`` for greedy (the paper's protocol), else e.g.
        #: ``"median of 8 samples at T=0.7"`` or ``"best bet of 8 beams"``; written into the
        #: predictions file's header, so a resumed run cannot mix answers decoded two ways.
        n = int(getattr(generator, "samples", 1) or 1)
        t = getattr(generator, "temperature", None)
        k = int(getattr(generator, "beams", 1) or 1)
        self.decoding = f"median of {n} samples at T={t:g}" if n > 1 else None
        if k > 1:
            self.decoding = f"best bet of {k} beams"

    def answer(self, items: Sequence[EvalItem]) -> list[str]:
        return [g.text for g in self.answer_detailed(items)]

    def answer_detailed(self, items: Sequence[EvalItem]) -> list[Generation]:
        """Answers with latency and token counts, for the per-sample predictions file."""
        missing = [i for i, it in enumerate(items) if it.input is None]
        if missing:
            raise ValueError(f"items {missing} carry no model input")
        return generate_detailed(self.generator, [it.input.chat() for it in items])  # type: ignore[union-attr]


class DenseMapAnswerer:
    """Saved dense depth maps (an expert model's output) read at each labelled pixel.

    Maps are looked up by the image's file stem in ``folder`` (``rgb/a.png`` → ``a.npy`` or
    ``a.png``), as ``.npy`` float metres or 16-bit PNG (metres = value / ``png_scale``). A map
    of another size is sampled at the pixel scaled to its size (nearest). ``map_type`` says what
    the maps hold; they are converted to the task's kind through the record's intrinsics.
    """

    uses_images = False

    def __init__(
        self,
        folder: str | Path,
        *,
        png_scale: float = 1000.0,
        map_type: str = "z",
        task: str = "distance",
    ) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"--predictions folder not found: {self.folder}")
        if task not in ("distance", "principal_axis"):
            raise ValueError(f"dense depth maps answer distance and principal_axis, not {task!r}")
        self.png_scale, self.map_type, self.task = png_scale, map_type, task
        self.name = f"predictions:{self.folder.name}"
        self._cache: tuple[str, np.ndarray] | None = None

    def _load(self, record: Record) -> np.ndarray:
        stem = Path(record.image).stem
        if self._cache is not None and self._cache[0] == record.image:
            return self._cache[1]
        for path in (self.folder / f"{stem}.npy", self.folder / f"{stem}.png"):
            if path.is_file():
                break
        else:
            raise FileNotFoundError(
                f"no prediction for {record.image}: expected {self.folder / stem}.npy or .png"
            )
        if path.suffix == ".npy":
            depth = np.load(path).astype(np.float64)
        else:
            from PIL import Image

            with Image.open(path) as im:
                depth = np.asarray(im, dtype=np.float64) / self.png_scale
        depth = np.squeeze(depth)
        if depth.ndim != 2:
            raise ValueError(f"{path}: expected an H×W depth map, got shape {depth.shape}")
        self._cache = (record.image, depth)
        return depth

    def _value(self, item: EvalItem) -> float:
        depth = self._load(item.record)
        cam = item.record.camera
        h, w = depth.shape
        x, y = item.pixel or (0, 0)
        u, v = min(int(x * w / cam.width), w - 1), min(int(y * h / cam.height), h - 1)
        d = float(depth[v, u])
        if not (d > 0 and math.isfinite(d)):
            return math.nan
        want = "euclidean" if self.task == "distance" else "z"
        if self.map_type == want:
            return d
        map_cam = cam.resize(w, h)
        pt = np.array([[u, v]], dtype=np.float64)
        conv = map_cam.z_to_euclidean if want == "euclidean" else map_cam.euclidean_to_z
        return float(conv(pt, np.array([d]))[0])

    def answer(self, items: Sequence[EvalItem]) -> list[str]:
        out = []
        for it in items:
            v = self._value(it)
            out.append(repr(v) if math.isfinite(v) else "")
        return out


def load_answerer(
    model: str | None,
    *,
    predictions: str | None = None,
    batch_size: int = 8,
    max_new_tokens: int = 64,
    device: str | None = None,
    task: str = "distance",
    png_scale: float = 1000.0,
    map_type: str = "z",
    backend: Backend | None = None,
    samples: int = 1,
    temperature: float | None = None,
    beams: int = 1,
) -> Answerer:
    """Parse a model spec: ``constant:2.0``, ``median``, or a VLM (``embedded``, a local
    folder, ``hf:PATH``, ``vllm:PATH``, ``openai:MODEL``; see
    :func:`depthlm.inference.backends.load_generator`)."""
    if predictions is not None:
        if model is not None:
            raise ValueError("give either --model or --predictions, not both")
        return DenseMapAnswerer(predictions, png_scale=png_scale, map_type=map_type, task=task)
    if not model:
        raise ValueError("--model is required (e.g. constant:2.0, median, embedded, hf:PATH)")
    kind, _, arg = model.partition(":")
    if kind == "constant":
        try:
            return ConstantAnswerer(float(arg or 2.0))
        except ValueError as e:
            raise ValueError(f"bad model spec {model!r}: {e}") from None
    if model == "median":
        return MedianAnswerer()
    if model == EMBEDDED or kind in KINDS or Path(model).is_dir():
        generator = load_generator(model, device=device, batch_size=batch_size,
                                   max_new_tokens=max_new_tokens, backend=backend,
                                   samples=samples, temperature=temperature,
                                   beams=beams)  # fmt: skip
        return GeneratorAnswerer(generator)
    raise ValueError(
        f"unknown model {model!r}; use constant:VALUE, median, embedded, a local model folder, "
        "hf:PATH, vllm:PATH or openai:MODEL"
    )
