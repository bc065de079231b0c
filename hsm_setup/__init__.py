"""hsm-setup: the headless core. No front-end library is imported anywhere under this package."""

__version__ = "0.1.0"
