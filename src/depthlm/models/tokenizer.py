"""A small byte-level BPE tokenizer trained locally, for tiny random-init test models.

Real checkpoints cannot be downloaded in tests, so the tiny models (:mod:`depthlm.models.tiny`)
need a tokenizer that is built from nothing. It is trained on a built-in corpus of the DepthLM
prompt/answer vocabulary so that the prompts tokenize into few, meaningful tokens, and it splits
every digit into its own token (as the Qwen and Mistral tokenizers do), so metric answers such
as ``3.25`` are sequences of single-digit tokens a tiny model can learn.

Training is deterministic: the corpus is a fixed list and the BPE trainer breaks ties by pair
order, so the same arguments give the same ``tokenizer.json`` on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

__all__ = ["CORPUS", "train_tokenizer"]

_QUESTIONS = (
    "Given this image, how far is the point pointed by the red arrow from the camera?",
    "How far is this point from the camera in the forward-backward direction?",
    "How many meters per second should we move in order to reach this point in exactly 2 seconds?",
    "How far are these 2 points from each other?",
    "How many meters has the camera moved between these 2 images?",
    "How far is the point marked by the blue dot from the camera?",
    "Which point is closer to the camera, the red one or the blue one?",
)
_INSTRUCTIONS = (
    "Output the thinking process in <think> </think> and final answer (the meter number only, "
    "without the unit) in <answer> </answer> tags.",
    "Answer with a single number.",
    "You are a helpful assistant.",
)
_ANSWERS = (
    "The point is around {v} meters away from the camera.",
    "The point is about {v} metres from the camera.",
    "The distance is {v} m.",
    "We should move at {v} m/s.",
    "The camera moved {v} meters.",
    "The two points are {v} meters apart.",
    "<think> The arrow points at the floor, which is about {v} meters away. </think> "
    "<answer>{v}</answer>",
)
_UNITS = ("m", "cm", "mm", "meters", "metres", "meter", "ft", "feet", "seconds", "s", "m/s")


def _preset_texts() -> list[str]:
    """Every question and target of the paper's six tasks in the shipped prompt presets, so
    each preset word is one or two tokens (a from-scratch model pays for every token of every
    sample). Tasks added later do not join the corpus: a tokenizer must not change under a
    recipe that rebuilds a released model."""
    from depthlm.prompting.presets import available_presets, load_preset
    from depthlm.tasks import TASKS

    texts: list[str] = []
    for name in available_presets():
        preset = load_preset(name)
        fields = {"marker": "pointed by the red arrow", "markers": "pointed by the red arrows"}
        fields |= {"T": "2", "V": "1.5", "answer": "3.25", "distance": "6.50"}
        texts += [q.format(**fields) for k, q in preset.questions.items() if k in TASKS]
        texts += [t.format(**fields) for k, t in preset.targets.items() if k in TASKS]
        texts += [preset.system] if preset.system else []
    return texts


def _corpus() -> list[str]:
    """The fixed training corpus: prompts, answers with many numbers, units, and the chat
    roles (repeated, so "system", "user", "assistant" become single tokens)."""
    roles = ["system\nYou are a helpful assistant.", "user\n", "assistant\n"] * 40
    lines: list[str] = [*_QUESTIONS, *_INSTRUCTIONS, *roles, *(_preset_texts() * 3)]
    values = [f"{i * 0.37 + 0.05:.2f}" for i in range(60)] + [str(i) for i in range(20)]
    for i, value in enumerate(values):
        lines.append(_ANSWERS[i % len(_ANSWERS)].format(v=value))
        lines.append(f"{value} {_UNITS[i % len(_UNITS)]}")
        lines.append(f"{_QUESTIONS[i % len(_QUESTIONS)]} {_INSTRUCTIONS[i % 2]}")
    lines.append("0 1 2 3 4 5 6 7 8 9 . , " + " ".join(_UNITS))
    return lines


CORPUS: tuple[str, ...] = tuple(_corpus())


def train_tokenizer(
    special_tokens: Sequence[str],
    chat_template: str,
    *,
    vocab_size: int = 640,
    corpus: Iterable[str] | None = None,
    bos_token: str | None = None,
    eos_token: str | None = None,
    pad_token: str | None = None,
    unk_token: str | None = None,
    named_special_tokens: dict[str, str] | None = None,
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer and wrap it as a Transformers fast tokenizer.

    ``special_tokens`` get the first ids, in the given order, so configs can rely on them;
    every role token (bos/eos/pad/unk) must be one of them. ``chat_template`` is stored on the
    tokenizer so ``save_pretrained`` writes it. Digits are isolated before byte-level
    splitting, so no merge can ever join two digits. The byte alphabet is always included, so
    any text can be encoded (vocab = specials + 256 bytes + merges, at most ``vocab_size``).
    With a ``bos_token``, plain encoding prepends it (as Llama/Mistral tokenizers do); chat
    templates that start with the BOS are then encoded without a second one by the processors.

    ``named_special_tokens`` maps attribute names to tokens (e.g. ``{"image_token":
    "<|image_pad|>"}``), which Transformers exposes as ``tokenizer.image_token``; the
    processors read their placeholder tokens from there.
    """
    special_tokens = list(special_tokens)
    roles = (bos_token, eos_token, pad_token, unk_token)
    for token in (*roles, *(named_special_tokens or {}).values()):
        if token is not None and token not in special_tokens:
            raise ValueError(f"{token!r} must be listed in special_tokens")

    tok = Tokenizer(models.BPE(unk_token=unk_token, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(corpus if corpus is not None else CORPUS), trainer=trainer)
    if bos_token is not None:  # like Llama/Mistral tokenizers: encoding prepends BOS
        bos = (bos_token, tok.token_to_id(bos_token))
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos_token}:0 $A:0",
            pair=f"{bos_token}:0 $A:0 {bos_token}:1 $B:1",
            special_tokens=[bos],
        )

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos_token,
        eos_token=eos_token,
        pad_token=pad_token,
        unk_token=unk_token,
        extra_special_tokens=[t for t in special_tokens if t not in roles],
        model_specific_special_tokens=dict(named_special_tokens or {}),
        chat_template=chat_template,
        clean_up_tokenization_spaces=False,
        model_max_length=4096,
    )
