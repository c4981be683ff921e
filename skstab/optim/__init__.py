"""Optimizers, learning-rate schedules and gradient clipping over flat buffers.

This subpackage depends on numpy only.
"""

from ._clipping import clip_grad_norm_
from ._optimizers import SGD, Adam, AdamW, Optimizer, RMSProp
from ._schedules import ConstantLR, CosineDecay, LinearDecay, Schedule, StepDecay

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSProp",
    "Schedule",
    "ConstantLR",
    "CosineDecay",
    "LinearDecay",
    "StepDecay",
    "clip_grad_norm_",
]
