"""SFT throughput of a tiny model on this machine: samples/s through the real training path.

Renders a small synthetic set, builds a tiny model of the chosen architecture, runs
``train_sft`` for a few steps and reports samples/s after a warm-up, plus the data pipeline's
own rate (drawing a sample and collating a batch) so it is clear which side bounds training.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any


class _Clock:
    """A Trainer callback timing optimizer steps after ``warmup`` steps."""

    def __init__(self, warmup: int) -> None:
        from transformers import TrainerCallback

        clock = self

        class Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step == warmup:
                    clock.start = time.perf_counter()
                clock.end = time.perf_counter()

        self.callback = Callback()
        self.start = self.end = 0.0


def bench_train(
    steps: int = 30, batch_size: int = 8, arch: str = "qwen2_5_vl", size: int = 128
) -> dict[str, Any]:
    """Figures for SFT of a tiny ``arch`` model on ``size``-px synthetic images."""
    from depthlm.data.synth import synthesize
    from depthlm.models.tiny import build_tiny
    from depthlm.training.config import TrainConfig
    from depthlm.training.sft import train_sft

    warmup = min(5, steps - 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = synthesize(root / "data", images=40, seed=0, size=size, points=20, progress=False)
        model = build_tiny(arch, root / "model")
        cfg = TrainConfig(
            model=str(model), data=[str(data)], output=str(root / "run"), focal=size / 2,
            preset="short", crop_height=None, crop_width=None, max_steps=steps,
            batch_size=batch_size, learning_rate=1e-3, gradient_checkpointing=False,
            save_steps=10**9, logging_steps=10**9, report_to=[],
        )  # fmt: skip
        clock = _Clock(warmup)
        train_sft(cfg, callbacks=[clock.callback])
        train_rate = (steps - warmup) * batch_size / (clock.end - clock.start)
        data_rate = _data_rate(cfg, model)
    return {"arch": arch, "size": size, "batch_size": batch_size, "steps": steps,
            "train_samples_per_s": train_rate, "data_samples_per_s": data_rate}  # fmt: skip


def _data_rate(cfg, model: Path, n: int = 64) -> float:
    """Samples/s of drawing + collating alone (TRL's vision collator, the processor)."""
    from transformers import AutoProcessor
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    from depthlm.training.samples import SampleBuilder

    builder = SampleBuilder(cfg.sources(), cfg.spec(), augment=cfg.augment(), seed=1)
    collate = DataCollatorForVisionLanguageModeling(
        AutoProcessor.from_pretrained(model), completion_only_loss=True
    )
    start = time.perf_counter()
    for i in range(0, n, cfg.batch_size):
        collate([builder(j) for j in range(i, i + cfg.batch_size)])
    return n / (time.perf_counter() - start)


def report(r: dict[str, Any]) -> None:
    print(f"train: tiny {r['arch']}, {r['size']} px synthetic images, batch {r['batch_size']}")
    print(f"  SFT            : {r['train_samples_per_s']:.1f} samples/s")
    print(f"  data + collate : {r['data_samples_per_s']:.1f} samples/s (one process)")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    report(bench_train(int(args[0]) if args else 30))
