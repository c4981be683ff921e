"""The container that chains layers and puts every parameter of a network in one flat buffer.

:class:`Sequential` owns the flat layout (decayed weights first), the fusion of
adjacent layers in training, chunked inference with folded affine layers and
the exact recomputation of running statistics.
"""

from contextlib import contextmanager

import numpy as np

from ._base import Layer
from ._dropout import Dropout
from ._functional import column_moments, merge_column_moments

#: Rows per chunk at inference: a few thousand rows keep a hidden layer's
#: activations in cache, which measured about a quarter faster than whole
#: arrays on a (256, 256) network.
INFER_CHUNK_ROWS = 4096


def _member_weights(sample_weight, n_rows):
    """Row weights for ``n_rows`` rows: as given, or repeated once per ensemble member stacked in the rows."""
    if sample_weight is None or sample_weight.shape[0] == n_rows:
        return sample_weight
    return np.tile(sample_weight, n_rows // sample_weight.shape[0])


def _set_statistics(layer, moments):
    """Give ``layer`` the mean and (biased) variance of :func:`column_moments` ``moments``, unless they count no row."""
    total, mean, m2 = moments
    if total > 0.0:
        layer.set_running_statistics(mean, m2 / total)


class Sequential:
    """A chain of layers whose parameters share one flat buffer.

    After :meth:`build`, ``params`` is one contiguous 1-D array holding every
    learned value of every layer, ``grads`` its gradient and ``decay_mask`` a
    0/1 array of the same length marking the weights that weight decay may
    shrink. Each layer's ``params`` and ``grads`` entries are views into these
    vectors, so clipping and an optimizer step are a few vectorized calls over
    the whole network whatever its depth.

    Parameters
    ----------
    layers : list of Layer
        Layers applied in order.

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        All learned parameters.
    grads : ndarray of shape (n_params,)
        Their gradients, filled by :meth:`backward`.
    decay_mask : ndarray of shape (n_params,)
        1 where weight decay applies, 0 for biases and normalization parameters.
    lr_factors : ndarray of shape (n_params,) or None
        Per-parameter learning-rate multiplier gathered from the layers'
        :attr:`Layer.lr_factors`; ``None`` when every factor is 1, so an
        optimizer given it does no extra work.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import Dense, ReLU, Sequential
    >>> net = Sequential([Dense(4), ReLU(), Dense(1)])
    >>> net.build(3, np.random.default_rng(0))
    1
    >>> net.params.shape, int(net.decay_mask.sum())
    ((21,), 16)
    >>> net.forward(np.ones((2, 3)), training=True).shape
    (2, 1)
    """

    def __init__(self, layers: list[Layer]):
        self.layers = list(layers)

    def build(self, n_in: int, rng: np.random.Generator | None = None, dtype=np.float64) -> int:
        """Build every layer and move their parameters into one flat buffer.

        Returns
        -------
        n_out : int
            Width of the network's output.
        """
        n = n_in
        for layer in self.layers:
            n = layer.build(n, rng, dtype)
        # Weights that decay come first, so the decay mask is one block of ones
        # and an optimizer can decay a single slice instead of multiplying by a mask.
        entries = [(index, name) for index, layer in enumerate(self.layers) for name in layer.params]
        entries.sort(key=lambda entry: entry[1] not in self.layers[entry[0]].decayed)
        self._layout = []
        offset = 0
        for index, name in entries:
            value = self.layers[index].params[name]
            self._layout.append((index, name, value.shape, offset))
            offset += value.size
        self.params = np.empty(offset, dtype=dtype)
        self.grads = np.zeros_like(self.params)
        self.decay_mask = np.zeros_like(self.params)
        factors = np.ones_like(self.params)
        for index, name, shape, start in self._layout:
            block = slice(start, start + int(np.prod(shape)))
            self.params[block] = self.layers[index].params[name].ravel()
            self.decay_mask[block] = name in self.layers[index].decayed
            factors[block] = self.layers[index].lr_factors.get(name, 1.0)
        self.lr_factors = None if np.all(factors == 1.0) else factors
        self._bind()
        return n

    def _bind(self):
        """Point every layer's params and grads at their blocks of the flat vectors."""
        for index, name, shape, start in self._layout:
            block = slice(start, start + int(np.prod(shape)))
            self.layers[index].params[name] = self.params[block].reshape(shape)
            self.layers[index].grads[name] = self.grads[block].reshape(shape)

    def __setstate__(self, state):
        # Pickle stores views as copies; re-link them so training can resume. Networks
        # pickled before per-parameter learning-rate factors existed had none.
        self.__dict__.update({"lr_factors": None, **state, "_fused": ()})
        if "_layout" in state:
            self._bind()

    def forward(self, X: np.ndarray, *, training: bool, sample_weight: np.ndarray | None = None) -> np.ndarray:
        """Run every layer forward; see :meth:`Layer.forward`.

        ``sample_weight`` (per-row weights) goes to the layers that declare
        :attr:`Layer.uses_sample_weight`; after a layer that stacks the rows
        of several ensemble members, each member's rows get the weights.
        """
        layers = self.layers
        fused = []
        index = 0
        while index < len(layers):
            layer = layers[index]
            follower = layers[index + 1] if training and index + 1 < len(layers) else None
            if follower is not None and layer.fuses_with(follower, X):
                weights = _member_weights(sample_weight, X.shape[0]) if layer.uses_sample_weight else None
                X = layer.forward_fused(X, follower, sample_weight=weights)
                fused.append(index)
                index += 2
                continue
            if layer.uses_sample_weight:
                weights = _member_weights(sample_weight, X.shape[0])
                X = layer.forward(X, training=training, sample_weight=weights)
            else:
                X = layer.forward(X, training=training)
            index += 1
        self._fused = tuple(fused)  # a tuple: skops trusts it (a frozenset it does not)
        return X

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate ``dY`` through every layer, filling ``grads``.

        A layer computes its input gradient only where a layer before it
        learns something (or ``need_input_grad`` asks for the network's): the
        first dense layer behind an encoding without parameters skips it.
        """
        fused = getattr(self, "_fused", ())
        first_learning = self._first_learning_layer()
        i = len(self.layers) - 1
        while i >= 0:
            if i - 1 in fused:
                # The pair (i - 1, i) ran forward as one kernel; so does its backward pass.
                needed = need_input_grad or i - 1 > first_learning
                dY = self.layers[i - 1].backward_fused(dY, need_input_grad=needed)
                i -= 2
            else:
                dY = self.layers[i].backward(dY, need_input_grad=need_input_grad or i > first_learning)
                i -= 1
        return dY

    def input_gradient_needed(self, index: int) -> bool:
        """Whether layer ``index``'s backward pass must return its input gradient: a layer before it learns."""
        return index > self._first_learning_layer()

    def _first_learning_layer(self):
        return next((i for i, layer in enumerate(self.layers) if layer.params), len(self.layers))

    def infer(self, X, *, chunk_rows: int = INFER_CHUNK_ROWS) -> np.ndarray:
        """Inference-mode output; touches no state, so it is safe in ``predict``.

        Rows are processed ``chunk_rows`` at a time, each chunk cast to the
        network's dtype, so activations stay in cache and a large float64
        ``X`` is never copied whole. A dense layer followed by a layer whose
        inference is a per-feature affine map (batch normalization with
        frozen statistics) runs as one dense layer with folded weights, an
        encoding that says so runs with the dense layer after it (see
        :meth:`Layer.fuses_inference_with`), and later layers work in place
        on arrays the network allocated itself.
        """
        n_rows = X.shape[0]
        if n_rows <= chunk_rows:
            return self._infer_chunk(X)
        first = self._infer_chunk(X[:chunk_rows])
        out = np.empty((n_rows,) + first.shape[1:], dtype=first.dtype)
        out[:chunk_rows] = first
        for start in range(chunk_rows, n_rows, chunk_rows):
            out[start : start + chunk_rows] = self._infer_chunk(X[start : start + chunk_rows])
        return out

    def _infer_chunk(self, X):
        X = X.astype(self.params.dtype, copy=False)
        layers = self.layers
        index = 0
        while index < len(layers):
            layer = layers[index]
            follower = layers[index + 1] if index + 1 < len(layers) else None
            if follower is not None and layer.fuses_inference_with(follower):
                after = layers[index + 2] if index + 2 < len(layers) else None
                affine = after.inference_affine() if after is not None else None
                X = layer.infer_fused(X, follower, affine)
                index += 2 if affine is None else 3
                continue
            affine = follower.inference_affine() if follower is not None and layer.absorbs_affine else None
            if affine is not None:
                X = layer.infer_folded(X, *affine)
                index += 2
            else:
                X = layer.infer(X) if index == 0 else layer.infer_owned(X)
                index += 1
        return X

    def recompute_statistics(
        self,
        X,
        sample_weight: np.ndarray | None = None,
        *,
        chunk_rows: int = INFER_CHUNK_ROWS,
        return_output: bool = False,
    ) -> np.ndarray | None:
        """Set the running statistics of every layer that keeps them to their exact values over ``X``.

        Running averages gathered during training trail the weights: the
        statistics of early batches were computed with earlier weights. This
        replaces them, layer by layer in order, with the weighted mean and
        (biased) variance of the layer's input over all rows of ``X``, each
        computed with the layers before it already in inference mode, so
        inference normalizes with the statistics of the final weights.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_in)
            Rows to compute the statistics on (the training rows).
        sample_weight : ndarray of shape (n_samples,), default=None
            Row weights; rows of weight zero do not count.
        chunk_rows : int, default=INFER_CHUNK_ROWS
            Rows per pass, which bounds the memory used.
        return_output : bool, default=False
            Also return the inference output on ``X`` with the new
            statistics. When ``X`` fits in one chunk it comes from the same
            pass, layer by layer (it equals :meth:`infer`'s up to rounding).

        Returns
        -------
        output : ndarray of shape (n_samples, n_out) or None
            With ``return_output``, the inference output; None otherwise.
        """
        if X.shape[0] <= chunk_rows:
            # One pass: each layer's statistics from its input, then on through the layer.
            H = X.astype(self.params.dtype, copy=False)
            last = max((i for i, layer in enumerate(self.layers) if layer.has_running_statistics), default=-1)
            n_inferred = len(self.layers) if return_output else last
            for index, layer in enumerate(self.layers):
                if layer.has_running_statistics:
                    _set_statistics(layer, column_moments(H, _member_weights(sample_weight, H.shape[0])))
                if index >= n_inferred:
                    break
                H = layer.infer(H)
            return H if return_output else None
        for index, layer in enumerate(self.layers):
            if not layer.has_running_statistics:
                continue
            moments = (0.0, 0.0, 0.0)
            for start in range(0, X.shape[0], chunk_rows):
                H = X[start : start + chunk_rows].astype(self.params.dtype, copy=False)
                for previous in self.layers[:index]:
                    H = previous.infer(H)
                weights = None if sample_weight is None else sample_weight[start : start + chunk_rows]
                weights = _member_weights(weights, H.shape[0])
                moments = merge_column_moments(moments, column_moments(H, weights))
            _set_statistics(layer, moments)
        return self.infer(X, chunk_rows=chunk_rows) if return_output else None

    @contextmanager
    def without_dropout(self):
        """Within the block, training-mode passes leave out dropout (normalization still uses batch statistics).

        What a check that compares training mode with inference wants: the
        difference is then the normalization statistics' alone, and no
        dropout mask is drawn, so training goes on with the same masks.
        """
        layers = [layer for layer in self.layers if isinstance(layer, Dropout)]
        for layer in layers:
            layer.suspended = True
        try:
            yield self
        finally:
            for layer in layers:
                del layer.suspended

    def release_workspace(self) -> None:
        """Drop every layer's forward cache and scratch arrays; see :meth:`Layer.release_workspace`."""
        for layer in self.layers:
            layer.release_workspace()
        self._fused = ()

    def state(self) -> tuple:
        """Copies of the flat parameters and every layer's buffers."""
        return self.params.copy(), [{k: v.copy() for k, v in layer.buffers.items()} for layer in self.layers]

    def load_state(self, state: tuple) -> None:
        """Restore what :meth:`state` returned, in place."""
        params, buffers = state
        self.params[...] = params
        for layer, saved in zip(self.layers, buffers):
            for key, value in saved.items():
                layer.buffers[key][...] = value

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}])"
