"""Chat formats of the tiny models: our own Jinja templates (same rendered layout as the official
Qwen-VL and Pixtral ones) and each family's special tokens, in vocabulary order."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Chat templates (our own Jinja, same rendered layout as the official ones).
# ---------------------------------------------------------------------------------------------

# ChatML with Qwen-VL placeholders; images/videos and text are emitted in content order.
# Qwen2-VL and Qwen2.5-VL insert a default system turn when the conversation has none;
# Qwen3-VL does not (``default_system`` is then empty).
QWEN_TEMPLATE = """\
{%- macro render(content) -%}
{%- if content is string -%}{{ content }}{%- else -%}
{%- for part in content -%}
{%- if part.type == 'image' or 'image' in part or 'image_url' in part -%}
<|vision_start|><|image_pad|><|vision_end|>
{%- elif part.type == 'video' or 'video' in part -%}
<|vision_start|><|video_pad|><|vision_end|>
{%- elif 'text' in part -%}{{ part.text }}{%- endif -%}
{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{%- for message in messages -%}
{%- if loop.first and message.role != 'system' and DEFAULT_SYSTEM -%}
{{ '<|im_start|>system\\n' + DEFAULT_SYSTEM + '<|im_end|>\\n' }}
{%- endif -%}
{{ '<|im_start|>' + message.role + '\\n' }}{{ render(message.content) }}{{ '<|im_end|>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}
"""

# Mistral instruct format as in the Pixtral-12B HF checkpoint: <s>[INST]...[/INST]answer</s>.
# The optional system prompt is prepended to the *last user* turn, followed by a blank line, as
# mistral-common does. (The hub template tests ``loop.last`` instead, which silently drops the
# system prompt from conversations ending in an assistant turn, i.e. from training samples.)
PIXTRAL_TEMPLATE = """\
{%- macro render(content) -%}
{%- if content is string -%}{{ content }}{%- else -%}
{%- for part in content -%}
{%- if part.type == 'image' -%}[IMG]{%- elif part.type == 'text' -%}{{ part.text }}{%- endif -%}
{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{%- if messages[0].role == 'system' -%}
{%- set system_message = render(messages[0].content) -%}
{%- set loop_messages = messages[1:] -%}
{%- else -%}
{%- set loop_messages = messages -%}
{%- endif -%}
{%- set ns = namespace(last_user=-1) -%}
{%- for message in loop_messages -%}
{%- if message.role == 'user' -%}{%- set ns.last_user = loop.index0 -%}{%- endif -%}
{%- endfor -%}
{{ bos_token }}
{%- for message in loop_messages -%}
{%- if (message.role == 'user') != (loop.index0 % 2 == 0) -%}
{{ raise_exception('Roles must alternate user/assistant after an optional system message') }}
{%- endif -%}
{%- if message.role == 'user' -%}
{{ '[INST]' }}
{%- if loop.index0 == ns.last_user and system_message is defined -%}
{{ system_message + '\\n\\n' }}
{%- endif -%}
{{ render(message.content) }}{{ '[/INST]' }}
{%- elif message.role == 'assistant' -%}
{{ render(message.content) + eos_token }}
{%- else -%}
{{ raise_exception('Only user, assistant and a leading system message are supported') }}
{%- endif -%}
{%- endfor -%}
"""


def qwen_template(default_system: str) -> str:
    return QWEN_TEMPLATE.replace("DEFAULT_SYSTEM", repr(default_system))


# Qwen special tokens in the real vocabulary order (ids 151643.. there, 0.. here).
QWEN_SPECIALS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
QWEN_NAMED = {
    "image_token": "<|image_pad|>",
    "video_token": "<|video_pad|>",
    "vision_start_token": "<|vision_start|>",
    "vision_end_token": "<|vision_end|>",
}

# Mistral/Tekken control tokens in the real order, so [IMG] is id 10 exactly as in Pixtral-12B.
PIXTRAL_SPECIALS = (
    "<unk>",
    "<s>",
    "</s>",
    "[INST]",
    "[/INST]",
    "[AVAILABLE_TOOLS]",
    "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]",
    "[TOOL_CALLS]",
    "[IMG]",
    "<pad>",
    "[IMG_BREAK]",
    "[IMG_END]",
)
