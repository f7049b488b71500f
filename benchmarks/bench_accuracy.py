"""Per-task δ1 of a model on unseen synthetic scenes. Same as ``depthlm bench accuracy``."""

from depthlm.bench.accuracy import main

if __name__ == "__main__":
    main()
