"""nox sessions of ct-offload: ``nox -l`` lists them; ``nox`` runs the default set.

Purpose: the one way to run everything. Sessions reuse their virtualenvs, never download an
interpreter, and install what they need from pyproject.toml's dependency groups.

Promises: every session fails when its check fails (pytest's "no tests ran" included); ``bench``,
``deep`` and ``docs`` write reports under ``reports/``.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.download_python = "never"
nox.options.error_on_external_run = True
# The default run: CrossHair's contracts run once, inside ``conformance`` (``contracts`` alone is on demand).
nox.options.sessions = ["tests", "lint", "typecheck", "docs", "conformance"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
SOURCES = ["model", "impl", "conformance", "docs/examples", "docs/conf.py", "docs/_ext", "noxfile.py"]


def install(session: nox.Session, *groups: str) -> None:
    """Install the project (editable) and the named dependency groups."""
    requirements: list[str] = []
    for group in groups:
        requirements.extend(nox.project.dependency_groups(PYPROJECT, group))
    session.install("-e", ".", *requirements)


def redis_server(session: nox.Session) -> None:
    """Install Debian's redis-server for the pooled-database test when it is missing and we are root
    (CI's machine is fresh); elsewhere that test skips, saying why."""
    import os  # noqa: PLC0415 (this helper's own needs, kept inside it)
    import shutil  # noqa: PLC0415

    if shutil.which("redis-server") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=env)
    session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server", external=True, env=env)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and protocol tests (fast, derandomised Hypothesis profile)."""
    install(session, "test")
    redis_server(session)
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs, env={"HYPOTHESIS_PROFILE": "ci"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    install(session, "lint")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy --strict over every package and the tests."""
    install(session, "typecheck")
    session.run("mypy", "--strict", "model", "impl", "conformance")


@nox.session(default=False)
def contracts(session: nox.Session) -> None:
    """CrossHair over the model's contracts, each verdict reported honestly (reports/contracts.md)."""
    install(session, "contracts")
    session.run("python", "-m", "conformance", "contracts", "--report", "reports/contracts.md", *session.posargs)


@nox.session
def conformance(session: nox.Session) -> None:
    """The main job: CrossHair's contracts, then every conformance test, the coverage gate and a summary."""
    # Layer 2 runs the RFC behaviours, the profile laws, impl against the model sequentially and as
    # linearizable threaded histories, the vectors, and the switchdev provider on the simulated
    # device and on the kernel where it runs.
    install(session, "test", "contracts")
    session.log("layer 1/2: CrossHair contracts on the model")
    session.run("python", "-m", "conformance", "contracts", "--report", "reports/contracts.md")
    session.log("layer 2/2: the conformance tests, then the coverage gate and the summary")
    session.run(
        "pytest",
        "-v",
        "-p",
        "no:cacheprovider",
        "-m",
        "conformance",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "conformance", "CT_OFFLOAD_GATE": "1"},
    )


@nox.session(name="crosshair-hypothesis", default=False)
def crosshair_hypothesis(session: nox.Session) -> None:
    """The impl-vs-model Hypothesis properties with CrossHair as Hypothesis's backend (hypothesis-crosshair)."""
    install(session, "crosshair-hypothesis")
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "conformance/tests/test_impl_vs_model.py",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "crosshair"},
    )


@nox.session(default=False)
def prove(session: nox.Session) -> None:
    """The bounded exhaustive checker on its published scope (reports/prove.md): ``nox -s prove -- --scope small``."""
    install(session)
    args = session.posargs or ["--scope", "published"]
    session.run("python", "-m", "conformance", "prove", "--report", "reports/prove.md", *args)


@nox.session(default=False)
def deep(session: nox.Session) -> None:
    """The whole suite with large Hypothesis budgets on every core (nightly; see the README for its knobs)."""
    # The example database is $CT_OFFLOAD_EXAMPLE_DB (default .hypothesis/examples): point several
    # machines at one shared directory and they replay and pool what each has found. With
    # $CT_OFFLOAD_REDIS=redis://HOST:PORT/DB it is Hypothesis's RedisExampleDatabase on that server
    # (both set: a MultiplexedDatabase of the two), pooled by every machine pointed at it.
    # $CT_OFFLOAD_DEEP_EXAMPLES sets the examples per test (default 20000), $CT_OFFLOAD_DEEP_HISTORIES the
    # real-thread histories per profile (1000), $CT_OFFLOAD_RACE_SECONDS the batch race (10 s).
    install(session, "test", "deep")
    session.run(
        "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto", *session.posargs, env={"HYPOTHESIS_PROFILE": "deep"}
    )


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation: checked against the model, every example run, then the HTML site built."""
    # The order matters: a page whose example fails is never written. -E re-reads every page, since
    # the generated tables depend on the model's code; -W makes every warning an error.
    install(session, "docs")
    session.run("python", "-m", "conformance", "docs-check")
    session.run("sphinx-build", "-E", "-W", "--keep-going", "-q", "-b", "doctest", "docs", "reports/docs/doctest")
    session.run("sphinx-build", "-E", "-W", "--keep-going", "-q", "-b", "html", "docs", "reports/docs/html")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks, as ratios measured in one run; writes reports/bench.md."""
    install(session, "bench")
    session.run("python", "-m", "conformance", "bench", "--report", "reports/bench.md", *session.posargs)


