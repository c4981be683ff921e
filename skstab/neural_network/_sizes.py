"""The ``"auto"`` sizes: what ``batch_size``, ``numerical_embedding``, ``dropout`` and ``label_smoothing`` become.

Chosen on the development suite (``benchmarks/quality.py``, docs/performance.rst,
"Choosing the defaults"): on tables of a few thousand rows and more, the
piecewise-linear encoding with batches of 128 rows scored best of the
encodings and batch sizes tried, and trained faster than batches of 32; on
tables of a few hundred rows the encoding lost (its 16 bins per feature
over-fit them) and batches of 128 leave too few updates per epoch. With the
encoding, dropout of 0.1 scored best of the regularizers tried (it curbs the
tables where the encoded network over-fits); without it, on small tables,
dropout lost. Label smoothing of 0.1 (a classifier's) gained on the
classification tables of the large-table recipe and lost on small ones.
"""

#: Training rows (after any validation hold-out) from which "auto" picks the large-table recipe.
LARGE_TABLE_ROWS = 1_000
#: ``batch_size="auto"`` below and from :data:`LARGE_TABLE_ROWS` training rows.
SMALL_TABLE_BATCH, LARGE_TABLE_BATCH = 32, 128
#: ``numerical_embedding="auto"`` below and from :data:`LARGE_TABLE_ROWS` training rows.
SMALL_TABLE_EMBEDDING, LARGE_TABLE_EMBEDDING = None, "piecewise_linear"
#: ``dropout="auto"`` below and from :data:`LARGE_TABLE_ROWS` training rows.
SMALL_TABLE_DROPOUT, LARGE_TABLE_DROPOUT = 0.0, 0.1
#: ``label_smoothing="auto"`` below and from :data:`LARGE_TABLE_ROWS` training rows.
SMALL_TABLE_LABEL_SMOOTHING, LARGE_TABLE_LABEL_SMOOTHING = 0.0, 0.1


def resolve_sizes(params, n_train, network_spec=None):
    """``params`` (a ``get_params()`` mapping) with its ``"auto"`` sizes resolved for ``n_train`` training rows.

    ``network_spec`` describes the network a call continues (warm start,
    later ``partial_fit`` calls), or is None for a new one: a continued
    network keeps its encoding and its dropout layers whatever the size of
    the new rows, while the batch size and a classifier's label smoothing
    (part of the loss, not of the network) follow each call's rows.
    """
    large = n_train >= LARGE_TABLE_ROWS
    resolved = dict(params)
    if params["batch_size"] == "auto":
        resolved["batch_size"] = LARGE_TABLE_BATCH if large else SMALL_TABLE_BATCH
    if params["numerical_embedding"] == "auto":
        if network_spec is not None:
            # Networks saved before encodings existed have no such entry: they have none.
            resolved["numerical_embedding"] = network_spec.get("numerical_embedding")
        else:
            resolved["numerical_embedding"] = LARGE_TABLE_EMBEDDING if large else SMALL_TABLE_EMBEDDING
    if params["dropout"] == "auto":
        # Networks saved before dropout existed have no such entry: they have none.
        with_dropout = large if network_spec is None else network_spec.get("dropout", False)
        resolved["dropout"] = LARGE_TABLE_DROPOUT if with_dropout else SMALL_TABLE_DROPOUT
    if params.get("label_smoothing") == "auto":
        resolved["label_smoothing"] = LARGE_TABLE_LABEL_SMOOTHING if large else SMALL_TABLE_LABEL_SMOOTHING
    return resolved
