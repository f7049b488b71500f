"""depthlm: metric 3D questions for standard vision-language models (DepthLM).

Stages, one package each, dependencies flowing one way: ``geometry`` → ``data`` → ``prompting``
→ ``tasks`` → ``models`` / ``inference`` → ``evaluation`` → ``cli``. Importing ``depthlm`` loads
none of the heavy libraries (torch, transformers); they are imported where they are used.
"""

__version__ = "0.1.0"

__all__ = ["DepthLM", "__version__"]


def __getattr__(name: str):
    """``from depthlm import DepthLM`` without importing torch at ``import depthlm``."""
    if name == "DepthLM":
        from depthlm.inference.depthlm import DepthLM

        return DepthLM
    raise AttributeError(f"module 'depthlm' has no attribute {name!r}")
