"""Request and response bodies. They are the OpenAPI schema (``/openapi.json``) that documents
the server and drives the fuzzing tests, so every bound a handler relies on is stated here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: A 48×32 gradient: the documentation's (and the schema fuzzer's) example of a valid image.
EXAMPLE_IMAGE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAA"
    "NElEQVR42u3OAQkAIADAsAuKlY1vDZGdB9ios+qdZ7unAgICAgICAgICAgICAgICAvob"
    "dAEU/gK6eQ1HhAAAAABJRU5ErkJggg=="
)

Finite = Annotated[float, Field(allow_inf_nan=False)]
Point = Annotated[list[int], Field(min_length=2, max_length=2, description="[x, y] pixel")]


class CameraFields(BaseModel):
    """Focal (principal point at the centre) or full intrinsics, in pixels of the image sent;
    neither: EXIF, else an assumed 60° horizontal field of view (``focal_source`` says)."""

    focal: Finite | None = Field(None, gt=0, description="focal length in pixels")
    intrinsics: Annotated[list[Finite], Field(min_length=4, max_length=6)] | None = Field(
        None, description="[fx, fy, cx, cy] (or with width, height) in pixels"
    )

    @field_validator("intrinsics")
    @classmethod
    def _positive_focal(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (v[0] <= 0 or v[1] <= 0):
            raise ValueError(f"fx and fy must be positive pixels, got {v[0]}, {v[1]}")
        return v


class MeasureRequest(CameraFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"image": EXAMPLE_IMAGE, "points": [[24, 16], [10, 20]], "focal": 40}]
        },
    )

    image: str = Field(description="base64 bytes or a data:image/...;base64 URL")
    points: Annotated[list[Point], Field(min_length=1)]
    task: str = Field("distance", description="distance | principal_axis | speed | time")
    params: dict[str, Finite] = Field(
        default_factory=dict, description="task parameters: T (s) for speed, V (m/s) for time"
    )
    model: str | None = None


class Answer(BaseModel):
    point: list[int]
    metres: float | None = Field(description="the answer (m, or m/s / s for speed / time)")
    text: str | None
    confidence: float | None
    skipped: bool = Field(description="too close to the border to draw the marker")


class MeasureResponse(BaseModel):
    answers: list[Answer]
    intrinsics: list[float]
    focal: float
    focal_source: str
    task: str
    model: str


class DepthRequest(CameraFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"image": EXAMPLE_IMAGE, "queries": 16, "focal": 40}]},
    )

    image: str
    queries: int = Field(256, ge=1, description="questions asked (pixels queried)")
    sampling: Literal["adaptive", "grid"] = "adaptive"
    model: str | None = None


class Cloud(BaseModel):
    xyz: list[float] = Field(description="x0, y0, z0, x1, ... metres, OpenCV camera frame")
    rgb: list[int]


class DepthResponse(BaseModel):
    width: int
    height: int
    intrinsics: list[float]
    focal: float
    focal_source: str
    depth_range: list[float] = Field(description="[lo, hi] of colour_png's scale (z, metres)")
    colour_png: str = Field(description="base64 RGBA PNG: turbo colours, transparent = none")
    depth_png: str = Field(description="base64 16-bit PNG, z-depth in millimetres, 0 = none")
    depth_npy: str = Field(description="base64 .npy, float32 z-depth in metres")
    ply: str = Field(description="base64 binary PLY, coloured points, OpenCV frame")
    glb: str = Field(description="base64 glTF binary of the same points (y up, looking down -z)")
    cloud: Cloud
    queries: int
    model: str


# ------------------------------------------------------------------ OpenAI chat completions
class ImageURL(BaseModel):
    url: str
    detail: str | None = None


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ImagePart(BaseModel):
    type: Literal["image_url"]
    image_url: ImageURL


Part = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[Part] | None = None


class ChatRequest(BaseModel):
    """The fields depthlm reads; others OpenAI clients send are accepted and ignored (decoding
    is greedy and stops at the model's end of turn)."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: Annotated[list[Message], Field(min_length=1)]
    n: int | None = Field(1, ge=1)
    stream: bool | None = False
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int
    message: ChatMessageOut
    finish_reason: str
    logprobs: Any = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "depthlm"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str
    model: str
