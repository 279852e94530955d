"""The real command in real processes: torchrun with 2 gloo ranks, and the offline path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=_env(**env), capture_output=True, text=True,
                          timeout=240)


@pytest.mark.slow  # about 25-40 s on 2 busy cores: two interpreters start torch
def test_torchrun_two_gloo_ranks_equals_one_process(small_set, demo_set, tmp_path, rows):
    """Shard over 2 CPU processes (gloo); rank 0 gathers and writes the same TSV."""
    common = ["--model", "resnet18", "--weights", "none", "--stimuli", str(demo_set),
              "--batch-size", "8", "--no-progress", "--device", "cpu"]
    one = _run([sys.executable, "-m", "models", "score", *common, "--out", str(tmp_path / "1")])
    assert one.returncode == 0, one.stderr
    two = _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                "--standalone", "-m", "models", "score", *common,
                "--out", str(tmp_path / "2")], OMP_NUM_THREADS="1")
    assert two.returncode == 0, two.stderr[-3000:]
    name = "cue-conflict/resnet18_sum_ses-1.tsv"
    single, sharded = tmp_path / "1" / name, tmp_path / "2" / name
    a, b = rows(single), rows(sharded)
    assert len(a) == len(b) == 49  # 49 images: rank 1 gets one padded duplicate
    fixed = ["trial", "image", "sha256", "category", "response", "correct", "rank_correct_16"]
    assert [[r[c] for c in fixed] for r in a] == [[r[c] for c in fixed] for r in b]
    floats = [c for c in a[0] if c.startswith("p_") or c.startswith("entropy")]
    np.testing.assert_allclose([[float(r[c]) for c in floats] for r in a],
                               [[float(r[c]) for c in floats] for r in b], rtol=1e-5)
    # in practice the files are identical byte for byte; report it if not
    if single.read_bytes() != sharded.read_bytes():
        print("single and sharded TSVs differ only in float formatting")
    assert "world_size\": 2" in sharded.with_suffix(".json").read_text()


def test_offline_default_weights_fail_in_one_line(small_set, tmp_path):
    """torchvision's DEFAULT weights are downloaded; offline that fails with a fix."""
    unreachable = "http://127.0.0.1:9"
    result = _run([sys.executable, "-m", "models", "score", "--model", "resnet18",
                   "--stimuli", str(small_set), "--out", str(tmp_path / "out"),
                   "--no-progress"],
                  TORCH_HOME=str(tmp_path / "torch-home"), https_proxy=unreachable,
                  HTTPS_PROXY=unreachable, http_proxy=unreachable, HTTP_PROXY=unreachable,
                  NO_PROXY="", no_proxy="")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert lines[-1].startswith("error: resnet18: cannot get the ResNet18_Weights.IMAGENET1K_V1")
    assert "offline? use --weights PATH" in lines[-1] and "--weights none" in lines[-1]
    assert not any(line.startswith("Traceback") for line in lines)
    assert not (tmp_path / "out").exists()
