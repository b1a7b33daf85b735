"""The wheel is the product: ``pip wheel .``, installed into a fresh virtual environment, must
answer ``python -m workshop --help`` and ``python -m workshop invoke`` (the templates and the
sandbox's data inside the package, nothing read from the checkout).

The fresh venv gets the wheel alone (``--no-deps``); its dependencies come from the project's
own venv through a path line, which (unlike a site folder) does not activate the checkout's
editable install. The checkout is kept off ``sys.path`` (``PYTHONPATH`` holds only the network
guard), and the commands run from an empty folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NETGUARD = ROOT / "tests" / "netguard"

pytestmark = pytest.mark.slow


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env["PYTHONPATH"] = str(NETGUARD)  # the loopback guard, and not the checkout
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                  str(work / "dist"), str(ROOT)], cwd=work, env=env)
    assert built.returncode == 0, built.stderr
    [wheel] = (work / "dist").glob("bedrock_workshop-*.whl")
    target = work / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=work, env=env).stdout.strip())
    # The project venv's packages (streamlit, boto3, ...) as a plain path: no .pth in it runs.
    (purelib / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    unpacked = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "--target",
                     str(purelib), str(wheel)], cwd=work, env=env)
    assert unpacked.returncode == 0, unpacked.stderr
    empty = work / "elsewhere"
    empty.mkdir()
    return python, env, empty


def test_the_installed_package_is_the_wheels_not_the_checkout(installed: tuple[Path, dict[str, str], Path]) -> None:
    python, env, cwd = installed
    where = _run([str(python), "-c", "import workshop, workshop.prompts as p; print(workshop.__file__); "
                  "print(p.PROMPTS_DIR)"], cwd=cwd, env=env)
    assert where.returncode == 0, where.stderr
    package, templates = where.stdout.split()
    assert str(ROOT) not in package and "site-packages" in package
    assert Path(templates, "claude-messages.json").is_file()


def test_help_from_the_wheel(installed: tuple[Path, dict[str, str], Path]) -> None:
    python, env, cwd = installed
    helped = _run([str(python), "-m", "workshop", "--help"], cwd=cwd, env=env)
    assert helped.returncode == 0, helped.stderr
    assert "invoke" in helped.stdout and "compare" in helped.stdout


def test_invoke_from_the_wheel_answers_with_the_template(installed: tuple[Path, dict[str, str], Path]) -> None:
    python, env, cwd = installed
    answered = _run([str(python), "-m", "workshop", "invoke", "--model", "amazon.nova-micro-v1:0", "--no-delay",
                     "--json"], cwd=cwd, env=env)
    assert answered.returncode == 0, answered.stderr
    assert "Traceback" not in answered.stderr
    assert '"output_text"' in answered.stdout and '"sandbox": true' in answered.stdout
