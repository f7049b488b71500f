"""Evaluation across processes: ``torchrun``/``accelerate launch`` shard the questions.

Rank ``r`` of ``w`` answers questions ``r, r + w, r + 2w, ...`` of the deterministic question
list, streaming them to its own predictions file (its resume cache); after a barrier, rank 0
merges every rank's rows back into question order and scores them, so the results JSON equals
a one-process run's. The barrier is ``torch.distributed`` over gloo, which every PyTorch build
has and which needs no GPU (the answering itself may still run on each rank's GPU).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Shard:
    rank: int = 0
    world: int = 1

    @classmethod
    def from_env(cls) -> Shard:
        """The launcher's ``RANK``/``WORLD_SIZE`` (one process when unset)."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        if world < 1 or not 0 <= rank < world:
            raise ValueError(f"bad launcher environment: RANK={rank} WORLD_SIZE={world}")
        return cls(rank, world)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def take(self, items: list) -> list:
        """This rank's share, deterministic and disjoint across ranks."""
        return items[self.rank :: self.world] if self.world > 1 else items

    def path(self, predictions: Path) -> Path:
        """Per-rank predictions file (the merged one keeps the one-process name)."""
        if self.world == 1:
            return predictions
        return predictions.with_name(f"{predictions.stem}.rank{self.rank}of{self.world}.jsonl")

    def barrier(self) -> None:
        """Wait for every rank (no-op in one process)."""
        if self.world == 1:
            return
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("gloo", rank=self.rank, world_size=self.world)
        dist.barrier()
