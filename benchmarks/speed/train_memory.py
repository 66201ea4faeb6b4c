"""Training memory on a CPU: peak RSS of a few training steps, with and without
``--gradient-checkpointing``, for the losses of the comparison tables.

SciFact train, top-4 of all-MiniLM-L6-v2's exact search without filters (the negatives'
texts, not their quality, set the memory of a step), trained in fp32 on the CPU. ``mnrl``
trains on one triplet row per negative (3 texts a row: the shape of the reference recipe's
cells); ``mnrl+kl`` on one score list per query (the query, its positive and 4 negatives: 6
texts a row, twice a triplet batch's texts at the same batch size; its teacher scores here
are the retriever's cosines, the judge's in a real run, which does not change the memory).
Each setting trains ``--steps`` steps in a process of its own; its peak RSS comes from the
kernel (``wait4``) when it ends, beside its seconds a step (the median from the second step
on) and its losses. Run:

    python -m benchmarks.speed.train_memory        # → results/train_memory_cpu.json

A setting is ``LOSS:BATCH:on`` (checkpointing), ``LOSS:BATCH:off`` or ``LOSS:BATCH:auto``
(left to ``trueneg train``: on when a step's activations would not fit, :mod:`trueneg.train.memory`;
the row records what it chose); ``--settings`` picks them. ``mnrl-lists`` is ``mnrl`` on
``trueneg train``'s default rows, one list a query (6 texts a row). The defaults leave out
``mnrl+kl:64:off``: it needs more than this machine's 24 GB (the kernel's OOM killer stopped it
at 24.4 GB). What ``auto`` chooses:

    python -m benchmarks.speed.train_memory --out train_memory_auto_cpu.json \
        --settings mnrl-lists:64:auto mnrl:64:auto mnrl+kl:16:auto
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import CACHE, shared_data, write_result
from benchmarks.speed.train_precision import cpu_model, step_timer

DEFAULT_SETTINGS = (
    "mnrl:64:off",
    "mnrl:64:on",
    "mnrl+kl:16:off",
    "mnrl+kl:16:on",
    "mnrl+kl:32:off",
    "mnrl+kl:32:on",
    "mnrl+kl:64:on",
)


CHECKPOINTING = {"on": True, "off": False, "auto": None}
TEXTS_A_ROW = {"mnrl": 3, "mnrl-lists": 6}  # other losses: score lists, 6 texts a row


def parse_setting(text: str) -> tuple[str, int, bool | None]:
    """``LOSS:BATCH:on|off|auto`` as (loss, batch size, checkpointing; None for auto)."""
    try:
        loss, batch, ckpt = text.split(":")
        return loss, int(batch), CHECKPOINTING[ckpt]
    except (ValueError, KeyError):
        raise SystemExit(
            f"--settings: {text!r} is not LOSS:BATCH:on|off|auto (e.g. mnrl+kl:64:on)"
        ) from None


def mine(data: Path, out: Path):
    """Exact search (positives and negatives carry the scores a distillation loss reads)."""
    import trueneg

    return trueneg.mine(
        data,
        out,
        retriever="exact",
        filters=[],
        sampler="top",
        num_negatives=4,
        depth=20,
        device="cpu",
        cache_dir=str(CACHE / "fn-scifact" / "embeddings"),  # the false-negative benchmarks'
    )


def child(
    run: str, out: str, loss: str, batch_size: int, checkpointing: bool | None, steps: int
) -> None:
    """The measured process: one fit; prints one JSON line."""
    import logging

    from trueneg.train import train

    reasons: list[str] = []  # why auto chose what it chose (trueneg.train.memory's log line)

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            reasons.append(record.getMessage())

    decider = logging.getLogger("trueneg.train.memory")
    decider.addHandler(Keep())
    decider.setLevel(logging.INFO)
    step_seconds: list[float] = []
    result = train(
        run,
        out,
        loss="mnrl" if loss == "mnrl-lists" else loss,
        rows={"mnrl": "triplet", "mnrl-lists": "n-tuple"}.get(loss),
        batch_size=batch_size,
        max_steps=steps,
        device="cpu",
        precision="fp32",
        gradient_checkpointing=checkpointing,
        checkpoint_minutes=0,
        seed=0,
        callbacks=[step_timer(step_seconds)],
    )
    print(
        json.dumps(
            {
                "steps": result.steps,
                "rows": result.rows,
                "seconds": round(result.seconds, 2),
                "step_seconds": [round(x, 2) for x in step_seconds],
                "loss_history": [round(x, 4) for x in result.loss_history],
                "gradient_checkpointing": result.gradient_checkpointing,
                **({"why": reasons[-1]} if reasons else {}),
            }
        )
    )


def measure(run: Path, folder: Path, setting: str, steps: int) -> dict:
    """Run one setting in a child process; its output and the kernel's peak RSS for it."""
    loss, batch_size, checkpointing = parse_setting(setting)
    command = [
        sys.executable,
        "-m",
        "benchmarks.speed.train_memory",
        "--child",
        json.dumps([str(run), str(folder / "model"), loss, batch_size, checkpointing, steps]),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    row = {
        "setting": setting,
        "loss": loss,
        "batch_size": batch_size,
        "asked": {True: "on", False: "off", None: "auto"}[checkpointing],
        "gradient_checkpointing": checkpointing,
        "texts_per_step": batch_size * TEXTS_A_ROW.get(loss, 6),
        "peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),  # ru_maxrss is in KiB on Linux
        "exit_code": code,
    }
    if code != 0:
        row["note"] = "killed (out of memory?)" if code < 0 else "failed"
        return row
    fit = json.loads(output.strip().splitlines()[-1])
    later = fit["step_seconds"][1:] or fit["step_seconds"]
    return {**row, **fit, "seconds_per_step": round(statistics.median(later), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS))
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--dataset", default="scifact")
    parser.add_argument("--out", default="train_memory_cpu.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*json.loads(args.child))
        return
    for setting in args.settings:
        parse_setting(setting)
    import torch

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        run = mine(shared_data() / args.dataset, Path(tmp) / "run").path
        for setting in args.settings:
            with tempfile.TemporaryDirectory(dir=tmp) as folder:
                rows.append(measure(run, Path(folder), setting, args.steps))
            print(json.dumps(rows[-1]), flush=True)
    write_result(
        args.out,
        {
            "command": "python -m benchmarks.speed.train_memory --steps "
            f"{args.steps} --settings {' '.join(args.settings)}",
            "dataset": args.dataset,
            "cpu": cpu_model(),
            "torch_threads": torch.get_num_threads(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
