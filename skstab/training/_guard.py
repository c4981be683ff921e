"""The divergence guard: when a run of updates diverged, where it rolls back to, and the learning-rate cuts.

``fit`` judges whole epochs on one fixed training set: an epoch whose loss is
not finite is rerun from its start, one whose loss climbs far above the best
epoch's returns to a sound checkpoint (or, if no epoch beat the constant
prediction yet, to the starting weights, where the schedule's warmup starts
again), and after either the run is on probation until the network, in
inference mode, beats the constant prediction after an epoch, each failed
epoch cutting the rate again. A stream (``partial_fit``) sees new rows every
call, and a high loss on them is news, not divergence; what diverges is a
call whose updates raise the loss on its own chunk (or make it non-finite):
such a call is rerun from its start at half the rate. A stream's cuts are
counted across calls and undone one by one after runs of sound calls, so
drifting data never ratchets the rate down, and a stream that cannot be
trained runs out of cuts and raises.
"""

import logging
import math

from ..exceptions import DivergenceError

logger = logging.getLogger("skstab")

#: An epoch whose mean loss rises above the lowest epoch loss so far by more
#: than this share of the first epoch's loss is diverging even while every
#: number is still finite; healthy minibatch noise is far smaller.
EXPLOSION_MARGIN = 0.5
#: A fit that diverged at some point and ends with a loss above this share of
#: the constant prediction's learned nothing worth keeping: a chance-level
#: model, not a weak one (a model that learned something beats the constant
#: by far more after a divergence was survived).
STALL_SHARE = 0.95
#: An epoch loss this many times the larger of the network's loss before the
#: fit and the constant's exploded. Exploding runs measured at learning rate
#: 10 on digits climb 17 to 3e7 times; a short fit with batch norm climbs 3
#: times above its inference-mode start (running statistics not yet set), and
#: a target the prior fits almost exactly moves by half on noise alone.
STALL_CLIMB = 10.0
#: Consecutive sound calls after which a stream undoes one halving of its rate:
#: long enough that a rate which just diverged is not restored at once, short
#: enough that a stream recovers from one bad patch within a few dozen calls.
STREAM_RESTORE_CALLS = 10


def rollback(net, optimizer, state, curves, checkpoint):
    """Return network, optimizer, schedule position and curves to an epoch's start."""
    net_state, optimizer_state, step, size = checkpoint
    net.load_state(net_state)
    optimizer.load_state_dict(optimizer_state)
    state.step = step
    curves.size = size


def exploded(watched, state):
    return watched > state.lowest_loss + EXPLOSION_MARGIN * state.first_epoch_loss


def stream_failure(before, after, state):
    """Why a ``partial_fit`` call diverged, or None.

    ``before`` and ``after`` are the network's inference-mode losses on the
    call's chunk at its start and once its updates are done (None: the
    sample carries no weight). A high ``before`` on its own is a stream
    moving to new data; updates that raise the loss on the very rows they
    were computed from are too large. The margin is relative to the largest
    loss a call of the stream has started at (``state.peak_loss``, this one's
    included), so that a chunk fitted almost exactly is not judged by its
    noise; the stream's first loss alone is no such scale, as it is 0 when the
    output bias starts on a one-row chunk's target.
    """
    if after is None:
        return None
    if not math.isfinite(after):
        return "non-finite loss"
    if math.isfinite(before):
        state.peak_loss = max(state.peak_loss, before)
    scale = max(state.peak_loss, state.first_epoch_loss) if math.isfinite(before) else math.inf
    if after > before + EXPLOSION_MARGIN * scale:
        return "exploding loss"
    return None


def sound_stream_call(state):
    """Count a sound ``partial_fit`` call; undo one rate cut after :data:`STREAM_RESTORE_CALLS` in a row."""
    state.sound_calls += 1
    if state.rate_cuts and state.sound_calls >= STREAM_RESTORE_CALLS:
        state.rate_cuts -= 1
        state.lr_scale = min(2.0 * state.lr_scale, 1.0)
        state.sound_calls = 0
        logger.info("%d sound calls: learning rate scale back to %g", STREAM_RESTORE_CALLS, state.lr_scale)


