"""facegate: face recognition with China's facial recognition Measures in the data path."""

__version__ = "0.1.0"
