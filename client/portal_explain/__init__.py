"""portal-explain: an error code's documentation from the error portal, in the terminal."""

__version__ = "0.1.0"
