"""Training configuration: one flat dataclass, loadable from YAML, overridable from the CLI.

Defaults are the paper's recipe for real models (lr 1e-5 cosine, 10 % warm-up, max grad norm
0.1, bf16 where supported, gradient checkpointing, 1000 px focal with centre crops of
[700, 1200] × [1000, 1400]); small CPU runs override them in a config file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from depthlm.data.transforms import CropRange
from depthlm.prompting.query import QuerySpec
from depthlm.training.samples import Augment, DataSource


@dataclass
class TrainConfig:
    """Everything ``depthlm train sft|grpo`` needs. Field names are the YAML keys."""

    model: str = ""
    data: list[str] = field(default_factory=list)  # "path[:weight]"
    output: str = "depthlm-run"
    tasks: dict[str, float] = field(default_factory=lambda: {"distance": 1.0})
    # preprocessing contract (saved as depthlm.json beside the weights)
    focal: float | None = 1000.0
    preset: str = "official"
    marker: str = "arrow"
    fxfy: str = "reference"
    crop_height: tuple[int, int] | None = (700, 1200)
    crop_width: tuple[int, int] | None = (1000, 1400)
    aspect: tuple[float, float] | None = None
    # Ask about larger images through a window of the largest crop (QuerySpec.window): the
    # checkpoint's contract then carries it, so inference never shows more than training did.
    window: bool = False
    # Written to the contract: "default" when the model's field-of-view estimate measured no
    # better than assuming 60° (then measure/depth do not ask it for photos without a focal).
    focal_fallback: str = "estimate"
    # optimisation
    max_steps: int = 1000
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float = 1e-5
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    max_grad_norm: float = 0.1
    seed: int = 0
    bf16: str = "auto"  # auto | true | false
    gradient_checkpointing: bool = True
    # The vision encoder and projector's LR as a multiple of learning_rate (0 freezes them;
    # training/vision_lr.py). The paper trains everything at one rate.
    vision_lr_scale: float = 1.0
    # Vision warm-start only (training/vision.py): with depth maps beside the images (`depthlm
    # synth --dense`), supervise the tower's log distance on a grid of this spacing (px of the
    # training image) instead of only the records' labelled pixels. 0: labelled pixels only.
    vision_dense_spacing: int = 0
    # Vision warm-start only: its readout splits each merged token into k x k cells (2: one per
    # 14-px patch), so the token must carry where in it the arrow is and each cell's depth.
    vision_cells: int = 1
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    # bookkeeping
    save_steps: int = 500
    save_total_limit: int | None = 3
    logging_steps: int = 10
    num_workers: int = 0
    view_cache: int = 256  # focal-normalised views kept in memory per data process
    report_to: list[str] = field(default_factory=lambda: ["tensorboard"])
    # GRPO only
    num_generations: int = 4
    max_completion_length: int = 64
    rewards: list[str] = field(default_factory=lambda: ["log_l1", "format"])

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        """Read a YAML file; unknown keys are an error that names them."""
        obj = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(obj, dict):
            raise ValueError(f"{path}: expected a mapping of training options")
        return cls().update(obj, where=str(path))

    def update(self, values: dict[str, Any], where: str = "options") -> TrainConfig:
        """Set fields from ``values`` (``None`` values are ignored)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{where}: unknown training option(s) {unknown}")
        for key, value in values.items():
            if value is not None:
                if key in ("crop_height", "crop_width", "aspect") and isinstance(value, list):
                    value = tuple(value)
                setattr(self, key, value)
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    # ------------------------------------------------------------------ derived
    def spec(self) -> QuerySpec:
        first = next(iter(self.tasks), "distance")
        window = None
        if self.window:
            if self.crop_width is None or self.crop_height is None:
                raise ValueError("window: true needs crop_width and crop_height (its size)")
            window = (int(self.crop_width[1]), int(self.crop_height[1]))
        return QuerySpec(
            focal=self.focal,
            preset=self.preset,
            marker=self.marker,
            fxfy=self.fxfy,
            task=first,
            window=window,
        )

    def sources(self) -> list[DataSource]:
        return [DataSource.parse(d) for d in self.data]

    def augment(self) -> Augment:
        crop = None
        if self.crop_height is not None and self.crop_width is not None:
            crop = CropRange(height=tuple(self.crop_height), width=tuple(self.crop_width))
        return Augment(crop=crop, aspect=tuple(self.aspect) if self.aspect else None)
