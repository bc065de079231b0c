"""Each action of the printed apply policy taken away in turn (second half): apply names it before any change."""

from __future__ import annotations

import pytest

from .enforced import Operator
from .removed_action import apply_without, half

pytestmark = pytest.mark.e2e


@pytest.fixture
def operator(practice, monkeypatch, capsys, tmp_path) -> Operator:
    return Operator(practice, monkeypatch, capsys, tmp_path)


@pytest.mark.parametrize("action", half(1))
def test_apply_names_the_missing_action_before_any_change(operator, action):
    apply_without(operator, action)
