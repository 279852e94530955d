"""Stimulus sets that cannot be broken by their inputs: manifests, images, options, two
builds into one folder. Every refusal is one line naming the file or option and the fix
(exit 2 through the CLI), before any file is written."""

from __future__ import annotations

import hashlib
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from stimuli_helpers import DEMO_SOURCE, REPO, make_source

import stimuli.builder as builder
from lab.errors import LabInputError
from lab.manifest import (
    MANIFEST_NAME,
    ManifestEntry,
    read_manifest,
    verify_files,
    write_manifest,
)
from stimuli.builder import build_set
from stimuli.cli import main


def run_error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    return errors[0]


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` px (no pixel data)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.fixture
def small_set(tmp_path: Path) -> Path:
    """A real 16-image cue-conflict set."""
    out = tmp_path / "set"
    build_set("cue-conflict", DEMO_SOURCE, out, seed=0, per_condition=16, workers=1,
              progress=False)
    return out


def rewrite_first_row(folder: Path, **changes: str) -> None:
    path = folder / MANIFEST_NAME
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    for key, value in changes.items():
        row[header.index(key)] = value
    lines[1] = ",".join(row) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ manifest paths


@pytest.mark.parametrize("file", ["../../../../../etc/passwd", "/etc/passwd", "a/../../x.png",
                                  "./x.png", "", "C:\\x.png", "x\\..\\..\\y.png"])
def test_paths_leading_out_of_the_set_are_refused(small_set, file):
    target = Path("/etc/passwd")
    rewrite_first_row(small_set, file=file, sha256=sha(target))
    with pytest.raises(LabInputError, match="not a path inside the set") as err:
        read_manifest(small_set)
    assert f"{MANIFEST_NAME}:2" in one_line(err)


def test_a_symlink_leading_out_is_refused_where_files_are_opened(small_set, tmp_path):
    outside = tmp_path / "outside.png"
    outside.write_bytes((DEMO_SOURCE / "cat" / "cat1-bird1.png").read_bytes())
    entries = read_manifest(small_set)
    victim = small_set / entries[0].file
    victim.unlink()
    victim.symlink_to(outside)
    rewrite_first_row(small_set, sha256=sha(outside))
    with pytest.raises(LabInputError, match="symlink leading outside the set") as err:
        list(verify_files(small_set, read_manifest(small_set)))
    assert entries[0].file in one_line(err)
    # a link that stays inside the set is a file of the set
    victim.unlink()
    inside = small_set / "copy.png"
    inside.write_bytes(outside.read_bytes())
    victim.symlink_to(inside)
    assert len(list(verify_files(small_set, read_manifest(small_set)))) == 16


# ------------------------------------------------------------------ damaged manifests


def test_binary_manifest(small_set):
    (small_set / MANIFEST_NAME).write_bytes(os.urandom(4000))
    with pytest.raises(LabInputError, match="binary") as err:
        read_manifest(small_set)
    assert MANIFEST_NAME in one_line(err)
    (small_set / MANIFEST_NAME).write_bytes(b"file,sha256\x00,x\n")
    with pytest.raises(LabInputError, match="NUL"):
        read_manifest(small_set)


@pytest.mark.parametrize("cut", [0.5, 0.73, 0.999])
def test_truncated_manifest(small_set, cut):
    path = small_set / MANIFEST_NAME
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(LabInputError, match="truncated|damaged|fields") as err:
        read_manifest(small_set)
    assert "rebuild the set" in one_line(err)


@pytest.mark.parametrize("changes,match", [
    ({"sha256": "abc"}, "not 64 hex digits"),
    ({"seed": "-4"}, "seed must be 0 or more"),
    ({"width": "x"}, "malformed row"),
    ({"category": "unicorn"}, "not one of the 16 classes"),
])
def test_damaged_rows(small_set, changes, match):
    rewrite_first_row(small_set, **changes)
    with pytest.raises(LabInputError, match=match) as err:
        read_manifest(small_set)
    assert f"{MANIFEST_NAME}:2" in one_line(err)


def test_a_file_listed_twice(small_set):
    path = small_set / MANIFEST_NAME
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines + [lines[1]]), encoding="utf-8")
    with pytest.raises(LabInputError, match="listed twice"):
        read_manifest(small_set)


# ------------------------------------------------------------------ damaged images


def test_corrupt_image_whose_sha256_matches(small_set):
    entry = read_manifest(small_set)[3]
    victim = small_set / entry.file
    victim.write_bytes(victim.read_bytes()[:300])  # a truncated PNG
    text = (small_set / MANIFEST_NAME).read_text().replace(entry.sha256, sha(victim))
    (small_set / MANIFEST_NAME).write_text(text)
    with pytest.raises(LabInputError, match="cannot be decoded as an image") as err:
        list(verify_files(small_set, read_manifest(small_set)))
    assert entry.file in one_line(err)


def hand_made_set(folder: Path, sizes: list[tuple[int, int]]) -> list:
    """Images of the given (width, height), grey levels 0, 40, 80, ..., and a manifest that
    says 6 x 8 px for each; no build, so a test runs in well under a second."""
    entries = []
    for i, (width, height) in enumerate(sizes):
        path = folder / f"img{i}.png"
        Image.fromarray(np.full((height, width, 3), 40 * i, dtype=np.uint8)).save(path)
        entries.append(ManifestEntry(file=path.name, sha256=sha(path), experiment="colour",
                                     condition="cr", category="cat", source=f"cat/{i}.png",
                                     seed=i, width=6, height=8))
    write_manifest(folder / MANIFEST_NAME, entries)
    return read_manifest(folder)


def test_a_changed_image_that_still_decodes_is_refused_by_its_sha256(tmp_path):
    """One pixel changed, same size, a valid PNG: only the digest can tell."""
    entries = hand_made_set(tmp_path, [(6, 8)] * 3)
    assert len(list(verify_files(tmp_path, entries))) == 3  # intact: all pass
    victim = tmp_path / "img1.png"
    pixels = np.array(Image.open(victim))
    pixels[0, 0] = 255 - pixels[0, 0]
    Image.fromarray(pixels).save(victim)
    with Image.open(victim) as image:
        assert image.size == (6, 8)  # it decodes, at the manifest's size
    checked = []
    with pytest.raises(LabInputError, match="sha256 differs") as err:
        checked.extend(e.file for e in verify_files(tmp_path, entries))
    assert str(victim) in one_line(err) and "rebuild the set" in one_line(err)
    assert checked == ["img0.png"]  # stopped at the changed file


def test_a_decodable_image_of_another_size_is_refused(tmp_path):
    """Its digest is the manifest's, it decodes, but it is 7 x 8 px, not 6 x 8."""
    entries = hand_made_set(tmp_path, [(6, 8), (7, 8)])
    with pytest.raises(LabInputError, match="7x8 px, the manifest says 6x8") as err:
        list(verify_files(tmp_path, entries))
    assert "img1.png" in one_line(err)


@pytest.mark.parametrize("size", [(20000, 20000), (10000, 10000), (300, 200)])
def test_oversized_or_wrong_size_stimulus(small_set, size):
    entry = read_manifest(small_set)[0]
    victim = small_set / entry.file
    victim.write_bytes(png_header(*size))
    rewrite_first_row(small_set, sha256=sha(victim))
    with pytest.raises(LabInputError, match="cannot be decoded|the manifest says") as err:
        list(verify_files(small_set, read_manifest(small_set)))
    assert entry.file in one_line(err)


# ------------------------------------------------------------------ source images, options


@pytest.mark.parametrize("make,match", [
    (lambda p: p.write_bytes(png_header(20000, 20000)), "readable image|megapixels"),
    (lambda p: p.write_bytes(png_header(10000, 10000)), "megapixels"),
    (lambda p: Image.new("RGB", (1, 1)).save(p), "1x1 px.*at least 16 px"),
    (lambda p: Image.new("RGB", (400, 8)).save(p), "400x8 px"),
])
def test_bad_source_images_are_refused_before_anything_is_written(tmp_path, capsys, make,
                                                                  match):
    source = make_source(tmp_path / "src", per_class=2, size=(20, 20))
    bad = source / "dog" / "dog_bad.png"
    make(bad)
    out = tmp_path / "out"
    msg = run_error(["build", "colour", "--source", str(source), "--out", str(out),
                     "--per-condition", "16", "--workers", "1"], capsys)
    assert "dog_bad.png" in msg
    assert re.search(match, msg), msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


@pytest.mark.parametrize("argv,match", [
    (["--seed", "-1"], "--seed -1: must be a whole number, 0 or more"),
    (["--workers", "0"], "--workers 0: must be at least 1"),
    (["--per-condition", "-16"], "--per-condition -16"),
])
def test_bad_build_options(tmp_path, capsys, argv, match):
    source = make_source(tmp_path / "src", per_class=1, size=(20, 20))
    msg = run_error(["build", "colour", "--source", str(source), "--out",
                     str(tmp_path / "out"), *argv], capsys)
    assert match in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_bad_apply_options(tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(src)
    assert "--seed -1" in run_error(["apply", "contrast", "c10", str(src),
                                     str(tmp_path / "o.png"), "--seed", "-1"], capsys)
    assert "is a folder" in run_error(["apply", "contrast", "c10", str(src), str(tmp_path)],
                                      capsys)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "cannot write" in run_error(["apply", "contrast", "c10", str(src),
                                        str(blocker / "o.png")], capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "in.png"]


# ------------------------------------------------------------------ two builds, one --out


def build_args(source: Path, out: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "stimuli", "build", "cue-conflict", "--source", str(source),
            "--out", str(out), "--per-condition", "16", "--workers", "1", "--seed", str(seed)]


def test_two_builds_into_one_out_never_replace_each_other(tmp_path):
    """Two real processes at once: one set lands whole, the other build is refused."""
    source = DEMO_SOURCE
    out = tmp_path / "out"
    runs = [subprocess.Popen(build_args(source, out, seed), cwd=REPO, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for seed in (1, 2)]
    results = [(r.wait(timeout=240), r.stderr.read()) for r in runs]
    for r in runs:
        r.stdout.close()
        r.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert ("appeared while this set was built" in refused
            or "exists and is not empty" in refused), refused
    entries = read_manifest(out)
    assert len(list(verify_files(out, entries))) == 16
    assert {p.name for p in out.iterdir()} == {e.file for e in entries} | {MANIFEST_NAME}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("force", [False, True])
def test_a_set_that_appears_while_building_is_kept(tmp_path, monkeypatch, force):
    """Test hook: another build's set lands in --out just before ours is moved there."""
    source = DEMO_SOURCE
    out = tmp_path / "out"
    other = tmp_path / "other"
    build_set("cue-conflict", source, other, seed=9, per_condition=16, workers=1, progress=False)
    real = builder.write_manifest

    def land_other_then_write(path, entries):
        other.rename(out)
        real(path, entries)

    monkeypatch.setattr(builder, "write_manifest", land_other_then_write)
    with pytest.raises(LabInputError, match="appeared while this set was built") as err:
        build_set("cue-conflict", source, out, seed=1, per_condition=16, workers=1,
                  progress=False, force=force)
    assert ("--force" in str(err.value)) is not force
    assert len(list(verify_files(out, read_manifest(out)))) == 16
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_refuses_when_the_previous_set_changed_meanwhile(tmp_path, monkeypatch):
    source = DEMO_SOURCE
    out = tmp_path / "out"
    build_set("cue-conflict", source, out, seed=1, per_condition=16, workers=1, progress=False)
    real = builder.write_manifest

    def replace_then_write(path, entries):
        monkeypatch.setattr(builder, "write_manifest", real)
        build_set("cue-conflict", source, out, seed=5, per_condition=16, workers=1,
                  progress=False, force=True)
        real(path, entries)

    monkeypatch.setattr(builder, "write_manifest", replace_then_write)
    with pytest.raises(LabInputError, match="changed while this set was built"):
        build_set("cue-conflict", source, out, seed=2, per_condition=16, workers=1,
                  progress=False, force=True)
    assert {e.seed for e in read_manifest(out)} == {e.seed for e in build_set(
        "cue-conflict", source, tmp_path / "again", seed=5, per_condition=16, workers=1,
        progress=False)}
