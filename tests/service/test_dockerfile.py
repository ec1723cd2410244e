"""What a read of the Dockerfile must show (Docker itself is not run here): dependencies are
installed before the code is copied (a code change reuses the dependency layer), the image
runs as a user other than root, and the service's port is exposed."""

from __future__ import annotations

from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _index(instructions, kind: str, contains: str) -> int:
    found = [i for i, (k, args) in enumerate(instructions) if k == kind and contains in args]
    assert found, f"no {kind} with {contains!r} in the Dockerfile"
    return found[0]


def test_dependencies_are_installed_before_the_code_is_copied():
    steps = _instructions()
    copy_code = _index(steps, "COPY", "src")
    install_deps = _index(steps, "RUN", "pip install .")
    assert install_deps < copy_code
    # Nothing before the dependency install copies more than the project's metadata.
    copied = [args for kind, args in steps[:install_deps] if kind == "COPY"]
    assert copied == ["pyproject.toml README.md ./"]
    assert "--no-deps" in steps[_index(steps, "RUN", "pip install --no-deps")][1]
    assert _index(steps, "RUN", "pip install --no-deps") > copy_code


def test_the_image_runs_as_a_user_other_than_root_and_exposes_the_service():
    steps = _instructions()
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert _index(steps, "USER", "") < _index(steps, "CMD", "")
    assert ("EXPOSE", "8000") in steps
