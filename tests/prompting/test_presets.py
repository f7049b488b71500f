import json

import pytest

from depthlm.prompting.presets import PromptPreset, available_presets, load_preset

# Snapshots: changing a prompt changes what released checkpoints are asked.
SNAPSHOTS = {
    ("official", "distance", "arrow"): (
        "Given this image, how far is the point pointed by the red arrow from the camera? Output "
        "the thinking process in <think> </think> and final answer (the meter number only, "
        "without the unit) in <answer> </answer> tags."
    ),
    ("short", "distance", "arrow"): (
        "Given this image, how far is the point pointed by the red arrow from the camera? Answer "
        "with the distance in meters as a number only."
    ),
    ("official", "principal_axis", "circle"): (
        "Given this image, how far is the point marked by the red circle from the camera in the "
        "forward-backward direction? Output the thinking process in <think> </think> and final "
        "answer (the meter number only, without the unit) in <answer> </answer> tags."
    ),
}


def test_shipped_presets():
    assert {"official", "short", "general"} <= set(available_presets())


@pytest.mark.parametrize(("key", "text"), SNAPSHOTS.items())
def test_question_snapshots(key, text):
    preset, task, marker = key
    assert load_preset(preset).question(task, marker) == text


def test_targets():
    assert load_preset("short").target(12.345) == "12.35"
    assert load_preset("official").system == "You are a helpful assistant."
    assert load_preset("general").system is None


def test_targets_parse_back_to_the_label():
    from depthlm.prompting.parsing import parse_answer

    fields = {"distance": 14.5, "T": "2", "V": "2"}
    for name in available_presets():
        preset = load_preset(name)
        for task in preset.targets:
            unit = {"speed": "m/s", "time": "s"}.get(task, "m")
            want = float(preset.number(7.25))  # 7.3 for a preset of 2 significant digits
            assert parse_answer(preset.target(7.25, task, **fields), unit=unit) == want


@pytest.mark.parametrize(
    ("value", "text"),
    [(23.46, "23"), (6.69, "6.7"), (0.874, "0.87"), (0.0996, "0.10"), (123.4, "120"), (0, "0.00")],
)
def test_significant_digits(value, text):
    """Significant digits never fall into exponent notation (a model could not learn '1.2e+02')."""
    preset = PromptPreset("x", {}, {}, answer_significant=2)
    assert preset.number(value) == text
    assert load_preset("compact").number(value) == text


def test_user_preset_file(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {
                "name": "mine",
                "questions": {"distance": "Q {marker}?"},
                "targets": {"distance": "A={answer}"},
                "answer_digits": 1,
            }
        )
    )
    preset = load_preset(str(path))
    assert preset.question() == "Q pointed by the red arrow?"
    assert preset.target(2.26) == "A=2.3"
    with pytest.raises(ValueError, match="no question for task 'speed'"):
        preset.question("speed")


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown prompt preset"):
        load_preset("nope")
