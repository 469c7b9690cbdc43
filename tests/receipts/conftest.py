import pytest
import yaml

from points.rules import DEFAULT_RULES


@pytest.fixture
def rules(tmp_path, monkeypatch):
    """``rules(**changes)``: the bundled rule set with ``changes`` becomes version 0."""
    from database import reset_caches

    def use(**changes):
        base = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
        path = tmp_path / "rules.yaml"
        path.write_text(yaml.safe_dump({**base, "member_days": [], **changes}, allow_unicode=True))
        monkeypatch.setenv("RP_POINTS_RULES_FILE", str(path))
        reset_caches()

    return use
