"""The authors' data: the bundled 2018 human archive reproduces the published accuracies
without ../shared; the networks' data are fetched (sha256-checked, cached, resumable) from
a local HTTP server, and an unreachable server costs one line."""

from __future__ import annotations

import hashlib
import socket
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from results_helpers import write_original

from lab import datasets
from lab.datasets import HUMANS_2018, FetchOffline, RemoteDataset, fetch, missing_files
from lab.errors import LabInputError
from lab.readers import read_trials
from results import cli
from results.verify import compare, published_accuracies, verify


class _QuietHandler(SimpleHTTPRequestHandler):
    requested: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        type(self).requested.append(self.path)
        super().do_GET()


@pytest.fixture
def serve() -> Iterator:
    """``serve(folder)`` -> base URL of an HTTP server on 127.0.0.1 serving ``folder``."""
    servers = []

    def start(folder: Path) -> str:
        _QuietHandler.requested = []
        server = ThreadingHTTPServer(("127.0.0.1", 0),
                                     partial(_QuietHandler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def small_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A registered two-file data set served from ``tmp_path/server``."""
    served = tmp_path / "server"
    (served / "a").mkdir(parents=True)
    files = {"a/one.csv": b"one\n", "two.csv": b"two\n"}
    lines = []
    for rel, data in files.items():
        (served / rel).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {rel}\n")
    sums = tmp_path / "small.sha256"
    sums.write_text("".join(lines))
    monkeypatch.setitem(datasets.REMOTE, "small",
                        RemoteDataset("small", "two files", "http://127.0.0.1:9/", sums))
    return served, "small"


# -- the bundled human data ----------------------------------------------------------------
def test_bundle_holds_the_authors_files_byte_for_byte(shared_data: Path) -> None:
    folder = shared_data / "geirhos2018" / "human-raw-data"
    originals = {p.relative_to(folder.parent).as_posix(): p.read_bytes()
                 for p in folder.rglob("*.csv")}
    with tarfile.open(HUMANS_2018) as tar:
        bundled = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    assert len(originals) == 67 and bundled == originals


def test_bundle_reproduces_every_published_human_accuracy() -> None:
    """Needs nothing outside the repository."""
    result = compare(read_trials(HUMANS_2018), ["humans"])
    assert len(result) == 81 and result["reproduced"].all()
    assert result["difference"].max() < 1e-12
    spot = result.set_index(["experiment", "condition"])["computed"]
    assert spot[("contrast", "c01")] == pytest.approx(0.0833333333333333)


def test_verify_command_reports_humans_and_why_networks_are_not_checked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["verify", "--cache", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("humans: 81 of 81 published accuracies reproduced")
    assert out[1].startswith("networks: not checked: 268 files")
    assert out[2].startswith("fine-tuned networks: not checked: 1152 files") and len(out) == 3
    assert out[2].endswith("or give --fine-tuning PATH")


def test_a_wrong_published_number_fails_verification(tmp_path: Path) -> None:
    published = published_accuracies()
    row = published.index[(published["experiment"] == "contrast")
                          & (published["condition"] == "c05")
                          & (published["observer"] == "humans")][0]
    published.loc[row, "published"] += 0.001
    result = compare(read_trials(HUMANS_2018), ["humans"], published)
    bad = result[~result["reproduced"]]
    assert list(zip(bad["experiment"], bad["condition"], strict=True)) == [("contrast", "c05")]


def test_named_paths_on_the_table_command(tmp_path: Path, capsys) -> None:
    assert cli.main(["table", "geirhos2018-humans", "--csv", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("experiment,condition,observer,accuracy")
    assert len(lines) == 1 + 81  # one row per published condition
    assert cli.main(["table", "geirhos2018-dnn", "-q"]) == 2
    assert "python -m results fetch geirhos2018-dnn" in capsys.readouterr().err


def test_archives_read_like_folders(tmp_path: Path) -> None:
    rows = [("subject-01", 1, t, 0.5, resp, "cat", "c10", f"{t:04d}_x_s01_c10_cat_{t}.png")
            for t, resp in enumerate(["cat", "na", "dog"], start=1)]
    folder = tmp_path / "data"
    write_original(folder, "contrast-experiment_subject-01_session_1.csv", rows)
    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="data")
    from_folder, from_archive = read_trials(folder), read_trials(archive)
    assert from_archive.drop(columns="file").equals(from_folder.drop(columns="file"))
    assert from_archive["file"].iloc[0].endswith(
        "data.tar.gz/data/contrast-experiment_subject-01_session_1.csv")
    broken = tmp_path / "broken.tar.xz"
    broken.write_bytes(b"not an archive")
    with pytest.raises(LabInputError, match="broken.tar.xz: not a readable tar archive"):
        read_trials(broken)


# -- fetching the networks' data -----------------------------------------------------------
def test_fetch_checks_caches_and_continues(small_remote, serve, tmp_path: Path) -> None:
    served, name = small_remote
    url = serve(served)
    cache = tmp_path / "cache"
    (cache / name).mkdir(parents=True)
    (cache / name / "two.csv").write_bytes(b"two\n")  # fetched by an interrupted run
    folder = fetch(name, cache, url)
    assert (folder / "a" / "one.csv").read_bytes() == b"one\n"
    assert _QuietHandler.requested == ["/a/one.csv"]  # what was there is not fetched again
    assert missing_files(name, cache) == []
    assert fetch(name, cache, url) == folder and _QuietHandler.requested == ["/a/one.csv"]


def test_fetch_refuses_a_file_with_another_checksum(small_remote, serve, tmp_path) -> None:
    served, name = small_remote
    (served / "a" / "one.csv").write_bytes(b"changed upstream\n")
    cache = tmp_path / "cache"
    with pytest.raises(LabInputError, match=r"one\.csv: sha256 .* \(nothing kept\)"):
        fetch(name, cache, serve(served))
    assert not list((cache / name).rglob("*.csv*"))  # neither the file nor a .part


def test_fetch_offline_is_one_line(small_remote, tmp_path: Path, capsys) -> None:
    _, name = small_remote
    with pytest.raises(FetchOffline):
        fetch(name, tmp_path / "cache", _closed_port_url())
    args = ["fetch", "geirhos2018-dnn", "--cache", str(tmp_path / "cache"),
                   "--url", _closed_port_url(), "-q"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: geirhos2018-dnn not fetched, the server")
    assert "0 of 268 files cached" in err[0]
    lines, result = verify(tmp_path / "cache", fetch_dnn=True, url=_closed_port_url())
    assert lines[1].startswith("networks: skipped") and result["reproduced"].all()


def test_fetched_network_data_reproduce_the_published_accuracies(
        shared_data: Path, serve, tmp_path: Path, capsys) -> None:
    """The real 268 files through a local server, then ``verify`` on the cache."""
    url = serve(shared_data / "geirhos2018" / "dnn-raw-data")
    cache = tmp_path / "cache"
    assert cli.main(["fetch", "geirhos2018-dnn", "--cache", str(cache), "--url", url,
                     "-q"]) == 0
    assert len(_QuietHandler.requested) == 268
    capsys.readouterr()
    assert cli.main(["verify", "--cache", str(cache)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("networks: 243 of 243 published accuracies reproduced")
