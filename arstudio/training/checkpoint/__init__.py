"""Checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint is a pair `<stem>.safetensors` + `<stem>.json`, written so that a save cut short never
loses the previous checkpoint (see `files`). Tensor keys are `model/<name>`, `optimizer/<path>` and
`extra/<name>` (see `codec`).
"""

from arstudio.training.checkpoint.header import FORMAT_VERSION, checkpoint_paths, read_header
from arstudio.training.checkpoint.loading import Checkpoint, load_checkpoint
from arstudio.training.checkpoint.saving import save_checkpoint
from arstudio.training.checkpoint.slots import CheckpointSlots

__all__ = ["FORMAT_VERSION", "Checkpoint", "CheckpointSlots", "checkpoint_paths", "load_checkpoint", "read_header",
           "save_checkpoint"]
