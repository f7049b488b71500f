"""OpenAI chat messages → one :class:`ChatQuery`, checking what depthlm cannot answer
(assistant turns, misplaced or too many images) with errors naming the message part."""

from __future__ import annotations

from PIL import Image

from depthlm.inference.base import ChatQuery
from depthlm.serving import schemas
from depthlm.serving.config import ServeConfig
from depthlm.serving.errors import ServeError
from depthlm.serving.images import load_request_image

#: Images per chat request (DepthLM's pose question has two).
MAX_CHAT_IMAGES = 8


def chat_query(req: schemas.ChatRequest, config: ServeConfig) -> ChatQuery:
    """One single-turn :class:`ChatQuery`: system/developer text, then the user turns' images
    and text. Images are used as sent: a client asking DepthLM questions draws the marker and
    normalises the focal itself (as ``depthlm eval --model openai:...`` does)."""
    system: list[str] = []
    texts: list[str] = []
    images: list[Image.Image] = []
    for i, msg in enumerate(req.messages):
        if msg.role == "assistant":
            raise ServeError(
                400,
                "only single-turn chats are supported (no assistant turns)",
                param=f"messages.{i}.role",
            )
        parts = msg.content if isinstance(msg.content, list) else [msg.content]
        for j, part in enumerate(parts):
            if part is None:
                continue
            if isinstance(part, str):
                (system if msg.role in ("system", "developer") else texts).append(part)
            elif isinstance(part, schemas.TextPart):
                (system if msg.role in ("system", "developer") else texts).append(part.text)
            else:
                if msg.role != "user":
                    raise ServeError(
                        400, "images belong in user messages", param=f"messages.{i}.content.{j}"
                    )
                if len(images) >= MAX_CHAT_IMAGES:
                    raise ServeError(
                        400,
                        f"at most {MAX_CHAT_IMAGES} images per request",
                        param=f"messages.{i}.content.{j}",
                    )
                images.append(
                    load_request_image(
                        part.image_url.url, config, param=f"messages.{i}.content.{j}.image_url.url"
                    )
                )
    if not texts and not images:
        raise ServeError(400, "no user content to answer", param="messages")
    return ChatQuery(images=images, text="\n".join(texts), system="\n".join(system) or None)
