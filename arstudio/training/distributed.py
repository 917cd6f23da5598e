"""Data-parallel training under torchrun: gloo on the CPU, NCCL on CUDA; rank 0 alone writes."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

from arstudio.errors import UserError


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @classmethod
    def from_environment(cls) -> Distributed:
        """Join the process group that torchrun describes in the environment (or run alone)."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size == 1:
            return cls()
        if not dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            dist.init_process_group(backend)
        return cls(dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), world_size)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self, requested: str) -> torch.device:
        if torch.cuda.is_available() and requested in ("auto", "cuda"):
            torch.cuda.set_device(self.local_rank)
            return torch.device("cuda", self.local_rank)
        if requested not in ("auto", "cpu"):
            raise UserError(f"Under torchrun choose --device auto, cuda or cpu (got {requested}).")
        return torch.device("cpu")

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        if self.world_size == 1:
            return module
        return torch.nn.parallel.DistributedDataParallel(module)

    def shard(self, indices: Tensor) -> Tensor:
        """This rank's share of a global batch drawn identically on every rank."""
        return indices.view(self.world_size, -1)[self.rank] if self.world_size > 1 else indices

    def mean(self, value: Tensor) -> Tensor:
        if self.world_size == 1:
            return value
        value = value.clone()
        dist.all_reduce(value)
        return value / self.world_size

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()