#: The reason a fit that ended :func:`stalled` records in ``recoveries_``.
STALLED = "no progress by the end of the fit"


def stalled(loss_curve, settings, result, initial_loss):
    """Whether a fit's last epoch (``loss_curve[-1]``) ends diverged into a constant model.

    Only a fit with a learnable target (the constant's loss above 0) that
    diverged at some point counts: a rollback, or an epoch loss
    :data:`STALL_CLIMB` times both the network's inference-mode loss before
    the fit (``initial_loss``) and the constant's. A pure-noise target also
    ends near the constant, but its loss never climbs and nothing is rolled
    back.
    """
    constant = settings.constant_loss
    if not (0 < constant < math.inf):
        return False
    climbed = initial_loss is not None and max(loss_curve) > STALL_CLIMB * max(initial_loss, constant)
    return (bool(result.recoveries) or climbed) and not loss_curve[-1] < STALL_SHARE * constant


def rollback_target(state, settings, start):
    """Where a fit returns to after an exploding or stalled epoch.

    The lowest-loss epoch if it beat the constant prediction; otherwise the
    call's starting weights, since weights that never beat it (often wrecked by
    the first steps at a rate far too high) are no place to resume from.
    """
    if state.lowest_loss < settings.constant_loss:
        return state.lowest_checkpoint
    return start


def recover(net, optimizer, result, state, settings, epoch, failure, *, stream=False):
    """Record a divergence and halve the learning rate; or, with the budget spent, give up.

    The budget is ``settings.max_recoveries`` cuts in force (a fit never
    undoes one; a stream does after sound calls). A stream raises once it is
    spent; a fit returns False after restoring the lowest-loss epoch of this
    run (``result.gave_up``), so it ends with a usable network, or raises when
    no epoch of this call beat a constant prediction, as there is nothing
    worth keeping (the estimator then stays as it was).
    """
    epoch_number = epoch + 1 + settings.epoch_offset
    if state.rate_cuts >= settings.max_recoveries:
        if failure == STALLED:
            raise DivergenceError(
                f"Training diverged and stalled: after {state.rate_cuts} rollbacks, each halving the learning "
                f"rate (now {state.lr_scale:g} times the schedule), the loss never improved on predicting a "
                "constant (the class prior, or the mean target). Lower learning_rate_init, keep clip_norm set, "
                "and keep input_scaling on (or scale the features)."
            )
        if stream:
            raise DivergenceError(
                f"partial_fit diverged ({failure}) in call {epoch_number} with the learning rate already "
                f"halved {state.rate_cuts} times (now {state.lr_scale:g} times the schedule); the model is "
                "left as it was before this call. Lower learning_rate_init, keep clip_norm set, and keep "
                "input_scaling on (or scale the features)."
            )
        if not result.loss_curve or not state.lowest_loss < settings.constant_loss:
            raise DivergenceError(
                f"Training diverged ({failure}) in epoch {epoch_number} even after "
                f"{settings.max_recoveries} rollbacks, each halving the learning rate (now "
                f"{state.lr_scale:g} times the schedule), and no epoch beat a constant prediction. Lower "
                "learning_rate_init, keep clip_norm set, and keep input_scaling on (or scale the features)."
            )
        net.load_state(state.lowest_checkpoint[0])
        optimizer.load_state_dict(state.lowest_checkpoint[1])
        result.gave_up = True
        logger.info("%s in epoch %d: recovery budget spent, back to the lowest-loss epoch", failure, epoch_number)
        return False
    state.lr_scale *= 0.5
    state.rate_cuts += 1
    state.sound_calls = 0
    result.recoveries.append({"epoch": epoch + 1, "update": state.step, "reason": failure, "lr_scale": state.lr_scale})
    logger.info("%s in epoch %d: rolled back, learning rate scale now %g", failure, epoch_number, state.lr_scale)
    return True
