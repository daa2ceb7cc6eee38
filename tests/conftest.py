"""Shared test configuration: the `slow` marker (deselect with -m "not slow")."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: a timing test (several seconds); deselect with -m 'not slow'"
    )
