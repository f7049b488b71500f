"""``depthlm`` command line: thin wrappers over the Python API, one module per command."""

from __future__ import annotations

import typer

from depthlm.cli import (
    bench,
    curate,
    data,
    demo,
    depth,
    eval_cmd,
    inspect_cmd,
    measure,
    reproduce,
    serve,
    synth,
    tiny,
    train,
)

app = typer.Typer(
    name="depthlm",
    help="Metric 3D questions for standard vision-language models (DepthLM).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("eval")(eval_cmd.eval_command)
app.command("inspect")(inspect_cmd.inspect_command)
app.command("init-tiny")(tiny.init_tiny_command)
app.command("demo")(demo.demo_command)
app.command("synth")(synth.synth_command)
app.command("reproduce")(reproduce.reproduce_command)
app.command("measure")(measure.measure_command)
app.command("depth")(depth.depth_command)
app.command("serve")(serve.serve_command)
app.add_typer(train.app, name="train")
app.add_typer(bench.app, name="bench")
app.add_typer(curate.app, name="curate")
app.add_typer(data.app, name="data")


if __name__ == "__main__":
    app()
