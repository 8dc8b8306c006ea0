"""The project installs like a real tool: an sdist and a wheel that carry the LICENSE and the
``py.typed`` markers and not the tests, and a ``ct-offload`` console script that works from any
folder, one holding the user's own ``model.py`` included.

The wheel is built from the sdist (so the sdist is shown complete), installed into a fresh
virtualenv outside the checkout, and run from a folder whose ``model.py`` would break the command
if it were imported. Building needs setuptools from PyPI (build isolation) and installing needs the
dependencies: where PyPI cannot be reached the test says so and skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OFFLINE = ("Could not find a version", "Failed to establish a new connection", "No matching distribution")


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def _or_skip_offline(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode and any(marker in done.stdout + done.stderr for marker in OFFLINE):
        pytest.skip(f"{what} needs PyPI, which cannot be reached here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the wheel, the bin folder of a fresh virtualenv it is installed in)."""
    out = tmp_path_factory.mktemp("dist")
    # build is itself fetched into a throwaway environment, so the test needs nothing installed.
    builder = tmp_path_factory.mktemp("builder")
    venv.create(builder, with_pip=True)
    _or_skip_offline(_run(builder / "bin" / "pip", "install", "-q", "build", cwd=out), "installing 'build'")
    _or_skip_offline(_run(builder / "bin" / "python", "-m", "build", "--outdir", out, ROOT, cwd=out), "the build")
    (wheel,) = out.glob("ct_offload-*.whl")
    (sdist,) = out.glob("ct_offload-*.tar.gz")
    assert sdist.exists()
    target = tmp_path_factory.mktemp("venv")
    venv.create(target, with_pip=True)
    _or_skip_offline(_run(target / "bin" / "pip", "install", "-q", wheel, cwd=out), "installing the wheel")
    yield wheel, target / "bin"


def test_the_wheel_carries_the_license_and_the_type_markers_not_the_tests(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert {"model/py.typed", "impl/py.typed", "conformance/py.typed"} <= set(names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith("conformance/tests/")]
    assert [n for n in names if n.startswith("conformance/vectors/") and n.endswith(".jsonl")]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text
    assert "Project-URL: RFC series v1, http://patchwork.ozlabs.org" in text
    entry_points = zipfile.ZipFile(wheel).read(metadata.replace("METADATA", "entry_points.txt")).decode()
    assert "ct-offload = conformance.console:main" in entry_points


@pytest.fixture
def users_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder of the user's, whose own model.py fails loudly if anything imports it."""
    (tmp_path / "model.py").write_text("raise SystemExit('the user\\'s model.py was imported')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["CT_OFFLOAD_SIM_STATE"] = str(tmp_path / "state" / "sim-device.json")
    return tmp_path, env


def test_the_console_script_works_from_a_folder_with_a_model_py(
    installed: tuple[Path, Path], users_folder: tuple[Path, dict[str, str]]
) -> None:
    _, bin_dir = installed
    folder, env = users_folder
    tool = bin_dir / "ct-offload"
    version = _run(tool, "--version", cwd=folder, env=env)
    assert version.returncode == 0 and version.stdout.startswith("ct-offload "), version.stderr
    listing = _run(tool, "help", cwd=folder, env=env).stdout
    for command in ("scenarios", "tracker", "check", "vectors", "contracts", "bench", "simulate", "devlink"):
        assert f"  {command} " in listing
    shown = _run(tool, "devlink", "dev", "show", cwd=folder, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "sim/ctoffload0" in shown.stdout
    scenario = {"id": 7, "providers": [{"callbacks": ["add"]}], "steps": [{"do": "add", "conn": 0}]}
    done = subprocess.run(
        [str(tool), "scenarios", "--profile", "strict"],
        check=False,
        cwd=folder,
        env=env,
        input=json.dumps(scenario) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["returns"] == [0]
    vectors = _run(tool, "vectors", cwd=folder, env=env)
    assert vectors.returncode == 0, vectors.stdout + vectors.stderr


def test_the_python_m_forms_work_from_a_folder_with_a_model_py(
    installed: tuple[Path, Path], users_folder: tuple[Path, dict[str, str]]
) -> None:
    _, bin_dir = installed
    folder, env = users_folder
    for package, args in (("impl", ("devlink", "dev", "show")), ("conformance", ("vectors",))):
        done = _run(bin_dir / "python", "-m", package, *args, cwd=folder, env=env)
        assert done.returncode == 0, f"python -m {package}: {done.stdout}{done.stderr}"


def test_commands_that_need_a_checkout_say_so_in_one_line(
    installed: tuple[Path, Path], users_folder: tuple[Path, dict[str, str]]
) -> None:
    _, bin_dir = installed
    folder, env = users_folder
    for args in (("docs-check",), ("vectors", "--write")):
        done = _run(bin_dir / "ct-offload", *args, cwd=folder, env=env)
        assert done.returncode == 2
        (line,) = done.stdout.strip().splitlines()
        assert "needs a source checkout" in line


def test_the_installed_packages_come_from_the_wheel_not_the_checkout(installed: tuple[Path, Path]) -> None:
    _, bin_dir = installed
    code = "import conformance, impl, model; print(model.__file__, impl.__file__, conformance.__file__)"
    done = _run(bin_dir / "python", "-P", "-c", code, cwd=bin_dir, env={"PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0, done.stderr
    for path in done.stdout.split():
        assert Path(path).is_relative_to(bin_dir.parent) and not Path(path).is_relative_to(ROOT)
