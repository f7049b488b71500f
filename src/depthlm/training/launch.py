"""Accelerate configs shipped with depthlm, picked by name.

``accelerate launch --config_file $(depthlm train configs fsdp) -m depthlm.cli.main train sft
...`` runs the same entry point on many GPUs; ``torchrun --nproc_per_node N -m depthlm.cli.main
train sft ...`` works too (DDP; gloo on CPU, NCCL on GPU).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _folder() -> Path:
    return Path(str(resources.files("depthlm.training") / "accelerate"))


def list_accelerate_configs() -> list[Path]:
    return sorted(_folder().glob("*.yaml"))


def accelerate_config(name: str) -> Path:
    """Path of a shipped config: ``single``, ``ddp``, ``fsdp``, ``zero3``, ``multinode_fsdp``.

    On CPU, use ``torchrun --nproc_per_node N`` instead: accelerate starts only one process for
    a multi-CPU config unless MPI is set up."""
    path = _folder() / f"{name}.yaml"
    if not path.is_file():
        names = [p.stem for p in list_accelerate_configs()]
        raise ValueError(f"no accelerate config {name!r}; choose from {names}")
    return path


def close_process_group() -> None:
    """Tear down the process group a distributed run opened, before the interpreter exits.

    Left to interpreter shutdown, gloo's threads can outlive the objects they use and abort the
    process ("terminate called without an active exception") after the model was saved, so
    torchrun reports a finished run as failed. Called once per CLI command, not after each
    stage: a recipe's stages share the group. No barrier: the trainers already wait for
    every rank before saving, and a failed rank must not leave the others blocked here."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
