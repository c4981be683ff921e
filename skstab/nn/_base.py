"""The layer protocol every building block of a network implements.

A :class:`Layer` is built for an input width, then run forward and backward;
:class:`~skstab.nn.Sequential` (in ``_sequential.py``) chains layers into a network.
"""

from abc import ABC, abstractmethod
from types import MappingProxyType

import numpy as np


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


class Layer(ABC):
    """Base class of every layer.

    A layer is built once for a known input width, then run forward and
    backward. Learned arrays live in ``params``; their gradients live in
    ``grads`` under the same keys; statistics that are not learned (running
    means, say) live in ``buffers``.

    Attributes
    ----------
    params : dict of str to ndarray
        Learned parameters. Inside a :class:`Sequential` they are views into
        the container's flat parameter vector.
    grads : dict of str to ndarray
        Gradients of the loss with respect to ``params``, same keys and shapes,
        filled by :meth:`backward`.
    buffers : dict of str to ndarray
        State that is updated without gradients.
    decayed : frozenset of str
        Names of the parameters that weight decay may shrink. Biases and the
        scale and shift of normalization layers are never decayed.
    lr_factors : mapping of str to float
        Learning-rate multiplier of some parameters (``{"w": 0.1}`` makes
        ``w`` learn ten times more slowly); parameters not named use 1.
        :class:`Sequential` gathers them into one per-parameter vector for
        the optimizer.
    uses_sample_weight : bool
        Whether :meth:`forward` takes a ``sample_weight`` keyword (batch
        normalization's weighted statistics). A network passes the weights
        only to layers that declare it.
    absorbs_affine : bool
        Whether the layer implements ``infer_folded(X, scale, shift)``: its
        own inference followed by ``Y * scale + shift``, in one pass. A
        network folds the :meth:`inference_affine` of the next layer into
        such a layer at prediction time.
    has_running_statistics : bool
        Whether inference uses statistics gathered in training (batch
        normalization); such a layer implements
        ``set_running_statistics(mean, var)``, which
        :meth:`Sequential.recompute_statistics` calls.
    """

    decayed: frozenset = frozenset()
    lr_factors = MappingProxyType({})
    uses_sample_weight: bool = False
    absorbs_affine: bool = False
    has_running_statistics: bool = False

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}
        self._cache = None
        self._work = {}

    def build(self, n_in: int, rng: np.random.Generator | None = None, dtype=np.float64) -> int:
        """Allocate and initialize parameters for inputs of width ``n_in``.

        Parameters
        ----------
        n_in : int
            Number of input features.
        rng : numpy.random.Generator, default=None
            Source of randomness for the initial weights. Layers whose
            initialization is deterministic ignore it.
        dtype : {numpy.float32, numpy.float64}, default=numpy.float64
            Dtype of parameters, gradients and buffers.

        Returns
        -------
        n_out : int
            Width of this layer's output.
        """
        self.params = {k: np.asarray(v, dtype=dtype) for k, v in self._init_params(n_in, rng).items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {k: np.asarray(v, dtype=dtype) for k, v in self._init_buffers(n_in).items()}
        self._cache = None
        self._work = {}
        return self._n_out(n_in)

    def _workspace(self, key, shape, dtype):
        """A reusable scratch array, reallocated only when the batch shape changes.

        Training calls forward and backward thousands of times on batches of
        one shape; reusing these arrays keeps the hot loop free of allocations.
        """
        buf = self._work.get(key)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._work[key] = np.empty(shape, dtype=dtype)
        return buf

    def _derived(self, key, sources, compute):
        """``compute(*sources)``, kept under ``key`` and computed again only when a source changed.

        The cache is keyed on copies of ``sources``, compared by value: the
        optimizer, a rollback, ``warm_start`` or a user writing into
        ``coefs_`` change parameters in place, and none of them has to know
        about this cache for it to stay right. It is one tuple, read once and
        replaced whole, so concurrent predictions see a consistent one; it is
        dropped by :meth:`release_workspace` and never pickled.
        """
        cached = self._derivations.get(key)
        if cached is not None and len(cached[0]) == len(sources) and all(map(_same, cached[0], sources)):
            return cached[1]
        value = compute(*sources)
        self._derivations = {**self._derivations, key: (tuple(a.copy() for a in sources), value)}
        return value

    @property
    def _derivations(self):
        return self.__dict__.get("_derived_cache") or {}

    @_derivations.setter
    def _derivations(self, value):
        self.__dict__["_derived_cache"] = value

    def release_workspace(self) -> None:
        """Drop what the last training pass kept: the forward cache and the scratch arrays.

        Both hold rows of the last batch (the first layer's cache is the scaled input itself) and
        grow with the batch; the next forward pass rebuilds them. A fitted model keeps its
        parameters, never data.
        """
        self._cache = None
        self._work = {}
        self._derivations = {}

    def __getstate__(self):
        # Caches and scratch arrays hold training rows and are rebuilt on demand: never saved.
        return {**self.__dict__, "_cache": None, "_work": {}, "_derived_cache": {}}

    def __setstate__(self, state):
        # Layers saved before 0.2 pickled their caches; dropped on load too.
        self.__dict__.update({**state, "_cache": None, "_work": {}})

    def _init_params(self, n_in, rng):
        return {}

    def _init_buffers(self, n_in):
        return {}

    def _n_out(self, n_in):
        return n_in

    @abstractmethod
    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        """Compute the output and keep what :meth:`backward` needs.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_in)
            Input batch.
        training : bool
            ``True`` while fitting: normalization layers then use and update
            batch statistics. ``False`` uses frozen statistics only.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_out)
        """

    @abstractmethod
    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Fill ``grads`` from the output gradient and return the input gradient.

        Parameters
        ----------
        dY : ndarray of shape (n_samples, n_out)
            Gradient of the loss with respect to the last forward output.
        need_input_grad : bool, default=True
            When ``False`` the input gradient is not computed (the first layer
            of a network never needs it) and ``None`` is returned.

        Returns
        -------
        dX : ndarray of shape (n_samples, n_in) or None
        """

    @abstractmethod
    def infer(self, X: np.ndarray) -> np.ndarray:
        """Inference-mode output that touches no state of the layer.

        Uses frozen statistics and allocates its result, so it is safe to call
        from ``predict`` on a fitted estimator, concurrently or not.
        """

    def fuses_with(self, follower: "Layer", X: np.ndarray) -> bool:
        """Whether the training passes of this layer and ``follower`` can run as one, on input ``X``.

        A layer that answers True implements ``forward_fused(X, follower,
        sample_weight=None)``, which also leaves in ``follower`` what its own
        backward pass would need, and ``backward_fused(dY, need_input_grad)``;
        :class:`Sequential` calls them in place of the pair's passes.
        """
        return False

    def fuses_inference_with(self, follower: "Layer") -> bool:
        """Whether inference can run this layer and ``follower`` as one.

        A layer that answers True implements ``infer_fused(X, follower,
        affine)``: both layers' inference, then ``Y * scale + shift`` when
        ``affine`` is the ``(scale, shift)`` of the layer after ``follower``
        (see :meth:`inference_affine`), which it then replaces too.
        """
        return False

    def infer_owned(self, X: np.ndarray) -> np.ndarray:
        """Like :meth:`infer`, for an ``X`` the caller owns and may see overwritten.

        A network passes its intermediate arrays here, so elementwise layers
        can work in place instead of allocating another batch-sized array.
        """
        return self.infer(X)

    def inference_affine(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(scale, shift)`` if inference is ``X * scale + shift`` per feature, else ``None``.

        A dense layer followed by such a layer can absorb it at prediction
        time, saving a pass over the batch.
        """
        return None

    def __repr__(self):
        return f"{type(self).__name__}()"


def __getattr__(name):
    # Models saved by skstab 0.1.0 name ``skstab.nn._base.Sequential``; pickle resolves it here.
    if name == "Sequential":
        from ._sequential import Sequential

        return Sequential
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