@nox.session(default=False)
def mutants(session: nox.Session) -> None:
    """Mutation testing (mutmut) of impl's dispatch, batch and mark code; writes reports/mutants.md."""
    # Always a fresh run (mutmut would keep old verdicts when only the tests changed); the selection
    # of files and tests is [tool.mutmut] in pyproject.toml. Posargs go to `mutmut run`.
    install(session, "mutants")
    session.run("python", "-c", "import shutil; shutil.rmtree('mutants', ignore_errors=True)")
    session.run("mutmut", "run", *session.posargs, env={"HYPOTHESIS_PROFILE": "mutants"})
    session.run("python", "-m", "conformance.mutants_report", "--report", "reports/mutants.md", "--min-score", "90")


#: [tool.mutmut] of ``nox -s mutants-model``, written into the scratch copy's pyproject.toml in place
#: of impl's: the model's rules, verdicts, batch segmentation and tracker sweep, against the tests
#: that state the specification (prove, the contracts' conditions, the vectors, the errata, the
#: time each callback sees, the strict paths) and, for the tracker sweep, which prove does not
#: reach, the tracker's conntrack behaviours and impl's tracker checked against the model.
MUTMUT_MODEL = """[tool.mutmut]
source_paths = ["model"]
only_mutate = ["model/rfc.py", "model/strict.py", "model/strict_batch.py", "model/verdict.py", "model/tracker_sweep.py"]
also_copy = ["impl/", "conformance/", "docs/"]
pytest_add_cli_args_test_selection = [
    "conformance/tests/test_model_contracts.py",
    "conformance/tests/test_prove.py",
    "conformance/tests/test_vectors.py",
    "conformance/tests/test_errata.py",
    "conformance/tests/test_model_time.py",
    "conformance/tests/test_strict_paths.py",
    "conformance/tests/test_tracker_conntrack.py",
    "conformance/tests/test_tracker_vs_model.py",
]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "conformance.mutants_profile"]

"""


@nox.session(name="mutants-model", default=False)
def mutants_model(session: nox.Session) -> None:
    """Mutation testing (mutmut) of the model against prove, contracts, vectors, errata; reports/mutants-model.md."""
    # mutmut reads [tool.mutmut] from the working directory, so the run happens in a scratch copy
    # whose pyproject.toml holds MUTMUT_MODEL instead of impl's section: `nox -s mutants` is untouched.
    import re  # noqa: PLC0415 (this session's own needs, kept inside it)
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    install(session, "mutants")
    root = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="ct-offload-mutants-model-") as scratch:
        for part in ("model", "impl", "conformance", "docs"):
            shutil.copytree(root / part, Path(scratch) / part, ignore=shutil.ignore_patterns("__pycache__"))
        text = (root / "pyproject.toml").read_text()
        text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[tool\.(?!mutmut))", lambda _: MUTMUT_MODEL, text)
        (Path(scratch) / "pyproject.toml").write_text(text)
        session.chdir(scratch)
        session.run("mutmut", "run", *session.posargs, env={"HYPOTHESIS_PROFILE": "mutants"})
        session.run(
            "python",
            "-m",
            "conformance.mutants_report",
            "--root",
            scratch,
            "--title",
            "Mutation testing of the model (the specification)",
            "--session",
            "mutants-model",
            "--report",
            str(root / "reports" / "mutants-model.md"),
            "--min-score",
            "95",
        )


@nox.session(default=False)
def ovs(session: nox.Session) -> None:
    """The C conformance kit on an OVS tree: ``nox -s ovs -- TREE [--profile rfc-v1|rfc-v2] [--count N]``."""
    # Builds the harness from TREE's lib/ct-offload.c, replays the vectors of the profile (default
    # rfc-v1: a tree cannot tell which posting it carries, so the user names it), runs the checker in
    # that profile, then under strict, where the RFC code's errata must show as a disagreement: that
    # one is reported, not failed on. The harness lives in a temporary directory removed at the end.
    import shlex  # noqa: PLC0415 (this session's own needs, kept inside it)
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    usage = "usage: nox -s ovs -- TREE [--profile rfc-v1|rfc-v2] [--count N]"
    words, options = list(session.posargs), {"--profile": "rfc-v1", "--count": "300"}
    while len(words) > 1 and words[-2] in options:
        value, name = words.pop(), words.pop()
        options[name] = value
    if len(words) != 1 or options["--profile"] not in ("rfc-v1", "rfc-v2") or not options["--count"].isdigit():
        session.error(usage)
    tree, profile, count = words[0], options["--profile"], options["--count"]
    install(session)
    with tempfile.TemporaryDirectory(prefix="ct-offload-ovs-") as scratch:
        binary = str(Path(scratch) / "test-ct-offload-scenarios")
        session.run("python", "-m", "conformance", "ovs", "build", "--tree", tree, "--out", binary)
        session.run("python", "-m", "conformance", "ovs", "replay", "--bin", binary, "--profile", profile)
        check = ["python", "-m", "conformance", "check", "--external", shlex.quote(binary), "--count", count]
        session.run(*check, "--profile", profile)
        session.log("strict: the RFC code is expected to disagree (its errata); reported, not failed on")
        said = session.run(*check, "--profile", "strict", success_codes=[0, 1], silent=True)
        for line in str(said or "").splitlines():
            session.log(line)
        if "disagrees with the model" not in str(said):
            session.warn("strict found no disagreement: is the tree already fixed, or is the checker too weak?")
