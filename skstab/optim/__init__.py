"""Optimizers, learning-rate schedules and gradient clipping over flat buffers.

:data:`OPTIMIZERS` and :data:`SCHEDULES` map the names the estimators accept
to classes; a new entry makes a new choice available everywhere. This
subpackage depends on numpy only.
"""

from ._clipping import clip_grad_norm_
from ._optimizer import Optimizer
from ._optimizers import OPTIMIZERS, SGD, Adam, AdamW, RMSProp
from ._schedule import Schedule
from ._schedules import SCHEDULES, ConstantLR, CosineDecay, LinearDecay, StepDecay

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
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


# Pickle and skops.io record a class under its ``__module__``: name the public package that exports it, not
# the private file that defines it, so a saved model refers to public names only (see "Saving and loading"
# in the user guide). Models saved under the private names still load: those modules stay.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
