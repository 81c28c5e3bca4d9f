"""The edge node: a facegate on one device that keeps its faces there, and syncs facts (never
faces) with its control plane. See docs/architecture.md."""

from facegate.edge.client import ControlPlane, ControlPlaneError
from facegate.edge.node import EdgeNode, SyncReport

__all__ = ["ControlPlane", "ControlPlaneError", "EdgeNode", "SyncReport"]
