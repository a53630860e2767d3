"""ember.nn modules."""
# ruff: noqa: F401,F403
