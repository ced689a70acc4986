"""promisetrack: keep the front desk's promises."""

__version__ = "0.1.0"
