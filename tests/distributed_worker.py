"""Run by the distributed test under torchrun: trains briefly and saves this rank's weights."""

import sys
from pathlib import Path

import torch.distributed as dist
from safetensors.torch import save_file

from arstudio.training.config import TrainConfig
from arstudio.training.run_store import RunStore
from arstudio.training.trainer import Trainer

out = Path(sys.argv[1])
config = TrainConfig(family="made", dataset="binary-digits", hparams={"hidden": 32}, steps=6, batch_size=8,
                     device="cpu", eval_every=3, eval_examples=32)
trainer = Trainer(config, RunStore(out / "runs") if int(__import__("os").environ["RANK"]) == 0 else None)
summary = trainer.run()
weights = {k: v.contiguous() for k, v in trainer.model.state_dict().items()}
save_file(weights, str(out / f"rank{dist.get_rank()}.safetensors"))
dist.destroy_process_group()
