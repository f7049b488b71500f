"""Answer with the median of several sampled answers (``samples=N``), not the greedy one.

Why: a metric answer is a number spelt out digit by digit, and greedy decoding takes the most
likely digit at each step, which is not the most likely number. A model unsure between 9.5,
11 and 13 m can have "1" as its likeliest first digit and then "1" as its likeliest next,
and so answer "11" for every far point (the shipped depthlm-tiny did, for 60 of 371 held-out
questions). The median of the model's answer distribution is the answer that minimises the
expected log error, and the median of N sampled answers estimates it (self-consistency, for
numbers). Measured on depthlm-tiny in ``docs/embedded.md``.

The chosen answer is always one of the samples, so every consumer keeps a real reply (a
reasoning-style speed answer keeps its derivation): the *medoid*, the sample whose parsed
answers are nearest, in summed absolute log ratio, to all the others'. With one number per
reply that is the median sample. A multi-point reply is compared marker by marker. Samples
that answer fewer of the question's numbers lose to those that answer more; unparsable ones
are never chosen while any sample parses.

The chosen answer's ``confidence`` is its *agreement*: the share of the samples' parsed
answers within δ1's factor 1.25 of it, which is what the answer's δ1 hit depends on.

With ``beams=K`` (:func:`best_bet`) the candidates are instead the K likeliest replies of a
beam search, each with its probability. They are no longer draws from the answer
distribution but its top, so a median over them would weigh a 1 % reply like a 40 % one.
The reply chosen is the one whose δ1 hit is likeliest under the candidates' probabilities
(minimum Bayes risk for δ1): the candidate with the most probability mass within a factor
1.25 of it. Its confidence is that mass, normalised over the candidates that parse. On
unweighted samples this rule picks the mode, which N samples estimate worse than the median
(docs/embedded.md), so samples keep the medoid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = [
    "DEFAULT_TEMPERATURE",
    "agreement",
    "answer_values",
    "best_bet",
    "check_decoding",
    "check_sampling",
    "choose",
    "medoid",
]

#: δ1's threshold: two answers within this factor of each other "agree".
AGREE = 1.25
#: Sampling temperature when none is given: enough spread for a median, not so much that a
#: small N is noisy (docs/embedded.md measured 0.7 and 1.0).
DEFAULT_TEMPERATURE = 0.7


def check_sampling(samples: int, temperature: float | None) -> None:
    """Refuse settings no backend can honour, naming the option (``None``: the default)."""
    temperature = DEFAULT_TEMPERATURE if temperature is None else temperature
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be an integer >= 1 (1 = greedy), got {samples!r}")
    if samples > 1 and not temperature > 0:
        raise ValueError(f"temperature must be > 0 when sampling (samples={samples}), got "
                         f"{temperature!r}")  # fmt: skip


def check_decoding(samples: int, temperature: float | None, beams: int) -> None:
    """:func:`check_sampling`, plus ``beams`` (an integer >= 1) and never both ways at once."""
    check_sampling(samples, temperature)
    if not isinstance(beams, int) or beams < 1:
        raise ValueError(f"beams must be an integer >= 1 (1 = greedy), got {beams!r}")
    if beams > 1 and samples > 1:
        raise ValueError(f"choose one of samples={samples} and beams={beams}: an answer is "
                         "either the median of sampled replies or the best bet among the "
                         "likeliest ones")  # fmt: skip


def answer_values(text: str, meta: Mapping[str, object] | None = None) -> list[float | None]:
    """The numbers a reply answers, parsed as the question's task parses them.

    ``meta`` is the query's :attr:`~depthlm.prompting.query.ChatQuery.meta`: ``task`` (a task
    name) and, for ``multi_point``, ``answers`` (how many markers). A query without a task is
    read as a distance in metres."""
    from depthlm.prompting.parsing import parse_answer
    from depthlm.tasks import get_task

    meta = meta or {}
    name = meta.get("task")
    if not name:
        return [parse_answer(text)]
    task = get_task(str(name))
    parse_all = getattr(task, "parse_all", None)
    if parse_all is not None:
        return list(parse_all(text, int(meta.get("answers", 1))))  # type: ignore[call-overload]
    return [task.parse(text)]


def medoid(values: Sequence[Sequence[float | None]]) -> int:
    """Index of the sample nearest all others (module doc); 0 when none parses. Ties go to
    the earlier sample, so an even count picks the lower-ranked of the two middle ones only if
    it came first — deterministic given the samples."""
    if not values:
        raise ValueError("medoid of no samples")
    logs = [[math.log(v) if v is not None and v > 0 else None for v in row] for row in values]
    answered = [sum(v is not None for v in row) for row in logs]
    most = max(answered)
    if most == 0:
        return 0
    best, best_cost = 0, math.inf
    for i, row in enumerate(logs):
        if answered[i] < most:
            continue
        cost = 0.0
        for other in logs:  # rows of one query have one length: its question's answer count
            pairs = zip(row, other, strict=True)
            cost += sum(abs(a - b) for a, b in pairs if a is not None and b is not None)
        if cost < best_cost:
            best, best_cost = i, cost
    return best


def agreement(values: Sequence[Sequence[float | None]], index: int) -> float | None:
    """Share of the samples' parsed answers within a factor :data:`AGREE` of sample
    ``index``'s, averaged over its answers; ``None`` when it answers nothing."""
    chosen = values[index]
    shares = []
    for k, v in enumerate(chosen):
        if v is None or v <= 0:
            continue
        others = [row[k] for row in values if k < len(row) and row[k] is not None]
        close = [o for o in others if o > 0 and max(o / v, v / o) < AGREE]
        shares.append(len(close) / len(values))
    return sum(shares) / len(shares) if shares else None


