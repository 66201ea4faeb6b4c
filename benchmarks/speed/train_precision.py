"""How much faster does ``--precision bf16`` train than fp32 on a CPU that computes bfloat16
natively (AMX or AVX512-BF16)?

SciFact train, BM25 top-4 without filters (the negatives' texts, not their quality, set the
cost of a step), one triplet row per negative, MNRL, batch 64: the shape of the reference
recipe's training cells. Trains ``--steps`` steps in fp32 and in bf16, alternating, ``--repeats``
times each, and reports each step's seconds (the median of steps 2 onwards: the first one warms
up), the whole fit's seconds (model loading included) and the loss of each step. Run:

    python -m benchmarks.speed.train_precision   # → results/train_precision_cpu.json
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
from pathlib import Path

from benchmarks.common import shared_data, write_result


def cpu_model() -> str:
    """The CPU's name as Linux reports it (``platform.processor()`` elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def mine(data: Path, out: Path):
    import trueneg

    return trueneg.mine(
        data, out, retriever="bm25", filters=[], sampler="top", num_negatives=4, depth=20
    )


def step_timer(seconds: list[float]):
    """A callback that appends each training step's wall time to ``seconds``."""
    import time

    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        start = 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()
            return control

        def on_step_end(self, args, state, control, **kwargs):
            seconds.append(time.perf_counter() - self.start)
            return control

    return StepTimer()


def one_fit(run, precision: str, steps: int, batch_size: int, folder: Path) -> dict:
    from trueneg.train import train

    step_seconds: list[float] = []

    result = train(
        run,
        folder / f"model-{precision}",
        precision=precision,
        device="cpu",
        max_steps=steps,
        batch_size=batch_size,
        rows="triplet",
        loss="mnrl",
        seed=0,
        callbacks=[step_timer(step_seconds)],
    )
    return {
        "precision": result.precision,
        "steps": result.steps,
        "seconds": round(result.seconds, 2),
        "step_seconds": [round(x, 2) for x in step_seconds],
        "seconds_per_step": round(statistics.median(step_seconds[1:] or step_seconds), 2),
        "loss_history": [round(x, 4) for x in result.loss_history],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="scifact")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default="train_precision_cpu.json")
    args = parser.parse_args()

    import torch

    from trueneg.train.checks import cpu_has_native_bf16

    if not cpu_has_native_bf16():
        raise SystemExit(
            f"This CPU ({cpu_model()}) has neither AMX nor AVX512-BF16: "
            "--precision bf16 is refused on it, so there is nothing to compare."
        )
    fits: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        run = mine(shared_data() / args.dataset, Path(tmp) / "run")
        for repeat in range(args.repeats):
            for precision in ("fp32", "bf16"):
                with tempfile.TemporaryDirectory(dir=tmp) as folder:
                    fit = one_fit(run, precision, args.steps, args.batch_size, Path(folder))
                fits.append({"repeat": repeat, **fit})
                print(fits[-1])
    per_step = {
        p: round(statistics.median(f["seconds_per_step"] for f in fits if f["precision"] == p), 2)
        for p in ("fp32", "bf16")
    }
    write_result(
        args.out,
        {
            "command": "python -m benchmarks.speed.train_precision "
            f"--steps {args.steps} --batch-size {args.batch_size} --repeats {args.repeats}",
            "dataset": args.dataset,
            "cpu": cpu_model(),
            "amx": bool(torch.cpu._is_amx_tile_supported()),
            "avx512_bf16": bool(torch.cpu._is_avx512_bf16_supported()),
            "torch_threads": torch.get_num_threads(),
            "fits": fits,
            "median_seconds_per_step": per_step,
            "speedup_bf16": round(per_step["fp32"] / per_step["bf16"], 2),
        },
    )
    print(per_step, "speed-up", round(per_step["fp32"] / per_step["bf16"], 2))


if __name__ == "__main__":
    main()
