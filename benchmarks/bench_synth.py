"""Synthetic-world throughput (images/s). Same as ``depthlm bench synth``."""

from depthlm.bench.synth import main

if __name__ == "__main__":
    main()