def best_bet(
    values: Sequence[Sequence[float | None]], logprobs: Sequence[float]
) -> tuple[int, float | None]:
    """``(index, expected hit)`` of the candidate whose δ1 hit is likeliest (module doc).

    ``logprobs`` are the candidates' total log-probabilities. Only candidates that answer the
    most numbers compete, as in :func:`medoid`; a multi-number reply scores the mean of its
    numbers' hits. Ties go to the likelier candidate (the earlier one when equally likely)."""
    if not values:
        raise ValueError("best bet among no candidates")
    if len(values) != len(logprobs):
        raise ValueError(f"{len(values)} candidates but {len(logprobs)} log-probabilities")
    answered = [sum(v is not None and v > 0 for v in row) for row in values]
    most = max(answered)
    if most == 0:
        return 0, None
    top = max(logprobs)
    weight = [math.exp(lp - top) if math.isfinite(lp) else 0.0 for lp in logprobs]
    rivals = [i for i, a in enumerate(answered) if a == most]
    mass = sum(weight[i] for i in rivals)

    def hits(i: int, j: int) -> float:
        pairs = [(a, b) for a, b in zip(values[i], values[j], strict=True)
                 if a is not None and b is not None and a > 0 and b > 0]  # fmt: skip
        return sum(max(a / b, b / a) < AGREE for a, b in pairs) / max(len(pairs), 1)

    scores = {i: sum(weight[j] * hits(i, j) for j in rivals) for i in rivals}
    best = max(rivals, key=lambda i: (scores[i], weight[i], -i))
    return best, (scores[best] / mass if mass > 0 else None)


def choose(
    texts: Sequence[str],
    meta: Mapping[str, object] | None = None,
    logprobs: Sequence[float] | None = None,
) -> tuple[int, float | None]:
    """``(index, confidence)`` of the reply to give among ``texts``, all for one query: the
    medoid of sampled replies, or with ``logprobs`` (beam candidates) the best bet."""
    values = [answer_values(t, meta) for t in texts]
    if logprobs is not None:
        return best_bet(values, logprobs)
    index = medoid(values)
    return index, agreement(values, index)
