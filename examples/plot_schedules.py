"""
Learning-rate schedules
=======================

Every skstab schedule is a pure function of the update index: a linear warmup,
a hold until ``decay_start_epoch``, then a decay laid out over the planned
epochs. ``simulate`` returns the whole curve.
"""

# %%
import matplotlib.pyplot as plt

from skstab.optim import ConstantLR, CosineDecay, LinearDecay, StepDecay

run = dict(n_epochs=20, steps_per_epoch=50, warmup=0.05)
schedules = {
    "cosine": CosineDecay(1e-3, min_learning_rate=1e-5, **run),
    "linear": LinearDecay(1e-3, min_learning_rate=1e-5, **run),
    "step (3 drops)": StepDecay(1e-3, n_drops=3, gamma=0.1, **run),
    "constant": ConstantLR(1e-3, **run),
    "cosine, decay from epoch 8": CosineDecay(1e-3, decay_start_epoch=8, min_learning_rate=1e-5, **run),
}

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for name, schedule in schedules.items():
    ax.plot(schedule.simulate(schedule.total_steps), label=name)
ax.set(xlabel="optimizer update", ylabel="learning rate")
ax.legend()
plt.show()
