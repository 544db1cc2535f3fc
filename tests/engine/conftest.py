"""Shared fixtures for the engine specifications that read the real documents (test_check, test_flow_loading).

`flows_dir`, `flows` and `catalogues` are the deployment's own, shared with tests/flows (tests/flows/deployment.py);
`flow_copy` is a copy of flows/ to break one document at a time. The interpreter's own specifications
(test_interpreter.py) build small synthetic flows instead.
"""

from pathlib import Path

import pytest
import yaml

from tests.flows import deployment
from tests.flows.deployment import FLOWS_DIR

# The real flows and catalogues, shared with tests/flows.
flows_dir, flows, catalogues = deployment.flows_dir, deployment.flows, deployment.catalogues


class FlowCopy:
    """A copy of the real flows/ in a temporary directory, to break one document at a time."""

    def __init__(self, directory: Path):
        self.dir = directory
        for source in FLOWS_DIR.glob("*.yaml"):
            (directory / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")

    def edit(self, name: str, change) -> None:
        """Apply `change(document)` to the parsed `name`.yaml and write it back."""
        path = self.dir / f"{name}.yaml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(document)
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def write(self, name: str, text: str) -> Path:
        path = self.dir / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def remove(self, name: str) -> None:
        (self.dir / f"{name}.yaml").unlink()


@pytest.fixture
def flow_copy(tmp_path) -> FlowCopy:
    return FlowCopy(tmp_path)
