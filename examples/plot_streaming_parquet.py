"""
Streaming a table from Parquet files with dask
==============================================

A table too large for memory usually sits in many Parquet files. This
example writes one to a temporary directory in 12 files, reads it back
lazily with :func:`dask.dataframe.read_parquet` on a local dask cluster, and
trains in two stages, one partition at a time, so that only one partition is
ever in memory:

1. a :class:`~skstab.FeatureAligner` learns each feature's mean and standard
   deviation with ``partial_fit`` over all partitions (its chunked statistics
   equal those of one ``fit`` on the whole table);
2. a :class:`~skstab.StabilizedMLPClassifier` with ``input_scaling=None``
   learns from the aligned partitions over several shuffled passes, with
   ``partial_fit_horizon`` = passes x partitions so that its cosine schedule
   spans the whole stream.

The pipeline of the two then predicts like any scikit-learn model.
"""

# %%
# A table in Parquet files
# ------------------------
# A synthetic table of 12,000 training rows of 20 features on very
# different scales, written as 12 Parquet files.
import shutil
import tempfile
from pathlib import Path

import dask.dataframe as dd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from dask.distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier

X, y = make_classification(n_samples=14_000, n_features=20, n_informative=8, n_classes=3, random_state=0)
X *= np.logspace(-2, 3, X.shape[1])  # features on scales from 0.01 to 1000
columns = [f"x{i}" for i in range(X.shape[1])]
X_test, y_test = X[12_000:], y[12_000:]
table = pd.DataFrame(X[:12_000], columns=columns).assign(target=y[:12_000])

directory = Path(tempfile.mkdtemp())
for part, rows in enumerate(np.array_split(np.arange(len(table)), 12)):
    table.iloc[rows].to_parquet(directory / f"part-{part:02d}.parquet")

# %%
# A scaling pass, then training passes, on a local cluster
# --------------------------------------------------------
# ``LocalCluster`` runs the scheduler and workers on this machine (threads
# here, which start fastest). Each partition is loaded by a worker and
# brought to this process, where the model is updated.
passes = 8
with (
    LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
    Client(cluster) as client,
):
    frame = dd.read_parquet(directory)
    partitions = frame.to_delayed()
    aligner = FeatureAligner(clip=3)
    for partition in partitions:
        aligner.partial_fit(partition.compute()[columns])

    net = StabilizedMLPClassifier(
        hidden_layer_sizes=(64,), input_scaling=None, partial_fit_horizon=passes * len(partitions), random_state=0
    )
    order = np.random.default_rng(0)
    accuracy = []
    for _ in range(passes):
        for index in order.permutation(len(partitions)):
            chunk = partitions[index].compute()
            net.partial_fit(aligner.transform(chunk[columns]), chunk["target"], classes=[0, 1, 2])
        accuracy.append(net.score(aligner.transform(pd.DataFrame(X_test, columns=columns)), y_test))

model = make_pipeline(aligner, net)
print(f"{net.n_iter_} partial_fit calls over {net.t_} rows; held-out accuracy {accuracy[-1]:.3f}")

# %%
# The learning rate over the stream, and the accuracy after each pass
# -------------------------------------------------------------------
fig, (ax_lr, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
ax_lr.plot(net.lr_curve_)
ax_lr.set(xlabel="optimizer update", ylabel="learning rate", title="cosine over the planned stream")
ax_acc.plot(np.arange(1, passes + 1), accuracy, marker="o")
ax_acc.set(xlabel="pass", ylabel="held-out accuracy", title="accuracy after each pass")
fig.tight_layout()
plt.show()

# %%
# On a cluster of several machines
# --------------------------------
# Only the connection changes. Start a scheduler (``dask scheduler``) on one
# machine and workers (``dask worker tcp://scheduler-host:8786``) on the
# others, then connect with ``Client("tcp://scheduler-host:8786")`` instead of
# creating a ``LocalCluster``. The Parquet files must then be readable by every
# worker: a shared file system or object storage (``dd.read_parquet(
# "s3://bucket/table/")`` with ``s3fs`` installed), not a local temporary
# directory. The workers read and decode the partitions in parallel, while the
# single model is still updated one partition at a time in this process:
# skstab trains one model on one machine (see :ref:`streaming` for what
# data-parallel training across machines would take).
shutil.rmtree(directory)
