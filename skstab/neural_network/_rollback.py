"""A failed fit or partial_fit leaves the estimator exactly as it was: no half-updated state, no lost model."""

import copy
from contextlib import contextmanager


@contextmanager
def unchanged_on_failure(estimator):
    """Restore ``estimator``'s attributes, network, optimizer, training state and generator if the block raises.

    The network, optimizer and random generator are mutated in place by a call that resumes them, so they
    are saved by value. The training state's attributes are reassigned, never mutated (its checkpoints are
    copies, loaded by copying), and every other attribute is replaced: shallow copies suffice, where a deep
    copy of the training state copied a fit's checkpoints on every ``partial_fit``.
    """
    before = dict(estimator.__dict__)
    net, optimizer = getattr(estimator, "net_", None), getattr(estimator, "_optimizer", None)
    saved_net = None if net is None else net.state()
    saved_optimizer = None if optimizer is None else optimizer.state_dict()
    state, rng = getattr(estimator, "_state", None), getattr(estimator, "_rng", None)
    saved_state = None if state is None else dict(state.__dict__)
    saved_rng = None if rng is None else copy.deepcopy(rng.bit_generator.state)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(before)
        if net is not None:
            net.load_state(saved_net)
            # The failed call's last batch is still in the layers' caches.
            net.release_workspace()
        if optimizer is not None:
            optimizer.load_state_dict(saved_optimizer)
        if state is not None:
            state.__dict__.update(saved_state)
        if rng is not None:
            rng.bit_generator.state = saved_rng
        raise
