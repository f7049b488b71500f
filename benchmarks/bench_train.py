"""SFT throughput (samples/s) of a tiny model. Same as ``depthlm bench train``."""

from depthlm.bench.train import main

if __name__ == "__main__":
    main()
