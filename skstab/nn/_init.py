"""Weight initializers; each draws from the generator it is given, never a global one."""

import numpy as np


def he_uniform(fan_in, fan_out, rng):
    """Uniform on ``±sqrt(6 / fan_in)``: keeps the variance of ReLU-like activations."""
    bound = np.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))


def glorot_uniform(fan_in, fan_out, rng):
    """Uniform on ``±sqrt(6 / (fan_in + fan_out))``: for tanh, logistic and linear units."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))


INITIALIZERS = {"he": he_uniform, "glorot": glorot_uniform}
