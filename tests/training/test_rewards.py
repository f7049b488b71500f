import math

import pytest

from depthlm.training.rewards import (
    completion_text,
    delta1_reward,
    format_reward,
    get_rewards,
    log_l1_reward,
)


def conv(text):
    return [{"role": "assistant", "content": text}]


def test_completion_text_forms():
    assert completion_text("3.2") == "3.2"
    assert completion_text(conv("3.2")) == "3.2"
    assert (
        completion_text([{"role": "assistant", "content": [{"type": "text", "text": "4"}]}]) == "4"
    )


def test_rewards_score_answers():
    completions = [conv("<answer> 2.0 </answer>"), conv("3.0"), conv("no idea"), "2.4"]
    label = [2.0, 2.0, 2.0, 2.0]
    unit = ["m"] * 4
    assert delta1_reward(completions, label=label, unit=unit) == [1.0, 0.0, 0.0, 1.0]
    smooth = log_l1_reward(completions, label=label, unit=unit)
    assert smooth[0] == 0.0 and smooth[1] == pytest.approx(-math.log(1.5)) and smooth[2] == -3.0
    assert format_reward(completions, unit=unit) == [1.0, 1.0, 0.0, 1.0]


def test_units_follow_the_task():
    assert delta1_reward([conv("2.5 m/s")], label=[2.5], unit=["m/s"]) == [1.0]
    assert format_reward([conv("2.5 m/s")], unit=["m"]) == [0.0]


def test_unknown_reward():
    with pytest.raises(ValueError, match="unknown reward"):
        get_rewards(["accuracy"])


def test_rewards_parse_by_task_when_the_dataset_names_it():
    """fov answers are degrees and multi_point answers lists: parsed by their own task."""
    from depthlm.training.rewards import delta1_reward, format_reward

    texts = ["60", "1: 2.0, 2: 4.0"]
    kw = {"label": [60.0, 3.0], "unit": ["deg", "m"], "task": ["fov", "multi_point"]}
    assert format_reward(texts, **kw) == [1.0, 1.0]
    assert delta1_reward(texts, **kw) == [1.0, 1.0]
