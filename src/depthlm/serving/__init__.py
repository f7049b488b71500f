"""``depthlm serve``: the model behind an OpenAI-compatible HTTP API and a web page.

``create_app(ServeConfig(...))`` builds the ASGI app (:mod:`depthlm.serving.app`); requests are
checked (:mod:`~depthlm.serving.images`, :mod:`~depthlm.serving.middleware`), admitted or
refused, and their questions batched across requests (:mod:`~depthlm.serving.batcher`).
"""

from depthlm.serving.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def __getattr__(name: str):  # FastAPI is imported only when a server is built
    if name == "create_app":
        from depthlm.serving.app import create_app

        return create_app
    raise AttributeError(name)
